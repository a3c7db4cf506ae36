#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/core/status.h"

// Internal to gateway/store: group commit, shared by the SQLite and the PostgreSQL store.
namespace brygga::store {

// Each caller queues its write unit; whoever finds no commit in progress becomes the leader,
// takes every queued unit (up to maxUnits) and runs them in one transaction on the backend's
// writer, each inside a savepoint of its own. While the leader waits for the COMMIT (its fsync),
// new units queue up and form the next group, so under load many units share one commit while a
// lone unit commits at once. A caller returns only after the COMMIT that holds its unit returned:
// OK still means "durable". A failing unit is rolled back to its savepoint alone; when the
// database drops the whole transaction (a full disk, a lost connection), every unit of the group
// that had already run in it fails with that error and the rest continue in a new transaction.
//
// Every caller sleeps on its own condition variable and is woken exactly once: when its unit is
// done, or when the finished leader hands the writer to it as the oldest queued unit. (One shared
// condition variable woke every waiting request thread after every group, which cost more CPU in
// context switches than the work of a unit on a 2-core machine.)
//
// `Writer` is the backend's writer for one group: Status begin(), savepoint(), release(),
// commit(); bool rollbackToSavepoint() (false: the transaction is gone); void rollback();
// Status runUnit(const Work&) (the work on a fresh transaction object, what it threw or the
// database error it met as its Status).
template <typename Txn>
class GroupCommit {
 public:
  using Work = std::function<core::Status(Txn&)>;

  explicit GroupCommit(size_t maxUnits) : maxUnits_(maxUnits) {}

  // Runs `work` in a group. The leader gets the backend's writer for the group's length from
  // acquireWriter(use, unavailable), which calls use(writer), or unavailable(status) when it has
  // no writer to give (every unit of the group then fails with that status).
  template <typename AcquireWriter>
  core::Status run(const Work& work, AcquireWriter&& acquireWriter) {
    // The leader runs other callers' work too; a unit started from inside one would wait for its
    // own thread forever.
    if (tInsideUnit) return core::internalError("Store::write called inside a write unit");
    Queued me{&work, core::Status::ok()};
    std::unique_lock lock(mutex_);
    queue_.push_back(&me);
    for (;;) {
      if (me.done) return me.result;
      if (me.lead || (!committing_ && exclusiveWaiting_ == 0)) {
        me.lead = false;
        committing_ = true;
        std::vector<Queued*> group;
        while (!queue_.empty() && group.size() < maxUnits_) {
          group.push_back(queue_.front());
          queue_.pop_front();
        }
        lock.unlock();
        acquireWriter([&](auto& writer) { runGroup(group, writer); },
                      [&](const core::Status& unavailable) {
                        for (Queued* unit : group) unit->result = unavailable;
                      });
        lock.lock();
        for (Queued* unit : group) {
          unit->done = true;
          // Under the lock: the waiter cannot return (and destroy `wake`) before it is notified.
          if (unit != &me) unit->wake.notify_one();
        }
        handOver();
        continue;
      }
      me.wake.wait(lock);
    }
  }

  // Runs `f` with the writer to itself, outside any group (SQLite's VACUUM and checkpoints
  // cannot run inside a transaction): write units queue meanwhile.
  core::Status exclusive(const std::function<core::Status()>& f) {
    std::unique_lock lock(mutex_);
    ++exclusiveWaiting_;
    exclusiveDone_.wait(lock, [this] { return !committing_; });
    --exclusiveWaiting_;
    committing_ = true;
    lock.unlock();
    core::Status result = f();
    lock.lock();
    handOver();
    return result;
  }

 private:
  // A write unit waiting for, or taking part in, a group. Lives on its caller's stack.
  struct Queued {
    const Work* work;
    core::Status result;
    bool done = false;  // guarded by mutex_
    bool lead = false;  // guarded by mutex_: the previous leader handed the writer over
    std::condition_variable wake;
  };

  // With mutex_ held, when a group or an exclusive operation is finished: the writer goes to a
  // waiting exclusive operation, else to the oldest queued unit, else it is free.
  void handOver() {
    if (exclusiveWaiting_ > 0) {
      committing_ = false;
      exclusiveDone_.notify_all();
    } else if (!queue_.empty()) {
      queue_.front()->lead = true;
      queue_.front()->wake.notify_one();
    } else {
      committing_ = false;
    }
  }

  // Sets each unit's result.
  template <typename Writer>
  void runGroup(const std::vector<Queued*>& group, Writer& writer) {
    tInsideUnit = true;
    struct ClearFlag {
      ~ClearFlag() { tInsideUnit = false; }
    } clearFlag;

    size_t next = 0;
    while (next < group.size()) {
      core::Status begun = writer.begin();
      if (!begun.isOk()) {
        writer.rollback();  // in case a transaction was somehow left open
        for (; next < group.size(); ++next) group[next]->result = begun;
        return;
      }
      std::vector<Queued*> kept;         // ran OK inside this transaction
      std::optional<core::Status> lost;  // why the transaction is gone
      for (; next < group.size() && !lost; ++next) {
        Queued& unit = *group[next];
        core::Status result = writer.savepoint();
        if (result.isOk()) {
          result = writer.runUnit(*unit.work);
          if (result.isOk()) result = writer.release();
          if (result.isOk()) {
            kept.push_back(&unit);
            continue;
          }
          unit.result = result;
          if (!writer.rollbackToSavepoint()) lost = result;
        } else {
          unit.result = result;
          lost = result;
        }
      }
      if (lost) {
        writer.rollback();
        for (Queued* unit : kept) unit->result = *lost;
        continue;
      }
      core::Status committed = writer.commit();
      if (!committed.isOk()) writer.rollback();
      for (Queued* unit : kept) unit->result = committed;
    }
  }

  static inline thread_local bool tInsideUnit = false;

  const size_t maxUnits_;
  std::mutex mutex_;
  std::condition_variable exclusiveDone_;  // exclusive() waits here for the writer
  std::deque<Queued*> queue_;
  bool committing_ = false;   // a group or an exclusive operation has the writer
  int exclusiveWaiting_ = 0;  // exclusive operations waiting for it; they go before new groups
};

// The operations of one write unit after its first database error: the database may already have
// dropped the transaction (SQLite's SQLITE_FULL does, PostgreSQL aborts it), so running further
// statements would fail or write outside it. Every later call returns that error, and the unit
// rolls back even if its work returns OK. `statusOf` turns what a backend's call threw into the
// Status.
template <core::Status (*statusOf)(const std::string&, const std::exception_ptr&)>
class UnitErrors {
 public:
  const std::optional<core::Status>& failure() const { return failure_; }

  template <typename F>
  auto run(const char* operation, F&& f) -> decltype(f()) {
    if (failure_) return *failure_;
    try {
      return f();
    } catch (...) {
      failure_ = statusOf(operation, std::current_exception());
      return *failure_;
    }
  }

 private:
  std::optional<core::Status> failure_;
};

// Runs `work` on `txn` and turns what it throws, or the database error the transaction met, into
// its Status (Txn::failure(): the first database error of the unit).
template <typename Txn>
core::Status runWork(const std::function<core::Status(Txn&)>& work, Txn& txn) {
  core::Status result;
  try {
    result = work(txn);
  } catch (const std::exception& e) {
    result = core::internalError(std::string("write unit threw: ") + e.what());
  } catch (...) {
    result = core::internalError("write unit threw");
  }
  if (result.isOk() && txn.failure()) result = *txn.failure();
  return result;
}

}  // namespace brygga::store

// The store under the delivery engine (issue 5): group commit, queue depth, pause and resume,
// dead letters, retention that gives the disk space back.
#include <atomic>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/store/sqlite_store_fixture.h"

namespace brygga::store {
namespace {

using ::testing::HasSubstr;

class SqliteDeliveryStoreTest : public SqliteStoreTest {
 protected:
  StatusOr<int64_t> pending(const std::string& destination) {
    int64_t count = -1;
    core::Status s = store_->write([&](StoreTransaction& txn) -> core::Status {
      BRYGGA_ASSIGN_OR_RETURN(count, txn.outbox().pendingCount(destination));
      return core::Status::ok();
    });
    if (!s.isOk()) return s;
    return count;
  }

  core::Status setState(int64_t id, OutboxState state, int64_t atMs) {
    return store_->write(
        [&](StoreTransaction& txn) { return txn.outbox().updateOutbox(id, state, 1, atMs, ""); });
  }

  int64_t fileBytes() {
    std::error_code ec;
    int64_t total = static_cast<int64_t>(std::filesystem::file_size(dbPath(), ec));
    const auto wal = std::filesystem::file_size(dbPath() + "-wal", ec);
    if (!ec) total += static_cast<int64_t>(wal);
    return total;
  }
};

// --- Group commit --------------------------------------------------------------------------

TEST_F(SqliteDeliveryStoreTest, ConcurrentUnitsEachGetTheirOwnResultAndOnlyFailuresAreUndone) {
  constexpr int kThreads = 8;
  constexpr int kUnitsPerThread = 40;
  std::vector<std::thread> threads;
  std::atomic<int> wrongResults{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kUnitsPerThread; ++n) {
        const std::string id = "p" + std::to_string(t) + "-" + std::to_string(n);
        const int kind = (t + n) % 4;  // 0, 1: succeed; 2: the work fails; 3: SQL error
        core::Status s = store_->write([&](StoreTransaction& txn) -> core::Status {
          BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(resource("Patient", id, 1, 1000)));
          if (kind == 2) return core::unprocessable("refused by the work");
          // Version 1 again: the store refuses it (kConflict), and the work returns that.
          if (kind == 3) return txn.resources().putResource(resource("Patient", id, 1, 1000));
          return core::Status::ok();
        });
        const bool shouldSucceed = kind < 2;
        if (s.isOk() != shouldSucceed) ++wrongResults;
        if (kind == 2 && s.code() != core::StatusCode::kUnprocessable) ++wrongResults;
        if (kind == 3 && s.code() != core::StatusCode::kConflict) ++wrongResults;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrongResults.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int n = 0; n < kUnitsPerThread; ++n) {
      const std::string id = "p" + std::to_string(t) + "-" + std::to_string(n);
      auto found = store_->resources().read("Patient", id);
      ASSERT_TRUE(found.isOk());
      EXPECT_EQ(found->has_value(), (t + n) % 4 < 2) << id;
    }
  }
}

TEST_F(SqliteDeliveryStoreTest, UnitsQueuedBehindASlowOneCommitTogetherWhenItIsDone) {
  std::promise<void> inside;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto slow = std::async(std::launch::async, [&] {
    return store_->write([&](StoreTransaction& txn) {
      BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(resource("Patient", "slow", 1, 1000)));
      inside.set_value();
      released.wait();
      return core::Status::ok();
    });
  });
  inside.get_future().wait();
  std::vector<std::future<core::Status>> queued;
  for (int i = 0; i < 5; ++i) {
    queued.push_back(std::async(std::launch::async, [&, i] {
      return put(resource("Patient", "queued" + std::to_string(i), 1, 2000));
    }));
  }
  // None of them can be acknowledged before the commit that holds it.
  for (auto& f : queued) {
    EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  }
  release.set_value();
  EXPECT_TRUE(slow.get().isOk());
  for (auto& f : queued) EXPECT_TRUE(f.get().isOk());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(store_->resources().read("Patient", "queued" + std::to_string(i))->has_value());
  }
}

TEST_F(SqliteDeliveryStoreTest, AWriteInsideAWriteUnitIsRefusedNotDeadlocked) {
  core::Status inner;
  core::Status outer = store_->write([&](StoreTransaction&) {
    inner = put(resource("Patient", "nested", 1, 1000));
    return core::Status::ok();
  });
  EXPECT_TRUE(outer.isOk());
  EXPECT_EQ(inner.code(), core::StatusCode::kInternal);
}

TEST_F(SqliteDeliveryStoreTest, ADiskFullInAGroupFailsItsUnitsAndLaterUnitsStillFit) {
  store_.reset();
  store_ = open(/*maxDatabaseBytes=*/1 << 20);
  ASSERT_NE(store_, nullptr);
  std::vector<std::future<core::Status>> small;
  std::promise<void> inside;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // The huge unit waits until small ones are queued behind it, so they share its group.
  auto huge = std::async(std::launch::async, [&] {
    return store_->write([&](StoreTransaction& txn) {
      inside.set_value();
      released.wait();
      ResourceWrite w = resource("Binary", "huge", 1, 2000);
      w.record.json = std::string(2 << 20, 'x');
      return txn.resources().putResource(w);
    });
  });
  inside.get_future().wait();
  for (int i = 0; i < 3; ++i) {
    small.push_back(std::async(std::launch::async, [&, i] {
      return put(resource("Patient", "s" + std::to_string(i), 1, 2000));
    }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release.set_value();
  const core::Status full = huge.get();
  EXPECT_EQ(full.code(), core::StatusCode::kUnavailable);
  EXPECT_THAT(full.message(), HasSubstr("disk is full"));
  // Whatever each small unit was told is the truth in the database.
  for (int i = 0; i < 3; ++i) {
    const core::Status s = small[static_cast<size_t>(i)].get();
    auto found = store_->resources().read("Patient", "s" + std::to_string(i));
    ASSERT_TRUE(found.isOk());
    EXPECT_EQ(found->has_value(), s.isOk()) << s.toString();
    if (!s.isOk()) {
      EXPECT_EQ(s.code(), core::StatusCode::kUnavailable);
    }
  }
  EXPECT_FALSE(store_->resources().read("Binary", "huge")->has_value());
  EXPECT_TRUE(put(resource("Patient", "after", 1, 3000)).isOk());
}

// --- Queue depth, pause, dead letters --------------------------------------------------------

TEST_F(SqliteDeliveryStoreTest, PendingCountFollowsEveryStateChange) {
  EXPECT_EQ(*pending("regional"), 0);
  const int64_t a = enqueueOrFail(outboxEntry("regional", "Patient/a", 0));
  const int64_t b = enqueueOrFail(outboxEntry("regional", "Patient/b", 0));
  enqueueOrFail(outboxEntry("regional", "Patient/c", 0));
  enqueueOrFail(outboxEntry("other", "Patient/a", 0));
  EXPECT_EQ(*pending("regional"), 3);
  EXPECT_EQ(*pending("other"), 1);
  ASSERT_TRUE(setState(a, OutboxState::kDelivered, 5000).isOk());
  ASSERT_TRUE(setState(b, OutboxState::kDead, 5000).isOk());
  EXPECT_EQ(*pending("regional"), 1);
  // A replay puts a dead entry back in the queue.
  ASSERT_TRUE(setState(b, OutboxState::kPending, 6000).isOk());
  EXPECT_EQ(*pending("regional"), 2);
  // A unit that is rolled back leaves the count alone.
  core::Status refused = store_->write([&](StoreTransaction& txn) -> core::Status {
    BRYGGA_RETURN_IF_ERROR(txn.outbox().enqueue(outboxEntry("regional", "Patient/d", 0)).status());
    return core::conflict("changed my mind");
  });
  EXPECT_FALSE(refused.isOk());
  EXPECT_EQ(*pending("regional"), 2);
}

TEST_F(SqliteDeliveryStoreTest, DestinationStatesShowDepthDeadLettersOldestAgeAndPause) {
  OutboxEntry first = outboxEntry("regional", "Patient/a", 0);
  first.createdMs = 1111;
  const int64_t a = enqueueOrFail(first);
  OutboxEntry second = outboxEntry("regional", "Patient/b", 0);
  second.createdMs = 2222;
  enqueueOrFail(second);
  const int64_t dead = enqueueOrFail(outboxEntry("regional", "Patient/c", 0));
  ASSERT_TRUE(setState(a, OutboxState::kDelivered, 3000).isOk());
  ASSERT_TRUE(setState(dead, OutboxState::kDead, 3000).isOk());
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) {
                    return txn.outbox().setDestinationPaused("quiet", true, 4000, "integration");
                  })
                  .isOk());

  auto states = store_->outbox().destinationStates();
  ASSERT_TRUE(states.isOk()) << states.status().toString();
  ASSERT_EQ(states->size(), 2u);
  const DestinationState& quiet = (*states)[0];
  EXPECT_EQ(quiet.destination, "quiet");
  EXPECT_TRUE(quiet.paused);
  EXPECT_EQ(quiet.changedMs, 4000);
  EXPECT_EQ(quiet.changedBy, "integration");
  EXPECT_EQ(quiet.pending, 0);
  EXPECT_EQ(quiet.oldestPendingCreatedMs, 0);
  const DestinationState& regional = (*states)[1];
  EXPECT_EQ(regional.destination, "regional");
  EXPECT_FALSE(regional.paused);
  EXPECT_EQ(regional.pending, 1);
  EXPECT_EQ(regional.dead, 1);
  EXPECT_EQ(regional.oldestPendingCreatedMs, 2222);
}

TEST_F(SqliteDeliveryStoreTest, APauseIsPersistedAndSeenByAnotherStoreOnTheFile) {
  EXPECT_FALSE(*store_->outbox().destinationPaused("regional"));
  std::unique_ptr<Store> other = open();  // as the CLI would open it
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other
                  ->write([](StoreTransaction& txn) {
                    return txn.outbox().setDestinationPaused("regional", true, 1000, "cli");
                  })
                  .isOk());
  EXPECT_TRUE(*store_->outbox().destinationPaused("regional"));
  store_.reset();
  store_ = open();
  EXPECT_TRUE(*store_->outbox().destinationPaused("regional"));
  ASSERT_TRUE(store_
                  ->write([](StoreTransaction& txn) {
                    return txn.outbox().setDestinationPaused("regional", false, 2000,
                                                             "integration");
                  })
                  .isOk());
  EXPECT_FALSE(*other->outbox().destinationPaused("regional"));
}

TEST_F(SqliteDeliveryStoreTest, DeadLettersArePagedByIdAndFilteredByDestination) {
  std::vector<int64_t> dead;
  for (int i = 0; i < 5; ++i) {
    const int64_t id = enqueueOrFail(
        outboxEntry(i == 2 ? "other" : "regional", "Patient/" + std::to_string(i), 0));
    ASSERT_TRUE(setState(id, OutboxState::kDead, 1000).isOk());
    dead.push_back(id);
  }
  enqueueOrFail(outboxEntry("regional", "Patient/live", 0));

  auto all = store_->outbox().deadLetters(std::nullopt, 0, 100);
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(all->size(), 5u);
  auto page = store_->outbox().deadLetters(std::string("regional"), 0, 2);
  ASSERT_TRUE(page.isOk());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, dead[0]);
  EXPECT_EQ((*page)[1].id, dead[1]);
  auto next = store_->outbox().deadLetters(std::string("regional"), (*page)[1].id, 10);
  ASSERT_TRUE(next.isOk());
  ASSERT_EQ(next->size(), 2u);  // dead[2] belongs to "other"
  EXPECT_EQ((*next)[0].id, dead[3]);
  EXPECT_EQ((*next)[1].id, dead[4]);
}

TEST_F(SqliteDeliveryStoreTest, DeliveredAfterTellsWhetherNewerDataOfTheKeyReachedThePeer) {
  const int64_t old = enqueueOrFail(outboxEntry("regional", "Patient/a", 0));
  const int64_t newer = enqueueOrFail(outboxEntry("regional", "Patient/a", 0));
  const int64_t otherKey = enqueueOrFail(outboxEntry("regional", "Patient/b", 0));
  ASSERT_TRUE(setState(old, OutboxState::kDead, 1000).isOk());
  ASSERT_TRUE(setState(otherKey, OutboxState::kDelivered, 1000).isOk());
  auto ask = [&](int64_t id) {
    bool answer = false;
    EXPECT_TRUE(store_
                    ->write([&](StoreTransaction& txn) -> core::Status {
                      BRYGGA_ASSIGN_OR_RETURN(
                          answer, txn.outbox().deliveredAfter("regional", "Patient/a", id));
                      return core::Status::ok();
                    })
                    .isOk());
    return answer;
  };
  EXPECT_FALSE(ask(old));
  ASSERT_TRUE(setState(newer, OutboxState::kDelivered, 2000).isOk());
  EXPECT_TRUE(ask(old));
  EXPECT_FALSE(ask(newer));
}

// --- Retention -----------------------------------------------------------------------------

TEST_F(SqliteDeliveryStoreTest, RetentionDeletesOldDeliveredPayloadsAndTheFileShrinks) {
  // A few thousand delivered entries with 8 KB payloads each: some tens of MB.
  const std::string payload(8 * 1024, 'p');
  constexpr int kEntries = 3000;
  std::vector<int64_t> ids;
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) -> core::Status {
                    for (int i = 0; i < kEntries; ++i) {
                      OutboxEntry e = outboxEntry("regional", "Patient/" + std::to_string(i), 0);
                      e.payload = payload;
                      BRYGGA_ASSIGN_OR_RETURN(int64_t id, txn.outbox().enqueue(e));
                      ids.push_back(id);
                    }
                    return core::Status::ok();
                  })
                  .isOk());
  // All but the last ten were delivered long ago; the last ten only just now. One is dead.
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) -> core::Status {
                    for (int i = 0; i < kEntries; ++i) {
                      const bool recent = i >= kEntries - 10;
                      BRYGGA_RETURN_IF_ERROR(txn.outbox().updateOutbox(
                          ids[static_cast<size_t>(i)],
                          i == 0 ? OutboxState::kDead : OutboxState::kDelivered, 1,
                          recent ? 900000 : 1000, ""));
                    }
                    return core::Status::ok();
                  })
                  .isOk());
  AuditRecord audit;
  audit.seq = 1;
  audit.json = "{}";
  audit.prevHash = std::string(64, '0');
  audit.hash = std::string(64, '1');
  ASSERT_TRUE(
      store_->write([&](StoreTransaction& txn) { return txn.auditLog().appendAudit(audit); })
          .isOk());
  ASSERT_TRUE(store_->reclaimSpace().isOk());  // checkpoint: everything is in the main file
  const int64_t before = fileBytes();
  ASSERT_GT(before, 20 << 20);

  int64_t purged = 0;
  for (;;) {
    auto n = store_->outbox().purgeDelivered(/*deliveredBeforeMs=*/500000, /*limit=*/1000);
    ASSERT_TRUE(n.isOk()) << n.status().toString();
    if (*n == 0) break;
    purged += *n;
  }
  EXPECT_EQ(purged, kEntries - 11);
  ASSERT_TRUE(store_->reclaimSpace().isOk());
  const int64_t after = fileBytes();
  EXPECT_LT(after, before / 4) << "before " << before << " bytes, after " << after;

  // The recent deliveries, the dead letter and the audit record are untouched.
  EXPECT_TRUE((*store_->outbox().outboxEntry(ids[0]))->state == OutboxState::kDead);
  EXPECT_TRUE(store_->outbox().outboxEntry(ids.back())->has_value());
  EXPECT_FALSE(store_->outbox().outboxEntry(ids[1])->has_value());
  EXPECT_EQ(store_->outbox().entries("regional", OutboxState::kDelivered, 100)->size(), 10u);
  EXPECT_EQ(store_->auditLog().auditRecords(1, 10)->size(), 1u);
  // Ids are never reused after a purge.
  EXPECT_GT(enqueueOrFail(outboxEntry("regional", "Patient/new", 0)), ids.back());
}

TEST_F(SqliteDeliveryStoreTest, AFileFromBeforeIncrementalVacuumIsConvertedWhenOpened) {
  store_.reset();
  std::filesystem::remove(dbPath());
  {
    // A file whose auto_vacuum is off, as builds before this one made them.
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", dbPath());
    using namespace Poco::Data::Keywords;
    session << "PRAGMA journal_mode = WAL", now;
    session << "CREATE TABLE filler (x TEXT)", now;
    int mode = -1;
    session << "PRAGMA auto_vacuum", into(mode), now;
    ASSERT_EQ(mode, 0);
  }
  store_ = open();
  ASSERT_NE(store_, nullptr);
  Poco::Data::Session session("SQLite", dbPath());
  using namespace Poco::Data::Keywords;
  int mode = -1;
  session << "PRAGMA auto_vacuum", into(mode), now;
  EXPECT_EQ(mode, 2);
}

}  // namespace
}  // namespace brygga::store

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace brygga::store {

// A fixed set of objects (the read connections of a database), each lent to one caller at a
// time. A caller waits a bounded time for one, so that a pool held by slow work makes new callers
// fail (503) instead of queueing without limit. Thread-safe; the objects are not owned and must
// outlive the pool.
template <typename T>
class LeasePool {
 public:
  explicit LeasePool(std::vector<T*> items) : idle_(std::move(items)) {}
  // The objects of `owned` (which must outlive the pool).
  explicit LeasePool(const std::vector<std::unique_ptr<T>>& owned) {
    for (const auto& item : owned) idle_.push_back(item.get());
  }

  // Gives the object back when it goes out of scope.
  class Lease {
   public:
    Lease(LeasePool& pool, T* item) : pool_(pool), item_(item) {}
    ~Lease() { pool_.giveBack(item_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    T& operator*() const { return *item_; }

   private:
    LeasePool& pool_;
    T* item_;
  };

  // An idle object, to be held by a Lease; nullptr when none became idle within `waitMs`.
  T* acquire(int64_t waitMs) {
    std::unique_lock lock(mutex_);
    if (!available_.wait_for(lock, std::chrono::milliseconds(waitMs),
                             [this] { return !idle_.empty(); })) {
      return nullptr;
    }
    T* item = idle_.back();
    idle_.pop_back();
    return item;
  }

 private:
  void giveBack(T* item) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(item);
    }
    available_.notify_one();
  }

  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<T*> idle_;
};

}  // namespace brygga::store

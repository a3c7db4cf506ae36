#include "gateway/core/periodic_task.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace brygga::core {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kLong{60 * 60 * 1000};  // never reached in a test
constexpr milliseconds kPatience{5000};        // how long a test waits for what must happen
constexpr milliseconds kQuiet{150};            // how long it watches for what must not

// Counts passes and lets a test wait for the n-th.
class Passes {
 public:
  void count() {
    {
      std::lock_guard lock(mutex_);
      ++n_;
    }
    changed_.notify_all();
  }
  bool reach(int n, milliseconds within = kPatience) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, within, [&] { return n_ >= n; });
  }
  int now() {
    std::lock_guard lock(mutex_);
    return n_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int n_ = 0;
};

// A pass that counts itself in `passes` and asks for `next`.
PeriodicTask::Pass counting(Passes& passes,
                            PeriodicTask::Next next = PeriodicTask::Next::after(kLong)) {
  return [&passes, next] {
    passes.count();
    return next;
  };
}

TEST(PeriodicTask, RunsTheFirstPassAtOnceAndRepeatsAfterTheDelayThePassAsks) {
  Passes passes;
  PeriodicTask task;
  task.start(counting(passes, PeriodicTask::Next::after(milliseconds(5))));
  EXPECT_TRUE(passes.reach(3));
}

TEST(PeriodicTask, NotifyEndsASleepEarly) {
  Passes passes;
  PeriodicTask task;
  task.start(counting(passes));
  ASSERT_TRUE(passes.reach(1));
  EXPECT_FALSE(passes.reach(2, kQuiet));
  task.notify();
  EXPECT_TRUE(passes.reach(2));
}

TEST(PeriodicTask, NotifyDuringAPassMakesTheNextPassFollowAtOnce) {
  Passes passes;
  std::promise<void> inPass;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  PeriodicTask task;
  task.start([&, first = true]() mutable {
    if (first) {
      first = false;
      inPass.set_value();
      released.wait();
    }
    passes.count();
    return PeriodicTask::Next::after(kLong);
  });
  inPass.get_future().wait();
  task.notify();
  release.set_value();
  EXPECT_TRUE(passes.reach(2));
}

TEST(PeriodicTask, ABackoffSleepIgnoresNotifyButNotStop) {
  Passes passes;
  PeriodicTask task;
  task.start(counting(passes, PeriodicTask::Next::notBefore(kLong)));
  ASSERT_TRUE(passes.reach(1));
  task.notify();
  EXPECT_FALSE(passes.reach(2, kQuiet));
  const auto before = std::chrono::steady_clock::now();
  task.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, kPatience);
  EXPECT_EQ(passes.now(), 1);
}

TEST(PeriodicTask, AFirstDelayHoldsTheFirstPassUntilItEndsOrANotify) {
  Passes passes;
  PeriodicTask task;
  task.start(counting(passes), kLong);
  EXPECT_FALSE(passes.reach(1, kQuiet));
  task.notify();
  EXPECT_TRUE(passes.reach(1));

  PeriodicTask shortDelay;
  Passes later;
  shortDelay.start(counting(later), milliseconds(20));
  EXPECT_TRUE(later.reach(1));
}

TEST(PeriodicTask, StopWaitsForThePassInProgressAndThePassSeesTheRequest) {
  std::promise<void> inPass;
  std::atomic<bool> sawStop{false};
  std::atomic<bool> passEnded{false};
  PeriodicTask task;
  task.start([&] {
    inPass.set_value();
    // A long pass that ends early when asked to stop.
    while (!task.stopRequested()) std::this_thread::sleep_for(milliseconds(1));
    sawStop = true;
    std::this_thread::sleep_for(milliseconds(50));
    passEnded = true;
    return PeriodicTask::Next::after(kLong);
  });
  inPass.get_future().wait();
  EXPECT_FALSE(task.stopRequested());
  task.stop();
  EXPECT_TRUE(sawStop);
  EXPECT_TRUE(passEnded);  // stop() returned only after the pass
  EXPECT_FALSE(task.stopRequested());
}

TEST(PeriodicTask, StartIsANoOpWhileRunningAndWorksAgainAfterStop) {
  Passes first;
  Passes second;
  PeriodicTask task;
  task.start(counting(first));
  ASSERT_TRUE(first.reach(1));
  task.start(counting(second));  // ignored: already running
  task.notify();
  ASSERT_TRUE(first.reach(2));
  EXPECT_EQ(second.now(), 0);

  EXPECT_TRUE(task.stop());
  EXPECT_FALSE(task.stop());  // idempotent
  const int passesBefore = first.now();
  task.notify();  // no thread: nothing happens
  EXPECT_FALSE(first.reach(passesBefore + 1, kQuiet));

  task.start(counting(second));
  EXPECT_TRUE(second.reach(1));
}

TEST(PeriodicTask, StopWithoutStartAndDestructionWhileSleepingReturn) {
  PeriodicTask idle;
  EXPECT_FALSE(idle.stop());
  Passes passes;
  {
    PeriodicTask task;
    task.start(counting(passes));
    ASSERT_TRUE(passes.reach(1));
  }  // the destructor stops and joins
  EXPECT_EQ(passes.now(), 1);
}

}  // namespace
}  // namespace brygga::core

#include "gateway/core/periodic_task.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/simulated_time_system.h"
#include "tests/support/test_support.h"

namespace brygga::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kLong{60 * 60 * 1000};  // an hour of simulated time
constexpr milliseconds kPatience{5000};        // how long a real-time test waits for a pass

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

// A task on simulated time: its sleeps end when the test advances time, so what must not happen
// is proven by advancing time up to the moment it would, and checking the passes.
class PeriodicTaskTest : public ::testing::Test {
 protected:
  testing::SimulatedTimeSystem time_;
  Passes passes_;
  PeriodicTask task_{time_};
};

TEST_F(PeriodicTaskTest, RunsTheFirstPassAtOnceAndRepeatsAfterTheDelayThePassAsks) {
  task_.start(counting(passes_, PeriodicTask::Next::after(seconds(5))));
  time_.waitUntilIdle();
  EXPECT_EQ(passes_.now(), 1);
  EXPECT_EQ(time_.advanceTimeWait(milliseconds(4999)), 0u);
  EXPECT_EQ(passes_.now(), 1);
  EXPECT_EQ(time_.advanceTimeWait(milliseconds(1)), 1u);
  EXPECT_EQ(passes_.now(), 2);
  // A jump past several delays runs one pass, at the new time.
  EXPECT_EQ(time_.advanceTimeWait(seconds(60)), 1u);
  EXPECT_EQ(passes_.now(), 3);
}

TEST_F(PeriodicTaskTest, NotifyEndsASleepEarly) {
  task_.start(counting(passes_));
  time_.waitUntilIdle();
  EXPECT_EQ(time_.advanceTimeWait(kLong - milliseconds(1)), 0u);
  EXPECT_EQ(passes_.now(), 1);
  task_.notify();
  time_.waitUntilIdle();
  EXPECT_EQ(passes_.now(), 2);
}

TEST_F(PeriodicTaskTest, NotifyDuringAPassMakesTheNextPassFollowAtOnce) {
  std::promise<void> inPass;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  task_.start([&, first = true]() mutable {
    if (first) {
      first = false;
      inPass.set_value();
      released.wait();
    }
    passes_.count();
    return PeriodicTask::Next::after(kLong);
  });
  inPass.get_future().wait();
  task_.notify();
  release.set_value();
  time_.waitUntilIdle();
  EXPECT_EQ(passes_.now(), 2);  // without time passing
}

TEST_F(PeriodicTaskTest, ABackoffSleepIgnoresNotifyButNotStop) {
  task_.start(counting(passes_, PeriodicTask::Next::notBefore(kLong)));
  time_.waitUntilIdle();
  task_.notify();
  time_.waitUntilIdle();  // the thread saw the notify and went back to sleep
  EXPECT_EQ(passes_.now(), 1);
  EXPECT_EQ(time_.advanceTimeWait(kLong - milliseconds(1)), 0u);
  EXPECT_EQ(passes_.now(), 1);
  EXPECT_TRUE(task_.stop());  // returns without time passing
  EXPECT_EQ(passes_.now(), 1);
}

TEST_F(PeriodicTaskTest, ABackoffSleepEndsAtItsDeadline) {
  task_.start(counting(passes_, PeriodicTask::Next::notBefore(seconds(30))));
  time_.waitUntilIdle();
  task_.notify();
  EXPECT_EQ(time_.advanceTimeWait(seconds(30)), 1u);
  EXPECT_EQ(passes_.now(), 2);
}

TEST_F(PeriodicTaskTest, AFirstDelayHoldsTheFirstPassUntilItEndsOrANotify) {
  task_.start(counting(passes_), kLong);
  time_.waitUntilIdle();
  EXPECT_EQ(time_.advanceTimeWait(kLong - milliseconds(1)), 0u);
  EXPECT_EQ(passes_.now(), 0);
  task_.notify();
  time_.waitUntilIdle();
  EXPECT_EQ(passes_.now(), 1);

  PeriodicTask shortDelay(time_);
  Passes later;
  shortDelay.start(counting(later), milliseconds(20));
  EXPECT_EQ(time_.advanceTimeWait(milliseconds(19)), 0u);
  EXPECT_EQ(later.now(), 0);
  EXPECT_EQ(time_.advanceTimeWait(milliseconds(1)), 1u);
  EXPECT_EQ(later.now(), 1);
}

TEST_F(PeriodicTaskTest, StopWaitsForThePassInProgressAndThePassSeesTheRequest) {
  std::promise<void> inPass;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> sawStop{false};
  std::atomic<bool> passEnded{false};
  task_.start([&] {
    inPass.set_value();
    // A long pass that ends early when asked to stop (it polls, as a long pass does).
    sawStop = testing::waitUntil([&] { return task_.stopRequested(); }, 10000);
    released.wait();
    passEnded = true;
    return PeriodicTask::Next::after(kLong);
  });
  inPass.get_future().wait();
  EXPECT_FALSE(task_.stopRequested());
  // Lets the pass end only once it saw the stop request, while stop() is waiting for it.
  std::thread releaser([&] {
    testing::waitUntil([&] { return sawStop.load(); }, 10000);
    release.set_value();
  });
  task_.stop();
  releaser.join();
  EXPECT_TRUE(sawStop);
  EXPECT_TRUE(passEnded);  // stop() returned only after the pass
  EXPECT_FALSE(task_.stopRequested());
}

TEST_F(PeriodicTaskTest, StartIsANoOpWhileRunningAndWorksAgainAfterStop) {
  Passes second;
  task_.start(counting(passes_));
  time_.waitUntilIdle();
  task_.start(counting(second));  // ignored: already running
  task_.notify();
  time_.waitUntilIdle();
  EXPECT_EQ(passes_.now(), 2);
  EXPECT_EQ(second.now(), 0);

  EXPECT_TRUE(task_.stop());
  EXPECT_FALSE(task_.stop());  // idempotent
  task_.notify();              // no thread: nothing happens, however long one waits
  EXPECT_EQ(time_.advanceTimeWait(kLong), 0u);
  EXPECT_EQ(passes_.now(), 2);

  task_.start(counting(second));
  time_.waitUntilIdle();
  EXPECT_EQ(second.now(), 1);
  task_.stop();
}

TEST_F(PeriodicTaskTest, StopWithoutStartAndDestructionWhileSleepingReturn) {
  PeriodicTask idle(time_);
  EXPECT_FALSE(idle.stop());
  {
    PeriodicTask task(time_);
    task.start(counting(passes_));
    time_.waitUntilIdle();
  }  // the destructor stops and joins
  EXPECT_EQ(passes_.now(), 1);
}

TEST(PeriodicTaskOnRealTime, RunsAgainAfterTheDelay) {
  RealTimeSystem time;
  Passes passes;
  PeriodicTask task(time);
  task.start(counting(passes, PeriodicTask::Next::after(milliseconds(5))));
  EXPECT_TRUE(passes.reach(3));
  task.notify();
  EXPECT_TRUE(passes.reach(4));
}

}  // namespace
}  // namespace brygga::core

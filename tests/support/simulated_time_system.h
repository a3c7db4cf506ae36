#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "gateway/core/time_source.h"

namespace brygga::testing {

// Time that moves only when a test moves it (Envoy's SimulatedTimeSystem). System and monotonic
// time start at `startEpochMs` and a fixed point and move together on advance(); a sleep on it
// (PeriodicTask's) ends when time is advanced past its deadline, or on notify/stop, never
// because real time passed. It knows every background thread sleeping on it, so a test can wait
// until all of them sleep: advanceTimeWait() then makes "advance, then check" deterministic, and
// proves that the passes it woke ran. Thread-safe.
class SimulatedTimeSystem final : public core::TimeSystem {
 public:
  static constexpr int64_t kDefaultStartMs = 1795428900000;  // 2026-11-23T10:15:00Z, a Monday

  explicit SimulatedTimeSystem(int64_t startEpochMs = kDefaultStartMs);
  ~SimulatedTimeSystem() override;
  SimulatedTimeSystem(const SimulatedTimeSystem&) = delete;
  SimulatedTimeSystem& operator=(const SimulatedTimeSystem&) = delete;

  core::SystemTime systemTime() const override;
  core::MonotonicTime monotonicTime() const override;
  void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& wakeUp,
                 core::MonotonicTime deadline) override;
  void notifyAll(std::condition_variable_any& wakeUp) override;
  void threadStarted() override;
  void threadEnded() override;

  // Moves system and monotonic time forward and wakes every sleep whose deadline has passed
  // (each woken thread runs once, at the new time, as after a suspended machine resumed).
  // Returns at once; how many sleeps it woke.
  size_t advance(std::chrono::milliseconds by);
  // Waits until every background thread sleeps, advances, and waits until the threads it woke
  // sleep again: their passes ran to the end. Returns how many it woke (a test that proves
  // "nothing happened" checks that the pass it expected did run).
  size_t advanceTimeWait(std::chrono::milliseconds by);
  // advanceTimeWait() in steps of `step` up to `by`: every pass due in between runs, as in real
  // time (a poll every 20 ms runs 20 times in 400 ms).
  void advanceTimeWait(std::chrono::milliseconds by, std::chrono::milliseconds step);
  // advanceTimeWait() by `step` until `done` holds (checked first); false when it still does not
  // after `limit` of simulated time. For what takes several passes: retries, a rule's delay.
  bool advanceUntil(const std::function<bool()>& done, std::chrono::milliseconds step,
                    std::chrono::milliseconds limit = std::chrono::minutes(10));
  // Waits (real time, at most a minute, then throws) until every started background thread
  // sleeps here: after a notify(), after start(), before advancing.
  void waitUntilIdle() const;
  // Sets the wall clock (as NTP would); monotonic time and the sleeps do not move.
  void setSystemTimeMs(int64_t epochMs);

 private:
  struct Sleeper {
    core::MonotonicTime deadline;
    std::condition_variable_any* wakeUp;
    bool woken = false;  // by advance() or notifyAll(): no longer counted as sleeping
  };
  size_t sleepingLocked() const;

  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // a thread began or ended a sleep, or started
  core::SystemTime system_;
  core::MonotonicTime monotonic_;
  std::vector<Sleeper*> sleepers_;
  size_t threads_ = 0;  // started and not yet ended
};

}  // namespace brygga::testing

#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace brygga::core {

// Wall-clock time: what a timestamp, a retry time or a retention cutoff is measured in.
using SystemTime = std::chrono::system_clock::time_point;
// Time that only moves forward, for deadlines and sleeps (a wall-clock jump does not move it).
using MonotonicTime = std::chrono::steady_clock::time_point;

// Where time comes from (Envoy's TimeSource). Everything that reads the time takes one, so tests
// decide what time it is (retries, retention, service hours) instead of waiting for it.
// Implementations are thread-safe.
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual SystemTime systemTime() const = 0;
  virtual MonotonicTime monotonicTime() const = 0;

  // The system time in milliseconds since the Unix epoch, UTC: the unit the store and the
  // FHIR instants use.
  int64_t nowMs() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(systemTime().time_since_epoch())
        .count();
  }
};

// A TimeSource whose time background threads sleep on (Envoy's TimeSystem). Every background
// loop is a PeriodicTask, and a PeriodicTask sleeps only here, so a simulated time system
// (tests/support) decides when a sleep ends: when it is advanced past the deadline, never when
// real time passes. Thread-safe.
class TimeSystem : public TimeSource {
 public:
  // Blocks the calling thread, which holds `lock`, until wakeUp is notified through notifyAll()
  // or monotonicTime() reaches `deadline`; returns at once when the deadline has passed. Like a
  // condition variable it may return early: the caller checks its condition and the time again.
  // `lock` guards the caller's condition and is held again on return. (A condition_variable_any,
  // so that a simulated time system can wait on the caller's lock and its own together: an
  // advance then cannot slip between the caller's check and its sleep.)
  virtual void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& wakeUp,
                         MonotonicTime deadline) = 0;
  // Wakes every thread waiting on wakeUp. The caller changes its condition under the lock first.
  virtual void notifyAll(std::condition_variable_any& wakeUp) = 0;

  // A background thread that sleeps here starts (called before the thread exists) or has ended
  // (after it was joined). The real time system has nothing to do; a simulated one counts the
  // threads so that a test can wait until every one of them sleeps.
  virtual void threadStarted() = 0;
  virtual void threadEnded() = 0;
};

// The machine's clocks: system_clock and steady_clock.
class RealTimeSystem final : public TimeSystem {
 public:
  SystemTime systemTime() const override { return std::chrono::system_clock::now(); }
  MonotonicTime monotonicTime() const override { return std::chrono::steady_clock::now(); }
  void waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable_any& wakeUp,
                 MonotonicTime deadline) override {
    wakeUp.wait_until(lock, deadline);
  }
  void notifyAll(std::condition_variable_any& wakeUp) override { wakeUp.notify_all(); }
  void threadStarted() override {}
  void threadEnded() override {}
};

}  // namespace brygga::core

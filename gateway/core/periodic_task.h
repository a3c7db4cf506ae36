#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "gateway/core/time_source.h"

namespace brygga::core {

// A background thread that runs a pass, sleeps for as long as the pass asks, and runs it again,
// until stopped. notify() cuts a sleep short (unless the pass asked not to be woken early);
// stop() wakes the thread and joins it, so it returns only after a pass in progress has ended.
// The owner keeps its own state (and, when it also runs passes from other threads, its own pass
// mutex); this class only owns the thread and its wake-ups. It sleeps on its TimeSystem, so
// with a simulated one a sleep ends when the test advances time past it (or on notify/stop),
// never because real time passed. Thread-safe.
class PeriodicTask {
 public:
  // What the pass wants next: sleep `delay`, and whether notify() may end the sleep early.
  struct Next {
    std::chrono::milliseconds delay{0};
    bool notifyWakes = true;

    // Sleep at most `delay`; a notify() runs the next pass at once.
    static Next after(std::chrono::milliseconds delay) { return {delay, true}; }
    static Next after(int64_t delayMs) { return after(std::chrono::milliseconds(delayMs)); }
    // Sleep the whole `delay` (a backoff); only stop() ends it early.
    static Next notBefore(std::chrono::milliseconds delay) { return {delay, false}; }
    static Next notBefore(int64_t delayMs) { return notBefore(std::chrono::milliseconds(delayMs)); }
  };
  using Pass = std::function<Next()>;

  // `time` outlives the task.
  explicit PeriodicTask(TimeSystem& time) : time_(time) {}
  ~PeriodicTask();  // stops
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Starts the thread: the first pass after `firstDelay` (at once by default; a notify() also
  // starts it). No-op while running.
  void start(Pass pass, std::chrono::milliseconds firstDelay = std::chrono::milliseconds(0));
  // Wakes and joins the thread; a pass in progress ends first. Idempotent: true when it stopped a
  // running thread, false when none was running. Must not be called from the pass itself.
  bool stop();
  // Ends the current sleep early (see Next). A notify() during a pass makes the next pass follow
  // at once.
  void notify();

  // True while a stop() waits for the thread: a long pass checks it to end early.
  bool stopRequested() const;

 private:
  void loop(Next next);

  TimeSystem& time_;
  std::mutex lifecycleMutex_;  // start() and stop() against each other
  mutable std::mutex mutex_;   // guards what follows, for the condition variable
  std::condition_variable_any wake_;
  bool stopRequested_ = false;
  bool notified_ = false;
  Pass pass_;
  std::thread thread_;
};

}  // namespace brygga::core

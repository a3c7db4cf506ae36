#include "tests/support/simulated_time_system.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace brygga::testing {

namespace {

// How long waitUntilIdle() waits in real time before it gives up: far longer than any pass of a
// test takes, so only a thread that never sleeps again (a bug) reaches it.
constexpr std::chrono::seconds kIdlePatience{60};

// The caller's lock and the time system's, taken in that order and released together, so that a
// sleeper checks its condition, registers and sleeps without an advance() or notifyAll() (which
// take the time system's lock) slipping in between.
class BothLocks {
 public:
  BothLocks(std::unique_lock<std::mutex>& caller, std::unique_lock<std::mutex>& own)
      : caller_(caller), own_(own) {}
  void lock() {
    caller_.lock();
    own_.lock();
  }
  void unlock() {
    own_.unlock();
    caller_.unlock();
  }

 private:
  std::unique_lock<std::mutex>& caller_;
  std::unique_lock<std::mutex>& own_;
};

}  // namespace

SimulatedTimeSystem::SimulatedTimeSystem(int64_t startEpochMs)
    : system_(std::chrono::milliseconds(startEpochMs)), monotonic_(std::chrono::hours(24 * 365)) {}

SimulatedTimeSystem::~SimulatedTimeSystem() = default;

core::SystemTime SimulatedTimeSystem::systemTime() const {
  std::lock_guard lock(mutex_);
  return system_;
}

core::MonotonicTime SimulatedTimeSystem::monotonicTime() const {
  std::lock_guard lock(mutex_);
  return monotonic_;
}

void SimulatedTimeSystem::waitUntil(std::unique_lock<std::mutex>& lock,
                                    std::condition_variable_any& wakeUp,
                                    core::MonotonicTime deadline) {
  std::unique_lock own(mutex_);
  if (deadline <= monotonic_) return;
  Sleeper sleeper{deadline, &wakeUp};
  sleepers_.push_back(&sleeper);
  changed_.notify_all();
  BothLocks both(lock, own);
  wakeUp.wait(both);  // woken by advance(), notifyAll() or spuriously; the caller checks again
  sleepers_.erase(std::find(sleepers_.begin(), sleepers_.end(), &sleeper));
  changed_.notify_all();
}

void SimulatedTimeSystem::notifyAll(std::condition_variable_any& wakeUp) {
  std::lock_guard lock(mutex_);
  for (Sleeper* s : sleepers_) {
    if (s->wakeUp == &wakeUp) s->woken = true;
  }
  wakeUp.notify_all();
  changed_.notify_all();
}

void SimulatedTimeSystem::threadStarted() {
  std::lock_guard lock(mutex_);
  ++threads_;
  changed_.notify_all();
}

void SimulatedTimeSystem::threadEnded() {
  std::lock_guard lock(mutex_);
  --threads_;
  changed_.notify_all();
}

size_t SimulatedTimeSystem::advance(std::chrono::milliseconds by) {
  std::lock_guard lock(mutex_);
  system_ += by;
  monotonic_ += by;
  size_t woken = 0;
  for (Sleeper* s : sleepers_) {
    if (s->woken || s->deadline > monotonic_) continue;
    s->woken = true;
    s->wakeUp->notify_all();
    ++woken;
  }
  changed_.notify_all();
  return woken;
}

size_t SimulatedTimeSystem::advanceTimeWait(std::chrono::milliseconds by) {
  waitUntilIdle();
  const size_t woken = advance(by);
  waitUntilIdle();
  return woken;
}

void SimulatedTimeSystem::advanceTimeWait(std::chrono::milliseconds by,
                                          std::chrono::milliseconds step) {
  for (auto moved = std::chrono::milliseconds(0); moved < by; moved += step) {
    advanceTimeWait(std::min(step, by - moved));
  }
}

bool SimulatedTimeSystem::advanceUntil(const std::function<bool()>& done,
                                       std::chrono::milliseconds step,
                                       std::chrono::milliseconds limit) {
  for (auto moved = std::chrono::milliseconds(0); !done(); moved += step) {
    if (moved >= limit) return false;
    advanceTimeWait(step);
  }
  return true;
}

void SimulatedTimeSystem::waitUntilIdle() const {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, kIdlePatience, [&] { return sleepingLocked() >= threads_; })) {
    throw std::runtime_error("simulated time: " + std::to_string(threads_ - sleepingLocked()) +
                             " background thread(s) did not go back to sleep");
  }
}

void SimulatedTimeSystem::setSystemTimeMs(int64_t epochMs) {
  std::lock_guard lock(mutex_);
  system_ = core::SystemTime(std::chrono::milliseconds(epochMs));
}

size_t SimulatedTimeSystem::sleepingLocked() const {
  return static_cast<size_t>(std::count_if(sleepers_.begin(), sleepers_.end(),
                                           [](const Sleeper* s) { return !s->woken; }));
}

}  // namespace brygga::testing

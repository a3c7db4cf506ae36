#include "gateway/core/periodic_task.h"

#include <utility>

namespace brygga::core {

PeriodicTask::~PeriodicTask() {
  stop();
}

void PeriodicTask::start(Pass pass, std::chrono::milliseconds firstDelay) {
  std::lock_guard lifecycle(lifecycleMutex_);
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopRequested_ = false;
    notified_ = false;
  }
  pass_ = std::move(pass);
  time_.threadStarted();
  thread_ = std::thread([this, firstDelay] { loop(Next::after(firstDelay)); });
}

bool PeriodicTask::stop() {
  std::lock_guard lifecycle(lifecycleMutex_);
  if (!thread_.joinable()) return false;
  {
    std::lock_guard lock(mutex_);
    stopRequested_ = true;
  }
  time_.notifyAll(wake_);
  thread_.join();
  time_.threadEnded();
  std::lock_guard lock(mutex_);
  stopRequested_ = false;
  return true;
}

void PeriodicTask::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  time_.notifyAll(wake_);
}

bool PeriodicTask::stopRequested() const {
  std::lock_guard lock(mutex_);
  return stopRequested_;
}

void PeriodicTask::loop(Next next) {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (next.delay.count() > 0) {
      const MonotonicTime deadline = time_.monotonicTime() + next.delay;
      while (!stopRequested_ && !(next.notifyWakes && notified_) &&
             time_.monotonicTime() < deadline) {
        time_.waitUntil(lock, wake_, deadline);
      }
    }
    if (stopRequested_) return;
    notified_ = false;
    lock.unlock();
    next = pass_();
    lock.lock();
  }
}

}  // namespace brygga::core

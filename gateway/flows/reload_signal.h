#pragma once

#include <atomic>
#include <functional>
#include <thread>

// SIGHUP reloads the mapping files of a running `brygga serve` (the usual Unix convention for
// "re-read your configuration"). A signal goes to any thread that does not block it, so the
// process blocks SIGHUP before it starts any thread and one thread waits for it with sigwait().
namespace brygga::flows {

// Blocks SIGHUP in the calling thread; threads started afterwards inherit the mask. Call it first
// thing in main, before any thread exists.
void blockReloadSignal();

// Waits for SIGHUP and calls `onSignal` on its own thread for each one, until destroyed.
class ReloadSignalThread {
 public:
  explicit ReloadSignalThread(std::function<void()> onSignal);
  ~ReloadSignalThread();
  ReloadSignalThread(const ReloadSignalThread&) = delete;
  ReloadSignalThread& operator=(const ReloadSignalThread&) = delete;

 private:
  std::function<void()> onSignal_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace brygga::flows

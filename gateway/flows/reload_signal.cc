#include "gateway/flows/reload_signal.h"

#include <pthread.h>
#include <signal.h>

namespace brygga::flows {

namespace {

sigset_t reloadSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void blockReloadSignal() {
  sigset_t set = reloadSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

ReloadSignalThread::ReloadSignalThread(std::function<void()> onSignal)
    : onSignal_(std::move(onSignal)) {
  blockReloadSignal();
  thread_ = std::thread([this] {
    const sigset_t set = reloadSet();
    while (true) {
      int signal = 0;
      if (sigwait(&set, &signal) != 0) continue;
      if (stopping_) break;
      onSignal_();
    }
  });
}

ReloadSignalThread::~ReloadSignalThread() {
  stopping_ = true;
  // Wakes the waiting thread with the signal it waits for.
  pthread_kill(thread_.native_handle(), SIGHUP);
  thread_.join();
}

}  // namespace brygga::flows

#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace brygga::http {

// A fixed number of threads taking jobs from one bounded queue. The event loop hands complete
// requests to it and never waits: when the queue is full, trySubmit() says so at once and the
// loop answers 503 itself. Thread-safe.
class WorkerPool {
 public:
  using Job = std::function<void()>;

  WorkerPool(int threads, size_t maxQueued);
  ~WorkerPool();  // stop()
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when `maxQueued` jobs are already waiting (or the pool is stopping).
  bool trySubmit(Job job);
  // Lets the running jobs finish, drops the waiting ones, and joins the threads. Idempotent.
  void stop();
  size_t queued() const;

 private:
  void run();

  const size_t maxQueued_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace brygga::http

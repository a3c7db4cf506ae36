#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "adapters/http_client.h"
#include "gateway/core/clock.h"
#include "gateway/core/config.h"
#include "gateway/core/log.h"
#include "gateway/store/store.h"

namespace brygga::delivery {

// Delivers one destination's outbox entries: oldest first per ordering key (patient), POSTs the
// payload (a transaction Bundle) to the destination's base URL with an Idempotency-Key header
// (the outbox id) and X-Request-Id, records every attempt in the exchange log and the audit
// chain in one write unit, and retries with exponential backoff and jitter. 4xx other than
// 408/409/429 and exhausted attempts make the entry dead. Because state lives in the store, a
// restarted gateway carries on where it stopped.
class DeliveryWorker {
 public:
  DeliveryWorker(core::DestinationConfig destination, core::DeliveryConfig settings,
                 store::Store& store, std::unique_ptr<adapters::HttpClient> client,
                 const core::Clock& clock, core::Logger& logger);
  ~DeliveryWorker();

  // Starts the delivery thread (no-op when running).
  void start();
  // Stops and joins the thread. An HTTP attempt in flight finishes first (bounded by the
  // destination's timeoutMs). Idempotent; the destructor calls it.
  void stop();
  // Wakes the worker (new entries were enqueued).
  void notify();
  // One pass over due entries; returns how many were attempted. For tests and for the thread.
  // Passes are serialized, so calling it while the thread runs never sends an entry twice.
  int runOnce();

 private:
  int runPass(int& delivered);
  // Sends one entry and records the outcome; true when it was delivered and recorded.
  bool attempt(const store::OutboxEntry& entry);
  void loop();
  // Delay before attempt number `attempts` + 1, after `attempts` failed ones.
  int64_t backoffMs(int attempts);

  const core::DestinationConfig destination_;
  const core::DeliveryConfig settings_;
  store::Store& store_;
  std::unique_ptr<adapters::HttpClient> client_;
  const core::Clock& clock_;
  core::Logger& logger_;

  std::mutex passMutex_;  // one pass at a time; also guards rng_
  std::mt19937_64 rng_;
  std::mutex mutex_;  // guards notified_ and stopRequested_ for the condition variable
  std::condition_variable wake_;
  bool notified_ = false;
  bool stopRequested_ = false;
  std::atomic<bool> running_{false};
  std::mutex lifecycleMutex_;  // start()/stop() against each other
  std::thread thread_;
};

}  // namespace brygga::delivery

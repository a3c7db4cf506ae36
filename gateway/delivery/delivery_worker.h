#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "adapters/http_client.h"
#include "gateway/core/log.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/time_source.h"
#include "gateway/delivery/delivery_config.h"
#include "gateway/delivery/entry_routing.h"
#include "gateway/metrics/observers.h"
#include "gateway/store/store.h"

namespace brygga::delivery {

// Delivers one destination's outbox entries: oldest first per ordering key (patient), POSTs the
// payload (a transaction Bundle) to the destination's base URL with an Idempotency-Key header
// (destination and outbox id) and X-Request-Id, records every attempt in the exchange log and the
// audit chain, and retries with exponential backoff and jitter. 4xx other than 401/408/409/429,
// exhausted attempts and (with maxAgeMs) age make the entry dead. Because state lives in the
// store, a restarted gateway carries on where it stopped.
//
// A pass takes up to batchSize due entries (at most one per patient) and sends them in parallel
// lanes: up to the destination's maxInFlight requests at once on the asynchronous client (kept-
// alive connections, HTTP/2 multiplexing where offered). Finished attempts are recorded in
// batched write units (what finished within a few milliseconds of each other, or everything once
// nothing is in flight). An entry's patient has no other entry in the pass, and its next entry
// can only be due in a later pass, after this one's outcome is committed: order per patient
// holds with any number of lanes. A crash (or a failed write) between sending and recording makes
// a later pass send the same entries again, with the same Idempotency-Key and the same
// conditional Bundle, so the peer's state does not change twice.
// A paused destination (persisted in the store; see Store::destinationPaused) sends nothing.
class DeliveryWorker {
 public:
  DeliveryWorker(DestinationConfig destination, DeliveryConfig settings, store::Store& store,
                 std::unique_ptr<adapters::AsyncHttpClient> client, core::TimeSystem& clock,
                 core::Logger& logger);
  ~DeliveryWorker();

  // Starts the delivery thread (no-op when running).
  void start();
  // Stops and joins the thread. HTTP attempts in flight finish first (bounded by the
  // destination's timeoutMs) and are recorded. Idempotent; the destructor calls it.
  void stop();
  // Wakes the worker (new entries were enqueued, or it was resumed).
  void notify();
  // What the admin API just committed, so the worker stops before its next send instead of at
  // its next pass (a pause by another process, e.g. the CLI, is read at the start of each pass).
  void setPaused(bool paused);
  bool paused() const { return paused_.load(); }
  // Told about every attempt (outcome, latency); set before start(). Not owned; may be null.
  void setObserver(metrics::DeliveryObserver* observer) { observer_ = observer; }
  // Where each entry goes when not to the destination's peer (the Subscriptions' destination);
  // set before start(). Not owned; may be null (every entry to destination.peer.baseUrl).
  void setRouting(EntryRouting* routing) { routing_ = routing; }
  // One pass over due entries; returns how many were attempted. For tests and for the thread.
  // Passes are serialized, so calling it while the thread runs never sends an entry twice.
  int runOnce();

 private:
  // One attempt's result, ready to be recorded.
  struct Outcome {
    const store::OutboxEntry* entry = nullptr;
    store::OutboxState state = store::OutboxState::kPending;
    int attempts = 0;
    int64_t nextAttemptMs = 0;
    std::string lastError;
    std::string detail;  // PHI-free, for the exchange log and the AuditEvent
    const char* outcome = "delivered";
    int httpStatus = 0;
    bool destinationFailed = false;  // no answer, 408/409/429 or 5xx (see isRetryable)
    int64_t startedMs = 0;
    int64_t finishedMs = 0;
    std::string payloadSha256;  // computed before the write unit, which others wait for
    std::string peer;           // where it went (the audit's network address)
  };

  int runPass(int& delivered);
  // The request that delivers `entry` (to `address` when the entry has one of its own).
  adapters::HttpRequestSpec requestFor(const store::OutboxEntry& entry,
                                       const EntryRouting::Address* address) const;
  // An entry whose receiver is gone: dead without an attempt.
  Outcome goneOutcome(const store::OutboxEntry& entry, const std::string& reason);
  // What becomes of `entry` after `result`.
  Outcome outcomeOf(const store::OutboxEntry& entry, const adapters::HttpResult& result,
                    int64_t startedMs);
  // Records the outcomes in one write unit (state, exchange line and AuditEvent of each) and
  // logs them; false when the unit failed (nothing recorded: the entries go out again).
  bool record(const std::vector<Outcome>& outcomes);
  // True when the entry must not go out now: a block (spärr) stands against its party (the entry
  // is then held until the integration team releases it), or whether one does cannot be read.
  bool heldByBlock(const store::OutboxEntry& entry);
  // Delay before attempt number `attempts` + 1, after `attempts` failed ones.
  int64_t backoffMs(int attempts);

  const DestinationConfig destination_;
  const DeliveryConfig settings_;
  store::Store& store_;
  std::unique_ptr<adapters::AsyncHttpClient> client_;  // driven by the pass
  const core::TimeSource& clock_;
  core::Logger& logger_;
  metrics::DeliveryObserver* observer_ = nullptr;
  EntryRouting* routing_ = nullptr;

  std::mutex passMutex_;  // one pass at a time; also guards rng_
  std::mt19937_64 rng_;
  std::atomic<bool> paused_{false};
  core::PeriodicTask task_;
};

}  // namespace brygga::delivery

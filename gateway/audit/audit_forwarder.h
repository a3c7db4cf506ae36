#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/audit/audit_config.h"
#include "gateway/core/log.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/store/store.h"

// Forwarding audit records to an Audit Record Repository (ARR).
//
// The audit table is the queue: each sink has a durable cursor (schema 5,
// audit_forward_cursor: the last seq it handed over), and its AuditForwarder reads the records
// after the cursor in seq order, hands them to the sink and moves the cursor only after the sink
// accepted them. Nothing is written per audit record (one cursor update per batch); a sink that
// is down only makes its cursor lag, and after a restart the forwarder resumes from the cursor.
// Delivery is at least once: records accepted by the sink but not yet covered by a committed
// cursor (a crash in between, a failed cursor write) are sent again. Each record carries its seq
// (syslog: [meta sequenceId], FHIR: the AuditEvent id) so that the ARR can drop repeats.
namespace brygga::audit {

// Where records go. Used by one forwarder thread only.
class AuditSink {
 public:
  virtual ~AuditSink() = default;

  // The cursor's key in the store ("syslog", "fhir").
  virtual std::string name() const = 0;

  struct Result {
    size_t accepted = 0;  // how many of the first records the sink took
    core::Status status;  // not OK: the sink failed at record `accepted`
  };
  // Hands the records over in order; they follow each other without gaps.
  virtual Result send(const std::vector<store::AuditRecord>& records) = 0;
  // Drops any connection (after a failure, and at stop); the next send connects anew.
  virtual void disconnect() {}
};

struct ForwarderOptions {
  int batchSize = 100;
  int64_t pollIntervalMs = 500;
  int64_t retryBaseMs = 1000;
  int64_t retryMaxMs = 60000;
};

ForwarderOptions forwarderOptions(const AuditForwardConfig& config);

// One sink's forwarding thread. Thread-safe.
class AuditForwarder {
 public:
  AuditForwarder(store::Store& store, std::unique_ptr<AuditSink> sink, ForwarderOptions options,
                 core::TimeSystem& clock, core::Logger& logger);
  ~AuditForwarder();
  AuditForwarder(const AuditForwarder&) = delete;
  AuditForwarder& operator=(const AuditForwarder&) = delete;

  void start();
  // Stops the thread (after the batch in hand) and disconnects the sink. Idempotent.
  void stop();
  // Wakes the thread for an early look (new records; no need, it polls).
  void notify();

  // One pass: forwards everything after the cursor, batch by batch, until nothing is left or the
  // sink fails. Returns how many records were forwarded (and committed in the cursor).
  core::StatusOr<int64_t> runOnce();

  struct Stats {
    std::string sink;
    int64_t cursor = 0;     // last seq handed over and committed
    int64_t forwarded = 0;  // since start
    int64_t failures = 0;   // failed passes since start
    int consecutiveFailures = 0;
    std::string lastError;
    int64_t lastSuccessMs = 0;
  };
  Stats stats() const;

 private:
  int64_t backoffMs(int failures) const;

  store::Store& store_;
  std::unique_ptr<AuditSink> sink_;
  const ForwarderOptions options_;
  const core::TimeSource& clock_;
  core::Logger& logger_;
  const std::string name_;

  std::mutex passMutex_;  // one pass at a time
  bool cursorLoaded_ = false;

  mutable std::mutex mutex_;  // guards stats_
  Stats stats_;
  core::PeriodicTask task_;
};

// GET /audit/forwarding: one object per sink (its cursor, how far it lags behind the last
// record `latestSeq`, counts, the last error and success).
std::string forwardingStatusJson(const std::vector<AuditForwarder::Stats>& sinks,
                                 int64_t latestSeq);

}  // namespace brygga::audit

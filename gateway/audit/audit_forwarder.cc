#include "gateway/audit/audit_forwarder.h"

#include <algorithm>
#include <utility>

#include "gateway/core/civil_time.h"

namespace brygga::audit {

ForwarderOptions forwarderOptions(const AuditForwardConfig& config) {
  ForwarderOptions options;
  options.batchSize = config.batchSize;
  options.pollIntervalMs = config.pollIntervalMs;
  options.retryBaseMs = config.retryBaseMs;
  options.retryMaxMs = config.retryMaxMs;
  return options;
}

AuditForwarder::AuditForwarder(store::Store& store, std::unique_ptr<AuditSink> sink,
                               ForwarderOptions options, core::TimeSystem& clock,
                               core::Logger& logger)
    : store_(store),
      sink_(std::move(sink)),
      options_(options),
      clock_(clock),
      logger_(logger),
      name_(sink_->name()),
      task_(clock) {
  stats_.sink = name_;
}

AuditForwarder::~AuditForwarder() {
  stop();
}

void AuditForwarder::start() {
  task_.start([this] {
    auto forwarded = runOnce();
    // While the sink is down the wait is the backoff; a notify does not cut it short.
    if (!forwarded.isOk())
      return core::PeriodicTask::Next::notBefore(backoffMs(stats().consecutiveFailures));
    return core::PeriodicTask::Next::after(options_.pollIntervalMs);
  });
}

void AuditForwarder::stop() {
  if (!task_.stop()) return;
  std::lock_guard pass(passMutex_);
  sink_->disconnect();
}

void AuditForwarder::notify() {
  task_.notify();
}

AuditForwarder::Stats AuditForwarder::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

int64_t AuditForwarder::backoffMs(int failures) const {
  int64_t delay = options_.retryBaseMs;
  for (int i = 1; i < failures && delay < options_.retryMaxMs; ++i) delay *= 2;
  return std::min(delay, options_.retryMaxMs);
}

core::StatusOr<int64_t> AuditForwarder::runOnce() {
  std::lock_guard pass(passMutex_);
  // One gateway among those sharing a database forwards to each sink.
  if (!store_.holdsLease("audit:forward:" + name_)) return int64_t{0};
  auto failed = [&](const core::Status& status) -> core::Status {
    std::lock_guard lock(mutex_);
    ++stats_.failures;
    const bool first = stats_.consecutiveFailures++ == 0;
    const bool changed = stats_.lastError != status.message();
    stats_.lastError = status.message();
    // Logged when the sink goes down (or fails differently), not on every retry.
    if (first || changed) {
      logger_.warn("audit.forward_failed", {{"sink", name_},
                                            {"cursor", std::to_string(stats_.cursor)},
                                            {"error", status.message()}});
    }
    return status;
  };

  if (!cursorLoaded_) {
    auto cursor = store_.auditLog().auditForwardCursor(name_);
    if (!cursor.isOk()) return failed(cursor.status());
    std::lock_guard lock(mutex_);
    stats_.cursor = *cursor;
    cursorLoaded_ = true;
  }
  int64_t cursor = stats().cursor;
  int64_t forwarded = 0;
  for (;;) {
    auto records = store_.auditLog().auditRecords(cursor + 1, options_.batchSize);
    if (!records.isOk()) return failed(records.status());
    if (records->empty()) break;
    if (records->front().seq != cursor + 1) {
      // Never skip a record: a gap is a damaged log (brygga audit verify names it).
      return failed(core::internalError("audit record " + std::to_string(cursor + 1) +
                                        " is missing; forwarding stops before it"));
    }
    AuditSink::Result sent = sink_->send(*records);
    sent.accepted = std::min(sent.accepted, records->size());
    if (sent.status.isOk() && sent.accepted < records->size()) {
      sent.status = core::internalError("the sink took " + std::to_string(sent.accepted) + " of " +
                                        std::to_string(records->size()) + " records");
    }
    if (sent.accepted > 0) {
      const int64_t last = (*records)[sent.accepted - 1].seq;
      const int64_t now = clock_.nowMs();
      core::Status saved = store_.write([&](store::StoreTransaction& txn) {
        return txn.auditLog().setAuditForwardCursor(name_, last, now);
      });
      if (!saved.isOk()) {
        // The sink has them; they go again after the backoff (at least once).
        sink_->disconnect();
        return failed(saved);
      }
      forwarded += static_cast<int64_t>(sent.accepted);
      cursor = last;
      std::lock_guard lock(mutex_);
      stats_.cursor = cursor;
      stats_.forwarded += static_cast<int64_t>(sent.accepted);
      stats_.lastSuccessMs = now;
    }
    if (!sent.status.isOk()) {
      sink_->disconnect();
      return failed(sent.status);
    }
    if (records->size() < static_cast<size_t>(options_.batchSize)) break;
    if (task_.stopRequested()) break;  // a busy log must not keep stop() waiting
  }
  std::lock_guard lock(mutex_);
  if (stats_.consecutiveFailures > 0) {
    logger_.info("audit.forward_resumed",
                 {{"sink", name_},
                  {"cursor", std::to_string(stats_.cursor)},
                  {"failedPasses", std::to_string(stats_.consecutiveFailures)}});
  }
  stats_.consecutiveFailures = 0;
  stats_.lastError.clear();
  return forwarded;
}

std::string forwardingStatusJson(const std::vector<AuditForwarder::Stats>& sinks,
                                 int64_t latestSeq) {
  std::string out = "{\"latestSeq\":" + std::to_string(latestSeq) + ",\"sinks\":[";
  for (size_t i = 0; i < sinks.size(); ++i) {
    const AuditForwarder::Stats& s = sinks[i];
    if (i > 0) out += ',';
    out += "{\"sink\":";
    core::appendJsonString(out, s.sink);
    out += ",\"cursor\":" + std::to_string(s.cursor);
    out += ",\"lag\":" + std::to_string(std::max<int64_t>(0, latestSeq - s.cursor));
    out += ",\"forwarded\":" + std::to_string(s.forwarded);
    out += ",\"failedPasses\":" + std::to_string(s.failures);
    out += ",\"consecutiveFailures\":" + std::to_string(s.consecutiveFailures);
    if (s.lastSuccessMs > 0) {
      out += ",\"lastSuccessAt\":";
      core::appendJsonString(out, core::formatInstant(s.lastSuccessMs));
    }
    if (!s.lastError.empty()) {
      out += ",\"lastError\":";
      core::appendJsonString(out, s.lastError);
    }
    out += '}';
  }
  return out + "]}";
}

}  // namespace brygga::audit

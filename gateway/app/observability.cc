#include "gateway/app/observability.h"

#include <filesystem>
#include <map>
#include <utility>

#include "gateway/api/responses.h"

namespace brygga::app {

api::ApiResponse MetricsEndpoint::handle(const api::ApiRequest& request) {
  api::Trace unrecorded;  // /metrics is not audited (see the header)
  if (auto refused = api::checkIntegrationCaller(request, unrecorded,
                                                 "/metrics is for the integration team")) {
    return *refused;
  }
  if (!request.path.empty() && request.path != "/") {
    return api::errorResponse(core::notFound("no such metrics path"));
  }
  if (request.method != "GET") {
    return api::errorResponse({core::StatusCode::kMethodNotAllowed, "use GET"});
  }
  api::ApiResponse response;
  response.status = 200;
  response.body = registry_.exposition();
  response.headers = {{"Content-Type", metrics::kExpositionContentType},
                      {"Cache-Control", "no-store"}};
  return response;
}

core::StatusOr<alerts::AlertInputs> gatherInputs(store::Store& store, audit::AuditLog& auditLog,
                                                 const metrics::GatewayMetrics& metrics,
                                                 const std::vector<std::string>& destinations) {
  alerts::AlertInputs in;
  BRYGGA_ASSIGN_OR_RETURN(auto states, store.outbox().destinationStates());
  std::map<std::string, store::DestinationState> byName;
  for (auto& s : states) byName[s.destination] = std::move(s);
  const auto health = metrics.destinationHealth();
  for (const std::string& name : destinations) {
    alerts::DestinationInputs d;
    d.name = name;
    if (auto it = byName.find(name); it != byName.end()) {
      d.pending = it->second.pending;
      d.dead = it->second.dead;
      d.oldestPendingCreatedMs = it->second.pending > 0 ? it->second.oldestPendingCreatedMs : 0;
      d.paused = it->second.paused;
    }
    if (auto it = health.find(name); it != health.end()) {
      d.failingSinceMs = it->second.failingSinceMs;
      d.lastStatus = it->second.lastStatus;
    }
    in.destinations.push_back(std::move(d));
  }
  BRYGGA_ASSIGN_OR_RETURN(uint64_t size, auditLog.sync());
  in.auditRecords = static_cast<int64_t>(size);
  BRYGGA_ASSIGN_OR_RETURN(auto checkpoint, store.auditLog().latestAuditCheckpoint());
  if (checkpoint) {
    in.checkpointSize = checkpoint->treeSize;
    in.checkpointCreatedMs = checkpoint->createdMs;
  }
  return in;
}

void addScrapeCollectors(metrics::Registry& registry,
                         std::function<core::StatusOr<alerts::AlertInputs>()> inputs,
                         const core::TimeSource& clock, std::string dataDir,
                         const alerts::AlertMonitor* monitor) {
  registry.addCollector([inputs = std::move(inputs), &clock](metrics::ScrapeSink& sink) {
    auto in = inputs();
    sink.gauge("brygga_scrape_store_up",
               "1 when the queue and audit figures below could be read from the store.", {},
               in.isOk() ? 1 : 0);
    if (!in.isOk()) return;
    const int64_t now = clock.nowMs();
    for (const alerts::DestinationInputs& d : in->destinations) {
      const metrics::ScrapeSink::LabelPairs l = {{"destination", d.name}};
      sink.gauge("brygga_delivery_queue_depth",
                 "Messages waiting for delivery (including those waiting to retry).", l,
                 static_cast<double>(d.pending));
      sink.gauge("brygga_delivery_oldest_pending_age_seconds",
                 "Age of the oldest message waiting for delivery; 0 when none waits.", l,
                 d.oldestPendingCreatedMs > 0 ? (now - d.oldestPendingCreatedMs) / 1000.0 : 0);
      sink.gauge("brygga_delivery_dead_letters", "Dead letters (kept until replayed).", l,
                 static_cast<double>(d.dead));
      sink.gauge("brygga_delivery_paused", "1 while the destination is paused.", l,
                 d.paused ? 1 : 0);
      sink.gauge("brygga_delivery_failing_seconds",
                 "Time since the first failed attempt after the last delivery; 0 when not "
                 "failing.",
                 l, d.failingSinceMs > 0 ? (now - d.failingSinceMs) / 1000.0 : 0);
    }
    sink.gauge("brygga_audit_records", "AuditEvents in the audit log.", {},
               static_cast<double>(in->auditRecords));
    sink.gauge("brygga_audit_checkpoint_size", "Records covered by the latest signed checkpoint.",
               {}, static_cast<double>(in->checkpointSize));
    sink.gauge("brygga_audit_uncovered_records", "Records not yet covered by a signed checkpoint.",
               {}, static_cast<double>(in->auditRecords - in->checkpointSize));
    if (in->checkpointCreatedMs > 0) {
      sink.gauge("brygga_audit_checkpoint_age_seconds", "Time since the latest checkpoint.", {},
                 (now - in->checkpointCreatedMs) / 1000.0);
    }
  });
  registry.addCollector([dataDir = std::move(dataDir)](metrics::ScrapeSink& sink) {
    std::error_code ec;
    const auto space = std::filesystem::space(dataDir, ec);
    if (!ec) {
      sink.gauge("brygga_data_dir_free_bytes",
                 "Free space on the file system of the data dir (for the gateway's user).", {},
                 static_cast<double>(space.available));
    }
  });
  if (monitor != nullptr) {
    registry.addCollector([monitor](metrics::ScrapeSink& sink) {
      const auto firing = monitor->firing();
      const auto counters = monitor->counters();
      sink.gauge("brygga_alerts_firing_count", "Alerts firing now.", {},
                 static_cast<double>(firing.size()));
      for (const alerts::Condition& c : firing) {
        sink.gauge("brygga_alerts_firing", "1 for each alert firing now, by rule and subject.",
                   {{"rule", c.rule}, {"subject", c.subject}}, 1);
      }
      sink.counter("brygga_alert_webhooks_sent_total", "Alert webhooks accepted (2xx).", {},
                   static_cast<double>(counters.sent));
      sink.counter("brygga_alert_webhook_failures_total",
                   "Alert webhook calls that failed (retried later).", {},
                   static_cast<double>(counters.failedAttempts));
      sink.counter("brygga_alert_webhooks_dropped_total",
                   "Alert notifications given up on (too many failures or queue full).", {},
                   static_cast<double>(counters.dropped));
    });
  }
}

void addTokenCollectors(metrics::Registry& registry,
                        std::map<std::string, std::shared_ptr<auth::TokenSource>> sources,
                        const core::TimeSource& clock) {
  if (sources.empty()) return;
  registry.addCollector([sources = std::move(sources), &clock](metrics::ScrapeSink& sink) {
    const int64_t now = clock.nowMs();
    for (const auto& [name, source] : sources) {
      const auth::TokenHealth h = source->health();
      const metrics::ScrapeSink::LabelPairs l = {{"destination", name}};
      sink.gauge("brygga_destination_token_valid",
                 "1 while an unexpired access token for the destination is held.", l,
                 h.valid ? 1 : 0);
      sink.gauge("brygga_destination_token_failures",
                 "Failed requests to the destination's token endpoint since the last success.", l,
                 h.consecutiveFailures);
      sink.gauge("brygga_destination_token_failing_seconds",
                 "Time since the token endpoint started failing; 0 when it is not.", l,
                 h.failingSinceMs > 0 ? (now - h.failingSinceMs) / 1000.0 : 0);
      sink.counter("brygga_destination_tokens_obtained_total",
                   "Access tokens obtained from the destination's token endpoint.", l,
                   static_cast<double>(h.obtained));
    }
  });
}

core::Status checkReadiness(store::Store& store, const flows::MappingRegistry& mappings,
                            const std::string& dataDir, int64_t minFreeDiskBytes,
                            core::Logger& logger) {
  std::string failed;
  std::string details;
  auto add = [&](const std::string& check, const std::string& detail) {
    failed += (failed.empty() ? "" : "; ") + check;
    details += (details.empty() ? "" : "; ") + detail;
  };
  if (core::Status s = store.checkWritable(); !s.isOk()) {
    add("database: not writable", s.message());
  }
  if (!mappings.current()) add("mappings: not loaded", "no mapping set in force");
  std::error_code ec;
  const auto space = std::filesystem::space(dataDir, ec);
  if (ec) {
    add("disk: free space unknown",
        "cannot read the free space of " + dataDir + " (" + ec.message() + ")");
  } else if (static_cast<int64_t>(space.available) < minFreeDiskBytes) {
    add("disk: free space below storage.minFreeDiskBytes",
        std::to_string(space.available / (1024 * 1024)) + " MiB free in " + dataDir +
            ", below the floor of " + std::to_string(minFreeDiskBytes / (1024 * 1024)) + " MiB");
  }
  if (failed.empty()) return core::Status::ok();
  logger.warn("readiness.failed", {{"checks", failed}, {"details", details}});
  return core::unavailable(failed);
}

}  // namespace brygga::app

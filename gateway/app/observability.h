#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/alerts/alert_monitor.h"
#include "gateway/alerts/alert_rules.h"
#include "gateway/api/endpoint.h"
#include "gateway/audit/audit_log.h"
#include "gateway/auth/token_client.h"
#include "gateway/core/log.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/metrics/gateway_metrics.h"
#include "gateway/store/store.h"

// Metrics, health and alerts wired to the gateway's parts: what /metrics, /readyz and the alert
// monitor read at the moment they look (see ARCHITECTURE.md, Metrics, health and alerts).
namespace brygga::app {

// GET /metrics: the Prometheus text exposition of the registry. For the integration role only
// (a Prometheus scraper is given an integration client's bearer token or certificate): 401
// without credentials, 403 for other roles. Not recorded in the exchange log or the audit trail,
// like the health checks: it names no patient and a scraper calls it every few seconds.
class MetricsEndpoint final : public api::Endpoint {
 public:
  explicit MetricsEndpoint(metrics::Registry& registry) : registry_(registry) {}
  api::ApiResponse handle(const api::ApiRequest& request) override;

 private:
  metrics::Registry& registry_;
};

// The state the alert rules and the scrape-time gauges look at: every configured destination's
// queue (Store::destinationStates) and failure streak (GatewayMetrics), the audit log's size and
// latest checkpoint.
core::StatusOr<alerts::AlertInputs> gatherInputs(store::Store& store, audit::AuditLog& auditLog,
                                                 const metrics::GatewayMetrics& metrics,
                                                 const std::vector<std::string>& destinations);

// Registers the scrape-time collectors: queue depth, oldest-message age, dead letters, pause and
// failing time per destination; audit records, checkpoint size and age; free disk space; the
// alerts firing (when `monitor` is given).
void addScrapeCollectors(metrics::Registry& registry,
                         std::function<core::StatusOr<alerts::AlertInputs>()> inputs,
                         const core::TimeSource& clock, std::string dataDir,
                         const alerts::AlertMonitor* monitor);

// The access tokens of the destinations that use OAuth2: whether a valid one is held, the failed
// token requests in a row, how long the token endpoint has been failing, tokens obtained.
void addTokenCollectors(metrics::Registry& registry,
                        std::map<std::string, std::shared_ptr<auth::TokenSource>> sources,
                        const core::TimeSource& clock);

// /readyz: the database takes a write, the mapping files are loaded, and the file system of the
// data dir has at least minFreeDiskBytes free. The message names every check that failed, and
// nothing more (it is shown to anyone: no paths, no database errors); the details are logged
// (`readiness.failed`).
core::Status checkReadiness(store::Store& store, const flows::MappingRegistry& mappings,
                            const std::string& dataDir, int64_t minFreeDiskBytes,
                            core::Logger& logger);

}  // namespace brygga::app

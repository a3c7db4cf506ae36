#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "gateway/alerts/alert_monitor.h"
#include "gateway/api/admin_api.h"
#include "gateway/api/audit_api.h"
#include "gateway/api/fhir_api.h"
#include "gateway/api/followup_api.h"
#include "gateway/api/mappings_api.h"
#include "gateway/api/measure_api.h"
#include "gateway/api/recent_refusals.h"
#include "gateway/app/gateway_config.h"
#include "gateway/audit/audit_forwarder.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/checkpointer.h"
#include "gateway/audit/witness.h"
#include "gateway/auth/token_client.h"
#include "gateway/core/log.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/time_source.h"
#include "gateway/delivery/delivery_worker.h"
#include "gateway/delivery/retention.h"
#include "gateway/fhir/validator.h"
#include "gateway/flows/flow_router.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/flows/service_directory.h"
#include "gateway/http/server.h"
#include "gateway/metrics/gateway_metrics.h"
#include "gateway/store/store.h"
#include "gateway/subscriptions/subscriptions.h"

namespace brygga::app {

// The audit log's checkpoint origin (audit.origin, else brygga.<host name>/audit) and signing key
// file (audit.signingKeyFile, else <dataDir>/audit-signing.key).
std::string auditOrigin(const GatewayConfig& config);
std::string auditSigningKeyFile(const GatewayConfig& config);

// The one place that wires Brygga together: store, validator, FHIR API, delivery workers and
// listeners, from a checked GatewayConfig. Tests build it directly (ports 0, simulated time).
class Gateway {
 public:
  struct Options {
    // What every component reads the time from and every background thread sleeps on; not
    // owned. Default: the machine's clocks.
    core::TimeSystem* timeSystem = nullptr;
    std::ostream* log = nullptr;  // default: std::clog
    bool startDelivery = true;
  };

  static core::StatusOr<std::unique_ptr<Gateway>> create(const GatewayConfig& config,
                                                         Options options);
  ~Gateway();

  core::Status start();
  void stop();

  int httpPort() const { return server_->httpPort(); }
  int httpsPort() const { return server_->httpsPort(); }
  store::Store& store() { return *store_; }
  // The gateway's JSON log (Options::log).
  core::Logger& log() { return *logger_; }
  delivery::DeliveryWorker* deliveryWorker(const std::string& destination);
  // The mapping files in force (reload on SIGHUP and POST /admin/mappings/reload).
  flows::MappingRegistry& mappings() { return *mappings_; }
  // Reads the TLS files again (the CRLs above all; on SIGHUP); new connections use them.
  core::Status reloadTls();
  delivery::Retention& retention() { return *retention_; }
  audit::AuditLog& auditLog() { return *auditLog_; }
  audit::Checkpointer& checkpointer() { return *checkpointer_; }
  // Audit forwarding (audit.forward), one per configured sink, and the witness pusher
  // (audit.witness; nullptr when none is configured).
  const std::vector<std::unique_ptr<audit::AuditForwarder>>& auditForwarders() {
    return auditForwarders_;
  }
  audit::WitnessPusher* witnessPusher() { return witness_.get(); }
  // Metrics (/metrics) and the alert rules' monitor (see app/observability.h).
  metrics::GatewayMetrics& metrics() { return *metrics_; }
  // The URL client assertions must name as aud: server.publicBaseUrl + /auth/token, else the
  // listener's own address.
  std::string tokenEndpointUrl() const;
  alerts::AlertMonitor& alertMonitor() { return *alertMonitor_; }

 private:
  Gateway() = default;

  GatewayConfig config_;
  core::RealTimeSystem realTime_;
  core::TimeSystem* time_ = nullptr;
  std::unique_ptr<core::Logger> logger_;
  std::unique_ptr<metrics::GatewayMetrics> metrics_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<fhir::Validator> validator_;
  // Topic-based Subscriptions; before workers_ and api_, which use it, so it goes after them.
  std::unique_ptr<subscriptions::Subscriptions> subscriptions_;
  std::map<std::string, std::unique_ptr<delivery::DeliveryWorker>> workers_;
  // The access tokens of the destinations that use OAuth2 (shared with their clients).
  std::map<std::string, std::shared_ptr<auth::TokenSource>> tokenSources_;
  std::unique_ptr<api::FhirApi> api_;
  std::unique_ptr<audit::AuditLog> auditLog_;
  std::unique_ptr<audit::Checkpointer> checkpointer_;
  std::unique_ptr<api::AuditApi> auditApi_;
  std::vector<std::unique_ptr<audit::AuditForwarder>> auditForwarders_;
  std::unique_ptr<audit::WitnessPusher> witness_;
  std::unique_ptr<api::AdminApi> adminApi_;
  // The web console: its JSON API and its page (gateway/console).
  // Requests the HTTP layer refused before an endpoint saw them, for the console (memory only).
  api::RecentRefusals refusals_;
  std::unique_ptr<api::Endpoint> consoleApi_;
  std::unique_ptr<api::Endpoint> consoleStatic_;
  std::unique_ptr<delivery::Retention> retention_;
  // This process among the gateways on the store, recorded every few seconds.
  store::InstanceRecord instance_;
  // Keeps each closed month's MeasureReports (issue 13), hourly.
  std::unique_ptr<core::PeriodicTask> monthCloser_;
  std::unique_ptr<core::PeriodicTask> instanceBeat_;
  // The home-care flows: the mapping files in force, the router, the published service points.
  std::unique_ptr<flows::MappingRegistry> mappings_;
  // Reloads announced by other gateways on the database (declared after mappings_, so it stops
  // before mappings_ goes).
  std::unique_ptr<store::Store::Subscription> mappingsSubscription_;
  std::unique_ptr<flows::FlowRouter> flows_;
  std::unique_ptr<flows::ServiceDirectory> serviceDirectory_;
  std::unique_ptr<api::MappingsApi> mappingsApi_;
  std::unique_ptr<api::MeasureApi> measureApi_;
  std::unique_ptr<api::MeasureApi> measureReportApi_;  // /fhir/MeasureReport: kept reports
  std::unique_ptr<api::FollowUpApi> followUpApi_;
  // SMART Backend Services: the token issuer, its endpoint and the discovery documents.
  std::unique_ptr<auth::TokenIssuer> tokenIssuer_;
  std::unique_ptr<api::Endpoint> authApi_;
  std::unique_ptr<api::Endpoint> wellKnown_;
  std::unique_ptr<api::Endpoint> metricsEndpoint_;
  std::unique_ptr<http::OcspTransport> ocspTransport_;
  std::unique_ptr<http::GatewayServer> server_;
  std::unique_ptr<alerts::AlertMonitor> alertMonitor_;
  bool startDelivery_ = true;
};

}  // namespace brygga::app

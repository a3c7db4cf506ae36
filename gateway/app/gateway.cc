#include "gateway/app/gateway.h"

#include <filesystem>
#include <iostream>

#include "adapters/http_client.h"
#include "gateway/app/provenance_http_client.h"
#include "gateway/audit/provenance.h"
#include "gateway/store/sqlite_store.h"

namespace brygga::app {

std::string auditOrigin(const core::GatewayConfig& config) {
  return config.audit.origin.empty() ? audit::defaultOrigin() : config.audit.origin;
}

std::string auditSigningKeyFile(const core::GatewayConfig& config) {
  return config.audit.signingKeyFile.empty()
             ? (std::filesystem::path(config.dataDir) / "audit-signing.key").string()
             : config.audit.signingKeyFile;
}

core::StatusOr<std::unique_ptr<Gateway>> Gateway::create(const core::GatewayConfig& config,
                                                         Options options) {
  std::unique_ptr<Gateway> g(new Gateway());
  g->config_ = config;
  g->clock_ = options.clock != nullptr ? options.clock : &g->systemClock_;
  g->logger_ = std::make_unique<core::Logger>(options.log != nullptr ? *options.log : std::clog);
  g->startDelivery_ = options.startDelivery;

  std::error_code ec;
  std::filesystem::create_directories(config.dataDir, ec);
  if (ec) {
    return core::invalidArgument("dataDir " + config.dataDir +
                                 " cannot be created: " + ec.message());
  }
  store::SqliteOptions storeOptions;
  storeOptions.path = (std::filesystem::path(config.dataDir) / "brygga.db").string();
  storeOptions.maxDatabaseBytes = config.storage.maxDatabaseBytes;
  BRYGGA_ASSIGN_OR_RETURN(g->store_, store::openSqliteStore(storeOptions));
  g->validator_ = fhir::makeValidator();

  // The home-care flows, driven by the mapping files; a bad file stops the start naming it.
  std::vector<std::string> flowDestinations;
  for (const auto& [name, _] : config.destinations) flowDestinations.push_back(name);
  g->mappings_ = std::make_unique<flows::MappingRegistry>(
      config.mappings.directory.empty() ? flows::defaultMappingsDirectory()
                                        : config.mappings.directory,
      flowDestinations, *g->logger_, *g->clock_);
  BRYGGA_RETURN_IF_ERROR(g->mappings_->load());
  g->flows_ = std::make_unique<flows::FlowRouter>(*g->mappings_, *g->store_, *g->clock_,
                                                  flowDestinations, *g->logger_);
  g->serviceDirectory_ =
      std::make_unique<flows::ServiceDirectory>(*g->mappings_, *g->store_, *g->clock_, *g->logger_);
  BRYGGA_RETURN_IF_ERROR(g->serviceDirectory_->publishNow());
  flows::ServiceDirectory* directory = g->serviceDirectory_.get();
  g->mappings_->onChange(
      [directory](const mappings::MappingSet&) { (void)directory->publishNow(); });
  g->mappingsApi_ =
      std::make_unique<api::MappingsApi>(*g->mappings_, *g->store_, *g->clock_, *g->logger_);

  // The audit transparency log: its key (made on first start), the tree loaded from the store.
  const std::string origin = auditOrigin(config);
  auto signer = audit::NoteSigner::loadOrCreate(origin, auditSigningKeyFile(config));
  if (!signer.isOk()) return signer.status();
  g->auditLog_ =
      std::make_unique<audit::AuditLog>(*g->store_, std::move(signer).value(), origin, *g->clock_);
  BRYGGA_RETURN_IF_ERROR(g->auditLog_->open());
  g->checkpointer_ =
      std::make_unique<audit::Checkpointer>(*g->auditLog_, config.audit, *g->clock_, *g->logger_);
  g->auditApi_ =
      std::make_unique<api::AuditApi>(*g->auditLog_, *g->store_, *g->clock_, *g->logger_);

  // Forwarded Bundles are signed with the TLS certificate peers already trust (issue 6).
  std::shared_ptr<const audit::ProvenanceSigner> provenance;
  if (config.audit.signProvenance) {
    auto loaded =
        audit::ProvenanceSigner::fromFiles(config.tls.certificateFile, config.tls.privateKeyFile);
    if (loaded.isOk()) {
      provenance = std::make_shared<const audit::ProvenanceSigner>(std::move(loaded).value());
    } else {
      g->logger_->warn("provenance.unsigned", {{"reason", loaded.status().message()}});
    }
  }
  for (const auto& [name, destination] : config.destinations) {
    std::unique_ptr<adapters::HttpClient> client = adapters::makeCurlHttpClient(destination);
    if (provenance) {
      client = std::make_unique<ProvenanceHttpClient>(std::move(client), provenance, *g->clock_);
    }
    g->workers_[name] = std::make_unique<delivery::DeliveryWorker>(
        destination, config.delivery, *g->store_, std::move(client), *g->clock_, *g->logger_);
  }

  std::vector<std::string> destinationNames;
  for (const auto& [name, _] : config.destinations) destinationNames.push_back(name);
  Gateway* self = g.get();
  std::map<std::string, int64_t> queueLimits;
  for (const auto& [name, destination] : config.destinations) {
    queueLimits[name] = destination.maxQueueDepth;
  }
  api::ApiDependencies fhirDeps{*g->store_,
                                *g->validator_,
                                *g->clock_,
                                *g->logger_,
                                config.server,
                                destinationNames,
                                [self](const std::string& destination) {
                                  if (auto* worker = self->deliveryWorker(destination)) {
                                    worker->notify();
                                  }
                                }};
  fhirDeps.maxQueueDepth = queueLimits;
  fhirDeps.flows = g->flows_.get();
  g->api_ = std::make_unique<api::FhirApi>(std::move(fhirDeps));
  // Operating the delivery engine (/admin); pauses and replays reach the running workers at once.
  g->adminApi_ = std::make_unique<api::AdminApi>(
      api::AdminDependencies{*g->store_, *g->clock_, *g->logger_, queueLimits,
                             [self](const std::string& destination, bool paused) {
                               if (auto* worker = self->deliveryWorker(destination))
                                 worker->setPaused(paused);
                             },
                             [self](const std::string& destination) {
                               if (auto* worker = self->deliveryWorker(destination))
                                 worker->notify();
                             }});
  g->retention_ =
      std::make_unique<delivery::Retention>(config.delivery, *g->store_, *g->clock_, *g->logger_);
  g->server_ = std::make_unique<http::GatewayServer>(
      config, http::ServerDependencies{{{"/fhir", g->api_.get()},
                                        {"/audit", g->auditApi_.get()},
                                        {"/admin/mappings", g->mappingsApi_.get()},
                                        {"/admin", g->adminApi_.get()}},
                                       *g->logger_,
                                       [self]() { return self->store_->checkWritable(); }});
  return g;
}

Gateway::~Gateway() {
  stop();
}

core::Status Gateway::start() {
  BRYGGA_RETURN_IF_ERROR(server_->start());
  if (startDelivery_) {
    for (auto& [_, worker] : workers_) worker->start();
  }
  checkpointer_->start();
  serviceDirectory_->start();
  retention_->start();
  logger_->info("audit.key", {{"vkey", auditLog_->verifier().vkey()}});
  logger_->info("gateway.started", {{"httpPort", std::to_string(httpPort())},
                                    {"httpsPort", std::to_string(httpsPort())},
                                    {"dataDir", config_.dataDir}});
  return core::Status::ok();
}

void Gateway::stop() {
  if (server_) server_->stop();
  for (auto& [_, worker] : workers_) worker->stop();
  if (retention_) retention_->stop();
  if (serviceDirectory_) serviceDirectory_->stop();
  // Last, so that its final checkpoint covers every record written before the stop.
  if (checkpointer_) checkpointer_->stop();
}

delivery::DeliveryWorker* Gateway::deliveryWorker(const std::string& destination) {
  auto it = workers_.find(destination);
  return it == workers_.end() ? nullptr : it->second.get();
}

}  // namespace brygga::app

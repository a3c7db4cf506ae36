#include "gateway/app/gateway.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "adapters/http_client.h"
#include "gateway/api/auth_api.h"
#include "gateway/api/console_api.h"
#include "gateway/app/observability.h"
#include "gateway/app/ocsp_transport.h"
#include "gateway/app/provenance_http_client.h"
#include "gateway/app/store_opening.h"
#include "gateway/audit/audit_keys.h"
#include "gateway/audit/fhir_audit_sink.h"
#include "gateway/audit/provenance.h"
#include "gateway/audit/syslog_sink.h"
#include "gateway/auth/token_client.h"
#include "gateway/console/console_static.h"
#include "gateway/core/digest.h"
#include "gateway/fhir/swedish_identifiers.h"
#include "gateway/measures/month_closing.h"
#include "gateway/write/search_index.h"

namespace brygga::app {

std::string auditOrigin(const GatewayConfig& config) {
  return config.audit.origin.empty() ? audit::defaultOrigin() : config.audit.origin;
}

namespace {
// How often a gateway records itself on the store, and after how long without it is not alive.
constexpr int64_t kInstanceBeatMs = 5000;
// Set while this thread reloads the mappings because another gateway announced a reload.
thread_local bool tReloadFromPeer = false;
}  // namespace

std::string auditSigningKeyFile(const GatewayConfig& config) {
  return config.audit.signingKeyFile.empty()
             ? (std::filesystem::path(config.dataDir) / "audit-signing.key").string()
             : config.audit.signingKeyFile;
}

core::StatusOr<std::unique_ptr<Gateway>> Gateway::create(const GatewayConfig& config,
                                                         Options options) {
  std::unique_ptr<Gateway> g(new Gateway());
  g->config_ = config;
  g->time_ = options.timeSystem != nullptr ? options.timeSystem : &g->realTime_;
  g->logger_ = std::make_unique<core::Logger>(options.log != nullptr ? *options.log : std::clog);
  g->startDelivery_ = options.startDelivery;
  g->metrics_ = std::make_unique<metrics::GatewayMetrics>();

  std::error_code ec;
  std::filesystem::create_directories(config.dataDir, ec);
  if (ec) {
    return core::invalidArgument("dataDir " + config.dataDir +
                                 " cannot be created: " + ec.message());
  }
  BRYGGA_ASSIGN_OR_RETURN(g->store_, openConfiguredStore(config, StoreUse::kServe));
  // The search index of what is stored, rebuilt once when this build indexes more than the one
  // that wrote it, before anything is served from it.
  BRYGGA_ASSIGN_OR_RETURN(const int64_t reindexed, write::reindexIfBehind(*g->store_));
  if (reindexed > 0) {
    g->logger_->info("store.reindexed",
                     {{"resources", std::to_string(reindexed)},
                      {"indexVersion", std::to_string(write::kSearchIndexVersion)}});
  }
  g->validator_ = fhir::makeValidator();

  // The home-care flows, driven by the mapping files; a bad file stops the start naming it.
  std::vector<std::string> flowDestinations;
  for (const auto& [name, _] : config.destinations) flowDestinations.push_back(name);
  g->mappings_ = std::make_unique<flows::MappingRegistry>(flows::mappingsDirectory(config.mappings),
                                                          flowDestinations, *g->logger_, *g->time_);
  BRYGGA_RETURN_IF_ERROR(g->mappings_->load());
  std::map<std::string, fhir::IdentifierForm> identifierForms;
  for (const auto& [name, destination] : config.destinations) {
    // Checked when the config was loaded; a config built in code names hl7se by default.
    identifierForms[name] =
        fhir::identifierFormNamed(destination.identifierForm).valueOr(fhir::IdentifierForm::kHl7se);
  }
  g->flows_ = std::make_unique<flows::FlowRouter>(*g->mappings_, *g->store_, *g->time_,
                                                  flowDestinations, *g->logger_, identifierForms);
  g->serviceDirectory_ =
      std::make_unique<flows::ServiceDirectory>(*g->mappings_, *g->store_, *g->time_, *g->logger_);
  BRYGGA_RETURN_IF_ERROR(g->serviceDirectory_->publishNow());
  flows::ServiceDirectory* directory = g->serviceDirectory_.get();
  g->mappings_->onChange([directory](const mappings::MappingSet&) {
    // publishNow logs a failure; the directory thread tries again when the date changes.
    directory->publishNow().ignoreError();
  });
  g->mappingsApi_ =
      std::make_unique<api::MappingsApi>(*g->mappings_, *g->store_, *g->time_, *g->logger_);
  g->measureApi_ =
      std::make_unique<api::MeasureApi>(*g->mappings_, *g->store_, *g->time_, *g->logger_);
  g->measureReportApi_ = std::make_unique<api::MeasureApi>(
      *g->mappings_, *g->store_, *g->time_, *g->logger_, api::MeasureApi::Serves::kMeasureReport);
  g->followUpApi_ =
      std::make_unique<api::FollowUpApi>(*g->mappings_, *g->store_, *g->time_, *g->logger_);
  // A reload on one gateway reaches the others sharing the database (PostgreSQL), and theirs
  // reach this one; a reload made because another gateway reloaded is not announced again.
  store::Store* store = g->store_.get();
  g->mappings_->onChange([store](const mappings::MappingSet&) {
    if (!tReloadFromPeer) store->announce("mappings");
  });
  g->mappingsSubscription_ =
      g->store_->listen("mappings", [registry = g->mappings_.get(), logger = g->logger_.get()] {
        logger->info("mappings.reload_announced", {{"by", "another gateway on the database"}});
        tReloadFromPeer = true;
        registry->reload().ignoreError();  // a failure is logged and keeps the set in force
        tReloadFromPeer = false;
      });

  // The audit transparency log: its key (made on first start), the tree loaded from the store.
  const std::string origin = auditOrigin(config);
  // The key is the latest one recorded (brygga audit rotate-key); a rotation made while the
  // gateway runs is picked up at the next checkpoint.
  const std::string keyFile = auditSigningKeyFile(config);
  auto signer = audit::loadCurrentSigner(*g->store_, origin, keyFile);
  if (!signer.isOk()) return signer.status();
  g->auditLog_ =
      std::make_unique<audit::AuditLog>(*g->store_, std::move(signer).value(), origin, *g->time_);
  store::Store* storePtr = g->store_.get();
  g->auditLog_->setSignerReloader(
      [storePtr, origin, keyFile] { return audit::loadCurrentSigner(*storePtr, origin, keyFile); });
  BRYGGA_RETURN_IF_ERROR(g->auditLog_->open());
  g->checkpointer_ =
      std::make_unique<audit::Checkpointer>(*g->auditLog_, config.audit, *g->time_, *g->logger_);
  g->auditApi_ = std::make_unique<api::AuditApi>(*g->auditLog_, *g->store_, *g->time_, *g->logger_);

  // Audit forwarding to an Audit Record Repository: one thread per configured sink, each
  // following the audit table from its durable cursor.
  const audit::AuditForwardConfig& forward = config.audit.forward;
  if (!forward.syslog.host.empty()) {
    BRYGGA_ASSIGN_OR_RETURN(std::unique_ptr<audit::SyslogTlsSink> sink,
                            audit::SyslogTlsSink::create(forward.syslog));
    g->auditForwarders_.push_back(std::make_unique<audit::AuditForwarder>(
        *g->store_, std::move(sink), audit::forwarderOptions(forward), *g->time_, *g->logger_));
  }
  if (!forward.fhir.baseUrl.empty()) {
    g->auditForwarders_.push_back(std::make_unique<audit::AuditForwarder>(
        *g->store_,
        std::make_unique<audit::FhirAuditSink>(forward.fhir.baseUrl,
                                               adapters::makeCurlHttpClient(forward.fhir)),
        audit::forwarderOptions(forward), *g->time_, *g->logger_));
  }
  g->auditApi_->setForwarding([self = g.get()] {
    std::vector<audit::AuditForwarder::Stats> sinks;
    for (const auto& forwarder : self->auditForwarders_) sinks.push_back(forwarder->stats());
    int64_t latest = 0;  // the tree size is the last record's seq
    if (auto tree = self->auditLog_->sync(); tree.isOk()) latest = static_cast<int64_t>(*tree);
    return audit::forwardingStatusJson(sinks, latest);
  });
  // Checkpoints pushed to a witness, woken by each new checkpoint.
  if (!config.audit.witness.endpoint.baseUrl.empty()) {
    std::optional<audit::CosignatureVerifier> cosigner;
    if (!config.audit.witness.vkey.empty()) {
      BRYGGA_ASSIGN_OR_RETURN(cosigner,
                              audit::CosignatureVerifier::fromVkey(config.audit.witness.vkey));
    }
    g->witness_ = std::make_unique<audit::WitnessPusher>(
        *g->auditLog_, *g->store_, config.audit.witness.endpoint.baseUrl,
        adapters::makeCurlHttpClient(config.audit.witness.endpoint),
        config.audit.witness.retryIntervalMs, *g->time_, *g->logger_, std::move(cosigner));
    audit::WitnessPusher* witness = g->witness_.get();
    g->checkpointer_->setListener([witness] { witness->notify(); });
    g->auditApi_->setWitness([witness] { return witness->stateJson(); });
  }

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
  // The public keys of the destinations' client assertions, for GET /.well-known/jwks.json.
  std::string jwks = R"({"keys":[)";
  std::set<std::string> publishedKids;
  for (const auto& [name, destination] : config.destinations) {
    std::unique_ptr<adapters::AsyncHttpClient> client =
        adapters::makeCurlAsyncHttpClient(destination.peer, destination.maxInFlight);
    // OAuth2 towards the destination: the token endpoint is reached with the destination's TLS
    // settings; the access token goes on every request (after the Provenance is signed).
    if (destination.auth.type != auth::DestinationAuthConfig::Type::kNone) {
      BRYGGA_ASSIGN_OR_RETURN(
          std::unique_ptr<auth::OAuthTokenClient> oauth,
          auth::OAuthTokenClient::create(name, destination.auth,
                                         adapters::makeCurlHttpClient(destination.peer), *g->time_,
                                         *g->logger_));
      const std::string jwk = oauth->publicJwk();
      if (!jwk.empty() && publishedKids.insert(destination.auth.keyId).second) {
        jwks += (jwks.size() > 9 ? "," : "") + jwk;
      }
      std::shared_ptr<auth::TokenSource> tokens = std::move(oauth);
      g->tokenSources_[name] = tokens;
      client = std::make_unique<auth::AuthorizedAsyncHttpClient>(std::move(client), tokens);
    }
    if (provenance) {
      client = std::make_unique<ProvenanceHttpClient>(std::move(client), provenance, *g->time_);
    }
    g->workers_[name] = std::make_unique<delivery::DeliveryWorker>(
        destination, config.delivery, *g->store_, std::move(client), *g->time_, *g->logger_);
    g->workers_[name]->setObserver(g->metrics_.get());
  }

  jwks += "]}";

  // Topic-based Subscriptions: destinations clients register, all queued for one outbox
  // destination and each delivered to its own endpoint (gateway/subscriptions).
  subscriptions::SubscriptionsConfig subscriptionsConfig = config.subscriptions;
  subscriptionsConfig.delivery.name = subscriptions::kDestination;
  if (!config.server.publicBaseUrl.empty()) {
    std::string base = config.server.publicBaseUrl;
    while (!base.empty() && base.back() == '/') base.pop_back();
    subscriptionsConfig.baseUrl = base + "/fhir";
  }
  g->subscriptions_ = std::make_unique<subscriptions::Subscriptions>(
      subscriptionsConfig, *g->store_, config.access, *g->time_, *g->logger_,
      [](const rapidjson::Value& resource) { return write::searchIndexOf(resource); });
  BRYGGA_RETURN_IF_ERROR(g->subscriptions_->load());
  {
    const delivery::DestinationConfig& d = subscriptionsConfig.delivery;
    auto worker = std::make_unique<delivery::DeliveryWorker>(
        d, config.delivery, *g->store_, adapters::makeCurlAsyncHttpClient(d.peer, d.maxInFlight),
        *g->time_, *g->logger_);
    worker->setObserver(g->metrics_.get());
    worker->setRouting(g->subscriptions_.get());
    g->workers_[subscriptions::kDestination] = std::move(worker);
  }

  // SMART Backend Services for clients registered with their keys (POST /auth/token).
  std::vector<auth::SmartClient> smartClients;
  for (size_t i = 0; i < config.clients.size(); ++i) {
    const http::ClientConfig& client = config.clients[i];
    if (client.jwks.empty()) continue;
    const std::string key = "clients[" + std::to_string(i) + "]";
    auth::SmartClient smart;
    smart.id = client.id;
    auto keys = auth::parseJwks(client.jwks);
    if (!keys.isOk())
      return core::invalidArgument("config: " + key + ".jwks " + keys.status().message());
    smart.keys = std::move(keys).value();
    // Without a scope of its own, a client may be granted what its role may do.
    const std::string allowed = !client.scope.empty()                           ? client.scope
                                : client.role == core::ClientRole::kIntegration ? "system/*.rs"
                                                                                : "system/*.cruds";
    auto scopes = auth::ScopeSet::parse(allowed);
    if (!scopes.isOk()) {
      return core::invalidArgument("config: " + key + ".scope " + scopes.status().message());
    }
    smart.allowed = std::move(scopes).value();
    smartClients.push_back(std::move(smart));
  }
  g->tokenIssuer_ = std::make_unique<auth::TokenIssuer>(
      std::move(smartClients), config.auth.accessTokenLifetimeMs, *g->time_);
  auto tokenUrl = [self = g.get()]() { return self->tokenEndpointUrl(); };
  g->authApi_ = std::make_unique<api::AuthApi>(
      api::AuthDependencies{*g->tokenIssuer_, *g->store_, *g->time_, *g->logger_, tokenUrl});
  g->wellKnown_ = std::make_unique<api::WellKnownApi>(jwks, tokenUrl);

  std::vector<std::string> destinationNames;
  for (const auto& [name, _] : config.destinations) destinationNames.push_back(name);
  destinationNames.push_back(subscriptions::kDestination);
  Gateway* self = g.get();
  std::map<std::string, int64_t> queueLimits;
  for (const auto& [name, destination] : config.destinations) {
    queueLimits[name] = destination.maxQueueDepth;
  }
  api::ApiDependencies fhirDeps{*g->store_,
                                *g->validator_,
                                *g->time_,
                                *g->logger_,
                                config.server.limits,
                                destinationNames,
                                [self](const std::string& destination) {
                                  if (auto* worker = self->deliveryWorker(destination)) {
                                    worker->notify();
                                  }
                                }};
  fhirDeps.maxQueueDepth = queueLimits;
  fhirDeps.flows = g->flows_.get();
  fhirDeps.validationObserver = g->metrics_.get();
  fhirDeps.access = config.access;
  fhirDeps.subscriptions = g->subscriptions_.get();
  g->api_ = std::make_unique<api::FhirApi>(std::move(fhirDeps));
  // Operating the delivery engine (/admin); pauses and replays reach the running workers at once.
  g->adminApi_ = std::make_unique<api::AdminApi>(api::AdminDependencies{
      *g->store_, *g->time_, *g->logger_, queueLimits,
      [self](const std::string& destination, bool paused) {
        if (auto* worker = self->deliveryWorker(destination)) worker->setPaused(paused);
      },
      [self](const std::string& destination) {
        if (auto* worker = self->deliveryWorker(destination)) worker->notify();
      },
      [self](const std::string& destination) {
        auto it = self->tokenSources_.find(destination);
        return it == self->tokenSources_.end() ? auth::TokenHealth{} : it->second->health();
      },
      [self](const std::string& destination) {
        const auto all = self->metrics_->destinationHealth();
        auto it = all.find(destination);
        return it == all.end() ? metrics::GatewayMetrics::DestinationHealth{} : it->second;
      }});
  // This gateway on the store: how the console and /metrics tell it from the others.
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  g->instance_.id = std::string(host) + ":" + std::to_string(getpid());
  g->instance_.version = BRYGGA_VERSION;
  g->instance_.startedMs = g->time_->nowMs();
  // The web console (/console); its replays and pauses go through the AdminApi above.
  g->consoleApi_ = std::make_unique<api::ConsoleApi>(
      api::ConsoleDependencies{*g->store_, *g->time_, *g->logger_, *g->adminApi_, g->instance_.id,
                               g->mappings_.get(), &g->refusals_});
  g->consoleStatic_ = std::make_unique<console::ConsoleStatic>();
  g->retention_ =
      std::make_unique<delivery::Retention>(config.delivery, *g->store_, *g->time_, *g->logger_);
  // Metrics, readiness and alerts (app/observability.h): figures read when they are asked for.
  auto inputs = [self, destinationNames]() {
    return gatherInputs(*self->store_, *self->auditLog_, *self->metrics_, destinationNames);
  };
  g->alertMonitor_ = std::make_unique<alerts::AlertMonitor>(
      config.alerts, inputs, alerts::makeWebhookClient(config.alerts), *g->time_, *g->logger_);
  addScrapeCollectors(g->metrics_->registry(), inputs, *g->time_, config.dataDir,
                      g->alertMonitor_.get());
  addTokenCollectors(g->metrics_->registry(), g->tokenSources_, *g->time_);
  // Each gateway on the store (several on one PostgreSQL database) and how many are alive.
  g->instanceBeat_ = std::make_unique<core::PeriodicTask>(*g->time_);
  g->monthCloser_ = std::make_unique<core::PeriodicTask>(*g->time_);
  g->metrics_->registry().addCollector([self](metrics::ScrapeSink& sink) {
    auto instances = self->store_->instances();
    if (!instances.isOk()) return;
    const int64_t now = self->time_->nowMs();
    int alive = 0;
    for (const store::InstanceRecord& i : *instances) {
      const double silent = (now - i.lastSeenMs) / 1000.0;
      if (silent * 1000 <= store::kInstanceSilentMs) ++alive;
      sink.gauge("brygga_instance_last_seen_seconds",
                 "Time since each gateway on the store last recorded itself (every 5 s).",
                 {{"instance", i.id}, {"version", i.version}}, silent);
    }
    sink.gauge("brygga_instances_alive",
               "Gateways on the store that recorded themselves in the last 15 s.", {}, alive);
  });
  g->metricsEndpoint_ = std::make_unique<MetricsEndpoint>(g->metrics_->registry());
  // What the HTTP layer refuses before an endpoint sees it is audited like any request; refused
  // logins as one record per source address and window, with the count.
  auto record = [self](const api::ApiRequest& request, int status, const api::Trace& trace,
                       int64_t startedMs, const std::string& detail) {
    const api::ExchangeRecorder recorder(*self->time_);
    core::Status recorded =
        recorder.recordAlone(*self->store_, request, status, trace, startedMs, detail);
    if (!recorded.isOk()) {
      self->logger_->error("audit.write_failed",
                           {{"requestId", request.requestId}, {"error", recorded.message()}});
    }
  };
  auto refused = [self, record](const api::ApiRequest& request, const core::Status& status,
                                const std::string& subtype) {
    api::Trace trace;
    trace.interaction = subtype;
    record(request, status.httpStatus(), trace, self->time_->nowMs(), status.message());
  };
  auto failedLogins = [record](const http::FailedLogins& logins) {
    api::ApiRequest request;
    request.method = logins.handshake ? "TLS" : "";
    request.requestId = core::newTimeOrderedUuid();
    request.caller.address = logins.source;
    request.serverAddress = logins.serverAddress;
    for (const auto& credential : logins.credentials) {
      request.caller.refusedCredential +=
          (request.caller.refusedCredential.empty() ? "" : ", ") + credential;
    }
    api::Trace trace;
    trace.interaction = "login";
    record(request, 401, trace, logins.firstMs,
           std::to_string(logins.count) + " refused login" + (logins.count == 1 ? "" : "s") +
               " from " + logins.source + ", " + core::formatInstant(logins.firstMs) + " to " +
               core::formatInstant(logins.lastMs));
  };
  if (config.tls.ocsp.enabled) {
    g->ocspTransport_ = std::make_unique<CurlOcspTransport>(config.tls.ocsp.timeoutMs);
  }
  const std::vector<std::string> kRead{"GET"};
  const std::vector<std::string> kReadPost{"GET", "POST"};
  http::ServerDependencies serverDeps{
      {{"/fhir/.well-known", g->wellKnown_.get(), kRead},
       {"/fhir/Measure", g->measureApi_.get(), kReadPost},
       {"/fhir/MeasureReport", g->measureReportApi_.get(), kReadPost},
       {"/fhir", g->api_.get(), {"GET", "POST", "PUT", "PATCH", "DELETE"}},
       {"/.well-known", g->wellKnown_.get(), kRead},
       {"/auth", g->authApi_.get(), {"POST"}},
       {"/audit", g->auditApi_.get(), kRead},
       {"/admin/mappings", g->mappingsApi_.get(), kReadPost},
       {"/admin", g->adminApi_.get(), kReadPost},
       {"/console/api/followup", g->followUpApi_.get(), kRead},
       {"/console/api", g->consoleApi_.get(), kReadPost},
       {"/console", g->consoleStatic_.get(), kRead},
       {"/metrics", g->metricsEndpoint_.get(), kRead}},
      *g->logger_,
      [self]() {
        const GatewayConfig& c = self->config_;
        return checkReadiness(*self->store_, *self->mappings_, c.dataDir,
                              c.storage.minFreeDiskBytes, *self->logger_);
      },
      g->metrics_.get(),
      refused,
      g->tokenIssuer_.get(),
      failedLogins,
      g->ocspTransport_.get(),
      g->time_,
      &g->refusals_};
  g->server_ = std::make_unique<http::GatewayServer>(config.server, config.tls, config.clients,
                                                     std::move(serverDeps));
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
  if (witness_) witness_->start();
  for (auto& forwarder : auditForwarders_) forwarder->start();
  serviceDirectory_->start();
  retention_->start();
  instanceBeat_->start([this] {
    instance_.lastSeenMs = time_->nowMs();
    if (core::Status s = store_->recordInstance(instance_); !s.isOk()) {
      logger_->warn("instance.record_failed", {{"error", s.message()}});
    }
    return core::PeriodicTask::Next::after(kInstanceBeatMs);
  });
  subscriptions_->start([this] {
    if (auto* worker = deliveryWorker(subscriptions::kDestination)) worker->notify();
  });
  // A closed month's MeasureReports are kept once (measures/month_closing.h); the first pass ten
  // minutes after the start, then hourly.
  monthCloser_->start(
      [this] {
        if (auto set = mappings_->current()) {
          auto stored = measures::storeClosedMonth(*store_, *set, time_->nowMs(), config_.measures);
          if (!stored.isOk()) {
            logger_->warn("measures.close_failed", {{"error", stored.status().message()}});
          } else if (*stored > 0) {
            logger_->info("measures.month_closed", {{"reports", std::to_string(*stored)},
                                                    {"forwardTo", config_.measures.forwardTo}});
            if (auto* worker = deliveryWorker(config_.measures.forwardTo)) worker->notify();
          }
        }
        return core::PeriodicTask::Next::after(std::chrono::hours(1));
      },
      std::chrono::minutes(10));
  alertMonitor_->start();
  logger_->info("audit.key", {{"vkey", auditLog_->verifier().vkey()}});
  logger_->info("gateway.started", {{"httpPort", std::to_string(httpPort())},
                                    {"httpsPort", std::to_string(httpsPort())},
                                    {"dataDir", config_.dataDir}});
  return core::Status::ok();
}

void Gateway::stop() {
  mappingsSubscription_.reset();
  if (alertMonitor_) alertMonitor_->stop();
  if (server_) server_->stop();
  if (subscriptions_) subscriptions_->stop();
  for (auto& [_, worker] : workers_) worker->stop();
  if (retention_) retention_->stop();
  if (instanceBeat_) instanceBeat_->stop();
  if (monthCloser_) monthCloser_->stop();
  if (serviceDirectory_) serviceDirectory_->stop();
  // Last, so that its final checkpoint covers every record written before the stop.
  if (checkpointer_) checkpointer_->stop();
  // After the checkpointer: the witness gets the last checkpoint at the next start; the
  // forwarders resume from their cursors.
  if (witness_) witness_->stop();
  for (auto& forwarder : auditForwarders_) forwarder->stop();
}

std::string Gateway::tokenEndpointUrl() const {
  const http::ServerConfig& s = config_.server;
  if (!s.publicBaseUrl.empty()) {
    std::string base = s.publicBaseUrl;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/auth/token";
  }
  // Without a configured public URL: the listener's own address (never the Host header).
  const bool https = server_ && server_->httpsPort() > 0;
  const std::string& address = https ? s.httpsBindAddress : s.httpBindAddress;
  const std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  return std::string(https ? "https://" : "http://") + host + ":" +
         std::to_string(https     ? server_->httpsPort()
                        : server_ ? server_->httpPort()
                                  : 0) +
         "/auth/token";
}

core::Status Gateway::reloadTls() {
  return server_->reloadTls();
}

delivery::DeliveryWorker* Gateway::deliveryWorker(const std::string& destination) {
  auto it = workers_.find(destination);
  return it == workers_.end() ? nullptr : it->second.get();
}

}  // namespace brygga::app

#include "gateway/app/gateway.h"

#include <filesystem>
#include <iostream>

#include "adapters/http_client.h"
#include "gateway/store/sqlite_store.h"

namespace brygga::app {

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
  BRYGGA_ASSIGN_OR_RETURN(g->store_, store::openSqliteStore(storeOptions));
  g->validator_ = fhir::makeStructuralValidator();

  for (const auto& [name, destination] : config.destinations) {
    g->workers_[name] = std::make_unique<delivery::DeliveryWorker>(
        destination, config.delivery, *g->store_, adapters::makeCurlHttpClient(destination),
        *g->clock_, *g->logger_);
  }

  std::vector<std::string> destinationNames;
  for (const auto& [name, _] : config.destinations) destinationNames.push_back(name);
  Gateway* self = g.get();
  g->api_ = std::make_unique<api::FhirApi>(
      api::ApiDependencies{*g->store_, *g->validator_, *g->clock_, *g->logger_, config.server,
                           destinationNames, [self](const std::string& destination) {
                             if (auto* worker = self->deliveryWorker(destination)) worker->notify();
                           }});
  g->server_ = std::make_unique<http::GatewayServer>(
      config, http::ServerDependencies{{{"/fhir", g->api_.get()}}, *g->logger_, [self]() {
                                         return self->store_->checkWritable();
                                       }});
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
  logger_->info("gateway.started", {{"httpPort", std::to_string(httpPort())},
                                    {"httpsPort", std::to_string(httpsPort())},
                                    {"dataDir", config_.dataDir}});
  return core::Status::ok();
}

void Gateway::stop() {
  if (server_) server_->stop();
  for (auto& [_, worker] : workers_) worker->stop();
}

delivery::DeliveryWorker* Gateway::deliveryWorker(const std::string& destination) {
  auto it = workers_.find(destination);
  return it == workers_.end() ? nullptr : it->second.get();
}

}  // namespace brygga::app

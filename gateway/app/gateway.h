#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "gateway/api/fhir_api.h"
#include "gateway/core/clock.h"
#include "gateway/core/config.h"
#include "gateway/core/log.h"
#include "gateway/delivery/delivery_worker.h"
#include "gateway/fhir/validator.h"
#include "gateway/http/server.h"
#include "gateway/store/store.h"

namespace brygga::app {

// The one place that wires Brygga together: store, validator, FHIR API, delivery workers and
// listeners, from a checked GatewayConfig. Tests build it directly (ports 0, a fake clock).
class Gateway {
 public:
  struct Options {
    const core::Clock* clock = nullptr;  // default: the system clock
    std::ostream* log = nullptr;         // default: std::clog
    bool startDelivery = true;
  };

  static core::StatusOr<std::unique_ptr<Gateway>> create(const core::GatewayConfig& config,
                                                         Options options);
  ~Gateway();

  core::Status start();
  void stop();

  int httpPort() const { return server_->httpPort(); }
  int httpsPort() const { return server_->httpsPort(); }
  store::Store& store() { return *store_; }
  delivery::DeliveryWorker* deliveryWorker(const std::string& destination);

 private:
  Gateway() = default;

  core::GatewayConfig config_;
  core::SystemClock systemClock_;
  const core::Clock* clock_ = nullptr;
  std::unique_ptr<core::Logger> logger_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<fhir::Validator> validator_;
  std::map<std::string, std::unique_ptr<delivery::DeliveryWorker>> workers_;
  std::unique_ptr<api::FhirApi> api_;
  std::unique_ptr<http::GatewayServer> server_;
  bool startDelivery_ = true;
};

}  // namespace brygga::app

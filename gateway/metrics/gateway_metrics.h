#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "gateway/metrics/observers.h"
#include "gateway/metrics/registry.h"

namespace brygga::metrics {

// The gateway's own metrics, fed by the observer interfaces (HTTP requests, delivery attempts,
// validation failures). Also remembers, per destination, since when it has been failing, which
// the alert monitor reads. Values observed at scrape time (queue depth, audit log size) are added
// by collectors registered at wiring. Thread-safe.
//
//   brygga_http_requests_total{method,route,status}         counter
//   brygga_http_request_duration_seconds{route}             histogram
//   brygga_validation_failures_total{resource_type}         counter
//   brygga_delivery_attempts_total{destination,outcome}     counter
//   (delivered|retry|no_answer|dead) brygga_delivery_duration_seconds{destination} histogram
class GatewayMetrics final : public RequestObserver,
                             public DeliveryObserver,
                             public ValidationObserver {
 public:
  GatewayMetrics();
  GatewayMetrics(const GatewayMetrics&) = delete;
  GatewayMetrics& operator=(const GatewayMetrics&) = delete;

  Registry& registry() { return registry_; }

  void onRequest(const RequestSample& sample) override;
  void onDeliveryAttempt(const DeliverySample& sample) override;
  void onValidationFailure(std::string_view resourceType) override;

  struct DestinationHealth {
    int64_t lastSuccessMs = 0;   // 0: none seen since start
    int64_t failingSinceMs = 0;  // first failed attempt since the last success; 0: not failing
    int64_t lastFailureMs = 0;
    int64_t consecutiveFailures = 0;
    int lastStatus = 0;  // HTTP status of the last failure; 0: no answer
  };
  std::map<std::string, DestinationHealth> destinationHealth() const;

 private:
  Registry registry_;
  CounterFamily& requests_;
  HistogramFamily& requestSeconds_;
  CounterFamily& validationFailures_;
  CounterFamily& deliveryAttempts_;
  HistogramFamily& deliverySeconds_;

  mutable std::mutex healthMutex_;
  std::map<std::string, DestinationHealth, std::less<>> health_;
};

}  // namespace brygga::metrics

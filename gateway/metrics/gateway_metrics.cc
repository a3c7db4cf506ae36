#include "gateway/metrics/gateway_metrics.h"

#include <array>
#include <cstdio>

namespace brygga::metrics {

namespace {

// Methods outside the usual set share one label value, so a client cannot add series.
std::string_view methodLabel(std::string_view m) {
  constexpr std::array<std::string_view, 7> kMethods = {"GET",   "POST", "PUT",    "DELETE",
                                                        "PATCH", "HEAD", "OPTIONS"};
  for (std::string_view k : kMethods) {
    if (k == m) return k;
  }
  return "other";
}

// Resource type names only (ASCII letters, at most 64); anything else is "other".
std::string_view typeLabel(std::string_view t) {
  if (t.empty() || t.size() > 64) return "other";
  for (char c : t) {
    if (!isAsciiLetter(c)) return "other";
  }
  return t;
}

}  // namespace

GatewayMetrics::GatewayMetrics()
    : requests_(registry_.counter("brygga_http_requests_total",
                                  "HTTP requests answered, by method, route template and status.",
                                  {"method", "route", "status"})),
      requestSeconds_(registry_.histogram("brygga_http_request_duration_seconds",
                                          "Time from request to answer, by route template.",
                                          {"route"})),
      validationFailures_(registry_.counter(
          "brygga_validation_failures_total",
          "Writes refused with 422 because the body failed validation, by resource type.",
          {"resource_type"})),
      deliveryAttempts_(registry_.counter(
          "brygga_delivery_attempts_total",
          "Delivery attempts by destination and outcome (delivered, retry, no_answer, dead).",
          {"destination", "outcome"})),
      deliverySeconds_(registry_.histogram("brygga_delivery_duration_seconds",
                                           "Time a delivery attempt took, by destination.",
                                           {"destination"})) {}

void GatewayMetrics::onRequest(const RequestSample& sample) {
  char status[8];
  const int n = std::snprintf(status, sizeof status, "%d", sample.status);
  requests_.with({methodLabel(sample.method), sample.route, std::string_view(status, n)}).inc();
  requestSeconds_.with({sample.route}).observe(sample.seconds);
}

void GatewayMetrics::onDeliveryAttempt(const DeliverySample& sample) {
  deliveryAttempts_.with({sample.destination, sample.outcome}).inc();
  deliverySeconds_.with({sample.destination}).observe(sample.seconds);
  std::lock_guard lock(healthMutex_);
  auto it = health_.find(sample.destination);
  if (it == health_.end())
    it = health_.emplace(std::string(sample.destination), DestinationHealth{}).first;
  DestinationHealth& h = it->second;
  if (sample.outcome == "delivered") {
    h.lastSuccessMs = sample.finishedMs;
    h.failingSinceMs = 0;
    h.consecutiveFailures = 0;
  } else if (sample.destinationFailed) {
    if (h.failingSinceMs == 0) h.failingSinceMs = sample.finishedMs;
    h.lastFailureMs = sample.finishedMs;
    h.lastStatus = sample.httpStatus;
    ++h.consecutiveFailures;
  }
}

void GatewayMetrics::onValidationFailure(std::string_view resourceType) {
  validationFailures_.with({typeLabel(resourceType)}).inc();
}

std::map<std::string, GatewayMetrics::DestinationHealth> GatewayMetrics::destinationHealth() const {
  std::lock_guard lock(healthMutex_);
  return {health_.begin(), health_.end()};
}

}  // namespace brygga::metrics

#pragma once

#include <cstdint>
#include <string_view>

// What the gateway's modules report as it runs. They see only these interfaces (handed to them
// at wiring, in gateway/app/gateway.cc); GatewayMetrics implements them. Values are PHI-free:
// route templates, destination names, resource type names, outcomes.
namespace brygga::metrics {

struct RequestSample {
  std::string_view method;
  std::string_view route;  // a template (routeTemplate), never a raw path
  int status = 0;
  double seconds = 0;
};

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  virtual void onRequest(const RequestSample& sample) = 0;
};

struct DeliverySample {
  std::string_view destination;
  // "delivered", "retry" (the peer answered and it will be tried again), "no_answer" (no HTTP
  // answer; tried again) or "dead".
  std::string_view outcome;
  int httpStatus = 0;  // 0: no answer
  double seconds = 0;
  int64_t finishedMs = 0;  // by the gateway's clock
  // Decided by the delivery worker, the one place that classifies answers: the destination did
  // not take the message for a reason of its own (no answer, 408, 409, 429, 5xx), whether it is
  // retried or given up on. False when delivered or when the peer refused this content (other
  // 4xx), which says nothing about the destination.
  bool destinationFailed = false;
};

class DeliveryObserver {
 public:
  virtual ~DeliveryObserver() = default;
  virtual void onDeliveryAttempt(const DeliverySample& sample) = 0;
};

class ValidationObserver {
 public:
  virtual ~ValidationObserver() = default;
  // A write refused because its body did not validate (422); `resourceType` is the body's type
  // (Bundle for a transaction).
  virtual void onValidationFailure(std::string_view resourceType) = 0;
};

}  // namespace brygga::metrics

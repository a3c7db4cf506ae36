#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/access/access_policy.h"
#include "gateway/api/endpoint.h"
#include "gateway/api/request_limits.h"
#include "gateway/core/log.h"
#include "gateway/core/time_source.h"
#include "gateway/fhir/validator.h"
#include "gateway/metrics/observers.h"
#include "gateway/store/store.h"

namespace brygga::flows {
class FlowRouter;
}
namespace brygga::subscriptions {
class Subscriptions;
}

// FHIR REST semantics, independent of the HTTP transport: gateway/http turns a POCO request into
// an ApiRequest and writes the ApiResponse back. Everything a request does (resources, outbox
// entries, its exchange-log line and its AuditEvent) is committed in one store write unit.
namespace brygga::api {

struct ApiDependencies {
  store::Store& store;
  const fhir::Validator& validator;
  const core::TimeSource& clock;
  core::Logger& logger;
  RequestLimits limits;
  std::vector<std::string> destinations;  // configured destination names
  // Called after a write unit that enqueued outbox entries has committed.
  std::function<void(const std::string& destination)> onEnqueued;
  // Back-pressure: a write that would enqueue to a destination whose pending queue has reached
  // its limit here is refused with 503 (see back_pressure.h).
  std::map<std::string, int64_t> maxQueueDepth;
  // The home-care flows (gateway/flows): what each write checks, completes and forwards. Null:
  // no flows, so writes are stored and nothing is forwarded (the API never reads mapping files
  // itself; whoever wants routing wires a FlowRouter, as gateway.cc does).
  flows::FlowRouter* flows = nullptr;
  // Told about each write refused because its body did not validate (metrics). May be null.
  metrics::ValidationObserver* validationObserver = nullptr;
  // Access by care relationship (gateway/access; config access.*).
  access::AccessConfig access;
  // Topic-based Subscriptions (gateway/subscriptions): their writes, notifications and $status.
  // Null: Subscription cannot be written.
  subscriptions::Subscriptions* subscriptions = nullptr;
};

class FhirApi final : public Endpoint {
 public:
  explicit FhirApi(ApiDependencies deps);
  ~FhirApi();
  FhirApi(const FhirApi&) = delete;
  FhirApi& operator=(const FhirApi&) = delete;

  // Thread-safe: called concurrently by the server's worker threads.
  ApiResponse handle(const ApiRequest& request) override;
  // GET /metadata: the CapabilityStatement is served to anyone.
  bool isPublic(const ApiRequest& request) const override;

  // The CapabilityStatement this API serves at /metadata.
  const std::string& capabilityStatement() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace brygga::api

#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "gateway/subscriptions/topics.h"

// A Subscription resource (R4, profiled by the Subscriptions Backport IG) read into what Brygga
// acts on. Pure.
namespace brygga::subscriptions {

inline constexpr std::string_view kFilterCriteriaUrl =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria";
inline constexpr std::string_view kHeartbeatPeriodUrl =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-heartbeat-period";
inline constexpr std::string_view kPayloadContentUrl =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content";

// How much of the focus a notification carries.
enum class Content { kEmpty, kIdOnly, kFullResource };
const char* toString(Content content);

struct Filter {
  std::string parameter;  // one of filterParameters()
  std::string value;
};

struct SubscriptionSpec {
  std::string id;
  std::string status;  // requested | active | error | off
  const Topic* topic = nullptr;
  std::vector<Filter> filters;  // all must hold
  std::string endpoint;
  std::vector<std::pair<std::string, std::string>> headers;
  Content content = Content::kIdOnly;
  int64_t heartbeatPeriodS = 0;  // 0: no heartbeats
  int64_t endMs = 0;             // Subscription.end; 0: none
};

// Reads `resource` (a Subscription that passed the R4 validator). kUnprocessable, with one issue
// per problem naming its element, when it asks for what Brygga does not offer: a topic it does
// not have, a channel other than rest-hook, an endpoint that is no http(s) URL, a payload other
// than application/fhir+json, an unknown content code or filter, a header Brygga sets itself.
core::StatusOr<SubscriptionSpec> readSubscription(const rapidjson::Value& resource);

// One backport-filter-criteria value ("EpisodeOfCare?municipality=varberg" or
// "patient=Patient/123", several joined by '&') into its filters.
core::StatusOr<std::vector<Filter>> parseFilterCriteria(std::string_view text);

}  // namespace brygga::subscriptions

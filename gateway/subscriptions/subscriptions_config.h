#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/delivery/delivery_config.h"

// subscriptions.* in the config.
namespace brygga::subscriptions {

// The outbox destination every notification is queued for (ordered per subscription).
inline constexpr const char* kDestination = "subscriptions";

struct SubscriptionsConfig {
  // The endpoints each client may register, as URL prefixes, by client id. A client not named
  // registers none: the operator decides where Brygga may send patient data, a client only
  // which of those places hears of what.
  std::map<std::string, std::vector<std::string>> allowedEndpoints;
  // Retries, lanes, timeouts and TLS of the notifications (subscriptions.delivery; its baseUrl
  // is unused: each subscription has its own endpoint). A subscriber that stays away longer
  // than maxAgeMs gets its notifications as dead letters, which the integration team replays.
  delivery::DestinationConfig delivery = [] {
    delivery::DestinationConfig d;
    d.name = kDestination;
    d.maxAttempts = 1000000;
    d.retryBaseMs = 1000;
    d.retryMaxMs = 60 * 1000;
    d.maxAgeMs = 24LL * 60 * 60 * 1000;
    return d;
  }();
  // The shortest heartbeat period a Subscription may ask for, in seconds.
  int64_t minHeartbeatSeconds = 1;
  // The FHIR base the notifications' references are made from (server.publicBaseUrl + "/fhir");
  // empty: relative references.
  std::string baseUrl;
};

}  // namespace brygga::subscriptions

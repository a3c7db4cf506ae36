#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/subscriptions/subscription_spec.h"
#include "gateway/subscriptions/topics.h"

// The notification Bundles of the R4 Subscriptions Backport IG (backport-subscription-
// notification-r4: a history Bundle whose first entry is the backport-subscription-status-r4
// Parameters), and the searchset $status answers with. Pure.
namespace brygga::subscriptions {

enum class NotificationType { kHandshake, kHeartbeat, kEventNotification, kQueryStatus };
const char* toString(NotificationType type);

// A resource an event is about.
struct EventResource {
  std::string type;
  std::string id;
  std::string json;      // the version written (full-resource)
  bool created = false;  // POST/201 or PUT/200 in the entry's request and response
};

struct Notification {
  std::string baseUrl;  // the FHIR base references are made from; empty: relative references
  std::string subscriptionId;
  const Topic* topic = nullptr;
  std::string status;  // the Subscription's status
  NotificationType type = NotificationType::kEventNotification;
  int64_t eventsSinceStart = 0;
  int64_t nowMs = 0;
  // An event notification: its number, what it is about (the focus first) and the patient.
  int64_t eventNumber = 0;
  Content content = Content::kIdOnly;
  std::vector<EventResource> focus;
  std::string patientId;
};

// The notification Bundle, JSON. Content empty carries no references; id-only the references and
// an entry per focus without its resource; full-resource the resources too.
std::string notificationBundle(const Notification& n);

// $status: a searchset Bundle with the status Parameters (type query-status).
std::string statusBundle(const Notification& n);

// What a Bundle made by notificationBundle is ("handshake", "heartbeat", "event-notification");
// empty when it is not one.
std::string notificationTypeOf(std::string_view bundleJson);

}  // namespace brygga::subscriptions

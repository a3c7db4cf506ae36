#include "gateway/subscriptions/notifications.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/core/civil_time.h"
#include "gateway/core/digest.h"
#include "gateway/fhir/json.h"

namespace brygga::subscriptions {

namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr const char* kStatusProfile =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
    "backport-subscription-status-r4";
constexpr const char* kNotificationProfile =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
    "backport-subscription-notification-r4";

void str(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void key(Writer& w, const char* k) {
  w.Key(k);
}

std::string referenceTo(const Notification& n, const std::string& typeAndId) {
  return n.baseUrl.empty() ? typeAndId : n.baseUrl + "/" + typeAndId;
}

void profile(Writer& w, const char* url) {
  key(w, "meta");
  w.StartObject();
  key(w, "profile");
  w.StartArray();
  w.String(url);
  w.EndArray();
  w.EndObject();
}

void referenceParameter(Writer& w, const char* name, const std::string& reference) {
  w.StartObject();
  key(w, "name");
  w.String(name);
  key(w, "valueReference");
  w.StartObject();
  key(w, "reference");
  str(w, reference);
  w.EndObject();
  w.EndObject();
}

void parameter(Writer& w, const char* name, const char* valueKey, std::string_view value) {
  w.StartObject();
  key(w, "name");
  w.String(name);
  key(w, valueKey);
  str(w, value);
  w.EndObject();
}

// A Bundle's object opened up to its entries: its id, profile (when one is named), type and time.
void startBundle(Writer& w, const char* type, const char* profileUrl, int64_t nowMs) {
  w.StartObject();
  key(w, "resourceType");
  w.String("Bundle");
  key(w, "id");
  str(w, core::newUuid());
  if (profileUrl != nullptr) profile(w, profileUrl);
  key(w, "type");
  w.String(type);
  key(w, "timestamp");
  str(w, core::formatInstant(nowMs));
}

// The backport-subscription-status-r4 Parameters.
void statusParameters(Writer& w, const Notification& n) {
  w.StartObject();
  key(w, "resourceType");
  w.String("Parameters");
  key(w, "id");
  str(w, core::newUuid());
  profile(w, kStatusProfile);
  key(w, "parameter");
  w.StartArray();
  referenceParameter(w, "subscription", referenceTo(n, "Subscription/" + n.subscriptionId));
  parameter(w, "topic", "valueCanonical", n.topic != nullptr ? n.topic->url : "");
  parameter(w, "status", "valueCode", n.status);
  parameter(w, "type", "valueCode", toString(n.type));
  parameter(w, "events-since-subscription-start", "valueString",
            std::to_string(n.eventsSinceStart));
  if (n.type == NotificationType::kEventNotification) {
    w.StartObject();
    key(w, "name");
    w.String("notification-event");
    key(w, "part");
    w.StartArray();
    parameter(w, "event-number", "valueString", std::to_string(n.eventNumber));
    parameter(w, "timestamp", "valueInstant", core::formatInstant(n.nowMs));
    if (n.content != Content::kEmpty) {
      for (size_t i = 0; i < n.focus.size(); ++i) {
        referenceParameter(w, i == 0 ? "focus" : "additional-context",
                           referenceTo(n, n.focus[i].type + "/" + n.focus[i].id));
      }
      if (!n.patientId.empty()) {
        referenceParameter(w, "additional-context", referenceTo(n, "Patient/" + n.patientId));
      }
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

// Opens the Bundle's entries with the SubscriptionStatus Parameters as the first one, leaving
// that entry open for its request or search element.
void startStatusEntry(Writer& w, const Notification& n) {
  key(w, "entry");
  w.StartArray();
  w.StartObject();
  key(w, "fullUrl");
  str(w, "urn:uuid:" + core::newUuid());
  key(w, "resource");
  statusParameters(w, n);
}

}  // namespace

const char* toString(NotificationType type) {
  switch (type) {
    case NotificationType::kHandshake:
      return "handshake";
    case NotificationType::kHeartbeat:
      return "heartbeat";
    case NotificationType::kEventNotification:
      return "event-notification";
    case NotificationType::kQueryStatus:
      return "query-status";
  }
  return "event-notification";
}

std::string notificationBundle(const Notification& n) {
  rapidjson::StringBuffer out;
  Writer w(out);
  startBundle(w, "history", kNotificationProfile, n.nowMs);
  startStatusEntry(w, n);
  key(w, "request");
  w.StartObject();
  key(w, "method");
  w.String("GET");
  key(w, "url");
  str(w, referenceTo(n, "Subscription/" + n.subscriptionId + "/$status"));
  w.EndObject();
  key(w, "response");
  w.StartObject();
  key(w, "status");
  w.String("200");
  w.EndObject();
  w.EndObject();
  if (n.type == NotificationType::kEventNotification && n.content != Content::kEmpty) {
    for (const EventResource& r : n.focus) {
      w.StartObject();
      key(w, "fullUrl");
      str(w, referenceTo(n, r.type + "/" + r.id));
      if (n.content == Content::kFullResource && !r.json.empty()) {
        key(w, "resource");
        w.RawValue(r.json.data(), r.json.size(), rapidjson::kObjectType);
      }
      key(w, "request");
      w.StartObject();
      key(w, "method");
      w.String(r.created ? "POST" : "PUT");
      key(w, "url");
      str(w, r.created ? r.type : r.type + "/" + r.id);
      w.EndObject();
      key(w, "response");
      w.StartObject();
      key(w, "status");
      w.String(r.created ? "201" : "200");
      w.EndObject();
      w.EndObject();
    }
  }
  w.EndArray();
  w.EndObject();
  return out.GetString();
}

std::string statusBundle(const Notification& n) {
  rapidjson::StringBuffer out;
  Writer w(out);
  startBundle(w, "searchset", nullptr, n.nowMs);
  key(w, "total");
  w.Int(1);
  startStatusEntry(w, n);
  key(w, "search");
  w.StartObject();
  key(w, "mode");
  w.String("match");
  w.EndObject();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return out.GetString();
}

std::string notificationTypeOf(std::string_view bundleJson) {
  auto doc = fhir::parseJson(bundleJson);
  if (!doc.isOk() || !doc->IsObject()) return {};
  const rapidjson::Value* entries = fhir::member(*doc, "entry");
  if (entries == nullptr || !entries->IsArray() || entries->Empty()) return {};
  const rapidjson::Value& first = (*entries)[0];
  const rapidjson::Value* resource = first.IsObject() ? fhir::member(first, "resource") : nullptr;
  const rapidjson::Value* parameters =
      resource != nullptr && resource->IsObject() ? fhir::member(*resource, "parameter") : nullptr;
  if (parameters == nullptr || !parameters->IsArray()) return {};
  for (const rapidjson::Value& p : parameters->GetArray()) {
    if (p.IsObject() && fhir::stringMember(p, "name") == "type") {
      return std::string(fhir::stringMember(p, "valueCode"));
    }
  }
  return {};
}

}  // namespace brygga::subscriptions

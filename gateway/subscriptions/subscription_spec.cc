#include "gateway/subscriptions/subscription_spec.h"

#include <algorithm>

#include "gateway/core/civil_time.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_types.h"

namespace brygga::subscriptions {

namespace {

using core::Issue;
using rapidjson::Value;

// Headers the worker sets on every notification, which a subscriber cannot replace.
constexpr std::string_view kReservedHeaders[] = {
    "content-type", "content-length",  "transfer-encoding", "host",       "connection", "accept",
    "x-request-id", "idempotency-key", "traceparent",       "tracestate", "expect",     "te",
    "upgrade"};

bool isToken(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool ok = core::isAsciiAlnum(c) ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool isHeaderValue(std::string_view value) {
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An http(s) URL whose path cannot step out of the prefix an operator allowed: visible ASCII
// only, no fragment, no "." or ".." segment (also percent-encoded), which a client library
// would resolve before sending.
bool isPlainHttpUrl(const std::string& url) {
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) return false;
  for (const char c : url) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '#' || c == '\\') return false;
  }
  std::string lower = core::lowerAscii(url);
  for (size_t at = lower.find("%2e"); at != std::string::npos; at = lower.find("%2e", at)) {
    lower.replace(at, 3, ".");
  }
  const size_t authority = lower.find("://") + 3;
  const size_t path = lower.find('/', authority);
  if (path == std::string::npos) return true;
  size_t start = path + 1;
  while (start <= lower.size()) {
    size_t end = lower.find_first_of("/?", start);
    const std::string_view segment = std::string_view(lower).substr(
        start, end == std::string::npos ? std::string::npos : end - start);
    if (segment == "." || segment == "..") return false;
    if (end == std::string::npos || lower[end] == '?') break;
    start = end + 1;
  }
  return true;
}

std::string topicList() {
  std::string list;
  for (const Topic& t : topics()) list += (list.empty() ? "" : ", ") + t.url;
  return list;
}

std::string filterList() {
  std::string list;
  for (const std::string& p : filterParameters()) list += (list.empty() ? "" : ", ") + p;
  return list;
}

}  // namespace

const char* toString(Content content) {
  switch (content) {
    case Content::kEmpty:
      return "empty";
    case Content::kIdOnly:
      return "id-only";
    case Content::kFullResource:
      return "full-resource";
  }
  return "id-only";
}

core::StatusOr<std::vector<Filter>> parseFilterCriteria(std::string_view text) {
  std::vector<Filter> filters;
  if (const size_t q = text.find('?'); q != std::string_view::npos) {
    const std::string_view type = text.substr(0, q);
    if (!fhir::isKnownR4ResourceType(type)) {
      return core::invalidArgument("'" + std::string(type) + "' is not a resource type");
    }
    text.remove_prefix(q + 1);
  }
  while (true) {
    const size_t amp = text.find('&');
    const std::string_view part = text.substr(0, amp);
    const size_t eq = part.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == part.size()) {
      return core::invalidArgument("a filter is parameter=value");
    }
    const std::string name(part.substr(0, eq));
    if (name.find(':') != std::string::npos) {
      return core::invalidArgument("filter modifiers are not supported (" + name + ")");
    }
    const auto& known = filterParameters();
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return core::invalidArgument("no filter '" + name + "'; the topics filter by " +
                                   filterList());
    }
    BRYGGA_ASSIGN_OR_RETURN(std::string value, core::percentDecode(part.substr(eq + 1)));
    if (name == "patient") {
      if (value.rfind("Patient/", 0) != 0 || !fhir::isValidId(std::string_view(value).substr(8))) {
        return core::invalidArgument("patient filters by a reference, Patient/<id>");
      }
    }
    filters.push_back({name, std::move(value)});
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return filters;
}

core::StatusOr<SubscriptionSpec> readSubscription(const Value& resource) {
  SubscriptionSpec spec;
  std::vector<Issue> issues;
  spec.id = std::string(fhir::stringMember(resource, "id"));
  spec.status = std::string(fhir::stringMember(resource, "status"));

  const std::string_view criteria = fhir::stringMember(resource, "criteria");
  spec.topic = topicByUrl(criteria);
  if (spec.topic == nullptr) {
    issues.push_back(Issue::error("not-supported",
                                  "not a topic Brygga offers; its topics are " + topicList(),
                                  "Subscription.criteria"));
  }
  if (const Value* c = fhir::member(resource, "_criteria"); c != nullptr && c->IsObject()) {
    if (const Value* ext = fhir::member(*c, "extension"); ext != nullptr && ext->IsArray()) {
      for (rapidjson::SizeType i = 0; i < ext->Size(); ++i) {
        const Value& e = (*ext)[i];
        if (!e.IsObject() || fhir::stringMember(e, "url") != kFilterCriteriaUrl) continue;
        const std::string where = "Subscription.criteria.extension[" + std::to_string(i) + "]";
        auto filters = parseFilterCriteria(fhir::stringMember(e, "valueString"));
        if (!filters.isOk()) {
          issues.push_back(Issue::error("not-supported", filters.status().message(), where));
          continue;
        }
        for (Filter& f : *filters) spec.filters.push_back(std::move(f));
      }
    }
  }

  const Value* channel = fhir::member(resource, "channel");
  if (channel == nullptr || !channel->IsObject()) {
    issues.push_back(Issue::error("required", "a channel is required", "Subscription.channel"));
    return core::unprocessable("the Subscription cannot be served", std::move(issues));
  }
  if (fhir::stringMember(*channel, "type") != "rest-hook") {
    issues.push_back(Issue::error("not-supported", "Brygga notifies over rest-hook channels only",
                                  "Subscription.channel.type"));
  }
  spec.endpoint = std::string(fhir::stringMember(*channel, "endpoint"));
  if (!isPlainHttpUrl(spec.endpoint)) {
    issues.push_back(Issue::error(
        "value",
        "a rest-hook needs an http(s) endpoint without dot segments, fragment or white space",
        "Subscription.channel.endpoint"));
  }
  const std::string_view payload = fhir::stringMember(*channel, "payload");
  if (payload.empty()) {
    spec.content = Content::kEmpty;  // R4: no payload, the notification alone
  } else if (payload != "application/fhir+json") {
    issues.push_back(Issue::error("not-supported",
                                  "notifications are sent as application/fhir+json",
                                  "Subscription.channel.payload"));
  }
  if (const Value* p = fhir::member(*channel, "_payload"); p != nullptr && p->IsObject()) {
    if (const Value* ext = fhir::member(*p, "extension"); ext != nullptr && ext->IsArray()) {
      for (const Value& e : ext->GetArray()) {
        if (!e.IsObject() || fhir::stringMember(e, "url") != kPayloadContentUrl) continue;
        const std::string_view code = fhir::stringMember(e, "valueCode");
        if (code == "empty") {
          spec.content = Content::kEmpty;
        } else if (code == "id-only") {
          spec.content = Content::kIdOnly;
        } else if (code == "full-resource") {
          spec.content = Content::kFullResource;
        } else {
          issues.push_back(Issue::error("code-invalid",
                                        "the payload content is empty, id-only or full-resource",
                                        "Subscription.channel.payload.extension"));
        }
      }
    }
  }
  if (const Value* ext = fhir::member(*channel, "extension"); ext != nullptr && ext->IsArray()) {
    for (const Value& e : ext->GetArray()) {
      if (!e.IsObject() || fhir::stringMember(e, "url") != kHeartbeatPeriodUrl) continue;
      const Value* period = fhir::member(e, "valueUnsignedInt");
      if (period == nullptr || !period->IsUint() || period->GetUint() == 0) {
        issues.push_back(Issue::error("value",
                                      "the heartbeat period is a number of seconds, 1 or more",
                                      "Subscription.channel.extension"));
      } else {
        spec.heartbeatPeriodS = period->GetUint();
      }
    }
  }
  if (const Value* headers = fhir::member(*channel, "header");
      headers != nullptr && headers->IsArray()) {
    for (rapidjson::SizeType i = 0; i < headers->Size(); ++i) {
      const std::string where = "Subscription.channel.header[" + std::to_string(i) + "]";
      const Value& h = (*headers)[i];
      const std::string_view text =
          h.IsString() ? std::string_view(h.GetString(), h.GetStringLength()) : "";
      const size_t colon = text.find(':');
      const std::string_view name = colon == std::string_view::npos ? "" : text.substr(0, colon);
      const std::string_view value =
          colon == std::string_view::npos ? "" : trimmed(text.substr(colon + 1));
      if (!isToken(name) || !isHeaderValue(value)) {
        issues.push_back(Issue::error("value", "a header is 'Name: value'", where));
        continue;
      }
      const std::string lower = core::lowerAscii(name);
      if (std::find(std::begin(kReservedHeaders), std::end(kReservedHeaders), lower) !=
          std::end(kReservedHeaders)) {
        issues.push_back(
            Issue::error("not-supported", "Brygga sets " + std::string(name) + " itself", where));
        continue;
      }
      spec.headers.emplace_back(std::string(name), std::string(value));
    }
  }
  if (const std::string_view end = fhir::stringMember(resource, "end"); !end.empty()) {
    auto ms = core::parseFhirDateTime(end);
    if (ms.isOk()) spec.endMs = *ms;  // the validator has checked the instant
  }
  if (!issues.empty()) {
    return core::unprocessable("the Subscription asks for what Brygga does not offer",
                               std::move(issues));
  }
  return spec;
}

}  // namespace brygga::subscriptions

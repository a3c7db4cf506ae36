#include "gateway/metrics/route_template.h"

#include <array>
#include <vector>

namespace brygga::metrics {

namespace {

constexpr size_t kMaxSegments = 6;

// Top-level prefixes the gateway serves; any other first segment is {other}.
constexpr std::array<std::string_view, 7> kPrefixes = {"fhir",    "admin",  "audit",  "console",
                                                       "healthz", "readyz", "metrics"};

// The fixed words of the non-FHIR endpoints' paths (admin, audit, console). A word not listed
// becomes {id}: a label value must never come from what a client chose to send.
constexpr std::array<std::string_view, 21> kWords = {
    // /admin
    "destinations", "pause", "resume", "dead-letters", "replay", "mappings", "reload",
    // /audit
    "checkpoint", "key", "proof", "inclusion", "consistency", "records", "witness", "forwarding",
    // /console/api
    "api", "summary", "messages", "payload", "session", "audit"};

constexpr std::array<std::string_view, 6> kFhirOperations = {
    "_history", "_search", "$validate", "%24validate", "metadata", "$everything"};

bool contains(const auto& list, std::string_view s) {
  for (std::string_view w : list) {
    if (w == s) return true;
  }
  return false;
}

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

}  // namespace

std::string routeTemplate(std::string_view path,
                          const std::function<bool(std::string_view)>& isResourceType) {
  const size_t q = path.find('?');
  if (q != std::string_view::npos) path = path.substr(0, q);
  const std::vector<std::string_view> parts = split(path);
  if (parts.empty()) return "/";
  if (!contains(kPrefixes, parts[0])) return "/{other}";

  std::string out = "/";
  out += parts[0];
  const bool fhir = parts[0] == "fhir";
  for (size_t i = 1; i < parts.size(); ++i) {
    if (i >= kMaxSegments) {
      out += "/{rest}";
      break;
    }
    const std::string_view s = parts[i];
    out += '/';
    if (fhir) {
      if (contains(kFhirOperations, s)) {
        out += s == "%24validate" ? "$validate" : s;
      } else if (i == 1) {
        out += isResourceType && isResourceType(s) ? std::string(s) : std::string("{type}");
      } else if (i == 2) {
        out += "{id}";
      } else if (i == 4) {
        out += "{vid}";
      } else {
        out += "{op}";
      }
    } else if (contains(kWords, s)) {
      out += s;
    } else {
      out += s.find('.') != std::string_view::npos ? "{file}" : "{id}";
    }
  }
  return out;
}

}  // namespace brygga::metrics

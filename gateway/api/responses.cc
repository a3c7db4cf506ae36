#include "gateway/api/responses.h"

#include <algorithm>
#include <exception>
#include <string_view>
#include <utility>

#include "gateway/core/civil_time.h"
#include "gateway/core/text.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/search/query.h"
#include "gateway/write/back_pressure.h"

namespace brygga::api {

ApiResponse errorResponse(const core::Status& status) {
  ApiResponse r;
  r.status = status.httpStatus();
  r.body = fhir::operationOutcomeJson(status);
  r.headers.emplace_back("Content-Type", "application/fhir+json; charset=utf-8");
  if (status.code() == core::StatusCode::kUnauthenticated) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"brygga\"");
  }
  if (status.code() == core::StatusCode::kUnavailable) {
    r.headers.emplace_back("Retry-After", std::to_string(write::kRetryAfterSeconds));
  }
  return r;
}

ApiResponse noStoreResponse(int status, std::string body, const char* contentType) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", contentType);
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

ApiResponse dispatchGuarded(const ApiRequest& request, core::Logger& logger,
                            const std::function<ApiResponse()>& dispatch) {
  try {
    return dispatch();
  } catch (const std::exception& e) {
    logger.error("request.exception", {{"requestId", request.requestId}, {"what", e.what()}});
    return errorResponse(core::internalError("internal error; see the gateway log"));
  }
}

std::optional<ApiResponse> checkIntegrationCaller(const ApiRequest& request, Trace& trace,
                                                  const std::string& forbidden) {
  if (!request.caller.authenticated) {
    trace.interaction = "login";
    return errorResponse(core::unauthenticated(
        "authentication required: a client certificate (HTTPS) or a bearer token"));
  }
  if (request.caller.role != core::ClientRole::kIntegration) {
    return errorResponse(core::permissionDenied(forbidden));
  }
  if (request.caller.scopes) {
    // SMART scopes speak of FHIR resources; they grant nothing on the operators' endpoints.
    return errorResponse(core::permissionDenied(
        "an access token from /auth/token is for the FHIR API only; use the client's "
        "certificate or static token here"));
  }
  if (core::Status crossSite = checkNotCrossSite(request); !crossSite.isOk()) {
    return errorResponse(crossSite);
  }
  return std::nullopt;
}

namespace {

// "https://Host:443/fhir" -> "https://host": scheme and authority, lower case, default port
// dropped (browsers leave it out of Origin). Empty for anything else.
std::string originOf(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  std::string origin = core::lowerAscii(url.substr(0, url.find_first_of("/?#", scheme + 3)));
  const std::string_view defaultPort = origin.starts_with("https://")  ? ":443"
                                       : origin.starts_with("http://") ? ":80"
                                                                       : "";
  if (!defaultPort.empty() && origin.ends_with(defaultPort)) {
    origin.resize(origin.size() - defaultPort.size());
  }
  return origin;
}

}  // namespace

core::Status checkNotCrossSite(const ApiRequest& request) {
  if (request.method == "GET" || request.method == "HEAD") return core::Status::ok();
  if (auto it = request.headers.find(core::lowerAscii(kConsoleHeader));
      it != request.headers.end() && it->second == "1") {
    return core::Status::ok();
  }
  if (auto it = request.headers.find("origin"); it != request.headers.end()) {
    const std::string own = originOf(request.baseUrl);
    if (!own.empty() && originOf(it->second) == own) return core::Status::ok();
  }
  return core::permissionDenied(
      std::string("a request that changes something must carry the header ") + kConsoleHeader +
      ": 1 (the console sends it) or come from the gateway's own origin; a request another web "
      "site made the browser send is refused");
}

std::optional<ApiResponse> checkMethod(const ApiRequest& request, const char* expected) {
  if (request.method == expected) return std::nullopt;
  return errorResponse({core::StatusCode::kMethodNotAllowed,
                        std::string("use ") + expected + " for " + request.path});
}

std::string previewText(const std::string& text, size_t maxBytes) {
  if (text.size() <= maxBytes) return text;
  size_t cut = maxBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

void appendInstantOrNull(std::string& out, int64_t ms) {
  if (ms <= 0) {
    out += "null";
  } else {
    core::appendJsonString(out, core::formatInstant(ms));
  }
}

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string header(const ApiRequest& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string() : it->second;
}

std::string preference(const ApiRequest& request, std::string_view name) {
  const std::string prefer = core::lowerAscii(header(request, "prefer"));
  size_t start = 0;
  while (start < prefer.size()) {
    size_t end = prefer.find_first_of(",;", start);
    if (end == std::string::npos) end = prefer.size();
    std::string item = prefer.substr(start, end - start);
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    if (item.size() > name.size() && item.compare(0, name.size(), name) == 0 &&
        item[name.size()] == '=') {
      std::string value = item.substr(name.size() + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
    start = end + 1;
  }
  return {};
}

std::string mediaTypeOf(const std::string& value) {
  std::string v = core::lowerAscii(value.substr(0, value.find(';')));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  return v;
}

core::StatusOr<std::vector<std::pair<std::string, std::string>>> searchFormOf(
    const ApiRequest& request) {
  const std::string contentType = header(request, "content-type");
  if (mediaTypeOf(contentType) != "application/x-www-form-urlencoded") {
    return core::Status{core::StatusCode::kUnsupportedMediaType,
                        "Content-Type '" + contentType +
                            "' is not supported: POST _search takes "
                            "application/x-www-form-urlencoded"};
  }
  return search::parseQuery(request.body);
}

}  // namespace brygga::api

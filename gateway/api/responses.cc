#include "gateway/api/responses.h"

#include <exception>
#include <string_view>
#include <utility>

#include "gateway/core/civil_time.h"
#include "gateway/core/text.h"
#include "gateway/fhir/operation_outcome.h"
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

}  // namespace brygga::api

#include "gateway/api/responses.h"

#include <exception>
#include <utility>

#include "gateway/api/back_pressure.h"
#include "gateway/core/civil_time.h"
#include "gateway/fhir/operation_outcome.h"

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
    r.headers.emplace_back("Retry-After", std::to_string(kRetryAfterSeconds));
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
  return std::nullopt;
}

std::optional<ApiResponse> checkMethod(const ApiRequest& request, const char* expected) {
  if (request.method == expected) return std::nullopt;
  return errorResponse({core::StatusCode::kMethodNotAllowed,
                        std::string("use ") + expected + " for " + request.path});
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

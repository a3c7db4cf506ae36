#include "gateway/api/responses.h"

#include "gateway/api/back_pressure.h"
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

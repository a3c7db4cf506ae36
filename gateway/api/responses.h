#pragma once

#include <string>
#include <vector>

#include "gateway/api/endpoint.h"
#include "gateway/core/status.h"

// Answer helpers shared by every endpoint, so that an error looks the same wherever it comes from.
namespace brygga::api {

// An OperationOutcome answer with the status's HTTP code; 401 carries WWW-Authenticate and 503
// (full queue, full disk) a Retry-After, since nothing was stored and the sender should retry.
ApiResponse errorResponse(const core::Status& status);

// "/a/b//c" -> {"a", "b", "c"}.
std::vector<std::string> splitPath(const std::string& path);

}  // namespace brygga::api

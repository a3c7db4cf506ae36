#pragma once

#include <string>

#include "gateway/api/request_limits.h"

namespace brygga::api {

// The CapabilityStatement for /metadata: exactly the types, interactions and search parameters
// FhirApi serves.
std::string buildCapabilityStatement(const RequestLimits& limits);

}  // namespace brygga::api

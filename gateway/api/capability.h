#pragma once

#include <string>

#include "gateway/core/config.h"

namespace brygga::api {

// The CapabilityStatement for /metadata: exactly the types, interactions and search parameters
// FhirApi serves.
std::string buildCapabilityStatement(const core::ServerConfig& server);

}  // namespace brygga::api

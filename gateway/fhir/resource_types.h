#pragma once

#include <string_view>
#include <vector>

namespace brygga::fhir {

// The resource types Brygga serves over REST.
const std::vector<std::string_view>& supportedResourceTypes();
bool isSupportedResourceType(std::string_view type);
// Types clients may only read and search (AuditEvent: written by Brygga itself).
bool isReadOnlyResourceType(std::string_view type);
// Any FHIR R4 resource type name (for validating references and contained resources).
bool isKnownR4ResourceType(std::string_view type);
// FHIR id: [A-Za-z0-9\-\.]{1,64}
bool isValidId(std::string_view id);

}  // namespace brygga::fhir

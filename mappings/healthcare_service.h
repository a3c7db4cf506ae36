#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "mappings/mapping_set.h"
#include "mappings/outbound.h"

namespace brygga::mappings {

// The service points as FHIR HealthcareService resources (id "service-point-<code>"):
// identifier = the HSA-id, providedBy = the clinic, availableTime = the service hours,
// notAvailable = the closed weekdays (public holidays, extra closed days) from the Stockholm date
// of `nowMs` for settings().publishClosedDays days, availabilityExceptions = the on-call service.
// Pure; thread-safe.
std::vector<StoredResource> buildHealthcareServices(const MappingSet& mappings, int64_t nowMs);

// The id Brygga publishes a service point under.
std::string healthcareServiceId(const ServicePoint& servicePoint);

}  // namespace brygga::mappings

#pragma once

#include <string>
#include <vector>

#include "gateway/core/status.h"

namespace brygga::fhir {

// A resource cut down for a search answer (_elements, _summary=data): resourceType, id and meta
// always; of the other top-level elements only those in `keep` (all of them when `keep` is
// empty), and never `text` when `dropText`. meta gets the tag SUBSETTED
// (http://terminology.hl7.org/CodeSystem/v3-ObservationValue), as R4 asks of a partial resource.
core::StatusOr<std::string> subsetResource(const std::string& json,
                                           const std::vector<std::string>& keep, bool dropText);

}  // namespace brygga::fhir

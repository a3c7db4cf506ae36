#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"

namespace brygga::fhir {

// A resource cut down for a search answer (_elements, _summary=data): resourceType, id and meta
// always; of the other top-level elements only those in `keep` (all of them when `keep` is
// empty), and never `text` when `dropText`. meta gets the tag SUBSETTED
// (http://terminology.hl7.org/CodeSystem/v3-ObservationValue), as R4 asks of a partial resource.
core::StatusOr<std::string> subsetResource(const std::string& json,
                                           const std::vector<std::string>& keep, bool dropText);

// The top-level JSON names of a resource type's summary (R4 _summary=true): the elements the
// definition marks isSummary, and the mandatory ones (a choice by each of its JSON names).
// Empty for a type Brygga does not know.
std::vector<std::string> summaryElementsOf(std::string_view type);

}  // namespace brygga::fhir

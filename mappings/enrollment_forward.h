#pragma once

#include <map>
#include <string>
#include <vector>

#include "gateway/core/status.h"
#include "mappings/mapping_set.h"
#include "mappings/outbound.h"

namespace brygga::mappings {

// What a flow needs besides the resources it sends: the mappings in force and the current
// versions of everything those resources refer to (gathered from the store by gateway/flows),
// so that references can become identifier-based ones.
struct FlowContext {
  const MappingSet* mappings = nullptr;  // null: no translation, no profiles (legacy callers)
  std::map<std::string, StoredResource> referenced;  // "Type/id" -> current version
  int64_t nowMs = 0;
};

// The enrollment flow towards the regional EHR (flow 1 of PRODUCT.md): the Patient, the
// EpisodeOfCare (carrying the responsible service point Brygga stamped) and any Condition /
// CarePlan of one enrollment become one transaction Bundle the peer can apply any number of times
// with the same effect:
// - Patient: conditional create keyed on its personnummer / samordningsnummer (the region's
//   patient record is not overwritten by the municipality);
// - every other resource: conditional update keyed on its first identifier, so updates and
//   discharge (EpisodeOfCare finished, period.end) reach the region too;
// - references between them become urn:uuid references inside the Bundle, references to other
//   resources identifier-based ones; Brygga's own ids and meta are not sent, meta.profile is set;
// - care-plan activity codes are translated by the carePlanActivityToRegion ConceptMap.
// Fails with kUnprocessable naming the element when a resource lacks the identifier it is keyed
// on, a reference does not resolve, a code has no mapping, or no Patient / EpisodeOfCare is
// present. Pure; thread-safe.
core::StatusOr<std::string> buildEnrollmentForward(const std::vector<StoredResource>& resources,
                                                   const FlowContext& context);
// Without mappings (no profiles, no translation): the walking skeleton's behaviour.
core::StatusOr<std::string> buildEnrollmentForward(const std::vector<StoredResource>& resources);

}  // namespace brygga::mappings

#pragma once

#include <string>
#include <vector>

#include "gateway/core/status.h"

namespace brygga::mappings {

// A resource as Brygga stored it (ids assigned, references relative "Type/id").
struct StoredResource {
  std::string type;
  std::string id;
  std::string json;
};

// The enrollment flow towards the regional EHR (flow 1 of PRODUCT.md): the Patient, the
// EpisodeOfCare and any Condition / CarePlan of one enrollment become one transaction Bundle the
// peer can apply any number of times with the same effect:
// - Patient: conditional create keyed on its personnummer / samordningsnummer (the region's
//   patient record is not overwritten by the municipality);
// - every other resource: conditional update keyed on its first identifier, so updates and
//   discharge (EpisodeOfCare finished, period.end) reach the region too;
// - references between them become urn:uuid references inside the Bundle; Brygga's own ids and
//   meta (versionId, lastUpdated) are not sent.
// Fails with kUnprocessable naming the element when a resource lacks the identifier it is keyed
// on, or when no Patient / EpisodeOfCare is present. Pure; thread-safe.
core::StatusOr<std::string> buildEnrollmentForward(const std::vector<StoredResource>& resources);

// True when a set of written resource types forms an enrollment to forward.
bool isEnrollment(const std::vector<std::string>& types);

}  // namespace brygga::mappings

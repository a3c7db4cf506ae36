#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "gateway/store/store.h"
#include "mappings/routing_table.h"

// The facts access rests on, read from the resources that state them: a municipality's
// EpisodeOfCare is a care relationship, a Consent (scope patient-privacy, provision deny) blocks
// the organizations and care units it names. The write pipeline hands them to the store with the
// resource, in the same unit. Pure.
namespace brygga::access {

// The relationship a municipal EpisodeOfCare gives `tenant`: active while its status is active,
// planned, onhold or waitlist; ended at its period.end, or at `writtenMs` when it was finished or
// cancelled without one. (Schema 6's migration states the same rule in SQL for old data.)
store::CareRelationship careRelationshipOf(const rapidjson::Value& episode,
                                           const std::string& episodeId,
                                           const std::string& patientId, const std::string& tenant,
                                           int64_t writtenMs);

// The person numbers a Patient carries (personnummer, samordningsnummer in any accepted system
// form), normalised, each once: what the store's unique key holds (one person, one Patient).
std::vector<store::PersonIdentity> identitiesOf(const rapidjson::Value& patient);

// True when writing this EpisodeOfCare now gives an active relationship (an enrollment).
bool establishesRelationship(const rapidjson::Value& episode, int64_t nowMs);

// The party an HSA-id names, by the routing table of the mapping set in force: a municipality's
// HSA-id -> "tenant:<tenant>"; the clinic's, a service point's or a performing unit's -> "region".
std::optional<std::string> partyOfHsaId(const mappings::RoutingTable& routing,
                                        std::string_view hsaId);
// The party a destination delivers to: a municipality's destination -> "tenant:<tenant>", a
// service point's -> "region"; empty when the routing table names neither.
std::string partyOfDestination(const mappings::RoutingTable& routing, std::string_view destination);

// The blocks a Consent puts: one per actor of its provision (by HSA-id, organization or care
// unit), active while the Consent is active, within provision.period. kUnprocessable (with the
// element) for a Consent that is no block (scope patient-privacy, provision.type deny, an actor
// with an HSA-id) or names an HSA-id the routing table does not know.
core::StatusOr<std::vector<store::PatientBlock>> blocksOf(const rapidjson::Value& consent,
                                                          const std::string& consentId,
                                                          const std::string& patientId,
                                                          const mappings::RoutingTable& routing);

}  // namespace brygga::access

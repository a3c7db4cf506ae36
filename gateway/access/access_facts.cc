#include "gateway/access/access_facts.h"

#include <algorithm>

#include "gateway/access/access_policy.h"
#include "gateway/core/civil_time.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_index.h"
#include "gateway/fhir/swedish_identifiers.h"

namespace brygga::access {

namespace {

using rapidjson::Value;

constexpr const char* kConsentScopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope";

bool isActiveStatus(std::string_view status) {
  return status == "active" || status == "planned" || status == "onhold" || status == "waitlist";
}

// A period bound in epoch ms; 0 when absent or not a date.
int64_t periodMs(const Value& resource, const char* periodMember, const char* bound) {
  const Value* period = fhir::member(resource, periodMember);
  if (period == nullptr) return 0;
  const std::string_view text = fhir::stringMember(*period, bound);
  if (text.empty()) return 0;
  return core::parseFhirDateTime(text).valueOr(0);
}

core::Status notABlock(const std::string& why, const std::string& where) {
  const std::string text =
      "Brygga takes a Consent only as a block (spärr): scope patient-privacy, provision.type "
      "deny and provision.actor naming the blocked organization or care unit by HSA-id; " +
      why;
  return core::unprocessable(text, {core::Issue::error("business-rule", text, where)});
}

bool hasCoding(const Value* codeable, std::string_view system, std::string_view code) {
  const Value* codings = codeable != nullptr ? fhir::member(*codeable, "coding") : nullptr;
  if (codings == nullptr || !codings->IsArray()) return false;
  return std::any_of(codings->Begin(), codings->End(), [&](const Value& c) {
    return fhir::stringMember(c, "system") == system && fhir::stringMember(c, "code") == code;
  });
}

}  // namespace

store::CareRelationship careRelationshipOf(const Value& episode, const std::string& episodeId,
                                           const std::string& patientId, const std::string& tenant,
                                           int64_t writtenMs) {
  store::CareRelationship r;
  r.episodeId = episodeId;
  r.patientId = patientId;
  r.tenant = tenant;
  const std::string_view status = fhir::stringMember(episode, "status");
  r.active = isActiveStatus(status);
  r.endedMs = periodMs(episode, "period", "end");
  if (r.endedMs == 0 && (status == "finished" || status == "cancelled")) r.endedMs = writtenMs;
  return r;
}

std::vector<store::PersonIdentity> identitiesOf(const Value& patient) {
  std::vector<store::PersonIdentity> out;
  for (const fhir::PersonNumber& person : fhir::personNumbersOf(patient)) {
    out.push_back({fhir::toString(person.kind), person.number});
  }
  return out;
}

bool establishesRelationship(const Value& episode, int64_t nowMs) {
  if (!isActiveStatus(fhir::stringMember(episode, "status"))) return false;
  const int64_t end = periodMs(episode, "period", "end");
  return end == 0 || end > nowMs;
}

std::optional<std::string> partyOfHsaId(const mappings::RoutingTable& routing,
                                        std::string_view hsaId) {
  for (const auto& m : routing.municipalities()) {
    if (m.hsaId == hsaId) return tenantParty(m.tenant);
  }
  if (routing.clinicHsaId() == hsaId) return std::string(kRegionParty);
  for (const auto& sp : routing.servicePoints()) {
    if (sp.hsaId == hsaId || sp.performingUnitHsaId == hsaId) return std::string(kRegionParty);
  }
  return std::nullopt;
}

std::string partyOfDestination(const mappings::RoutingTable& routing,
                               std::string_view destination) {
  for (const auto& m : routing.municipalities()) {
    if (m.destination == destination) return tenantParty(m.tenant);
  }
  for (const auto& sp : routing.servicePoints()) {
    if (sp.destination == destination) return std::string(kRegionParty);
  }
  return {};
}

core::StatusOr<std::vector<store::PatientBlock>> blocksOf(const Value& consent,
                                                          const std::string& consentId,
                                                          const std::string& patientId,
                                                          const mappings::RoutingTable& routing) {
  if (!hasCoding(fhir::member(consent, "scope"), kConsentScopeSystem, "patient-privacy")) {
    return notABlock("the scope is not patient-privacy", "Consent.scope");
  }
  const Value* provision = fhir::member(consent, "provision");
  if (provision == nullptr || fhir::stringMember(*provision, "type") != "deny") {
    return notABlock("provision.type is not deny", "Consent.provision.type");
  }
  const Value* actors = fhir::member(*provision, "actor");
  if (actors == nullptr || !actors->IsArray() || actors->Empty()) {
    return notABlock("there is no provision.actor", "Consent.provision.actor");
  }
  std::vector<store::PatientBlock> blocks;
  const bool active = fhir::stringMember(consent, "status") == "active";
  const int64_t start = periodMs(*provision, "period", "start");
  const int64_t end = periodMs(*provision, "period", "end");
  for (rapidjson::SizeType i = 0; i < actors->Size(); ++i) {
    const std::string where = "Consent.provision.actor[" + std::to_string(i) + "].reference";
    const Value* ref = fhir::member((*actors)[i], "reference");
    const Value* identifier = ref != nullptr ? fhir::member(*ref, "identifier") : nullptr;
    const std::string_view system =
        identifier != nullptr ? fhir::stringMember(*identifier, "system") : "";
    const std::string_view hsaId =
        identifier != nullptr ? fhir::stringMember(*identifier, "value") : "";
    if ((system != fhir::kHsaOrganizationSystem && system != fhir::kHsaOid) ||
        !fhir::isValidHsaId(hsaId)) {
      return notABlock("the actor is not named by an organization's HSA-id", where);
    }
    auto party = partyOfHsaId(routing, hsaId);
    if (!party) {
      const std::string text =
          "the HSA-id " + std::string(hsaId) +
          " is no municipality, clinic, service point or performing unit Brygga routes to "
          "(mappings/data/routing.json)";
      return core::unprocessable(text,
                                 {core::Issue::error("not-found", text, where + ".identifier")});
    }
    const bool seen = std::any_of(blocks.begin(), blocks.end(),
                                  [&](const store::PatientBlock& b) { return b.party == *party; });
    if (!seen) blocks.push_back({consentId, patientId, *party, active, start, end});
  }
  return blocks;
}

}  // namespace brygga::access

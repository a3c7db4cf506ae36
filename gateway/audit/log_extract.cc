#include "gateway/audit/log_extract.h"

#include <algorithm>
#include <string_view>

#include "gateway/core/civil_time.h"
#include "gateway/core/log.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"

namespace brygga::audit {

namespace {

using rapidjson::Value;

constexpr std::string_view kSourceRole = "110153";
constexpr std::string_view kDestinationRole = "110152";
constexpr std::string_view kHsaIdSystem = "urn:oid:1.2.752.29.6.2.1";
constexpr std::string_view kClientRoleSystem = "urn:brygga:client-role";
constexpr std::string_view kTenantSystem = "urn:brygga:tenant";
constexpr std::string_view kDestinationSystem = "urn:brygga:destination";
constexpr std::string_view kPatientRole = "1";

const Value* arrayMember(const Value& object, std::string_view key) {
  const Value* v = fhir::member(object, key);
  return v != nullptr && v->IsArray() ? v : nullptr;
}

// code of the first coding of a CodeableConcept, or of a Coding.
std::string_view codeOf(const Value* coded) {
  if (coded == nullptr) return {};
  if (const Value* codings = arrayMember(*coded, "coding")) {
    if (!codings->Empty()) return fhir::stringMember((*codings)[0], "code");
    return {};
  }
  return fhir::stringMember(*coded, "code");
}

std::string_view systemOf(const Value* coded) {
  if (coded == nullptr) return {};
  const Value* codings = arrayMember(*coded, "coding");
  if (codings == nullptr || codings->Empty()) return {};
  return fhir::stringMember((*codings)[0], "system");
}

void readAgent(const Value& agent, ExtractEntry& e, std::string& destination) {
  const std::string_view type = codeOf(fhir::member(agent, "type"));
  const Value* who = fhir::member(agent, "who");
  const Value* identifier = who != nullptr ? fhir::member(*who, "identifier") : nullptr;
  const std::string_view system =
      identifier != nullptr ? fhir::stringMember(*identifier, "system") : std::string_view();
  const std::string_view value =
      identifier != nullptr ? fhir::stringMember(*identifier, "value") : std::string_view();
  const Value* network = fhir::member(agent, "network");
  if (type == kSourceRole) {
    e.who = std::string(!value.empty()   ? value
                        : who != nullptr ? fhir::stringMember(*who, "display")
                                         : std::string_view());
    std::string tenant, role;
    if (const Value* roles = arrayMember(agent, "role")) {
      for (const Value& r : roles->GetArray()) {
        if (systemOf(&r) == kTenantSystem) tenant = std::string(codeOf(&r));
        if (systemOf(&r) == kClientRoleSystem) role = std::string(codeOf(&r));
      }
    }
    e.careUnit = tenant.empty() ? role : role.empty() ? tenant : tenant + " (" + role + ")";
    if (network != nullptr) e.from = std::string(fhir::stringMember(*network, "address"));
  } else if (type == kDestinationRole) {
    if (system == kDestinationSystem) destination = std::string(value);
  } else if (system == kHsaIdSystem) {
    e.userHsaId = std::string(value);
  }
}

}  // namespace

ExtractEntry toExtractEntry(const store::AuditRecord& record) {
  ExtractEntry e;
  e.seq = record.seq;
  auto doc = fhir::parseJson(record.json);
  if (!doc.isOk() || !doc->IsObject()) {
    e.outcome = "unreadable record";
    return e;
  }
  const Value& event = *doc;
  e.recorded = std::string(fhir::stringMember(event, "recorded"));
  e.action = std::string(fhir::stringMember(event, "action"));
  if (const Value* subtypes = arrayMember(event, "subtype")) {
    if (!subtypes->Empty()) e.interaction = std::string(fhir::stringMember((*subtypes)[0], "code"));
  }
  if (e.interaction == "110122") e.interaction = "login";  // DICOM Login (audit_event.cc)
  std::string destination;
  if (const Value* agents = arrayMember(event, "agent")) {
    for (const Value& agent : agents->GetArray()) readAgent(agent, e, destination);
  }
  // A delivery: Brygga sent the data on to a destination.
  if (!destination.empty()) e.interaction += " to " + destination;
  if (const Value* entities = arrayMember(event, "entity")) {
    for (const Value& entity : entities->GetArray()) {
      const Value* what = fhir::member(entity, "what");
      const std::string_view reference =
          what != nullptr ? fhir::stringMember(*what, "reference") : std::string_view();
      if (reference.empty() || codeOf(fhir::member(entity, "role")) == kPatientRole) continue;
      if (!e.resources.empty()) e.resources += ",";
      e.resources += std::string(reference);
    }
  }
  const std::string_view outcome = fhir::stringMember(event, "outcome");
  const std::string desc(fhir::stringMember(event, "outcomeDesc"));
  e.success = outcome == "0";
  if (e.success) {
    e.outcome = "success";
  } else if (outcome == "4") {
    e.outcome = "refused: " + desc;
  } else {
    e.outcome = "failed: " + desc;
  }
  return e;
}

std::string extractBundle(const std::vector<store::AuditRecord>& records, int64_t nowMs) {
  std::string out = R"({"resourceType":"Bundle","type":"collection","timestamp":")";
  out += core::formatInstant(nowMs);
  out += R"(","entry":[)";
  for (size_t i = 0; i < records.size(); ++i) {
    if (i > 0) out += ',';
    out += R"({"resource":)";
    out += records[i].json;  // stored canonical JSON, unchanged
    out += '}';
  }
  out += "]}";
  return out;
}

std::string extractTable(const std::vector<store::AuditRecord>& records, const std::string& patient,
                         int64_t nowMs) {
  std::vector<std::vector<std::string>> rows = {
      {"#", "WHEN", "WHO", "CARE UNIT", "USER (HSA-ID)", "FROM", "HOW", "WHAT", "OUTCOME"}};
  for (const store::AuditRecord& record : records) {
    const ExtractEntry e = toExtractEntry(record);
    std::string how = e.interaction;
    if (!e.action.empty()) how += " (" + e.action + ")";
    const auto recorded = core::parseFhirDateTime(e.recorded);
    rows.push_back({std::to_string(e.seq),
                    recorded.isOk() ? core::formatStockholmForPeople(*recorded) : e.recorded, e.who,
                    e.careUnit, e.userHsaId, e.from, how, e.resources, e.outcome});
  }
  return "PDL log extract for " + patient + ": " + std::to_string(records.size()) +
         (records.size() == 1 ? " entry" : " entries") + ", oldest first (made " +
         core::formatStockholmForPeople(nowMs) + "; times Europe/Stockholm)\n" +
         core::alignColumns(rows);
}

}  // namespace brygga::audit

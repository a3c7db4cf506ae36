#include "gateway/write/measure_recording.h"

#include <optional>

#include "gateway/fhir/json.h"
#include "gateway/measures/measure_facts.h"
#include "mappings/residence.h"

namespace brygga::write {

namespace {

// A residence at a facility (short-term care), reading the Location the episode refers to.
core::StatusOr<bool> atFacility(store::StoreTransaction& txn, const rapidjson::Value& episode) {
  std::optional<rapidjson::Document> location;
  if (auto ref = mappings::residenceReference(episode); ref && ref->rfind("Location/", 0) == 0) {
    BRYGGA_ASSIGN_OR_RETURN(std::optional<store::ResourceRecord> stored,
                            txn.resources().readCurrent("Location", ref->substr(9)));
    if (stored && !stored->deleted) {
      auto parsed = fhir::parseJson(stored->json);
      if (parsed.isOk()) location = std::move(parsed).value();
    }
  }
  return mappings::residenceOf(episode, location ? &*location : nullptr).kind ==
         mappings::Residence::Kind::kFacility;
}

}  // namespace

core::Status recordMeasureFacts(store::StoreTransaction& txn, const store::ResourceRecord& record,
                                const rapidjson::Value* resource) {
  if (!measures::hasFacts(record.type)) return core::Status::ok();
  measures::FactInput input;
  input.type = record.type;
  input.id = record.id;
  input.patient = record.patientId;
  input.tenant = record.tenant;
  input.nowMs = record.lastUpdatedMs;
  input.resource = record.deleted ? nullptr : resource;
  BRYGGA_ASSIGN_OR_RETURN(input.previous,
                          txn.measureFacts().measureFactsOf(record.type, record.id));
  if (input.resource != nullptr && record.type == "EpisodeOfCare") {
    BRYGGA_ASSIGN_OR_RETURN(input.shortTermResidence, atFacility(txn, *input.resource));
  }
  std::vector<store::MeasureFact> facts = measures::factsOf(input);
  if (facts.empty() && input.previous.empty()) return core::Status::ok();
  return txn.measureFacts().replaceMeasureFacts(record.type, record.id, facts);
}

}  // namespace brygga::write

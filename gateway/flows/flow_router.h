#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/client_role.h"
#include "gateway/core/log.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/fhir/swedish_identifiers.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/store/store.h"
#include "mappings/mapping_set.h"
#include "mappings/outbound.h"

// The home-care flows of PRODUCT.md, wired between the FHIR API and the outbox. The API hands
// every write unit's resources to the router twice, inside the unit:
// - prepare(), before they are written: the flows check what they will have to forward (unknown
//   facility, patient not enrolled, code with no mapping, a care-plan conflict: an error, nothing
//   is written or forwarded) and complete the resources (the responsible service point stamped on
//   an enrollment, a Task's owner, a request out of hours rejected with its reason);
// - route(), after they are written (ids assigned): the outbox entries to the service point's
//   destination (municipality -> region) or to the patient's municipality (region ->
//   municipality).
// The mapping transforms themselves are pure (mappings/); this layer reads the store for what they
// need: the patient's enrollment, referenced resources, earlier care-plan versions.
namespace brygga::flows {

// Reads the current version of Type/id (nullopt when there is none).
using ResourceReader = std::function<core::StatusOr<std::optional<store::ResourceRecord>>(
    const std::string& type, const std::string& id)>;

// The current versions of everything `sending` refers to that it does not contain, two levels
// deep (a visit note's document carries the encounter it refers to, with that encounter's own
// references), by "Type/id". What does not resolve is left out (the transforms report it).
core::StatusOr<std::map<std::string, mappings::StoredResource>> referencedResources(
    const std::vector<mappings::StoredResource>& sending, const ResourceReader& read);

// One resource of a write unit, as the API holds it.
struct FlowWrite {
  std::string method;  // POST | PUT
  std::string type;
  std::string id;         // before the write: the id of PUT Type/id; after: the assigned id
  std::string condition;  // If-None-Exist (POST) or the conditional update's query (PUT)
  std::string fullUrl;    // transaction entry fullUrl ("urn:uuid:...")
  rapidjson::Value* resource = nullptr;  // the resource being written; editable in prepare()
  rapidjson::Document::AllocatorType* allocator = nullptr;
  // After the write: the current version (for a conditional create that matched, the existing
  // one, so that a repeated enrollment is forwarded again, harmlessly); null before the write.
  const store::ResourceRecord* record = nullptr;
  // After the write: `record` was written from `resource` in this unit (its JSON is `resource`
  // as it stands), so the routing reads `resource` instead of parsing the record again. False
  // for a conditional create that matched (the record is the stored version).
  bool recordIsResource = false;
  // Set by prepare(): an OperationOutcome to answer with for this resource (a request rejected
  // out of hours); empty otherwise.
  std::string outcome;
};

struct FlowCaller {
  core::ClientRole role = core::ClientRole::kMunicipal;
  std::string tenant;
  std::string clientId;
  std::string requestId;
  std::string traceId;  // W3C trace id of the request; the outbox entries carry it
  // Whether the caller may write for the stored Patient with this id (gateway/access: a care
  // relationship, no block); unset: any. A patient it may not is answered exactly as one Brygga
  // does not hold (patientNotKnown), so that the answer tells nothing of care elsewhere.
  std::function<core::StatusOr<bool>(const std::string& patientId)> writesForPatient;
};

// The answer to a write naming a patient Brygga holds none of, or none the caller has a care
// relationship with: the same 422 either way (the element is the type's patient element).
core::Status patientNotKnown(std::string_view type);

// Thread-safe (stateless apart from its dependencies).
class FlowRouter {
 public:
  // `identifierForms`: the form of Swedish identifiers per destination (hl7se when not named).
  FlowRouter(MappingRegistry& registry, store::Store& store, const core::TimeSource& clock,
             std::vector<std::string> destinations, core::Logger& logger,
             std::map<std::string, fhir::IdentifierForm> identifierForms = {});

  // The set in force; a request takes it once and uses it throughout.
  std::shared_ptr<const mappings::MappingSet> mappings() const;

  // Checks and completes `writes` before they are written. Errors are 4xx Statuses with
  // OperationOutcome issues (422 unknown facility / not enrolled / no mapping, 409 care-plan
  // conflict, 403 writing a published service point).
  core::Status prepare(store::StoreTransaction& txn, const FlowCaller& caller,
                       std::vector<FlowWrite>& writes, const mappings::MappingSet& set) const;

  // The outbox entries the written resources cause (payload, destination, ordering key, tenant,
  // request id, times filled in).
  core::StatusOr<std::vector<store::OutboxEntry>> route(store::StoreTransaction& txn,
                                                        const FlowCaller& caller,
                                                        const std::vector<FlowWrite>& writes,
                                                        const mappings::MappingSet& set) const;

  // A short, PHI-free note on what the flows decided, for the exchange log (e.g.
  // "task rejected: public-holiday"); empty when nothing notable.
  static std::string noteOf(const std::vector<FlowWrite>& writes);

  // What a write unit is, as a home-care message (store::kMessageKinds), from what it writes:
  // an EpisodeOfCare makes an enrollment (a discharge when finished or ended), a Task a
  // consultation, a note (Composition, DocumentReference) a visit note, an Encounter a visit (an
  // admission when inpatient), a CarePlan alone a care plan; empty for anything else. Pure.
  static std::string kindOf(const std::vector<FlowWrite>& writes);

 private:
  class Unit;
  MappingRegistry& registry_;
  store::Store& store_;
  const core::TimeSource& clock_;
  const std::vector<std::string> destinations_;
  const std::map<std::string, fhir::IdentifierForm> identifierForms_;
  core::Logger& logger_;
};

}  // namespace brygga::flows

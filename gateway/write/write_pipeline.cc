#include "gateway/write/write_pipeline.h"

#include <algorithm>
#include <set>

#include "gateway/access/access_facts.h"
#include "gateway/core/digest.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_index.h"
#include "gateway/fhir/resource_types.h"
#include "gateway/flows/flow_router.h"
#include "gateway/search/query.h"
#include "gateway/subscriptions/subscriptions.h"
#include "gateway/write/back_pressure.h"
#include "gateway/write/measure_recording.h"
#include "gateway/write/search_index.h"
#include "mappings/mapping_set.h"

namespace brygga::write {

namespace {

using core::Status;
using core::StatusOr;
using rapidjson::Value;

// Resources that belong to no patient and are shared by every tenant (directory data).
bool isSharedType(const std::string& type) {
  return type == "Organization" || type == "Practitioner" || type == "PractitionerRole" ||
         type == "Location" || type == "HealthcareService";
}

// The id of the Patient a resource concerns (its own for a Patient); empty when none.
std::string patientIdOf(const Value& resource) {
  auto ref = fhir::patientReferenceOf(resource);
  if (!ref || ref->rfind("Patient/", 0) != 0) return {};
  return ref->substr(8);
}

// The patients this unit gives the caller a care relationship to: those of the active home-care
// EpisodeOfCare a municipality writes (its enrollment), by literal reference.
std::set<std::string> establishedPatients(const std::vector<WriteOp>& ops,
                                          const access::CallerAccess& ca) {
  std::set<std::string> out;
  if (ca.role() != core::ClientRole::kMunicipal) return out;
  for (const auto& op : ops) {
    if (op.type != "EpisodeOfCare" || op.resource == nullptr) continue;
    if (!access::establishesRelationship(*op.resource, ca.nowMs())) continue;
    std::string id = patientIdOf(*op.resource);
    if (!id.empty()) out.insert(std::move(id));
  }
  return out;
}

// The Patient already holding one of the person numbers a Patient carries (one person, one
// Patient: the store's unique key on the number).
StatusOr<std::optional<std::string>> patientHolding(store::StoreTransaction& txn,
                                                    const Value& patient) {
  for (const store::PersonIdentity& identity : access::identitiesOf(patient)) {
    BRYGGA_ASSIGN_OR_RETURN(std::optional<std::string> holder,
                            txn.resources().patientByNumber(identity.kind, identity.number));
    if (holder) return holder;
  }
  return std::optional<std::string>();
}

// A Patient's person numbers are fixed once it exists. An update adding one would otherwise
// answer differently for a number another Patient holds (the store's unique key) than for a
// free one, and so tell the caller that person is in Brygga: it is refused alike for every
// number. A wrong number is the integration team's to correct; removing one is allowed.
Status keepsPersonNumbers(const store::ResourceRecord& current, const Value& patient,
                          const std::string& where) {
  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document stored, fhir::parseJson(current.json));
  const std::vector<store::PersonIdentity> before = access::identitiesOf(stored);
  for (const store::PersonIdentity& identity : access::identitiesOf(patient)) {
    if (std::find(before.begin(), before.end(), identity) != before.end()) continue;
    const std::string text =
        "Patient.identifier: an update does not add or change a personnummer or "
        "samordningsnummer; the integration team corrects a Patient's number";
    return core::unprocessable(where + text,
                               {core::Issue::error("business-rule", text, "Patient.identifier")});
  }
  return Status::ok();
}

// A Patient written by a caller without a care relationship to it: the same answer whether or
// not Brygga holds that person.
Status noRelationshipToPatient(const std::string& where) {
  const std::string text =
      "Patient: this client has no care relationship with that patient; a patient enters "
      "Brygga through its municipality's enrollment (a transaction with the Patient and an "
      "active home-care EpisodeOfCare)";
  return core::unprocessable(where + text, {core::Issue::error("business-rule", text, "Patient")});
}

// The unit's resources as the flows (gateway/flows) see them; `written` once applyOps() has
// stored them.
std::vector<flows::FlowWrite> flowWrites(std::vector<WriteOp>& ops, bool written) {
  std::vector<flows::FlowWrite> writes;
  for (auto& op : ops) {
    flows::FlowWrite w;
    w.method = op.method;
    w.type = op.type;
    w.id = written ? op.record.id : op.id;
    w.condition = op.condition;
    w.fullUrl = op.fullUrl;
    w.resource = op.resource;
    w.allocator = op.allocator;
    if (written) {
      w.record = &op.record;
      w.recordIsResource = !op.matchedExisting && !op.deleted;
    }
    w.outcome = op.outcome;
    writes.push_back(std::move(w));
  }
  return writes;
}

flows::FlowCaller flowCaller(const Writer& writer) {
  flows::FlowCaller caller;
  caller.role = writer.role;
  caller.tenant = writer.tenant;
  caller.clientId = writer.clientId;
  caller.requestId = writer.requestId;
  caller.traceId = writer.traceId;
  return caller;
}

}  // namespace

std::string weakEtag(int64_t version) {
  return "W/\"" + std::to_string(version) + "\"";
}

WritePipeline::WritePipeline(PipelineDependencies deps)
    : deps_(std::move(deps)), policy_(deps_.access) {}

std::string WritePipeline::entryPrefix(const WriteOp& op) {
  return op.fullUrl.empty() && op.entryIndex == 0
             ? std::string()
             : "Bundle.entry[" + std::to_string(op.entryIndex) + "]: ";
}

std::string WritePipeline::kindOf(std::vector<WriteOp>& ops) {
  return flows::FlowRouter::kindOf(flowWrites(ops, false));
}

access::CallerAccess WritePipeline::accessOf(const Writer& writer) const {
  return policy_.forCaller(writer.role, writer.tenant, deps_.clock.nowMs());
}

Status WritePipeline::commit(const Writer& writer, std::vector<WriteOp>& ops,
                             const std::shared_ptr<const mappings::MappingSet>& mappings,
                             const RecordInUnit& record) {
  // The flows check and route only with a mapping set in force; without flows nothing leaves.
  const bool isDelete = !ops.empty() && ops.front().method == "DELETE";
  if (isDelete && ops.size() != 1) {
    return core::invalidArgument("a DELETE is a write unit of its own");
  }
  const mappings::MappingSet* set = deps_.flows != nullptr && !isDelete ? mappings.get() : nullptr;
  std::vector<std::string> enqueuedTo;
  BRYGGA_RETURN_IF_ERROR(deps_.store.write([&](store::StoreTransaction& txn) -> Status {
    // A unit may run again (a busy database): it starts from the same ops each time.
    enqueuedTo.clear();
    std::string flowNote;
    if (set != nullptr) BRYGGA_RETURN_IF_ERROR(prepareFlows(txn, writer, ops, *set, flowNote));
    BRYGGA_RETURN_IF_ERROR(applyOps(txn, writer, ops, mappings.get()));
    if (set != nullptr) BRYGGA_RETURN_IF_ERROR(route(txn, writer, ops, *set, enqueuedTo));
    if (!isDelete) BRYGGA_RETURN_IF_ERROR(notify(txn, writer, ops, mappings.get(), enqueuedTo));
    return record ? record(txn, UnitResult{ops, std::move(flowNote)}) : Status::ok();
  }));
  // The subscriptions in force follow what was just written (a new one, a change, a delete).
  if (deps_.subscriptions != nullptr && std::any_of(ops.begin(), ops.end(), [](const WriteOp& op) {
        return op.type == "Subscription" && !op.matchedExisting;
      })) {
    deps_.subscriptions->changed();
  }
  if (deps_.onEnqueued) {
    for (const auto& destination : enqueuedTo) deps_.onEnqueued(destination);
  }
  return Status::ok();
}

// Resolves a conditional (If-None-Exist or conditional update) to the ids that match. It sees
// only what the caller may read, and of the types their owner writes only the caller's own:
// another party's record behaves as if there were none.
StatusOr<std::vector<std::string>> WritePipeline::matches(store::StoreTransaction& txn,
                                                          const access::CallerAccess& ca,
                                                          const std::string& type,
                                                          const std::string& condition) {
  BRYGGA_ASSIGN_OR_RETURN(search::QueryParams params, search::parseQuery(condition));
  if (params.empty()) return core::invalidArgument("empty condition");
  BRYGGA_ASSIGN_OR_RETURN(store::SearchQuery query, search::buildSearchQuery(type, params, 2, 2));
  query.count = 2;
  query.offset = 0;
  query.visibility = ca.visibility();
  if (isSharedType(type) || type == "EpisodeOfCare" || type == "Consent" ||
      type == "Subscription") {
    query.tenant = ca.owner(type);
  }
  BRYGGA_ASSIGN_OR_RETURN(store::SearchPage page, txn.resources().search(query));
  std::vector<std::string> ids;
  for (const auto& r : page.records) ids.push_back(r.id);
  return ids;
}

// Before the writes: the flows check what they will forward (422 unknown facility, patient not
// enrolled, code with no mapping; 409 care-plan conflict) and complete the resources (the
// responsible service point, a request out of hours rejected).
Status WritePipeline::prepareFlows(store::StoreTransaction& txn, const Writer& writer,
                                   std::vector<WriteOp>& ops, const mappings::MappingSet& set,
                                   std::string& flowNote) {
  std::vector<flows::FlowWrite> writes = flowWrites(ops, false);
  // A stored patient the unit names must be one the caller may write for (gateway/access).
  const access::CallerAccess ca = accessOf(writer);
  const std::set<std::string> established = establishedPatients(ops, ca);
  flows::FlowCaller caller = flowCaller(writer);
  caller.writesForPatient = [&](const std::string& patientId) -> StatusOr<bool> {
    BRYGGA_ASSIGN_OR_RETURN(store::PatientAccessFacts facts,
                            txn.resources().accessFacts(patientId));
    return ca.writePatient(facts, established.count(patientId) > 0).allowed();
  };
  BRYGGA_RETURN_IF_ERROR(deps_.flows->prepare(txn, caller, writes, set));
  // A retried unit sees its resources already completed: keep the first answer.
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!writes[i].outcome.empty()) ops[i].outcome = writes[i].outcome;
  }
  flowNote = flows::FlowRouter::noteOf(writes);
  return Status::ok();
}

// `set`: the mappings in force (a block's party is found through its routing table); null when
// there is none, and then a Consent cannot be written.
Status WritePipeline::applyOps(store::StoreTransaction& txn, const Writer& writer,
                               std::vector<WriteOp>& ops, const mappings::MappingSet* set) {
  const int64_t now = deps_.clock.nowMs();
  const access::CallerAccess ca = accessOf(writer);
  if (ops.size() == 1 && ops.front().method == "DELETE") return applyDelete(txn, ca, ops.front());
  // 1. Resolve conditionals and assign ids.
  std::map<std::string, std::string> resolved;  // fullUrl -> "Type/id"
  // Patients this unit creates: no one has a relationship to them or a block on them yet, so
  // their facts need no read.
  std::set<std::string> newPatients;
  for (auto& op : ops) {
    op.matchedExisting = false;
    op.created = false;
    const std::string where = entryPrefix(op);
    bool fresh = false;  // no existing resource named or matched
    if (op.method == "POST") {
      op.id.clear();
      if (!op.condition.empty()) {
        auto found = matches(txn, ca, op.type, op.condition);
        if (!found.isOk()) return found.status().withPrefix(where + "If-None-Exist: ");
        if (found->size() > 1) {
          return core::preconditionFailed(where + "If-None-Exist matches more than one " + op.type);
        }
        if (found->size() == 1) {
          op.id = found->front();
          op.matchedExisting = true;
        }
      }
      fresh = op.id.empty();
      if (fresh) op.id = core::newTimeOrderedUuid();
    } else if (op.id.empty()) {
      auto found = matches(txn, ca, op.type, op.condition);
      if (!found.isOk()) return found.status().withPrefix(where + "conditional update: ");
      if (found->size() > 1) {
        return core::preconditionFailed(where + "the conditional update matches more than one " +
                                        op.type);
      }
      if (found->size() == 1) {
        op.id = found->front();
      } else {
        fresh = true;
        std::string_view bodyId = fhir::stringMember(*op.resource, "id");
        op.id = !bodyId.empty() && fhir::isValidId(bodyId) ? std::string(bodyId)
                                                           : core::newTimeOrderedUuid();
      }
    }
    // One person, one Patient: a Patient whose number Brygga holds is that Patient, whatever the
    // condition said (a plain create answers as a conditional create that matched). The access
    // check below decides as for any Patient, so nothing tells whether it existed.
    if (op.type == "Patient" && fresh) {
      BRYGGA_ASSIGN_OR_RETURN(std::optional<std::string> holder, patientHolding(txn, *op.resource));
      if (holder) {
        op.id = *holder;
        op.matchedExisting = op.method == "POST";
      } else if (op.method == "POST") {
        newPatients.insert(op.id);  // a fresh id (a PUT's id may name one the caller cannot see)
      }
    }
    if (!op.fullUrl.empty()) resolved[op.fullUrl] = op.type + "/" + op.id;
  }
  // 2. Point references at the ids just assigned.
  for (auto& op : ops) {
    if (resolved.empty()) break;
    fhir::rewriteReferences(*op.resource, *op.allocator,
                            [&](const std::string& ref) -> std::optional<std::string> {
                              auto it = resolved.find(ref);
                              if (it == resolved.end()) return std::nullopt;
                              return it->second;
                            });
  }
  // 3. Decide access and write.
  const std::set<std::string> established = establishedPatients(ops, ca);
  for (auto& op : ops) {
    const std::string where = entryPrefix(op);
    BRYGGA_ASSIGN_OR_RETURN(std::optional<store::ResourceRecord> current,
                            txn.resources().readCurrent(op.type, op.id));
    const std::string patientId = op.type == "Patient" ? op.id : patientIdOf(*op.resource);
    if (!patientId.empty()) {
      store::PatientAccessFacts facts;
      if (newPatients.count(patientId) == 0) {
        BRYGGA_ASSIGN_OR_RETURN(facts, txn.resources().accessFacts(patientId));
      }
      if (!ca.writePatient(facts, established.count(patientId) > 0).allowed()) {
        return op.type == "Patient" ? noRelationshipToPatient(where)
                                    : flows::patientNotKnown(op.type);
      }
    }
    if (op.matchedExisting) {
      op.record = *current;
      continue;
    }
    if (op.ifMatch && (!current || current->version != *op.ifMatch)) {
      return core::preconditionFailed(
          where + "If-Match " + weakEtag(*op.ifMatch) + " is stale: the current version is " +
          (current ? std::to_string(current->version) : std::string("none")));
    }
    if (op.type == "Patient" && current && !current->deleted) {
      BRYGGA_RETURN_IF_ERROR(keepsPersonNumbers(*current, *op.resource, where));
    }
    // Directory records, enrollments, blocks and subscriptions are their owner's to change, also
    // once deleted: another party writing the id again would put its content where the owner's
    // references (a residence Location that steers routing) still point.
    const bool owned = access::CallerAccess::ownerWrites(op.type, patientId);
    if (owned && current && !ca.writeOwned(*current).allowed()) {
      return core::permissionDenied(where + op.type + "/" + op.id +
                                    " is another party's: only its owner changes it (a "
                                    "municipality its own, the region and integration team "
                                    "the shared ones)");
    }
    if (op.type == "Subscription") {
      if (deps_.subscriptions == nullptr) {
        return Status(core::StatusCode::kMethodNotAllowed, "subscriptions are not served here");
      }
      const subscriptions::Author author{writer.role, writer.tenant, writer.clientId,
                                         writer.requestId, writer.traceId};
      Status prepared = deps_.subscriptions->prepare(author, *op.resource, *op.allocator, current);
      if (!prepared.isOk()) return prepared.withPrefix(where);
    }
    // The owner: who wrote it first (a municipality, or "" for the region, the integration team
    // and Brygga); a Patient has none, access to it is by care relationship.
    std::string tenant = current ? current->tenant : ca.owner(op.type);
    if (op.type == "Patient") tenant.clear();

    const int64_t version = current ? current->version + 1 : 1;
    fhir::stampMeta(*op.resource, *op.allocator, op.id, version, now);
    store::ResourceWrite write;
    write.record.type = op.type;
    write.record.id = op.id;
    write.record.version = version;
    write.record.lastUpdatedMs = now;
    write.record.tenant = tenant;
    write.record.patientId = patientId;
    write.record.json = fhir::toJson(*op.resource);
    write.index = searchIndexOf(*op.resource);
    if (op.type == "Patient") write.identities = access::identitiesOf(*op.resource);
    if (op.type == "Consent") {
      if (set == nullptr) return core::unavailable("blocks need the mapping set in force");
      if (patientId.empty()) {
        return core::unprocessable(
            where + "Consent.patient: a block names its patient",
            {core::Issue::error("required", "no patient", "Consent.patient")});
      }
      auto blocks = access::blocksOf(*op.resource, op.id, patientId, set->routing());
      if (!blocks.isOk()) return blocks.status().withPrefix(where);
      write.blocks = std::move(blocks).value();
    }
    if (op.type == "EpisodeOfCare" && !tenant.empty() && !patientId.empty()) {
      write.relationship = access::careRelationshipOf(*op.resource, op.id, patientId, tenant, now);
    }
    BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(write));
    op.created = !current;
    op.record = std::move(write.record);
  }
  // 4. The follow-up measures' facts, once every resource of the unit (a Location an episode
  // names) is written.
  for (auto& op : ops) {
    if (!op.matchedExisting)
      BRYGGA_RETURN_IF_ERROR(recordMeasureFacts(txn, op.record, op.resource));
  }
  return Status::ok();
}

// A delete: a new, deleted version (history keeps the earlier ones; a read answers 410), its
// search index, person numbers, care relationship or blocks gone with it. What the caller may not
// see, or nothing at all, is not deleted and answers alike (`op.deleted` false); a conditional
// delete matching several is 412. A Patient is not deleted (one person, one Patient: its
// numbers, relationships and the records of others hang on it).
Status WritePipeline::applyDelete(store::StoreTransaction& txn, const access::CallerAccess& ca,
                                  WriteOp& op) {
  op.deleted = false;
  op.created = false;
  op.matchedExisting = false;
  if (op.type == "Patient") {
    return Status(core::StatusCode::kMethodNotAllowed,
                  "a Patient is not deleted: the integration team merges or corrects it");
  }
  if (op.id.empty()) {
    auto found = matches(txn, ca, op.type, op.condition);
    if (!found.isOk()) return found.status().withPrefix("conditional delete: ");
    if (found->size() > 1) {
      return core::preconditionFailed("the conditional delete matches more than one " + op.type);
    }
    if (found->empty()) return Status::ok();
    op.id = found->front();
  }
  BRYGGA_ASSIGN_OR_RETURN(std::optional<store::ResourceRecord> current,
                          txn.resources().readCurrent(op.type, op.id));
  if (!current || current->deleted) return Status::ok();
  // Not the caller's to see: as if there were none.
  if (!current->patientId.empty()) {
    BRYGGA_ASSIGN_OR_RETURN(store::PatientAccessFacts facts,
                            txn.resources().accessFacts(current->patientId));
    if (!ca.writePatient(facts, false).allowed()) return Status::ok();
  } else if (!ca.readsOwner(current->tenant)) {
    return Status::ok();
  }
  if (access::CallerAccess::ownerWrites(op.type, current->patientId) &&
      !ca.writeOwned(*current).allowed()) {
    return core::permissionDenied(op.type + "/" + op.id +
                                  " is another party's: only its owner deletes it");
  }
  if (op.ifMatch && current->version != *op.ifMatch) {
    return core::preconditionFailed("If-Match " + weakEtag(*op.ifMatch) +
                                    " is stale: the current version is " +
                                    std::to_string(current->version));
  }
  store::ResourceWrite write;
  write.record.type = op.type;
  write.record.id = op.id;
  write.record.version = current->version + 1;
  write.record.lastUpdatedMs = deps_.clock.nowMs();
  write.record.deleted = true;
  write.record.tenant = current->tenant;
  write.record.patientId = current->patientId;
  BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(write));
  BRYGGA_RETURN_IF_ERROR(recordMeasureFacts(txn, write.record, nullptr));
  op.deleted = true;
  op.record = std::move(write.record);
  return Status::ok();
}

// Decides what leaves Brygga because of these writes (gateway/flows): enrollments, requests,
// visits and care plans from a municipality to its responsible service point's destination, the
// region's encounters and plan changes to the patient's municipality.
Status WritePipeline::route(store::StoreTransaction& txn, const Writer& writer,
                            std::vector<WriteOp>& ops, const mappings::MappingSet& set,
                            std::vector<std::string>& enqueuedTo) {
  BRYGGA_ASSIGN_OR_RETURN(std::vector<store::OutboxEntry> entries,
                          deps_.flows->route(txn, flowCaller(writer), flowWrites(ops, true), set));
  for (const auto& entry : entries) {
    BRYGGA_RETURN_IF_ERROR(checkQueueRoom(txn, entry.destination, deps_.maxQueueDepth));
    BRYGGA_ASSIGN_OR_RETURN(int64_t id, txn.outbox().enqueue(entry));
    (void)id;
    enqueuedTo.push_back(entry.destination);
  }
  return Status::ok();
}

// The notifications of topic-based Subscriptions the unit causes (gateway/subscriptions).
Status WritePipeline::notify(store::StoreTransaction& txn, const Writer& writer,
                             std::vector<WriteOp>& ops, const mappings::MappingSet* set,
                             std::vector<std::string>& enqueuedTo) {
  if (deps_.subscriptions == nullptr) return Status::ok();
  std::vector<subscriptions::Written> written;
  for (const WriteOp& op : ops) {
    if (!op.matchedExisting) written.push_back({&op.record, op.created});
  }
  const subscriptions::Author author{writer.role, writer.tenant, writer.clientId, writer.requestId,
                                     writer.traceId};
  BRYGGA_ASSIGN_OR_RETURN(
      std::vector<store::OutboxEntry> entries,
      deps_.subscriptions->notificationsFor(txn, author, kindOf(ops), written, set));
  for (const auto& entry : entries) {
    BRYGGA_RETURN_IF_ERROR(txn.outbox().enqueue(entry).status());
    enqueuedTo.push_back(entry.destination);
  }
  return Status::ok();
}

}  // namespace brygga::write

#include "gateway/flows/flow_router.h"

#include <algorithm>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <unordered_map>

#include "gateway/access/access_facts.h"
#include "gateway/access/access_policy.h"
#include "gateway/access/protected_identity.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/swedish_identifiers.h"
#include "mappings/care_plan.h"
#include "mappings/consultation.h"
#include "mappings/enrollment_forward.h"
#include "mappings/healthcare_service.h"
#include "mappings/outbound.h"
#include "mappings/residence.h"
#include "mappings/visit.h"

namespace brygga::flows {

namespace {

using core::Status;
using core::StatusOr;
using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;
namespace m = mappings;

constexpr int kMaxVersionsRead = 50;

// identifier=system|value out of a search query ("Patient?identifier=..." or a condition); none
// when it names no identifier. A malformed percent escape is kInvalidArgument.
StatusOr<std::optional<m::KeyIdentifier>> identifierCondition(std::string_view query) {
  if (size_t q = query.find('?'); q != std::string_view::npos) query = query.substr(q + 1);
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(start, amp - start);
    if (part.substr(0, 11) == "identifier=") {
      BRYGGA_ASSIGN_OR_RETURN(const std::string value, core::percentDecode(part.substr(11)));
      const size_t bar = value.find('|');
      if (bar == std::string::npos) return std::optional<m::KeyIdentifier>();
      return std::optional<m::KeyIdentifier>(m::KeyIdentifier{
          fhir::canonicalIdentifierSystem(value.substr(0, bar)), value.substr(bar + 1)});
    }
    start = amp + 1;
  }
  return std::optional<m::KeyIdentifier>();
}

// The element holding a resource's patient.
const char* patientElement(std::string_view type) {
  if (type == "Task") return "for";
  if (type == "EpisodeOfCare") return "patient";
  return "subject";
}

// The Reference object of `member` (the first when it is an array).
Value* referenceObject(Value& resource, const char* member) {
  Value* ref = fhir::mutableMember(resource, member);
  if (ref != nullptr && ref->IsArray()) ref = ref->Empty() ? nullptr : &(*ref)[0];
  return ref != nullptr && ref->IsObject() ? ref : nullptr;
}

std::string referenceText(const Value* ref) {
  return ref != nullptr ? std::string(fhir::stringMember(*ref, "reference")) : std::string();
}

// "Type/id" without a base URL or version.
std::string localReference(std::string ref) {
  if (auto h = ref.find("/_history/"); h != std::string::npos) ref.resize(h);
  if (ref.rfind("urn:", 0) == 0) return ref;
  const size_t slash = ref.rfind('/');
  if (slash == std::string::npos || slash == 0) return ref;
  const size_t typeSlash = ref.rfind('/', slash - 1);
  return typeSlash == std::string::npos ? ref : ref.substr(typeSlash + 1);
}

Status notEnrolled(const std::string& where) {
  const std::string text =
      "patient not enrolled: the patient has no active home-care enrollment (EpisodeOfCare) in "
      "Brygga, so no service point is responsible";
  return core::unprocessable(text, {core::Issue::error("business-rule", text, where)});
}

Status unknownPatient(const std::string& where) {
  const std::string text =
      "patient not enrolled: Brygga holds no patient by that reference that this client has a "
      "care relationship with (a patient enters Brygga through its municipality's enrollment)";
  return core::unprocessable(text, {core::Issue::error("not-found", text, where)});
}

bool isConfigured(const std::vector<std::string>& destinations, const std::string& name) {
  return std::find(destinations.begin(), destinations.end(), name) != destinations.end();
}

}  // namespace

Status patientNotKnown(std::string_view type) {
  return unknownPatient(std::string(type) + "." + patientElement(type));
}

core::StatusOr<std::map<std::string, mappings::StoredResource>> referencedResources(
    const std::vector<mappings::StoredResource>& sending, const ResourceReader& read) {
  std::set<std::string> sent;
  for (const auto& r : sending) sent.insert(r.type + "/" + r.id);
  std::map<std::string, m::StoredResource> out;
  std::vector<std::string> frontier;
  auto referencesOf = [](const std::string& json) {
    auto doc = fhir::parseJson(json);
    return doc.isOk() ? m::literalReferences(*doc) : std::vector<std::string>{};
  };
  for (const auto& r : sending) {
    for (auto& ref : r.parsed != nullptr ? m::literalReferences(*r.parsed) : referencesOf(r.json)) {
      frontier.push_back(ref);
    }
  }
  for (int level = 0; level < 2 && !frontier.empty(); ++level) {
    std::vector<std::string> next;
    for (const auto& ref : frontier) {
      if (sent.count(ref) || out.count(ref)) continue;
      const size_t slash = ref.find('/');
      BRYGGA_ASSIGN_OR_RETURN(auto record, read(ref.substr(0, slash), ref.substr(slash + 1)));
      if (!record || record->deleted) continue;
      out[ref] = {record->type, record->id, record->json};
      for (auto& deeper : referencesOf(record->json)) next.push_back(deeper);
    }
    frontier = std::move(next);
  }
  return out;
}

// The state of one prepare() or route() call.
class FlowRouter::Unit {
 public:
  Unit(const FlowRouter& router, store::StoreTransaction& txn, const FlowCaller& caller,
       const m::MappingSet& set)
      : router_(router), txn_(txn), caller_(caller), set_(set) {}

  // --- prepare -----------------------------------------------------------------------------

  Status prepare(std::vector<FlowWrite>& writes) {
    indexWrites(writes);
    for (auto& w : writes) {
      if (w.resource == nullptr) continue;
      if (w.type == "HealthcareService") BRYGGA_RETURN_IF_ERROR(refusePublished(w));
    }
    if (caller_.role == core::ClientRole::kIntegration) return Status::ok();
    for (auto& w : writes) {
      if (w.resource == nullptr || !m::isPatientDataType(w.type) || w.type == "Patient") continue;
      BRYGGA_RETURN_IF_ERROR(resolvePatientReference(w));
      BRYGGA_RETURN_IF_ERROR(checkPatientAccess(w));
    }
    const bool municipal = caller_.role == core::ClientRole::kMunicipal;
    // Enrollments first: a Task or visit in the same transaction is routed by them.
    for (auto& w : writes) {
      if (w.resource != nullptr && w.type == "EpisodeOfCare" && municipal) {
        BRYGGA_RETURN_IF_ERROR(prepareEnrollment(w));
      }
    }
    for (auto& w : writes) {
      if (w.resource == nullptr) continue;
      if (w.type == "CarePlan") BRYGGA_RETURN_IF_ERROR(prepareCarePlan(w));
      if (!municipal) {
        if (w.type == "Encounter") BRYGGA_RETURN_IF_ERROR(prepareRegionEncounter(w));
        continue;
      }
      if (w.type == "Task") BRYGGA_RETURN_IF_ERROR(prepareTask(w));
      if (w.type == "Encounter") BRYGGA_RETURN_IF_ERROR(prepareVisit(w));
      if (w.type == "Composition") BRYGGA_RETURN_IF_ERROR(prepareNote(w));
    }
    return Status::ok();
  }

  // --- route -------------------------------------------------------------------------------

  StatusOr<std::vector<store::OutboxEntry>> route(std::vector<FlowWrite>& writes) {
    indexWrites(writes);  // the ids are assigned now
    for (const auto& w : writes) {
      if (w.record != nullptr && w.recordIsResource && w.resource != nullptr) {
        parsedRecords_.emplace(w.record, w.resource);
      }
    }
    std::vector<store::OutboxEntry> out;
    if (caller_.role == core::ClientRole::kMunicipal) {
      BRYGGA_RETURN_IF_ERROR(routeEnrollments(writes, out));
      BRYGGA_RETURN_IF_ERROR(routeConsultations(writes, out));
      BRYGGA_RETURN_IF_ERROR(routeVisits(writes, out));
      BRYGGA_RETURN_IF_ERROR(routeCarePlans(writes, out));
    } else if (caller_.role == core::ClientRole::kRegional) {
      BRYGGA_RETURN_IF_ERROR(routeToMunicipalities(writes, out));
    }
    return out;
  }

 private:
  struct Enrollment {
    const Value* episode = nullptr;  // owned by parsed_ or by the request
    std::string tenant;
  };

  const Value* keep(std::string_view json) {
    auto doc = fhir::parseJson(json);
    if (!doc.isOk()) return nullptr;
    parsed_.push_back(std::move(doc).value());
    return &parsed_.back();
  }

  // A written record's JSON, parsed once per call however often the routing looks at it: this
  // runs inside the write unit, on the group commit's critical section.
  const Value* keep(const store::ResourceRecord& record) {
    auto known = parsedRecords_.find(&record);
    if (known != parsedRecords_.end()) return known->second;
    const Value* parsed = keep(record.json);
    parsedRecords_.emplace(&record, parsed);
    return parsed;
  }

  // The unit's writes by the references siblings use and its Patients by identifier, built once
  // per phase so that resolving every entry's references is linear in the Bundle's size (one
  // large Bundle must not hold the single writer for a scan per entry). The first write wins, as
  // a scan in order would find it.
  void indexWrites(std::vector<FlowWrite>& writes) {
    writes_ = &writes;
    byReference_.clear();
    patientsByIdentifier_.clear();
    for (auto& w : writes) {
      if (w.resource == nullptr) continue;
      if (!w.fullUrl.empty()) byReference_.emplace(w.fullUrl, &w);
      if (!w.id.empty()) byReference_.emplace(w.type + "/" + w.id, &w);
      if (w.type != "Patient") continue;
      auto key = m::keyIdentifier("Patient", w.id, *w.resource);
      if (key.isOk()) patientsByIdentifier_.emplace(key->system + "|" + key->value, &w);
    }
  }

  // A written resource by the reference a sibling uses ("urn:uuid:..." or "Type/id").
  FlowWrite* writeByReference(const std::string& ref) {
    auto it = byReference_.find(ref);
    return it == byReference_.end() ? nullptr : it->second;
  }

  // A resource a reference names: a sibling in the write unit, else the stored current version.
  StatusOr<const Value*> resolve(const std::string& ref) {
    if (FlowWrite* w = writeByReference(ref)) return static_cast<const Value*>(w->resource);
    const std::string local = localReference(ref);
    const size_t slash = local.find('/');
    if (slash == std::string::npos || local.rfind("urn:", 0) == 0) {
      return static_cast<const Value*>(nullptr);
    }
    BRYGGA_ASSIGN_OR_RETURN(
        auto record, txn_.resources().readCurrent(local.substr(0, slash), local.substr(slash + 1)));
    if (!record || record->deleted) return static_cast<const Value*>(nullptr);
    return keep(record->json);
  }

  Status refusePublished(const FlowWrite& w) {
    const std::string_view id = fhir::stringMember(*w.resource, "id");
    bool published = w.id.rfind("service-point-", 0) == 0 || id.rfind("service-point-", 0) == 0;
    const Value* ids = fhir::member(*w.resource, "identifier");
    if (ids != nullptr && ids->IsArray()) {
      for (const auto& i : ids->GetArray()) {
        if (set_.routing().servicePointByHsaId(fhir::stringMember(i, "value")) != nullptr) {
          published = true;
        }
      }
    }
    if (!published) return Status::ok();
    return core::permissionDenied(
        "the service points are published by Brygga from its routing table and service hours "
        "(mappings/data); change them there");
  }

  // A patient named by identifier (a logical reference, or "Patient?identifier=...") becomes the
  // literal reference to Brygga's Patient, so that tenancy, search and routing see it.
  Status resolvePatientReference(FlowWrite& w) {
    const char* element = patientElement(w.type);
    Value* ref = referenceObject(*w.resource, element);
    if (ref == nullptr) return Status::ok();
    const std::string where = w.type + "." + element;
    std::optional<m::KeyIdentifier> key;
    const std::string text = referenceText(ref);
    if (!text.empty()) {
      if (text.rfind("Patient?", 0) != 0) return Status::ok();
      auto condition = identifierCondition(text);
      if (!condition.isOk()) {
        // The reference is in the body: unprocessable content at that element, not a bad URL.
        const std::string& why = condition.status().message();
        return core::unprocessable(where + ".reference: " + why,
                                   {core::Issue::error("value", why, where + ".reference")});
      }
      key = *condition;
    } else if (const Value* id = fhir::member(*ref, "identifier")) {
      key = m::KeyIdentifier{fhir::canonicalIdentifierSystem(fhir::stringMember(*id, "system")),
                             std::string(fhir::stringMember(*id, "value"))};
    }
    if (!key || key->value.empty()) return Status::ok();
    if (key->system == fhir::kPersonnummerSystem) {
      key->value = fhir::normalizePersonnummer(key->value).valueOr(key->value);
    } else if (key->system == fhir::kSamordningsnummerSystem) {
      key->value = fhir::normalizeSamordningsnummer(key->value).valueOr(key->value);
    }
    // A Patient in the same transaction with that identifier.
    if (auto it = patientsByIdentifier_.find(key->system + "|" + key->value);
        it != patientsByIdentifier_.end()) {
      const FlowWrite& other = *it->second;
      const std::string target = !other.fullUrl.empty() ? other.fullUrl : "Patient/" + other.id;
      setReference(*ref, *w.allocator, target);
      return Status::ok();
    }
    BRYGGA_ASSIGN_OR_RETURN(auto ids,
                            txn_.resources().findByIdentifier("Patient", key->system, key->value));
    if (ids.empty()) return unknownPatient(where);
    if (ids.size() > 1) {
      return core::unprocessable(
          "more than one patient has that identifier",
          {core::Issue::error("multiple-matches", "the patient identifier is ambiguous", where)});
    }
    setReference(*ref, *w.allocator, "Patient/" + ids.front());
    return Status::ok();
  }

  // A stored Patient the write names must be one the caller may write for; a Patient of the same
  // unit is decided with the unit (the API's write path). Otherwise: as for no such patient.
  Status checkPatientAccess(FlowWrite& w) {
    if (!caller_.writesForPatient) return Status::ok();
    const std::string text = referenceText(referenceObject(*w.resource, patientElement(w.type)));
    const std::string local = localReference(text);
    if (local.rfind("Patient/", 0) != 0 || writeByReference(text) != nullptr) return Status::ok();
    BRYGGA_ASSIGN_OR_RETURN(bool allowed, caller_.writesForPatient(local.substr(8)));
    return allowed ? Status::ok() : patientNotKnown(w.type);
  }

  static void setReference(Value& ref, Alloc& alloc, const std::string& target) {
    ref.RemoveMember("reference");
    ref.AddMember("reference", Value(target.c_str(), alloc), alloc);
  }

  // The patient's enrollment: an EpisodeOfCare written in this unit, else the most recent stored
  // one (active only when asked).
  StatusOr<std::optional<Enrollment>> enrollmentOf(const std::string& patientRef, bool activeOnly) {
    for (auto& w : *writes_) {
      if (w.type != "EpisodeOfCare" || w.resource == nullptr) continue;
      if (referenceText(referenceObject(*w.resource, "patient")) != patientRef) continue;
      if (activeOnly && fhir::stringMember(*w.resource, "status") != "active") continue;
      return std::optional<Enrollment>(Enrollment{w.resource, caller_.tenant});
    }
    const std::string local = localReference(patientRef);
    if (local.rfind("Patient/", 0) != 0) return std::optional<Enrollment>();
    store::SearchQuery query;
    query.type = "EpisodeOfCare";
    query.criteria.push_back({"patient", std::nullopt, {local}});
    if (activeOnly) query.criteria.push_back({"status", std::nullopt, {"active"}});
    query.count = 20;
    BRYGGA_ASSIGN_OR_RETURN(store::SearchPage page, txn_.resources().search(query));
    if (page.records.empty()) return std::optional<Enrollment>();
    const store::ResourceRecord& latest = page.records.back();  // ordered by lastUpdated
    const Value* episode = keep(latest.json);
    if (episode == nullptr) return std::optional<Enrollment>();
    return std::optional<Enrollment>(Enrollment{episode, latest.tenant});
  }

  // The service point of an enrollment: the one stamped on it, else decided from its residence.
  StatusOr<const m::ServicePoint*> servicePointOf(const Enrollment& enrollment) {
    if (auto hsa = m::stampedServicePoint(*enrollment.episode)) {
      if (const m::ServicePoint* sp = set_.routing().servicePointByHsaId(*hsa)) return sp;
    }
    return decideServicePoint(*enrollment.episode, enrollment.tenant);
  }

  StatusOr<const m::ServicePoint*> decideServicePoint(const Value& episode,
                                                      const std::string& tenant) {
    const Value* location = nullptr;
    if (auto ref = m::residenceReference(episode)) {
      BRYGGA_ASSIGN_OR_RETURN(location, resolve(*ref));
      if (location == nullptr) {
        const std::string text =
            "the residence " + fhir::quoteForDiagnostics(*ref) + " does not resolve to a Location";
        return core::unprocessable(
            text, {core::Issue::error("not-found", text, "EpisodeOfCare.extension('residence')")});
      }
    }
    return m::responsibleServicePoint(set_.routing(), tenant, m::residenceOf(episode, location));
  }

  StatusOr<std::string> patientOf(const FlowWrite& w) {
    Value* ref = referenceObject(*w.resource, patientElement(w.type));
    std::string text = referenceText(ref);
    if (text.empty()) {
      const std::string where = w.type + "." + patientElement(w.type);
      const std::string message = where + " must name the patient";
      return core::unprocessable(message, {core::Issue::error("required", message, where)});
    }
    return text.rfind("urn:", 0) == 0 ? text : localReference(text);
  }

  StatusOr<const m::ServicePoint*> servicePointForPatient(const FlowWrite& w) {
    BRYGGA_ASSIGN_OR_RETURN(std::string patient, patientOf(w));
    BRYGGA_ASSIGN_OR_RETURN(auto enrollment, enrollmentOf(patient, /*activeOnly=*/true));
    if (!enrollment) return notEnrolled(w.type + "." + patientElement(w.type));
    return servicePointOf(*enrollment);
  }

  Status prepareEnrollment(FlowWrite& w) {
    BRYGGA_ASSIGN_OR_RETURN(const m::ServicePoint* sp,
                            decideServicePoint(*w.resource, caller_.tenant));
    m::stampServicePoint(*w.resource, *w.allocator, *sp);
    return Status::ok();
  }

  Status prepareTask(FlowWrite& w) {
    BRYGGA_ASSIGN_OR_RETURN(const m::ServicePoint* sp, servicePointForPatient(w));
    m::stampOwner(*w.resource, *w.allocator, *sp);
    if (Value* focus = referenceObject(*w.resource, "focus")) {
      if (FlowWrite* request = writeByReference(referenceText(focus));
          request != nullptr && request->type == "ServiceRequest") {
        m::stampPerformer(*request->resource, *request->allocator, *sp);
      }
    }
    if (!m::isNewRequest(*w.resource)) return Status::ok();
    const int64_t now = router_.clock_.nowMs();
    const m::HoursVerdict verdict = set_.hours().at(now, sp->code);
    if (verdict.open) return Status::ok();
    m::rejectTask(*w.resource, *w.allocator, verdict, now);
    w.outcome = m::outOfHoursOutcome(verdict, *sp);
    return Status::ok();
  }

  Status prepareVisit(FlowWrite& w) {
    if (m::isInpatient(*w.resource)) return Status::ok();
    BRYGGA_ASSIGN_OR_RETURN(const m::ServicePoint* sp, servicePointForPatient(w));
    // The service provider is the responsible service point, stored as the region will see it.
    Value provider(rapidjson::kObjectType);
    Value identifier(rapidjson::kObjectType);
    identifier.AddMember("system", Value(fhir::kHsaOrganizationSystem.data(), *w.allocator),
                         *w.allocator);
    identifier.AddMember("value", Value(sp->hsaId.c_str(), *w.allocator), *w.allocator);
    provider.AddMember("type", "Organization", *w.allocator);
    provider.AddMember("identifier", identifier, *w.allocator);
    provider.AddMember("display", Value(sp->organizationName.c_str(), *w.allocator), *w.allocator);
    w.resource->RemoveMember("serviceProvider");
    w.resource->AddMember("serviceProvider", provider, *w.allocator);
    // What the region would receive must map; find out now, before anything is kept.
    rapidjson::Document trial;
    trial.CopyFrom(*w.resource, trial.GetAllocator());
    return m::mapEncounterToRegion(trial, trial.GetAllocator(), set_, *sp);
  }

  Status prepareNote(FlowWrite& w) {
    BRYGGA_ASSIGN_OR_RETURN(const m::ServicePoint* sp, servicePointForPatient(w));
    (void)sp;
    if (referenceText(referenceObject(*w.resource, "encounter")).empty()) {
      const std::string text = "a visit note needs Composition.encounter (the visit)";
      return core::unprocessable(text,
                                 {core::Issue::error("required", text, "Composition.encounter")});
    }
    rapidjson::Document trial;
    trial.CopyFrom(*w.resource, trial.GetAllocator());
    return m::translateNoteType(trial, trial.GetAllocator(), set_);
  }

  Status prepareRegionEncounter(FlowWrite& w) {
    BRYGGA_ASSIGN_OR_RETURN(std::string patient, patientOf(w));
    const std::string where = "Encounter.subject";
    if (patient.rfind("Patient/", 0) != 0) return unknownPatient(where);
    BRYGGA_ASSIGN_OR_RETURN(auto record,
                            txn_.resources().readCurrent("Patient", patient.substr(8)));
    if (!record || record->deleted) return unknownPatient(where);
    if (m::isInpatient(*w.resource)) {
      m::tagForReadmissionFollowUp(*w.resource, *w.allocator);
      return Status::ok();
    }
    BRYGGA_ASSIGN_OR_RETURN(auto enrollment, enrollmentOf(patient, /*activeOnly=*/true));
    if (!enrollment) return notEnrolled(where);
    rapidjson::Document trial;
    trial.CopyFrom(*w.resource, trial.GetAllocator());
    return m::mapEncounterToMunicipality(trial, trial.GetAllocator(), set_);
  }

  // The stored version a care-plan write replaces, if any.
  StatusOr<std::optional<store::ResourceRecord>> carePlanTarget(const FlowWrite& w) {
    if (w.method == "PUT" && !w.id.empty()) return txn_.resources().readCurrent("CarePlan", w.id);
    // A conditional update or create names the plan by identifier; its condition is part of the
    // request's URL (or entry.request), so a malformed escape there is the request's 400.
    BRYGGA_ASSIGN_OR_RETURN(const std::optional<m::KeyIdentifier> key,
                            identifierCondition(w.condition));
    if (!key) return std::optional<store::ResourceRecord>();
    BRYGGA_ASSIGN_OR_RETURN(auto ids,
                            txn_.resources().findByIdentifier("CarePlan", key->system, key->value));
    if (ids.size() != 1) return std::optional<store::ResourceRecord>();
    if (w.method == "POST") {
      // A conditional create that matches writes nothing.
      return std::optional<store::ResourceRecord>();
    }
    return txn_.resources().readCurrent("CarePlan", ids.front());
  }

  Status prepareCarePlan(FlowWrite& w) {
    const m::Side side =
        caller_.role == core::ClientRole::kMunicipal ? m::Side::kMunicipality : m::Side::kRegion;
    BRYGGA_ASSIGN_OR_RETURN(auto current, carePlanTarget(w));
    if (current && !current->deleted) {
      const std::optional<int64_t> base = m::declaredBaseVersion(*w.resource);
      std::vector<m::VersionSide> versions;
      const int64_t from = base ? std::max<int64_t>(*base + 1, current->version - kMaxVersionsRead)
                                : current->version;
      for (int64_t v = from; v <= current->version; ++v) {
        std::string json;
        if (v == current->version) {
          json = current->json;
        } else {
          BRYGGA_ASSIGN_OR_RETURN(auto older,
                                  router_.store_.resources().read("CarePlan", current->id, v));
          if (!older) continue;
          json = older->json;
        }
        const Value* parsed = keep(json);
        versions.push_back({v, parsed != nullptr ? m::writtenBy(*parsed) : std::nullopt});
      }
      BRYGGA_RETURN_IF_ERROR(m::checkCarePlanConflict(side, base, current->version, versions));
    }
    m::tagWrittenBy(*w.resource, *w.allocator, side);
    // The other side must be able to read the plan's activities.
    const auto& names = set_.settings().conceptMaps;
    const m::ConceptMap* map =
        set_.conceptMap(side == m::Side::kMunicipality ? names.carePlanActivityToRegion
                                                       : names.carePlanActivityToMunicipality);
    if (map == nullptr || map->groups().empty()) return Status::ok();
    rapidjson::Document trial;
    trial.CopyFrom(*w.resource, trial.GetAllocator());
    return m::translateActivities(trial, trial.GetAllocator(), *map, map->groups().front().target);
  }

  // --- routing helpers -----------------------------------------------------------------------

  StatusOr<m::FlowContext> contextFor(const std::vector<m::StoredResource>& sending) {
    m::FlowContext context;
    context.mappings = &set_;
    context.nowMs = router_.clock_.nowMs();
    BRYGGA_ASSIGN_OR_RETURN(
        context.referenced,
        referencedResources(sending, [this](const std::string& type, const std::string& id) {
          return txn_.resources().readCurrent(type, id);
        }));
    return context;
  }

  // Protected identity: a protected patient's label travels with everything forwarded about it,
  // and its address and telecom never leave (gateway/access, protected_identity.h).
  StatusOr<std::string> protectedPayload(const std::string& patientRef, std::string payload) {
    std::optional<std::string> label;
    const std::string local = localReference(patientRef);
    if (local.rfind("Patient/", 0) == 0) {
      // The unit's own version when it wrote the Patient (an enrollment), else the stored one.
      std::optional<store::ResourceRecord> stored;
      const store::ResourceRecord* patient = writtenPatient(local.substr(8));
      if (patient == nullptr) {
        BRYGGA_ASSIGN_OR_RETURN(stored, txn_.resources().readCurrent("Patient", local.substr(8)));
        if (stored) patient = &*stored;
      }
      if (patient != nullptr && access::mayCarryConfidentiality(patient->json)) {
        auto doc = fhir::parseJson(patient->json);
        if (doc.isOk()) label = access::confidentialityOf(*doc);
      }
    }
    return access::protectForward(payload, label);
  }

  // The Patient with this id as this unit wrote it (or found it); null when the unit has none.
  const store::ResourceRecord* writtenPatient(const std::string& id) const {
    if (writes_ == nullptr) return nullptr;
    for (const auto& w : *writes_) {
      if (w.type == "Patient" && w.record != nullptr && w.record->id == id) return w.record;
    }
    return nullptr;
  }

  Status enqueue(std::vector<store::OutboxEntry>& out, const std::string& destination,
                 const std::string& patient, const std::string& tenant, std::string payload) {
    BRYGGA_ASSIGN_OR_RETURN(payload, protectedPayload(patient, std::move(payload)));
    store::OutboxEntry entry;
    // A block (spärr) against the receiving party holds the message here; only the integration
    // team's release lets it go (the delivery worker checks again before each send).
    entry.party = access::partyOfDestination(set_.routing(), destination);
    const std::string local = localReference(patient);
    if (!entry.party.empty() && local.rfind("Patient/", 0) == 0) {
      BRYGGA_ASSIGN_OR_RETURN(store::PatientAccessFacts facts,
                              txn_.resources().accessFacts(local.substr(8)));
      if (access::AccessPolicy::blockAgainst(facts, entry.party, router_.clock_.nowMs())) {
        entry.state = store::OutboxState::kHeld;
        entry.lastError = "held by a block against " + entry.party;
      }
    }
    entry.destination = destination;
    entry.orderingKey = patient;
    entry.requestId = caller_.requestId;
    entry.traceId = caller_.traceId;
    entry.tenant = tenant;
    entry.payload = std::move(payload);
    entry.createdMs = router_.clock_.nowMs();
    entry.nextAttemptMs = entry.createdMs;
    out.push_back(std::move(entry));
    return Status::ok();
  }

  // The service point's destination, which must be configured (checked when mappings load).
  StatusOr<std::string> destinationOf(const m::ServicePoint& sp) {
    if (!isConfigured(router_.destinations_, sp.destination)) {
      return core::unavailable("the destination " + sp.destination + " of service point " +
                               sp.name + " is not configured");
    }
    return sp.destination;
  }

  static std::optional<std::string> patientOfRecord(const store::ResourceRecord& record,
                                                    const Value& resource) {
    if (record.type == "Patient") return "Patient/" + record.id;
    const Value* ref = fhir::member(resource, patientElement(record.type));
    if (ref != nullptr && ref->IsArray()) ref = ref->Empty() ? nullptr : &(*ref)[0];
    if (ref == nullptr) return std::nullopt;
    const std::string local = localReference(std::string(fhir::stringMember(*ref, "reference")));
    if (local.rfind("Patient/", 0) != 0) return std::nullopt;
    return local;
  }

  Status routeEnrollments(const std::vector<FlowWrite>& writes,
                          std::vector<store::OutboxEntry>& out) {
    for (const auto& episodeWrite : writes) {
      if (episodeWrite.type != "EpisodeOfCare" || episodeWrite.record == nullptr) continue;
      const Value* episode = keep(*episodeWrite.record);
      if (episode == nullptr) continue;
      auto patient = patientOfRecord(*episodeWrite.record, *episode);
      if (!patient) {
        return core::unprocessable("the enrollment's EpisodeOfCare.patient must name the patient");
      }
      std::vector<m::StoredResource> resources;
      bool hasPatient = false;
      for (const auto& w : writes) {
        if (w.record == nullptr) continue;
        if (w.type != "Patient" && w.type != "EpisodeOfCare" && w.type != "Condition" &&
            w.type != "CarePlan") {
          continue;
        }
        const Value* parsed = keep(*w.record);
        if (parsed == nullptr || patientOfRecord(*w.record, *parsed) != patient) continue;
        if (w.type == "EpisodeOfCare" && &w != &episodeWrite) continue;
        hasPatient = hasPatient || w.type == "Patient";
        resources.push_back({w.record->type, w.record->id, w.record->json, parsed});
      }
      // An update of the EpisodeOfCare alone still carries its Patient, so the region can match
      // it.
      if (!hasPatient) {
        BRYGGA_ASSIGN_OR_RETURN(auto record,
                                txn_.resources().readCurrent("Patient", patient->substr(8)));
        if (!record) {
          return core::unprocessable("the enrollment's patient " + *patient + " does not exist");
        }
        resources.push_back({record->type, record->id, record->json});
      }
      BRYGGA_ASSIGN_OR_RETURN(const m::ServicePoint* sp,
                              servicePointOf(Enrollment{episode, episodeWrite.record->tenant}));
      BRYGGA_ASSIGN_OR_RETURN(std::string destination, destinationOf(*sp));
      BRYGGA_ASSIGN_OR_RETURN(m::FlowContext context, contextFor(resources));
      BRYGGA_ASSIGN_OR_RETURN(std::string payload, m::buildEnrollmentForward(resources, context));
      BRYGGA_RETURN_IF_ERROR(
          enqueue(out, destination, *patient, episodeWrite.record->tenant, std::move(payload)));
    }
    return Status::ok();
  }

  Status routeConsultations(const std::vector<FlowWrite>& writes,
                            std::vector<store::OutboxEntry>& out) {
    for (const auto& w : writes) {
      if (w.type != "Task" || w.record == nullptr) continue;
      const Value* task = keep(*w.record);
      if (task == nullptr || fhir::stringMember(*task, "status") == "rejected") continue;
      const Value* owner = fhir::member(*task, "owner");
      const Value* ownerId = owner != nullptr ? fhir::member(*owner, "identifier") : nullptr;
      const m::ServicePoint* sp =
          ownerId != nullptr
              ? set_.routing().servicePointByHsaId(fhir::stringMember(*ownerId, "value"))
              : nullptr;
      if (sp == nullptr) continue;  // not a routed request (prepare stamps every one it routes)
      std::vector<m::StoredResource> resources;
      std::string focus;
      if (const Value* f = fhir::member(*task, "focus")) {
        focus = localReference(std::string(fhir::stringMember(*f, "reference")));
      }
      if (focus.rfind("ServiceRequest/", 0) == 0) {
        BRYGGA_ASSIGN_OR_RETURN(auto request,
                                txn_.resources().readCurrent("ServiceRequest", focus.substr(15)));
        if (request) resources.push_back({request->type, request->id, request->json});
      }
      resources.push_back({w.record->type, w.record->id, w.record->json});
      auto patient = patientOfRecord(*w.record, *task);
      BRYGGA_ASSIGN_OR_RETURN(std::string destination, destinationOf(*sp));
      BRYGGA_ASSIGN_OR_RETURN(m::FlowContext context, contextFor(resources));
      BRYGGA_ASSIGN_OR_RETURN(std::string payload, m::buildConsultationForward(resources, context));
      BRYGGA_RETURN_IF_ERROR(
          enqueue(out, destination, patient.value_or(""), w.record->tenant, std::move(payload)));
    }
    return Status::ok();
  }

  Status routeVisits(const std::vector<FlowWrite>& writes, std::vector<store::OutboxEntry>& out) {
    // One visit per patient: its encounter and note travel together.
    std::map<std::string, std::vector<const FlowWrite*>> byPatient;
    for (const auto& w : writes) {
      if (w.record == nullptr) continue;
      if (w.type != "Encounter" && w.type != "Composition" && w.type != "DocumentReference")
        continue;
      const Value* parsed = keep(*w.record);
      if (parsed == nullptr) continue;
      if (w.type == "Encounter" && m::isInpatient(*parsed)) continue;
      auto patient = patientOfRecord(*w.record, *parsed);
      if (!patient) continue;
      byPatient[*patient].push_back(&w);
    }
    for (const auto& [patient, group] : byPatient) {
      m::VisitForwardInput input;
      std::string tenant;
      bool hasEncounterOrNote = false;
      for (const FlowWrite* w : group) {
        input.written.push_back({w->record->type, w->record->id, w->record->json});
        tenant = w->record->tenant;
        hasEncounterOrNote = hasEncounterOrNote || w->type != "DocumentReference";
      }
      if (!hasEncounterOrNote) continue;
      BRYGGA_ASSIGN_OR_RETURN(auto enrollment, enrollmentOf(patient, /*activeOnly=*/true));
      if (!enrollment) return notEnrolled("Encounter.subject");
      BRYGGA_ASSIGN_OR_RETURN(input.servicePoint, servicePointOf(*enrollment));
      if (const m::Municipality* municipality =
              set_.routing().municipality(tenant.empty() ? caller_.tenant : tenant)) {
        input.custodianHsaId = municipality->hsaId;
        input.custodianName = municipality->name;
      }
      BRYGGA_ASSIGN_OR_RETURN(std::string destination, destinationOf(*input.servicePoint));
      BRYGGA_ASSIGN_OR_RETURN(m::FlowContext context, contextFor(input.written));
      BRYGGA_ASSIGN_OR_RETURN(std::string payload, m::buildVisitForward(input, context));
      BRYGGA_RETURN_IF_ERROR(enqueue(out, destination, patient, tenant, std::move(payload)));
    }
    return Status::ok();
  }

  Status routeCarePlans(const std::vector<FlowWrite>& writes,
                        std::vector<store::OutboxEntry>& out) {
    const bool enrollment = std::any_of(writes.begin(), writes.end(), [](const FlowWrite& w) {
      return w.type == "EpisodeOfCare" && w.record != nullptr;
    });
    if (enrollment) return Status::ok();  // sent with the enrollment
    for (const auto& w : writes) {
      if (w.type != "CarePlan" || w.record == nullptr) continue;
      const Value* plan = keep(*w.record);
      if (plan == nullptr) continue;
      auto patient = patientOfRecord(*w.record, *plan);
      if (!patient) continue;
      BRYGGA_ASSIGN_OR_RETURN(auto found, enrollmentOf(*patient, /*activeOnly=*/false));
      if (!found) return notEnrolled("CarePlan.subject");
      BRYGGA_ASSIGN_OR_RETURN(const m::ServicePoint* sp, servicePointOf(*found));
      BRYGGA_ASSIGN_OR_RETURN(std::string destination, destinationOf(*sp));
      std::vector<m::StoredResource> resources = {{w.record->type, w.record->id, w.record->json}};
      BRYGGA_ASSIGN_OR_RETURN(m::FlowContext context, contextFor(resources));
      BRYGGA_ASSIGN_OR_RETURN(std::string payload, m::buildCarePlanForward(resources, context));
      BRYGGA_RETURN_IF_ERROR(
          enqueue(out, destination, *patient, w.record->tenant, std::move(payload)));
    }
    return Status::ok();
  }

  Status routeToMunicipalities(const std::vector<FlowWrite>& writes,
                               std::vector<store::OutboxEntry>& out) {
    std::map<std::string, std::vector<m::StoredResource>> byPatient;
    for (const auto& w : writes) {
      if (w.record == nullptr) continue;
      if (w.type != "Encounter" && w.type != "CarePlan" && w.type != "Task" &&
          w.type != "ServiceRequest") {
        continue;
      }
      const Value* parsed = keep(*w.record);
      if (parsed == nullptr) continue;
      if (w.type == "Encounter" && m::isInpatient(*parsed)) continue;  // recorded, not forwarded
      auto patient = patientOfRecord(*w.record, *parsed);
      if (!patient) continue;
      byPatient[*patient].push_back({w.record->type, w.record->id, w.record->json});
    }
    for (const auto& [patient, resources] : byPatient) {
      // The municipality is the one the patient is enrolled with.
      BRYGGA_ASSIGN_OR_RETURN(auto enrollment, enrollmentOf(patient, /*activeOnly=*/false));
      std::string tenant = enrollment ? enrollment->tenant : std::string();
      if (tenant.empty()) {
        BRYGGA_ASSIGN_OR_RETURN(auto record,
                                txn_.resources().readCurrent("Patient", patient.substr(8)));
        if (record) tenant = record->tenant;
      }
      const m::Municipality* municipality = set_.routing().municipality(tenant);
      if (municipality == nullptr ||
          !isConfigured(router_.destinations_, municipality->destination)) {
        // No push destination: the municipality reads it through the API (it is stored under its
        // tenant).
        router_.logger_.info("flows.no_push_destination",
                             {{"requestId", caller_.requestId}, {"tenant", tenant}});
        continue;
      }
      BRYGGA_ASSIGN_OR_RETURN(m::FlowContext context, contextFor(resources));
      BRYGGA_ASSIGN_OR_RETURN(std::string payload, m::buildMunicipalityForward(resources, context));
      BRYGGA_RETURN_IF_ERROR(
          enqueue(out, municipality->destination, patient, tenant, std::move(payload)));
    }
    return Status::ok();
  }

  const FlowRouter& router_;
  store::StoreTransaction& txn_;
  const FlowCaller& caller_;
  const m::MappingSet& set_;
  std::vector<FlowWrite>* writes_ = nullptr;
  std::unordered_map<std::string, FlowWrite*> byReference_;           // see indexWrites()
  std::unordered_map<std::string, FlowWrite*> patientsByIdentifier_;  // "system|value"
  std::deque<rapidjson::Document> parsed_;  // stable addresses for what keep() parsed
  std::map<const store::ResourceRecord*, const Value*> parsedRecords_;  // keep(record)
};

FlowRouter::FlowRouter(MappingRegistry& registry, store::Store& store,
                       const core::TimeSource& clock, std::vector<std::string> destinations,
                       core::Logger& logger,
                       std::map<std::string, fhir::IdentifierForm> identifierForms)
    : registry_(registry),
      store_(store),
      clock_(clock),
      destinations_(std::move(destinations)),
      identifierForms_(std::move(identifierForms)),
      logger_(logger) {}

std::shared_ptr<const mappings::MappingSet> FlowRouter::mappings() const {
  return registry_.current();
}

core::Status FlowRouter::prepare(store::StoreTransaction& txn, const FlowCaller& caller,
                                 std::vector<FlowWrite>& writes,
                                 const mappings::MappingSet& set) const {
  Unit unit(*this, txn, caller, set);
  return unit.prepare(writes);
}

core::StatusOr<std::vector<store::OutboxEntry>> FlowRouter::route(
    store::StoreTransaction& txn, const FlowCaller& caller, const std::vector<FlowWrite>& writes,
    const mappings::MappingSet& set) const {
  Unit unit(*this, txn, caller, set);
  std::vector<FlowWrite> copy = writes;  // the unit's lookups take a mutable list
  BRYGGA_ASSIGN_OR_RETURN(std::vector<store::OutboxEntry> entries, unit.route(copy));
  // Each destination gets Swedish identifiers in its own form, fixed here so that every attempt
  // sends the same bytes.
  for (store::OutboxEntry& entry : entries) {
    auto form = identifierForms_.find(entry.destination);
    if (form == identifierForms_.end()) continue;
    BRYGGA_ASSIGN_OR_RETURN(entry.payload, mappings::inIdentifierForm(entry.payload, form->second));
  }
  return entries;
}

std::string FlowRouter::noteOf(const std::vector<FlowWrite>& writes) {
  for (const auto& w : writes) {
    if (w.outcome.empty() || w.type != "Task" || w.resource == nullptr) continue;
    const Value* reason = fhir::member(*w.resource, "statusReason");
    const Value* codings = reason != nullptr ? fhir::member(*reason, "coding") : nullptr;
    std::string code = codings != nullptr && codings->IsArray() && !codings->Empty()
                           ? std::string(fhir::stringMember((*codings)[0], "code"))
                           : std::string("closed");
    return "task rejected: " + code;
  }
  return {};
}

std::string FlowRouter::kindOf(const std::vector<FlowWrite>& writes) {
  const auto find = [&](std::string_view type) {
    return std::find_if(writes.begin(), writes.end(), [&](const FlowWrite& w) {
      return w.resource != nullptr && w.type == type;
    });
  };
  // In the order a unit's main resource outranks what travels with it (an enrollment carries
  // its CarePlan, a visit its Encounter).
  if (auto episode = find("EpisodeOfCare"); episode != writes.end()) {
    const Value* period = fhir::member(*episode->resource, "period");
    const bool ended = fhir::stringMember(*episode->resource, "status") == "finished" ||
                       (period != nullptr && fhir::member(*period, "end") != nullptr);
    return ended ? "discharge" : "enrollment";
  }
  if (find("Task") != writes.end()) return "consultation";
  if (find("Composition") != writes.end() || find("DocumentReference") != writes.end()) {
    return "visit note";
  }
  if (auto encounter = find("Encounter"); encounter != writes.end()) {
    return m::isInpatient(*encounter->resource) ? "admission" : "visit";
  }
  if (find("CarePlan") != writes.end()) return "care plan";
  return {};
}

}  // namespace brygga::flows

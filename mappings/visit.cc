#include "mappings/visit.h"

#include "gateway/core/civil_time.h"
#include "gateway/core/digest.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/swedish_identifiers.h"
#include "mappings/care_plan.h"
#include "mappings/outbound.h"

namespace brygga::mappings {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

constexpr const char* kKvKontakttyp = "urn:oid:1.2.752.129.2.2.2.25";

void replace(Value& object, const char* key, Value&& value, Alloc& alloc) {
  object.RemoveMember(key);
  object.AddMember(Value(key, alloc), value, alloc);
}

Value codingValue(const Coding& c, Alloc& alloc) {
  Value v(rapidjson::kObjectType);
  v.AddMember("system", Value(c.system.c_str(), alloc), alloc);
  v.AddMember("code", Value(c.code.c_str(), alloc), alloc);
  if (!c.display.empty()) v.AddMember("display", Value(c.display.c_str(), alloc), alloc);
  return v;
}

Value codeableConcept(const Coding& c, Alloc& alloc) {
  Value codings(rapidjson::kArrayType);
  codings.PushBack(codingValue(c, alloc), alloc);
  Value cc(rapidjson::kObjectType);
  cc.AddMember("coding", codings, alloc);
  return cc;
}

// Every coding of a CodeableConcept array member (Encounter.type).
std::vector<Coding> codingsOf(const Value& resource, const char* member) {
  std::vector<Coding> out;
  const Value* list = fhir::member(resource, member);
  if (list == nullptr) return out;
  auto fromConcept = [&](const Value& cc) {
    const Value* codings = fhir::member(cc, "coding");
    if (codings == nullptr || !codings->IsArray()) return;
    for (const auto& c : codings->GetArray()) {
      out.push_back({std::string(fhir::stringMember(c, "system")),
                     std::string(fhir::stringMember(c, "code")),
                     std::string(fhir::stringMember(c, "display"))});
    }
  };
  if (list->IsArray()) {
    for (const auto& cc : list->GetArray()) fromConcept(cc);
  } else {
    fromConcept(*list);
  }
  return out;
}

core::Status noMapping(const std::string& text, const std::string& where) {
  return core::unprocessable(
      "code with no mapping: " + text,
      {core::Issue::error("code-invalid", "code with no mapping: " + text, where)});
}

// The "Type/id" a Reference member of `resource` points at (first of an array).
std::string referenceOf(const Value& resource, const char* member) {
  const Value* ref = fhir::member(resource, member);
  if (ref != nullptr && ref->IsArray()) ref = ref->Empty() ? nullptr : &(*ref)[0];
  if (ref == nullptr) return {};
  std::string text(fhir::stringMember(*ref, "reference"));
  if (auto h = text.find("/_history/"); h != std::string::npos) text.resize(h);
  const size_t slash = text.rfind('/');
  const size_t typeSlash =
      slash == std::string::npos || slash == 0 ? std::string::npos : text.rfind('/', slash - 1);
  return typeSlash == std::string::npos ? text : text.substr(typeSlash + 1);
}

Value documentEntry(const std::string& urn, Value&& resource, Alloc& alloc) {
  Value entry(rapidjson::kObjectType);
  entry.AddMember("fullUrl", Value(urn.c_str(), alloc), alloc);
  entry.AddMember("resource", resource, alloc);
  return entry;
}

const StoredResource* findType(const std::vector<StoredResource>& list, const char* type) {
  for (const auto& r : list) {
    if (r.type == type) return &r;
  }
  return nullptr;
}

}  // namespace

bool isInpatient(const Value& encounter) {
  const Value* cls = fhir::member(encounter, "class");
  if (cls == nullptr) return false;
  const std::string_view code = fhir::stringMember(*cls, "code");
  return fhir::stringMember(*cls, "system") == kActCodeSystem &&
         (code == "IMP" || code == "ACUTE" || code == "NONAC");
}

void tagForReadmissionFollowUp(Value& encounter, Alloc& alloc) {
  if (!encounter.IsObject()) return;
  if (!encounter.HasMember("meta") || !encounter["meta"].IsObject()) {
    encounter.RemoveMember("meta");
    encounter.AddMember("meta", Value(rapidjson::kObjectType), alloc);
  }
  Value& meta = encounter["meta"];
  if (!meta.HasMember("tag") || !meta["tag"].IsArray()) {
    meta.RemoveMember("tag");
    meta.AddMember("tag", Value(rapidjson::kArrayType), alloc);
  }
  for (const auto& t : meta["tag"].GetArray()) {
    if (fhir::stringMember(t, "system") == kFollowUpSystem &&
        fhir::stringMember(t, "code") == "readmission")
      return;
  }
  Value tag(rapidjson::kObjectType);
  tag.AddMember("system", Value(kFollowUpSystem, alloc), alloc);
  tag.AddMember("code", "readmission", alloc);
  tag.AddMember("display", "Inpatient stay, for the 30-day readmission follow-up", alloc);
  meta["tag"].PushBack(tag, alloc);
}

core::Status mapEncounterToRegion(Value& encounter, Alloc& alloc, const MappingSet& mappings,
                                  const ServicePoint& servicePoint) {
  const auto& names = mappings.settings().conceptMaps;
  const Value* cls = fhir::member(encounter, "class");
  const std::string system(cls != nullptr ? fhir::stringMember(*cls, "system") : "");
  const std::string code(cls != nullptr ? fhir::stringMember(*cls, "code") : "");
  if (code.empty()) {
    return core::unprocessable(
        "a visit Encounter needs class HH (home visit) or VR (phone or video)",
        {core::Issue::error("required", "Encounter.class is required", "Encounter.class")});
  }
  const ConceptMap* classMap = mappings.conceptMap(names.encounterClassToRegion);
  auto regionClass = classMap ? classMap->translate(system, code, kActCodeSystem) : std::nullopt;
  if (!regionClass) {
    return noMapping("Encounter.class " + system + "|" + code + " has no translation in " +
                         names.encounterClassToRegion,
                     "Encounter.class");
  }
  const std::vector<Coding> types = codingsOf(encounter, "type");
  const ConceptMap* typeMap = mappings.conceptMap(names.visitTypeToRegion);
  auto modality = typeMap ? typeMap->translate(system, code, {}, types) : std::nullopt;
  if (!modality) {
    return noMapping("Encounter.class " + code + " with its Encounter.type has no translation in " +
                         names.visitTypeToRegion +
                         (code == "VR" ? " (a VR visit needs a type saying phone, SNOMED CT "
                                         "185317003, or video)"
                                       : ""),
                     "Encounter.type");
  }
  const ConceptMap* kvMap =
      names.contactTypeToRegion.empty() ? nullptr : mappings.conceptMap(names.contactTypeToRegion);
  auto kv =
      kvMap ? kvMap->translate(modality->system, modality->code, kKvKontakttyp) : std::nullopt;

  const std::string_view status = fhir::stringMember(encounter, "status");
  const Value* period = fhir::member(encounter, "period");
  const bool hasStart = period != nullptr && !fhir::stringMember(*period, "start").empty();
  const bool hasEnd = period != nullptr && !fhir::stringMember(*period, "end").empty();
  if (status == "finished" && (!hasStart || !hasEnd)) {
    const std::string text =
        "a finished visit needs period.start and period.end (the regional EHR's encounter profile "
        "requires both)";
    return core::unprocessable(text, {core::Issue::error("required", text, "Encounter.period")});
  }

  replace(encounter, "class", codingValue(*regionClass, alloc), alloc);
  Value typeList(rapidjson::kArrayType);
  typeList.PushBack(codeableConcept(*modality, alloc), alloc);
  if (kv) typeList.PushBack(codeableConcept(*kv, alloc), alloc);
  replace(encounter, "type", std::move(typeList), alloc);
  replace(encounter, "serviceProvider",
          organizationReference(servicePoint.hsaId, servicePoint.organizationName, alloc), alloc);
  const std::string& unitUrl = mappings.settings().performingUnitExtension;
  fhir::removeExtensions(encounter, unitUrl);
  Value unit(rapidjson::kObjectType);
  unit.AddMember("system", Value(fhir::kHsaOrganizationSystem.data(), alloc), alloc);
  unit.AddMember("value", Value(servicePoint.performingUnitHsaId.c_str(), alloc), alloc);
  Value ext(rapidjson::kObjectType);
  ext.AddMember("url", Value(unitUrl.c_str(), alloc), alloc);
  ext.AddMember("valueIdentifier", unit, alloc);
  fhir::addExtension(encounter, std::move(ext), alloc);
  return core::Status::ok();
}

core::Status mapEncounterToMunicipality(Value& encounter, Alloc& alloc,
                                        const MappingSet& mappings) {
  const auto& names = mappings.settings().conceptMaps;
  const ConceptMap* classMap = mappings.conceptMap(names.visitClassToMunicipality);
  const ConceptMap* typeMap = mappings.conceptMap(names.visitTypeToMunicipality);
  std::optional<Coding> cls, type;
  for (const auto& c : codingsOf(encounter, "type")) {
    if (!cls && classMap) cls = classMap->translate(c.system, c.code, kActCodeSystem);
    if (!type && typeMap) type = typeMap->translate(c.system, c.code);
  }
  if (!cls || !type) {
    return noMapping("the encounter's Encounter.type has no translation to a municipal visit in " +
                         names.visitClassToMunicipality + " / " + names.visitTypeToMunicipality,
                     "Encounter.type");
  }
  replace(encounter, "class", codingValue(*cls, alloc), alloc);
  Value typeList(rapidjson::kArrayType);
  typeList.PushBack(codeableConcept(*type, alloc), alloc);
  replace(encounter, "type", std::move(typeList), alloc);
  fhir::removeExtensions(encounter, mappings.settings().performingUnitExtension);
  return core::Status::ok();
}

core::Status translateNoteType(Value& composition, Alloc& alloc, const MappingSet& mappings) {
  const std::string& url = mappings.settings().conceptMaps.noteTypeToRegion;
  const ConceptMap* map = mappings.conceptMap(url);
  std::optional<Coding> loinc;
  std::string given;
  for (const auto& c : codingsOf(composition, "type")) {
    given = c.system + "|" + c.code;
    if (map && (loinc = map->translate(c.system, c.code, "http://loinc.org"))) break;
  }
  if (!loinc) {
    return noMapping("Composition.type " + (given.empty() ? std::string("(none)") : given) +
                         " has no translation to a LOINC note type in " + url,
                     "Composition.type");
  }
  replace(composition, "type", codeableConcept(*loinc, alloc), alloc);
  return core::Status::ok();
}

core::StatusOr<std::string> buildVisitForward(const VisitForwardInput& input,
                                              const FlowContext& context) {
  if (context.mappings == nullptr || input.servicePoint == nullptr) {
    return core::internalError("a visit forward needs the mappings and the service point");
  }
  const MappingSet& mappings = *context.mappings;
  OutboundBundle bundle;
  auto& alloc = bundle.allocator();

  const StoredResource* encounter = findType(input.written, "Encounter");
  const StoredResource* composition = findType(input.written, "Composition");
  const StoredResource* docRef = findType(input.written, "DocumentReference");
  if (encounter != nullptr) {
    BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document parsed, fhir::parseJson(encounter->json));
    BRYGGA_ASSIGN_OR_RETURN(Value * added, bundle.add("Encounter", encounter->id, parsed,
                                                      OutboundBundle::Method::kConditionalUpdate,
                                                      mappings.profileFor("Encounter", true)));
    BRYGGA_RETURN_IF_ERROR(mapEncounterToRegion(*added, alloc, mappings, *input.servicePoint));
  }

  std::string documentUrn;
  std::optional<KeyIdentifier> compositionKey;
  if (composition != nullptr) {
    BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document comp, fhir::parseJson(composition->json));
    BRYGGA_ASSIGN_OR_RETURN(compositionKey, keyIdentifier("Composition", composition->id, comp));
    // The document carries its patient and encounter, so that it stands on its own.
    const std::string patientRef = referenceOf(comp, "subject");
    const std::string encounterRef = referenceOf(comp, "encounter");
    const StoredResource* encounterSource = encounter;
    if (encounterSource == nullptr || encounterRef != "Encounter/" + encounter->id) {
      auto it = context.referenced.find(encounterRef);
      encounterSource = it == context.referenced.end() ? nullptr : &it->second;
    }
    auto patientIt = context.referenced.find(patientRef);
    if (patientIt == context.referenced.end() || encounterSource == nullptr) {
      const std::string text =
          "a visit note needs Composition.subject (the patient) and Composition.encounter (the "
          "visit) to resolve";
      return core::unprocessable(text,
                                 {core::Issue::error("required", text, "Composition.encounter")});
    }
    const std::string patientUrn = "urn:uuid:" + core::newUuid();
    const std::string encounterUrn = "urn:uuid:" + core::newUuid();
    const std::map<std::string, std::string> inDocument = {{patientRef, patientUrn},
                                                           {encounterRef, encounterUrn}};

    Value compCopy = outboundCopy(comp, alloc, mappings.profileFor("Composition", true));
    BRYGGA_RETURN_IF_ERROR(translateNoteType(compCopy, alloc, mappings));
    Value noteType;
    noteType.CopyFrom(compCopy["type"], alloc);
    BRYGGA_RETURN_IF_ERROR(resolveReferencesIn(compCopy, alloc, inDocument, context.referenced,
                                               "Composition", /*conditional=*/false));
    BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document patient, fhir::parseJson(patientIt->second.json));
    Value patientCopy = outboundCopy(patient, alloc, mappings.profileFor("Patient", true));
    BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document enc, fhir::parseJson(encounterSource->json));
    Value encCopy = outboundCopy(enc, alloc, mappings.profileFor("Encounter", true));
    BRYGGA_RETURN_IF_ERROR(mapEncounterToRegion(encCopy, alloc, mappings, *input.servicePoint));
    BRYGGA_RETURN_IF_ERROR(resolveReferencesIn(encCopy, alloc, inDocument, context.referenced,
                                               "Encounter", /*conditional=*/false));

    const std::string version = fhir::member(comp, "meta") != nullptr
                                    ? std::string(fhir::stringMember(comp["meta"], "versionId"))
                                    : std::string();
    const std::string documentId =
        "urn:uuid:" + nameBasedUuid("document|" + compositionKey->system + "|" +
                                    compositionKey->value + "|" + version);
    std::string timestamp(fhir::stringMember(comp, "date"));
    if (timestamp.size() <= 10) timestamp = core::formatInstant(context.nowMs);
    Value document(rapidjson::kObjectType);
    document.AddMember("resourceType", "Bundle", alloc);
    Value docId(rapidjson::kObjectType);
    docId.AddMember("system", Value(kDocumentIdSystem, alloc), alloc);
    docId.AddMember("value", Value(documentId.c_str(), alloc), alloc);
    document.AddMember("identifier", docId, alloc);
    document.AddMember("type", "document", alloc);
    document.AddMember("timestamp", Value(timestamp.c_str(), alloc), alloc);
    Value entries(rapidjson::kArrayType);
    entries.PushBack(documentEntry("urn:uuid:" + core::newUuid(), std::move(compCopy), alloc),
                     alloc);
    entries.PushBack(documentEntry(patientUrn, std::move(patientCopy), alloc), alloc);
    entries.PushBack(documentEntry(encounterUrn, std::move(encCopy), alloc), alloc);
    document.AddMember("entry", entries, alloc);
    bundle.addMade("Bundle", std::move(document), {kDocumentIdSystem, documentId},
                   mappings.profileFor("Bundle", true), &documentUrn);

    // The index entry: the municipality's DocumentReference, or one made from the note.
    Value* ref = nullptr;
    if (docRef != nullptr) {
      BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document parsed, fhir::parseJson(docRef->json));
      BRYGGA_ASSIGN_OR_RETURN(ref, bundle.add("DocumentReference", docRef->id, parsed,
                                              OutboundBundle::Method::kConditionalUpdate,
                                              mappings.profileFor("DocumentReference", true)));
    } else {
      rapidjson::Document made(rapidjson::kObjectType);
      auto& ma = made.GetAllocator();
      made.AddMember("resourceType", "DocumentReference", ma);
      Value ids(rapidjson::kArrayType);
      Value id(rapidjson::kObjectType);
      id.AddMember("system", Value(kDocumentIdSystem, ma), ma);
      const std::string refId =
          "urn:uuid:" + nameBasedUuid("document-reference|" + compositionKey->system + "|" +
                                      compositionKey->value);
      id.AddMember("value", Value(refId.c_str(), ma), ma);
      ids.PushBack(id, ma);
      made.AddMember("identifier", ids, ma);
      made.AddMember("status", "current", ma);
      if (const Value* subject = fhir::member(comp, "subject")) {
        Value s;
        s.CopyFrom(*subject, ma);
        made.AddMember("subject", s, ma);
      }
      if (const Value* authors = fhir::member(comp, "author")) {
        Value a;
        a.CopyFrom(*authors, ma);
        made.AddMember("author", a, ma);
      }
      made.AddMember("date", Value(timestamp.c_str(), ma), ma);
      if (!input.custodianHsaId.empty()) {
        made.AddMember("custodian",
                       organizationReference(input.custodianHsaId, input.custodianName, ma), ma);
      }
      Value context2(rapidjson::kObjectType);
      if (const Value* e = fhir::member(comp, "encounter")) {
        Value list(rapidjson::kArrayType);
        Value copy;
        copy.CopyFrom(*e, ma);
        list.PushBack(copy, ma);
        context2.AddMember("encounter", list, ma);
      }
      made.AddMember("context", context2, ma);
      BRYGGA_ASSIGN_OR_RETURN(ref, bundle.add("DocumentReference", composition->id, made,
                                              OutboundBundle::Method::kConditionalUpdate,
                                              mappings.profileFor("DocumentReference", true)));
    }
    // Its type is the note's (LOINC); its content is the document just added.
    Value refType;
    refType.CopyFrom(noteType, alloc);
    replace(*ref, "type", std::move(refType), alloc);
    Value attachment(rapidjson::kObjectType);
    attachment.AddMember("contentType", "application/fhir+json", alloc);
    attachment.AddMember("url", Value(documentUrn.c_str(), alloc), alloc);
    if (auto title = fhir::stringMember(comp, "title"); !title.empty()) {
      attachment.AddMember("title", Value(title.data(), static_cast<SizeType>(title.size()), alloc),
                           alloc);
    }
    Value content(rapidjson::kObjectType);
    content.AddMember("attachment", attachment, alloc);
    Value contents(rapidjson::kArrayType);
    contents.PushBack(content, alloc);
    replace(*ref, "content", std::move(contents), alloc);
    if (!ref->HasMember("custodian") && !input.custodianHsaId.empty()) {
      ref->AddMember("custodian",
                     organizationReference(input.custodianHsaId, input.custodianName, alloc),
                     alloc);
    }
  } else if (docRef != nullptr) {
    return core::unprocessable("a DocumentReference of a visit note needs its Composition");
  }
  if (bundle.empty()) return core::unprocessable("nothing of a visit to forward");
  BRYGGA_RETURN_IF_ERROR(bundle.resolveReferences(context.referenced));
  return bundle.json();
}

core::StatusOr<std::string> buildMunicipalityForward(const std::vector<StoredResource>& written,
                                                     const FlowContext& context) {
  if (context.mappings == nullptr) return core::internalError("no mappings");
  const MappingSet& mappings = *context.mappings;
  OutboundBundle bundle;
  for (const char* type : {"Encounter", "CarePlan", "ServiceRequest", "Task"}) {
    for (const auto& r : written) {
      if (r.type != type) continue;
      BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document parsed, fhir::parseJson(r.json));
      if (r.type == "Encounter" && isInpatient(parsed)) continue;
      BRYGGA_ASSIGN_OR_RETURN(Value * added, bundle.add(r.type, r.id, parsed,
                                                        OutboundBundle::Method::kConditionalUpdate,
                                                        mappings.profileFor(r.type, false)));
      if (r.type == "Encounter") {
        BRYGGA_RETURN_IF_ERROR(mapEncounterToMunicipality(*added, bundle.allocator(), mappings));
      } else if (r.type == "CarePlan") {
        BRYGGA_RETURN_IF_ERROR(prepareCarePlanForPeer(*added, bundle.allocator(), parsed, mappings,
                                                      /*towardsRegion=*/false));
      }
    }
  }
  if (bundle.empty()) return core::unprocessable("nothing for the municipality");
  BRYGGA_RETURN_IF_ERROR(bundle.resolveReferences(context.referenced));
  return bundle.json();
}

}  // namespace brygga::mappings

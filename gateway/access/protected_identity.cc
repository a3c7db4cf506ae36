#include "gateway/access/protected_identity.h"

#include "gateway/fhir/json.h"

namespace brygga::access {

namespace {

using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

void removeContactDetails(Value& resource) {
  if (!resource.IsObject()) return;
  resource.RemoveMember("address");
  resource.RemoveMember("telecom");
}

// The object or array member `key`, made (replacing anything else there) when missing.
Value& memberOf(Value& object, const char* key, rapidjson::Type type, Alloc& alloc) {
  Value* existing = fhir::mutableMember(object, key);
  if (existing == nullptr || existing->GetType() != type) {
    object.RemoveMember(key);
    object.AddMember(Value(key, alloc), Value(type), alloc);
    existing = fhir::mutableMember(object, key);
  }
  return *existing;
}

// Adds {system, code} to meta.<list> unless it is there.
void addCoding(Value& resource, Alloc& alloc, const char* list, std::string_view system,
               std::string_view code) {
  Value& codings = memberOf(memberOf(resource, "meta", rapidjson::kObjectType, alloc), list,
                            rapidjson::kArrayType, alloc);
  for (const Value& c : codings.GetArray()) {
    if (fhir::stringMember(c, "system") == system && fhir::stringMember(c, "code") == code) return;
  }
  Value coding(rapidjson::kObjectType);
  coding.AddMember("system",
                   Value(system.data(), static_cast<rapidjson::SizeType>(system.size()), alloc),
                   alloc);
  coding.AddMember("code", Value(code.data(), static_cast<rapidjson::SizeType>(code.size()), alloc),
                   alloc);
  codings.PushBack(coding, alloc);
}

// V (very restricted) is stricter than R.
std::optional<std::string> stricter(const std::optional<std::string>& a,
                                    const std::optional<std::string>& b) {
  if (a == "V" || b == "V") return std::string("V");
  return a ? a : b;
}

}  // namespace

std::optional<std::string> confidentialityOf(const Value& patient) {
  const Value* meta = fhir::member(patient, "meta");
  const Value* security = meta != nullptr ? fhir::member(*meta, "security") : nullptr;
  if (security == nullptr || !security->IsArray()) return std::nullopt;
  std::optional<std::string> label;
  for (const Value& c : security->GetArray()) {
    if (fhir::stringMember(c, "system") != kConfidentialitySystem) continue;
    const std::string_view code = fhir::stringMember(c, "code");
    if (code == "R" || code == "V") label = stricter(label, std::string(code));
  }
  return label;
}

bool mayCarryConfidentiality(std::string_view json) {
  return json.find("v3-Confidentiality") != std::string_view::npos;
}

void redactPatient(Value& patient, Alloc& alloc) {
  removeContactDetails(patient);
  if (Value* contacts = fhir::mutableMember(patient, "contact");
      contacts != nullptr && contacts->IsArray()) {
    for (Value& contact : contacts->GetArray()) removeContactDetails(contact);
  }
  addCoding(patient, alloc, "tag", kObservationValueSystem, "REDACTED");
}

std::string redactedForReader(const std::string& json) {
  if (!mayCarryConfidentiality(json)) return json;
  auto doc = fhir::parseJson(json);
  if (!doc.isOk() || fhir::stringMember(*doc, "resourceType") != "Patient" ||
      !confidentialityOf(*doc)) {
    return json;
  }
  redactPatient(*doc, doc->GetAllocator());
  return fhir::toJson(*doc);
}

std::string protectForward(const std::string& payload, const std::optional<std::string>& label) {
  if (!label && !mayCarryConfidentiality(payload)) return payload;
  auto doc = fhir::parseJson(payload);
  if (!doc.isOk()) return payload;
  Value* entries = fhir::mutableMember(*doc, "entry");
  std::optional<std::string> strictest = label;
  if (entries != nullptr && entries->IsArray()) {
    for (Value& entry : entries->GetArray()) {
      const Value* resource = fhir::member(entry, "resource");
      if (resource != nullptr && fhir::stringMember(*resource, "resourceType") == "Patient") {
        strictest = stricter(strictest, confidentialityOf(*resource));
      }
    }
  }
  if (!strictest) return payload;
  if (entries != nullptr && entries->IsArray()) {
    for (Value& entry : entries->GetArray()) {
      Value* resource = fhir::mutableMember(entry, "resource");
      if (resource == nullptr) continue;
      const std::string_view type = fhir::stringMember(*resource, "resourceType");
      if (type == "Patient") {
        removeContactDetails(*resource);
        if (Value* contacts = fhir::mutableMember(*resource, "contact");
            contacts != nullptr && contacts->IsArray()) {
          for (Value& contact : contacts->GetArray()) removeContactDetails(contact);
        }
      } else if (type == "Location") {
        removeContactDetails(*resource);
      }
    }
  }
  addCoding(*doc, doc->GetAllocator(), "security", kConfidentialitySystem, *strictest);
  return fhir::toJson(*doc);
}

}  // namespace brygga::access

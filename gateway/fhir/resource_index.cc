#include "gateway/fhir/resource_index.h"

#include <algorithm>

#include <string_view>
#include <utility>

#include "gateway/core/civil_time.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_types.h"
#include "gateway/fhir/swedish_identifiers.h"

namespace brygga::fhir {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;

// "Type/id" from a relative or absolute literal reference, dropping any base URL and
// "/_history/n"; nullopt for local, urn: and malformed references, which name nothing in the
// store.
std::optional<std::string> relativeReference(std::string_view ref) {
  if (ref.empty() || ref[0] == '#' || ref.substr(0, 4) == "urn:") return std::nullopt;
  if (ref.find('?') != std::string_view::npos) return std::nullopt;
  const size_t history = ref.find("/_history/");
  if (history != std::string_view::npos) ref = ref.substr(0, history);
  const size_t idSlash = ref.rfind('/');
  if (idSlash == std::string_view::npos) return std::nullopt;
  const std::string_view id = ref.substr(idSlash + 1);
  const size_t typeSlash = ref.rfind('/', idSlash == 0 ? 0 : idSlash - 1);
  const size_t typeStart =
      typeSlash == std::string_view::npos || typeSlash >= idSlash ? 0 : typeSlash + 1;
  const std::string_view type = ref.substr(typeStart, idSlash - typeStart);
  if (typeStart > 0) {
    // An absolute reference: only http(s) URLs are resolved by stripping the base.
    const std::string_view scheme = ref.substr(0, 8);
    if (scheme.substr(0, 7) != "http://" && scheme != "https://") return std::nullopt;
  }
  if (!isKnownR4ResourceType(type) || !isValidId(id)) return std::nullopt;
  std::string out(type);
  out += '/';
  out += id;
  return out;
}

std::optional<std::string> referenceIn(const Value& resource, std::string_view element) {
  const Value* ref = member(resource, element);
  if (ref == nullptr) return std::nullopt;
  const std::string_view text = stringMember(*ref, "reference");
  if (text.empty()) return std::nullopt;
  return relativeReference(text);
}

bool isPatientReference(const std::string& ref) {
  return ref.compare(0, 8, "Patient/") == 0;
}

void addIdentifier(std::vector<IndexValue>& out, const Value& identifier) {
  const std::string_view value = stringMember(identifier, "value");
  if (value.empty()) return;
  const std::string_view system = stringMember(identifier, "system");
  if (auto person = personNumberOf(system, value); person.isOk()) {
    out.push_back(IndexValue{"identifier", std::string(canonicalSystemOf(person->kind)),
                             std::move(person->number)});
    return;
  }
  out.push_back(IndexValue{"identifier", canonicalIdentifierSystem(system), std::string(value)});
}

// The identifiers of a resource as an array, or nullptr.
const Value* identifierArray(const Value& resource) {
  const Value* identifiers = member(resource, "identifier");
  return identifiers != nullptr && identifiers->IsArray() ? identifiers : nullptr;
}

Value* identifierArray(Value& resource) {
  // `resource` is not const, so neither are its identifiers (as in mutableMember: rapidjson 1.1's
  // mutable member iterators compare ambiguously under C++20, which clang refuses).
  return const_cast<Value*>(identifierArray(std::as_const(resource)));
}

// The first and last day (YYYY-MM-DD) of the period a FHIR date names: YYYY, YYYY-MM or
// YYYY-MM-DD. nullopt for anything else.
std::optional<std::pair<std::string, std::string>> datePeriodOf(std::string_view date) {
  const std::string text(date);
  if (text.size() == 10) {
    if (!core::parseIsoDate(text).isOk()) return std::nullopt;
    return std::pair{text, text};
  }
  if (text.size() != 4 && text.size() != 7) return std::nullopt;
  const std::string first = text + (text.size() == 4 ? "-01-01" : "-01");
  auto start = core::parseIsoDate(first);
  if (!start.isOk()) return std::nullopt;
  const int lastMonth = text.size() == 4 ? 12 : start->month;
  const core::CivilDate last{start->year, lastMonth, core::daysInMonth(start->year, lastMonth)};
  return std::pair{first, last.iso()};
}

// A string search value: the text as written in `system` (for :exact), folded in `value` (the
// default starts-with and :contains compare that).
void addString(std::vector<IndexValue>& out, const char* param, const Value* text) {
  if (text == nullptr || !text->IsString() || text->GetStringLength() == 0) return;
  const std::string_view written(text->GetString(), text->GetStringLength());
  out.push_back(IndexValue{param, std::string(written), core::foldForSearch(written)});
}

// Patient and Practitioner names: family and given each once, under their own parameters; the
// rest of a HumanName (text, prefix, suffix) under `name`, which a search matches together with
// family and given (search::buildSearchQuery), so no part is stored twice.
void addNames(std::vector<IndexValue>& out, const Value& resource) {
  const Value* names = member(resource, "name");
  if (names == nullptr || !names->IsArray()) return;
  for (const Value& name : names->GetArray()) {
    if (!name.IsObject()) continue;
    addString(out, "name", member(name, "text"));
    addString(out, "family", member(name, "family"));
    for (const char* part : {"given", "prefix", "suffix"}) {
      const Value* parts = member(name, part);
      if (parts == nullptr || !parts->IsArray()) continue;
      const char* param = std::string_view(part) == "given" ? "given" : "name";
      for (const Value& p : parts->GetArray()) addString(out, param, &p);
    }
  }
}

}  // namespace

std::vector<IndexValue> extractIndex(const Value& resource) {
  std::vector<IndexValue> out;
  if (!resource.IsObject()) return out;
  const std::string_view type = stringMember(resource, "resourceType");

  if (const Value* identifiers = member(resource, "identifier"); identifiers != nullptr) {
    if (identifiers->IsArray()) {
      for (const Value& identifier : identifiers->GetArray()) addIdentifier(out, identifier);
    } else if (identifiers->IsObject()) {
      addIdentifier(out, *identifiers);
    }
  }

  if (type != "Patient") {
    // R4 search parameters: "patient" is the patient element, or the subject (Task: for) when it
    // is a Patient.
    if (auto patient = referenceIn(resource, "patient")) {
      out.push_back(IndexValue{"patient", {}, std::move(*patient)});
    }
    if (auto subject = referenceIn(resource, "subject")) {
      if (isPatientReference(*subject)) out.push_back(IndexValue{"patient", {}, *subject});
      out.push_back(IndexValue{"subject", {}, std::move(*subject)});
    }
    if (auto forRef = referenceIn(resource, "for"); forRef && isPatientReference(*forRef)) {
      out.push_back(IndexValue{"patient", {}, std::move(*forRef)});
    }
  }

  const std::string_view status = stringMember(resource, "status");
  if (!status.empty()) out.push_back(IndexValue{"status", {}, std::string(status)});
  // birthdate: a whole date (YYYY-MM-DD compares as text); a year or month alone is not indexed.
  if (type == "Patient") {
    if (auto period = datePeriodOf(stringMember(resource, "birthDate"))) {
      out.push_back(IndexValue{"birthdate", period->second, period->first});
    }
    if (const Value* addresses = member(resource, "address");
        addresses != nullptr && addresses->IsArray()) {
      for (const Value& address : addresses->GetArray()) {
        if (address.IsObject()) addString(out, "address-city", member(address, "city"));
      }
    }
  }
  if (type == "Patient" || type == "Practitioner") addNames(out, resource);
  return out;
}

std::vector<PersonNumber> personNumbersOf(const Value& resource) {
  std::vector<PersonNumber> out;
  const Value* identifiers = identifierArray(resource);
  if (identifiers == nullptr) return out;
  for (const Value& identifier : identifiers->GetArray()) {
    auto person =
        personNumberOf(stringMember(identifier, "system"), stringMember(identifier, "value"));
    if (person.isOk() && std::find(out.begin(), out.end(), *person) == out.end()) {
      out.push_back(std::move(*person));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

void normalizePersonNumbers(Value& resource, rapidjson::Document::AllocatorType& alloc) {
  Value* identifiers = identifierArray(resource);
  if (identifiers == nullptr) return;
  for (Value& identifier : identifiers->GetArray()) {
    if (!identifier.IsObject()) continue;
    auto person =
        personNumberOf(stringMember(identifier, "system"), stringMember(identifier, "value"));
    if (!person.isOk()) continue;
    const std::string_view system = canonicalSystemOf(person->kind);
    identifier["system"].SetString(system.data(), static_cast<SizeType>(system.size()), alloc);
    identifier["value"].SetString(person->number.data(),
                                  static_cast<SizeType>(person->number.size()), alloc);
  }
}

std::optional<std::string> patientReferenceOf(const Value& resource) {
  if (!resource.IsObject()) return std::nullopt;
  if (stringMember(resource, "resourceType") == "Patient") {
    const std::string_view id = stringMember(resource, "id");
    if (!isValidId(id)) return std::nullopt;
    return "Patient/" + std::string(id);
  }
  for (std::string_view element : {"patient", "subject", "for"}) {
    if (auto ref = referenceIn(resource, element); ref && isPatientReference(*ref)) return ref;
  }
  return std::nullopt;
}

void rewriteReferences(Value& root, rapidjson::Document::AllocatorType& alloc,
                       const std::function<std::optional<std::string>(const std::string&)>& fn) {
  forEachObject(root, [&](Value& object) {
    Value* ref = mutableMember(object, "reference");
    if (ref == nullptr || !ref->IsString()) return;
    if (auto replacement = fn(std::string(ref->GetString(), ref->GetStringLength()))) {
      ref->SetString(replacement->data(), static_cast<SizeType>(replacement->size()), alloc);
    }
  });
}

void stampMeta(Value& resource, rapidjson::Document::AllocatorType& alloc, const std::string& id,
               int64_t version, int64_t lastUpdatedMs) {
  if (!resource.IsObject()) return;
  Value meta(rapidjson::kObjectType);
  if (Value* existing = mutableMember(resource, "meta");
      existing != nullptr && existing->IsObject()) {
    meta = std::move(*existing);
  }
  const std::string versionId = std::to_string(version);
  const std::string lastUpdated = core::formatInstant(lastUpdatedMs);
  // versionId and lastUpdated lead meta, as in the specification's examples; the rest (profile,
  // security, tag) is kept in its order.
  Value stampedMeta(rapidjson::kObjectType);
  stampedMeta.AddMember("versionId", Value(versionId.c_str(), alloc), alloc);
  stampedMeta.AddMember("lastUpdated", Value(lastUpdated.c_str(), alloc), alloc);
  for (SizeType i = 0; i < meta.MemberCount(); ++i) {
    auto& m = *(meta.MemberBegin() + i);
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "versionId" || name == "lastUpdated") continue;
    stampedMeta.AddMember(m.name, m.value, alloc);
  }

  // Rebuild the resource so that resourceType, id and meta come first; moving members is cheap.
  Value stamped(rapidjson::kObjectType);
  for (SizeType i = 0; i < resource.MemberCount(); ++i) {
    auto& m = *(resource.MemberBegin() + i);
    if (m.name == "resourceType") {
      stamped.AddMember(m.name, m.value, alloc);
      break;
    }
  }
  stamped.AddMember("id", Value(id.c_str(), static_cast<SizeType>(id.size()), alloc), alloc);
  stamped.AddMember("meta", stampedMeta, alloc);
  for (SizeType i = 0; i < resource.MemberCount(); ++i) {
    auto& m = *(resource.MemberBegin() + i);
    if (!m.name.IsString()) continue;  // already moved (resourceType)
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "resourceType" || name == "id" || name == "meta") continue;
    stamped.AddMember(m.name, m.value, alloc);
  }
  resource = std::move(stamped);
}

}  // namespace brygga::fhir

#include "mappings/outbound.h"

#include <algorithm>
#include <cctype>

#include "gateway/core/digest.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_types.h"
#include "gateway/fhir/swedish_identifiers.h"

namespace brygga::mappings {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

Value str(std::string_view s, Alloc& alloc) {
  return Value(s.data(), static_cast<SizeType>(s.size()), alloc);
}

void setMember(Value& object, std::string_view key, Value&& value, Alloc& alloc) {
  if (Value* existing = fhir::mutableMember(object, key)) {
    *existing = std::move(value);
  } else {
    object.AddMember(str(key, alloc), value, alloc);
  }
}

void normaliseIdentifier(Value& id, Alloc& alloc) {
  if (!id.IsObject()) return;
  Value* sys = fhir::mutableMember(id, "system");
  if (sys == nullptr || !sys->IsString()) return;
  const std::string canonical =
      fhir::canonicalIdentifierSystem(std::string_view(sys->GetString(), sys->GetStringLength()));
  sys->SetString(canonical.data(), static_cast<SizeType>(canonical.size()), alloc);
  Value* val = fhir::mutableMember(id, "value");
  if (val == nullptr || !val->IsString()) return;
  std::optional<std::string> normal;
  const std::string_view text(val->GetString(), val->GetStringLength());
  if (canonical == fhir::kPersonnummerSystem) normal = fhir::normalizePersonnummer(text);
  if (canonical == fhir::kSamordningsnummerSystem) normal = fhir::normalizeSamordningsnummer(text);
  if (normal) val->SetString(normal->data(), static_cast<SizeType>(normal->size()), alloc);
}

// "Type/id" of a literal reference (relative, or absolute http(s) with the base dropped);
// nullopt for urn:, #local, conditional and malformed references.
std::optional<std::string> localOf(std::string_view ref) {
  if (ref.empty() || ref[0] == '#' || ref.substr(0, 4) == "urn:") return std::nullopt;
  if (ref.find('?') != std::string_view::npos) return std::nullopt;
  if (size_t h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  const bool absolute = ref.substr(0, 7) == "http://" || ref.substr(0, 8) == "https://";
  const size_t idSlash = ref.rfind('/');
  if (idSlash == std::string_view::npos || idSlash == 0) return std::nullopt;
  const size_t typeSlash = ref.rfind('/', idSlash - 1);
  const size_t typeStart = typeSlash == std::string_view::npos ? 0 : typeSlash + 1;
  if (typeStart > 0 && !absolute) return std::nullopt;
  const std::string_view type = ref.substr(typeStart, idSlash - typeStart);
  const std::string_view id = ref.substr(idSlash + 1);
  if (!fhir::isKnownR4ResourceType(type) || !fhir::isValidId(id)) return std::nullopt;
  return std::string(type) + "/" + std::string(id);
}

// Objects holding a string "reference", in pre-order (parents before children).
std::vector<Value*> referenceHolders(Value& root) {
  std::vector<Value*> out;
  std::vector<Value*> pending{&root};
  while (!pending.empty()) {
    Value* v = pending.back();
    pending.pop_back();
    if (v->IsObject()) {
      const Value* ref = fhir::mutableMember(*v, "reference");
      if (ref != nullptr && ref->IsString()) out.push_back(v);
      for (SizeType i = v->MemberCount(); i > 0; --i) {
        Value& child = (v->MemberBegin() + (i - 1))->value;
        if (child.IsObject() || child.IsArray()) pending.push_back(&child);
      }
    } else if (v->IsArray()) {
      for (SizeType i = v->Size(); i > 0; --i) {
        Value& child = (*v)[i - 1];
        if (child.IsObject() || child.IsArray()) pending.push_back(&child);
      }
    }
  }
  return out;
}

// The identifier a logical reference to a directory resource carries: the HSA-id when there is
// one, else the first identifier with system and value.
std::optional<KeyIdentifier> directoryIdentifier(const std::string& type, const Value& resource) {
  const Value* ids = fhir::member(resource, "identifier");
  if (ids == nullptr || !ids->IsArray()) return std::nullopt;
  std::optional<KeyIdentifier> first;
  for (const auto& id : ids->GetArray()) {
    std::string system = fhir::canonicalIdentifierSystem(fhir::stringMember(id, "system"));
    std::string value(fhir::stringMember(id, "value"));
    if (system.empty() || value.empty()) continue;
    const bool hsa = system == fhir::kHsaOrganizationSystem ||
                     system == fhir::kHsaPractitionerSystem || system == fhir::kHsaOid;
    if (hsa) {
      if (system == fhir::kHsaOid) {
        system = std::string(type == "Organization" ? fhir::kHsaOrganizationSystem
                                                    : fhir::kHsaPractitionerSystem);
      }
      return KeyIdentifier{system, value};
    }
    if (!first) first = KeyIdentifier{system, value};
  }
  return first;
}

std::string displayOf(const std::string& type, const Value& resource) {
  if (type == "Location" || type == "Organization" || type == "HealthcareService") {
    return std::string(fhir::stringMember(resource, "name"));
  }
  return {};
}

}  // namespace

core::StatusOr<KeyIdentifier> keyIdentifier(const std::string& type, const std::string& id,
                                            const Value& resource) {
  const Value* ids = fhir::member(resource, "identifier");
  if (ids != nullptr && ids->IsArray()) {
    for (const auto& identifier : ids->GetArray()) {
      std::string system =
          fhir::canonicalIdentifierSystem(fhir::stringMember(identifier, "system"));
      std::string value(fhir::stringMember(identifier, "value"));
      if (system.empty() || value.empty()) continue;
      if (type == "Patient") {
        if (system == fhir::kPersonnummerSystem) {
          if (auto pnr = fhir::normalizePersonnummer(value)) return KeyIdentifier{system, *pnr};
        } else if (system == fhir::kSamordningsnummerSystem) {
          if (auto snr = fhir::normalizeSamordningsnummer(value)) {
            return KeyIdentifier{system, *snr};
          }
        }
        continue;
      }
      return KeyIdentifier{system, value};
    }
  } else if (ids != nullptr && ids->IsObject() && type != "Patient") {
    // Bundle.identifier and a few others are single.
    std::string system = fhir::canonicalIdentifierSystem(fhir::stringMember(*ids, "system"));
    std::string value(fhir::stringMember(*ids, "value"));
    if (!system.empty() && !value.empty()) return KeyIdentifier{system, value};
  }
  const std::string what = type == "Patient" ? "a personnummer or samordningsnummer identifier"
                                             : "an identifier with system and value";
  return core::unprocessable(
      "cannot forward " + type + "/" + id + ": it needs " + what,
      {core::Issue::error("required", type + " needs " + what + " to be forwarded",
                          type + ".identifier")});
}

std::string identifierQuery(const KeyIdentifier& key) {
  std::string out = "identifier=";
  for (const std::string* part : {&key.system, &key.value}) {
    for (unsigned char c : *part) {
      if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':' || c == '/') {
        out += static_cast<char>(c);
      } else {
        static const char* kHex = "0123456789ABCDEF";
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
      }
    }
    if (part == &key.system) out += "%7C";
  }
  return out;
}

void normaliseIdentifiers(Value& resource, Alloc& alloc) {
  std::vector<Value*> pending{&resource};
  while (!pending.empty()) {
    Value* v = pending.back();
    pending.pop_back();
    if (v->IsObject()) {
      for (SizeType i = 0; i < v->MemberCount(); ++i) {
        auto& m = *(v->MemberBegin() + i);
        const std::string_view name(m.name.GetString(), m.name.GetStringLength());
        if (name == "identifier") {
          if (m.value.IsArray()) {
            for (auto& id : m.value.GetArray()) normaliseIdentifier(id, alloc);
          } else {
            normaliseIdentifier(m.value, alloc);
          }
        }
        if (m.value.IsObject() || m.value.IsArray()) pending.push_back(&m.value);
      }
    } else if (v->IsArray()) {
      for (auto& e : v->GetArray()) {
        if (e.IsObject() || e.IsArray()) pending.push_back(&e);
      }
    }
  }
}

void setProfile(Value& resource, Alloc& alloc, const std::string& profile) {
  if (!resource.IsObject() || profile.empty()) return;
  Value* meta = fhir::mutableMember(resource, "meta");
  if (meta == nullptr || !meta->IsObject()) {
    setMember(resource, "meta", Value(rapidjson::kObjectType), alloc);
    meta = fhir::mutableMember(resource, "meta");
  }
  Value profiles(rapidjson::kArrayType);
  profiles.PushBack(str(profile, alloc), alloc);
  setMember(*meta, "profile", std::move(profiles), alloc);
}

std::vector<std::string> literalReferences(const Value& resource) {
  std::vector<std::string> out;
  std::vector<const Value*> pending{&resource};
  while (!pending.empty()) {
    const Value* v = pending.back();
    pending.pop_back();
    if (v->IsObject()) {
      for (const auto& m : v->GetObject()) {
        if (m.value.IsString() && std::string_view(m.name.GetString()) == "reference") {
          if (auto local = localOf({m.value.GetString(), m.value.GetStringLength()})) {
            if (std::find(out.begin(), out.end(), *local) == out.end()) out.push_back(*local);
          }
        } else if (m.value.IsObject() || m.value.IsArray()) {
          pending.push_back(&m.value);
        }
      }
    } else if (v->IsArray()) {
      for (const auto& e : v->GetArray()) pending.push_back(&e);
    }
  }
  return out;
}

bool isPatientDataType(std::string_view type) {
  return type == "Patient" || type == "EpisodeOfCare" || type == "Encounter" ||
         type == "Condition" || type == "CarePlan" || type == "Task" || type == "ServiceRequest" ||
         type == "Composition" || type == "DocumentReference" || type == "Bundle";
}

core::Status resolveReferencesIn(Value& resource, Alloc& alloc,
                                 const std::map<std::string, std::string>& inBundle,
                                 const std::map<std::string, StoredResource>& referenced,
                                 const std::string& where, bool conditional) {
  std::vector<Value*> holders = referenceHolders(resource);
  // Children before parents: changing a parent's members may move its children.
  for (auto it = holders.rbegin(); it != holders.rend(); ++it) {
    Value& holder = **it;
    Value* ref = fhir::mutableMember(holder, "reference");
    const std::string text(ref->GetString(), ref->GetStringLength());
    auto local = localOf(text);
    if (!local) continue;  // urn:, #contained, conditional: the peer resolves those
    if (auto urn = inBundle.find(*local); urn != inBundle.end()) {
      ref->SetString(urn->second.data(), static_cast<SizeType>(urn->second.size()), alloc);
      continue;
    }
    auto target = referenced.find(*local);
    if (target == referenced.end()) {
      return core::unprocessable(
          where + ": the reference " + *local + " does not resolve to anything Brygga holds",
          {core::Issue::error("not-found", "reference " + *local + " does not resolve", where)});
    }
    const std::string& type = target->second.type;
    auto parsed = fhir::parseJson(target->second.json);
    if (!parsed.isOk()) return parsed.status();
    if (isPatientDataType(type)) {
      BRYGGA_ASSIGN_OR_RETURN(KeyIdentifier key, keyIdentifier(type, target->second.id, *parsed));
      if (conditional) {
        const std::string query = type + "?" + identifierQuery(key);
        ref->SetString(query.data(), static_cast<SizeType>(query.size()), alloc);
      } else {
        holder.RemoveMember("reference");
        setMember(holder, "type", str(type, alloc), alloc);
        Value id(rapidjson::kObjectType);
        id.AddMember("system", str(key.system, alloc), alloc);
        id.AddMember("value", str(key.value, alloc), alloc);
        setMember(holder, "identifier", std::move(id), alloc);
      }
      continue;
    }
    // Directory data: the peer knows practitioners and units by HSA-id, not by Brygga's ids.
    auto identifier = directoryIdentifier(type, *parsed);
    const std::string display = displayOf(type, *parsed);
    if (!identifier && (type != "Location" || display.empty())) {
      return core::unprocessable(
          where + ": " + *local + " has no identifier (an HSA-id) the peer could know it by",
          {core::Issue::error("required", *local + " needs an identifier (HSA-id)", where)});
    }
    holder.RemoveMember("reference");
    setMember(holder, "type", str(type, alloc), alloc);
    if (identifier) {
      Value id(rapidjson::kObjectType);
      id.AddMember("system", str(identifier->system, alloc), alloc);
      id.AddMember("value", str(identifier->value, alloc), alloc);
      setMember(holder, "identifier", std::move(id), alloc);
    }
    if (!display.empty() && fhir::mutableMember(holder, "display") == nullptr) {
      holder.AddMember("display", str(display, alloc), alloc);
    }
  }
  return core::Status::ok();
}

std::string nameBasedUuid(std::string_view name) {
  std::string hex = core::sha256Hex(name).substr(0, 32);
  hex[12] = '5';
  static const char* kVariant = "89ab";
  hex[16] = kVariant[std::stoi(hex.substr(16, 1), nullptr, 16) & 3];
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

// --- OutboundBundle ------------------------------------------------------------------------

OutboundBundle::OutboundBundle() : doc_(rapidjson::kObjectType) {
  auto& alloc = doc_.GetAllocator();
  doc_.AddMember("resourceType", "Bundle", alloc);
  doc_.AddMember("type", "transaction", alloc);
  doc_.AddMember("entry", Value(rapidjson::kArrayType), alloc);
}

core::StatusOr<Value*> OutboundBundle::add(const std::string& type, const std::string& id,
                                           const Value& resource, Method method,
                                           const std::string& profile) {
  BRYGGA_ASSIGN_OR_RETURN(KeyIdentifier key, keyIdentifier(type, id, resource));
  auto& alloc = doc_.GetAllocator();
  Value copy;
  copy.CopyFrom(resource, alloc);
  copy.RemoveMember("id");
  copy.RemoveMember("meta");
  normaliseIdentifiers(copy, alloc);
  setProfile(copy, alloc, profile);

  const std::string urn = "urn:uuid:" + core::newUuid();
  urnOf_[type + "/" + id] = urn;
  Value entry(rapidjson::kObjectType);
  entry.AddMember("fullUrl", str(urn, alloc), alloc);
  entry.AddMember("resource", copy, alloc);
  Value request(rapidjson::kObjectType);
  const std::string condition = identifierQuery(key);
  if (method == Method::kConditionalCreate) {
    request.AddMember("method", "POST", alloc);
    request.AddMember("url", str(type, alloc), alloc);
    request.AddMember("ifNoneExist", str(condition, alloc), alloc);
  } else {
    request.AddMember("method", "PUT", alloc);
    request.AddMember("url", str(type + "?" + condition, alloc), alloc);
  }
  entry.AddMember("request", request, alloc);
  Value& entries = doc_["entry"];
  entries.PushBack(entry, alloc);
  return &entries[entries.Size() - 1]["resource"];
}

Value* OutboundBundle::addMade(const std::string& type, Value&& resource, const KeyIdentifier& key,
                               const std::string& profile, std::string* urnOut) {
  auto& alloc = doc_.GetAllocator();
  setProfile(resource, alloc, profile);
  const std::string urn = "urn:uuid:" + core::newUuid();
  if (urnOut != nullptr) *urnOut = urn;
  Value entry(rapidjson::kObjectType);
  entry.AddMember("fullUrl", str(urn, alloc), alloc);
  entry.AddMember("resource", resource, alloc);
  Value request(rapidjson::kObjectType);
  request.AddMember("method", "PUT", alloc);
  request.AddMember("url", str(type + "?" + identifierQuery(key), alloc), alloc);
  entry.AddMember("request", request, alloc);
  Value& entries = doc_["entry"];
  entries.PushBack(entry, alloc);
  return &entries[entries.Size() - 1]["resource"];
}

std::string OutboundBundle::urnOf(const std::string& localReference) const {
  auto it = urnOf_.find(localReference);
  return it == urnOf_.end() ? std::string() : it->second;
}

core::Status OutboundBundle::resolveReferences(
    const std::map<std::string, StoredResource>& referenced) {
  Value& entries = doc_["entry"];
  for (SizeType i = 0; i < entries.Size(); ++i) {
    Value& resource = entries[i]["resource"];
    const std::string type(fhir::stringMember(resource, "resourceType"));
    BRYGGA_RETURN_IF_ERROR(
        resolveReferencesIn(resource, doc_.GetAllocator(), urnOf_, referenced, type));
  }
  return core::Status::ok();
}

bool OutboundBundle::empty() const {
  return doc_["entry"].Empty();
}

std::string OutboundBundle::json() const {
  return fhir::toJson(doc_);
}

}  // namespace brygga::mappings

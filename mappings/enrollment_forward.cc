#include "mappings/enrollment_forward.h"

#include <algorithm>
#include <map>

#include <rapidjson/document.h>

#include "gateway/core/digest.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_index.h"
#include "gateway/fhir/swedish_identifiers.h"

namespace brygga::mappings {

namespace {

using rapidjson::Value;

struct KeyIdentifier {
  std::string system;
  std::string value;
};

// The identifier a resource is keyed on at the peer. For a Patient only a personnummer or
// samordningsnummer will do: anything else could match the wrong person.
core::StatusOr<KeyIdentifier> keyIdentifier(const StoredResource& r, const Value& resource) {
  const Value* ids = fhir::member(resource, "identifier");
  if (ids != nullptr && ids->IsArray()) {
    for (const auto& id : ids->GetArray()) {
      std::string system = fhir::canonicalIdentifierSystem(fhir::stringMember(id, "system"));
      std::string value(fhir::stringMember(id, "value"));
      if (system.empty() || value.empty()) continue;
      if (r.type == "Patient") {
        if (system == fhir::kPersonnummerSystem) {
          if (auto pnr = fhir::normalizePersonnummer(value)) return KeyIdentifier{system, *pnr};
        } else if (system == fhir::kSamordningsnummerSystem) {
          if (auto snr = fhir::normalizeSamordningsnummer(value))
            return KeyIdentifier{system, *snr};
        }
        continue;
      }
      return KeyIdentifier{system, value};
    }
  }
  std::string what = r.type == "Patient" ? "a personnummer or samordningsnummer identifier"
                                         : "an identifier with system and value";
  return core::unprocessable(
      "cannot forward " + r.type + "/" + r.id + ": it needs " + what,
      {core::Issue::error("required", r.type + " needs " + what + " to be forwarded",
                          r.type + ".identifier")});
}

std::string tokenParam(const KeyIdentifier& key) {
  // system|value inside a URL query: escape the characters that would break it.
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

// Writes the canonical systems and normalised personnummer back into the resource, so that what
// the region receives always uses the HL7 Sweden URIs.
void normaliseIdentifiers(Value& resource, rapidjson::Document::AllocatorType& alloc) {
  if (!resource.IsObject()) return;
  auto it = resource.FindMember("identifier");
  if (it == resource.MemberEnd() || !it->value.IsArray()) return;
  for (auto& id : it->value.GetArray()) {
    if (!id.IsObject()) continue;
    auto sys = id.FindMember("system");
    if (sys == id.MemberEnd() || !sys->value.IsString()) continue;
    std::string canonical = fhir::canonicalIdentifierSystem(sys->value.GetString());
    sys->value.SetString(canonical.c_str(), static_cast<rapidjson::SizeType>(canonical.size()),
                         alloc);
    auto val = id.FindMember("value");
    if (val == id.MemberEnd() || !val->value.IsString()) continue;
    std::optional<std::string> normal;
    if (canonical == fhir::kPersonnummerSystem)
      normal = fhir::normalizePersonnummer(val->value.GetString());
    if (canonical == fhir::kSamordningsnummerSystem)
      normal = fhir::normalizeSamordningsnummer(val->value.GetString());
    if (normal) {
      val->value.SetString(normal->c_str(), static_cast<rapidjson::SizeType>(normal->size()),
                           alloc);
    }
  }
}

int orderOf(const std::string& type) {
  static const std::map<std::string, int> kOrder = {
      {"Patient", 0}, {"EpisodeOfCare", 1}, {"Condition", 2}, {"CarePlan", 3}};
  auto it = kOrder.find(type);
  return it == kOrder.end() ? 9 : it->second;
}

}  // namespace

bool isEnrollment(const std::vector<std::string>& types) {
  return std::find(types.begin(), types.end(), "EpisodeOfCare") != types.end();
}

core::StatusOr<std::string> buildEnrollmentForward(const std::vector<StoredResource>& resources) {
  std::vector<const StoredResource*> ordered;
  for (const auto& r : resources) ordered.push_back(&r);
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    return orderOf(a->type) < orderOf(b->type);
  });
  bool hasPatient = false, hasEpisode = false;
  for (const auto* r : ordered) {
    hasPatient = hasPatient || r->type == "Patient";
    hasEpisode = hasEpisode || r->type == "EpisodeOfCare";
  }
  if (!hasPatient || !hasEpisode) {
    return core::unprocessable("an enrollment needs a Patient and an EpisodeOfCare");
  }

  rapidjson::Document bundle(rapidjson::kObjectType);
  auto& alloc = bundle.GetAllocator();
  bundle.AddMember("resourceType", "Bundle", alloc);
  bundle.AddMember("type", "transaction", alloc);
  Value entries(rapidjson::kArrayType);

  // Local "Type/id" -> urn:uuid in the outgoing Bundle.
  std::map<std::string, std::string> urnOf;
  for (const auto* r : ordered) urnOf[r->type + "/" + r->id] = "urn:uuid:" + core::newUuid();

  for (const auto* r : ordered) {
    BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document parsed, fhir::parseJson(r->json));
    BRYGGA_ASSIGN_OR_RETURN(KeyIdentifier key, keyIdentifier(*r, parsed));
    Value resource;
    resource.CopyFrom(parsed, alloc);
    resource.RemoveMember("id");
    resource.RemoveMember("meta");
    normaliseIdentifiers(resource, alloc);
    fhir::rewriteReferences(resource, alloc,
                            [&](const std::string& ref) -> std::optional<std::string> {
                              auto it = urnOf.find(ref);
                              if (it == urnOf.end()) return std::nullopt;
                              return it->second;
                            });

    Value entry(rapidjson::kObjectType);
    const std::string& urn = urnOf[r->type + "/" + r->id];
    entry.AddMember("fullUrl", Value(urn.c_str(), alloc), alloc);
    entry.AddMember("resource", resource, alloc);
    Value request(rapidjson::kObjectType);
    std::string condition = tokenParam(key);
    if (r->type == "Patient") {
      request.AddMember("method", "POST", alloc);
      request.AddMember("url", "Patient", alloc);
      request.AddMember("ifNoneExist", Value(condition.c_str(), alloc), alloc);
    } else {
      std::string url = r->type + "?" + condition;
      request.AddMember("method", "PUT", alloc);
      request.AddMember("url", Value(url.c_str(), alloc), alloc);
    }
    entry.AddMember("request", request, alloc);
    entries.PushBack(entry, alloc);
  }
  bundle.AddMember("entry", entries, alloc);
  return fhir::toJson(bundle);
}

}  // namespace brygga::mappings

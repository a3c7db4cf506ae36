#include "mappings/residence.h"

#include "gateway/fhir/json.h"
#include "gateway/fhir/swedish_identifiers.h"
#include "mappings/outbound.h"

namespace brygga::mappings {

namespace {

using rapidjson::Value;

// The extension of `url` directly on `resource`, or nullptr.
const Value* extension(const Value& resource, std::string_view url) {
  const Value* list = fhir::member(resource, "extension");
  if (list == nullptr || !list->IsArray()) return nullptr;
  for (const auto& e : list->GetArray()) {
    if (fhir::stringMember(e, "url") == url) return &e;
  }
  return nullptr;
}

std::string areaOf(const Value& resource) {
  const Value* ext = extension(resource, kHomeCareAreaExtension);
  if (ext == nullptr) return {};
  if (auto s = fhir::stringMember(*ext, "valueString"); !s.empty()) return std::string(s);
  if (const Value* c = fhir::member(*ext, "valueCoding"))
    return std::string(fhir::stringMember(*c, "code"));
  return {};
}

bool hasRoleCode(const Value& location, std::string_view code) {
  const Value* types = fhir::member(location, "type");
  if (types == nullptr || !types->IsArray()) return false;
  for (const auto& t : types->GetArray()) {
    const Value* codings = fhir::member(t, "coding");
    if (codings == nullptr || !codings->IsArray()) continue;
    for (const auto& c : codings->GetArray()) {
      if (fhir::stringMember(c, "system") == kRoleCodeSystem &&
          fhir::stringMember(c, "code") == code)
        return true;
    }
  }
  return false;
}

std::string facilityIdentifier(const Value& holder) {
  auto read = [](const Value& id) -> std::string {
    return fhir::stringMember(id, "system") == kFacilitySystem
               ? std::string(fhir::stringMember(id, "value"))
               : std::string();
  };
  const Value* ids = fhir::member(holder, "identifier");
  if (ids == nullptr) return {};
  if (ids->IsObject()) return read(*ids);
  if (!ids->IsArray()) return {};
  for (const auto& id : ids->GetArray()) {
    if (auto v = read(id); !v.empty()) return v;
  }
  return {};
}

}  // namespace

std::optional<std::string> residenceReference(const Value& episode) {
  const Value* ext = extension(episode, kResidenceExtension);
  if (ext == nullptr) return std::nullopt;
  const Value* ref = fhir::member(*ext, "valueReference");
  if (ref == nullptr) return std::nullopt;
  std::string_view text = fhir::stringMember(*ref, "reference");
  if (text.empty()) return std::nullopt;
  return std::string(text);
}

Residence residenceOf(const Value& episode, const Value* location) {
  Residence r;
  r.area = areaOf(episode);
  if (!r.area.empty()) r.kind = Residence::Kind::kHome;
  if (location != nullptr && location->IsObject()) {
    if (hasRoleCode(*location, "PTRES")) {
      r.kind = Residence::Kind::kHome;
      if (std::string area = areaOf(*location); !area.empty()) r.area = area;
      if (const Value* address = fhir::member(*location, "address"); r.area.empty() && address) {
        r.area = std::string(fhir::stringMember(*address, "district"));
      }
      return r;
    }
    r.kind = Residence::Kind::kFacility;
    r.facility = facilityIdentifier(*location);
    if (r.facility.empty()) r.facility = std::string(fhir::stringMember(*location, "name"));
    return r;
  }
  // A logical reference in the extension: the facility by identifier or by name.
  const Value* ext = extension(episode, kResidenceExtension);
  const Value* ref = ext != nullptr ? fhir::member(*ext, "valueReference") : nullptr;
  if (ref != nullptr && fhir::stringMember(*ref, "reference").empty()) {
    std::string facility = facilityIdentifier(*ref);
    if (facility.empty()) facility = std::string(fhir::stringMember(*ref, "display"));
    if (!facility.empty()) {
      r.kind = Residence::Kind::kFacility;
      r.facility = facility;
    }
  }
  return r;
}

core::StatusOr<const ServicePoint*> responsibleServicePoint(const RoutingTable& routing,
                                                            std::string_view tenant,
                                                            const Residence& residence) {
  const std::string where = "EpisodeOfCare.extension('residence')";
  if (residence.kind == Residence::Kind::kFacility) {
    const Facility* facility = routing.facility(residence.facility);
    if (facility == nullptr) {
      const std::string text = "unknown facility " + fhir::quoteForDiagnostics(residence.facility) +
                               ": no service point has physician responsibility for it in the "
                               "routing table (mappings/data/routing.json)";
      return core::unprocessable(text, {core::Issue::error("code-invalid", text, where)});
    }
    return routing.servicePoint(facility->servicePoint);
  }
  if (routing.municipality(tenant) == nullptr) {
    const std::string text = "municipality '" + std::string(tenant) +
                             "' is not in the routing table (mappings/data/routing.json)";
    return core::unprocessable(text, {core::Issue::error("code-invalid", text, "EpisodeOfCare")});
  }
  const ServicePoint* sp = routing.forArea(tenant, residence.area);
  if (sp == nullptr) {
    const std::string text = "unknown home-care area " + fhir::quoteForDiagnostics(residence.area) +
                             " in " + std::string(tenant) +
                             ": the routing table (mappings/data/routing.json) has no such area";
    return core::unprocessable(
        text,
        {core::Issue::error("code-invalid", text, "EpisodeOfCare.extension('home-care-area')")});
  }
  return sp;
}

void stampServicePoint(Value& episode, rapidjson::Document::AllocatorType& alloc,
                       const ServicePoint& servicePoint) {
  if (!episode.IsObject()) return;
  fhir::removeExtensions(episode, kServicePointExtension);
  Value ext(rapidjson::kObjectType);
  ext.AddMember("url", Value(kServicePointExtension, alloc), alloc);
  ext.AddMember("valueReference",
                organizationReference(servicePoint.hsaId, servicePoint.organizationName, alloc),
                alloc);
  fhir::addExtension(episode, std::move(ext), alloc);
}

std::optional<std::string> stampedServicePoint(const Value& episode) {
  const Value* ext = extension(episode, kServicePointExtension);
  const Value* ref = ext != nullptr ? fhir::member(*ext, "valueReference") : nullptr;
  const Value* id = ref != nullptr ? fhir::member(*ref, "identifier") : nullptr;
  if (id == nullptr) return std::nullopt;
  std::string_view value = fhir::stringMember(*id, "value");
  if (value.empty()) return std::nullopt;
  return std::string(value);
}

}  // namespace brygga::mappings

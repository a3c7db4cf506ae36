#include "mappings/routing_table.h"

#include <set>

#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/swedish_identifiers.h"
#include "mappings/data_reader.h"

namespace brygga::mappings {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;

core::StatusOr<std::string> hsaIdMember(const Value& object, std::string_view key,
                                        const DataPlace& place, bool required) {
  BRYGGA_ASSIGN_OR_RETURN(std::string value, required ? requiredString(object, key, place)
                                                      : optionalString(object, key, place));
  if (!value.empty() && !fhir::isValidHsaId(value)) {
    return place.at(key).error("'" + value +
                               "' is not a well-formed HSA-id (SE + 10 digits, e.g. "
                               "SE2321000115-E00000000001)");
  }
  return value;
}

std::string label(const Value& v, const char* key) {
  return v.IsObject() ? std::string(fhir::stringMember(v, key)) : std::string();
}

}  // namespace

core::StatusOr<RoutingTable> RoutingTable::parse(const Value& json, const std::string& file) {
  const DataPlace root{file, {}};
  BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(json,
                                          {"kind", "description", "clinic", "servicePoints",
                                           "facilities", "ordinaryHousing", "municipalities"},
                                          root));
  RoutingTable table;
  BRYGGA_ASSIGN_OR_RETURN(const Value* clinic, requiredObject(json, "clinic", root));
  BRYGGA_ASSIGN_OR_RETURN(table.clinicName_, requiredString(*clinic, "name", root.at("clinic")));
  BRYGGA_ASSIGN_OR_RETURN(table.clinicHsaId_,
                          hsaIdMember(*clinic, "hsaId", root.at("clinic"), true));

  BRYGGA_ASSIGN_OR_RETURN(const Value* points, requiredArray(json, "servicePoints", root));
  if (points->Empty()) return root.at("servicePoints").error("must not be empty");
  for (SizeType i = 0; i < points->Size(); ++i) {
    const Value& v = (*points)[i];
    const DataPlace p = root.item("servicePoints", i, label(v, "name"));
    BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(v,
                                            {"code", "name", "hsaId", "organizationName",
                                             "performingUnitHsaId", "destination", "followUpCode"},
                                            p));
    ServicePoint sp;
    BRYGGA_ASSIGN_OR_RETURN(sp.code, requiredString(v, "code", p));
    BRYGGA_ASSIGN_OR_RETURN(sp.name, requiredString(v, "name", p));
    BRYGGA_ASSIGN_OR_RETURN(sp.hsaId, hsaIdMember(v, "hsaId", p, true));
    BRYGGA_ASSIGN_OR_RETURN(sp.organizationName, requiredString(v, "organizationName", p));
    BRYGGA_ASSIGN_OR_RETURN(sp.performingUnitHsaId,
                            hsaIdMember(v, "performingUnitHsaId", p, false));
    if (sp.performingUnitHsaId.empty()) sp.performingUnitHsaId = sp.hsaId;
    BRYGGA_ASSIGN_OR_RETURN(sp.destination, requiredString(v, "destination", p));
    BRYGGA_ASSIGN_OR_RETURN(sp.followUpCode, optionalString(v, "followUpCode", p));
    if (sp.followUpCode.empty()) sp.followUpCode = sp.code;
    if (table.servicePoint(sp.code) != nullptr || table.servicePoint(sp.name) != nullptr) {
      return p.error("the code or name repeats another service point's");
    }
    table.servicePoints_.push_back(std::move(sp));
  }

  std::set<std::string> tenants;
  BRYGGA_ASSIGN_OR_RETURN(const Value* municipalities, requiredArray(json, "municipalities", root));
  for (SizeType i = 0; i < municipalities->Size(); ++i) {
    const Value& v = (*municipalities)[i];
    const DataPlace p = root.item("municipalities", i, label(v, "tenant"));
    BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(v, {"tenant", "name", "hsaId", "destination"}, p));
    Municipality m;
    BRYGGA_ASSIGN_OR_RETURN(m.tenant, requiredString(v, "tenant", p));
    BRYGGA_ASSIGN_OR_RETURN(m.name, requiredString(v, "name", p));
    BRYGGA_ASSIGN_OR_RETURN(m.hsaId, hsaIdMember(v, "hsaId", p, true));
    BRYGGA_ASSIGN_OR_RETURN(m.destination, requiredString(v, "destination", p));
    if (!tenants.insert(m.tenant).second) return p.error("the tenant " + m.tenant + " repeats");
    table.municipalities_.push_back(std::move(m));
  }

  std::set<std::string> facilityKeys;
  BRYGGA_ASSIGN_OR_RETURN(const Value* facilities, requiredArray(json, "facilities", root));
  for (SizeType i = 0; i < facilities->Size(); ++i) {
    const Value& v = (*facilities)[i];
    const DataPlace p = root.item("facilities", i, label(v, "name"));
    BRYGGA_RETURN_IF_ERROR(
        onlyKnownMembers(v, {"code", "name", "municipality", "servicePoint", "locationType"}, p));
    Facility f;
    BRYGGA_ASSIGN_OR_RETURN(f.code, requiredString(v, "code", p));
    BRYGGA_ASSIGN_OR_RETURN(f.name, requiredString(v, "name", p));
    BRYGGA_ASSIGN_OR_RETURN(f.municipality, requiredString(v, "municipality", p));
    BRYGGA_ASSIGN_OR_RETURN(f.servicePoint, requiredString(v, "servicePoint", p));
    BRYGGA_ASSIGN_OR_RETURN(f.locationType, optionalString(v, "locationType", p));
    if (f.locationType.empty()) f.locationType = "SNF";
    if (f.locationType != "SNF" && f.locationType != "NCCF") {
      return p.at("locationType").error("must be SNF or NCCF (v3-RoleCode)");
    }
    if (!tenants.count(f.municipality)) {
      return p.at("municipality").error("'" + f.municipality + "' is not a known municipality");
    }
    if (table.servicePoint(f.servicePoint) == nullptr) {
      return p.at("servicePoint").error("'" + f.servicePoint + "' is not a known service point");
    }
    if (!facilityKeys.insert(core::lowerAscii(f.code)).second ||
        (core::lowerAscii(f.code) != core::lowerAscii(f.name) &&
         !facilityKeys.insert(core::lowerAscii(f.name)).second)) {
      return p.error("the code or name repeats another facility's");
    }
    table.facilities_.push_back(std::move(f));
  }

  std::set<std::pair<std::string, std::string>> areaKeys;
  BRYGGA_ASSIGN_OR_RETURN(const Value* areas, requiredArray(json, "ordinaryHousing", root));
  for (SizeType i = 0; i < areas->Size(); ++i) {
    const Value& v = (*areas)[i];
    const DataPlace p =
        root.item("ordinaryHousing", i, label(v, "municipality") + " " + label(v, "area"));
    BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(v, {"municipality", "area", "servicePoint"}, p));
    AreaRoute a;
    BRYGGA_ASSIGN_OR_RETURN(a.municipality, requiredString(v, "municipality", p));
    BRYGGA_ASSIGN_OR_RETURN(a.area, requiredString(v, "area", p));
    BRYGGA_ASSIGN_OR_RETURN(a.servicePoint, requiredString(v, "servicePoint", p));
    if (!tenants.count(a.municipality)) {
      return p.at("municipality").error("'" + a.municipality + "' is not a known municipality");
    }
    if (table.servicePoint(a.servicePoint) == nullptr) {
      return p.at("servicePoint").error("'" + a.servicePoint + "' is not a known service point");
    }
    if (!areaKeys.insert({a.municipality, core::lowerAscii(a.area)}).second) {
      return p.error("the area repeats for this municipality");
    }
    table.areas_.push_back(std::move(a));
  }
  for (size_t i = 0; i < table.municipalities_.size(); ++i) {
    if (!areaKeys.count({table.municipalities_[i].tenant, "*"})) {
      return root.item("municipalities", i, table.municipalities_[i].tenant)
          .error(
              "has no default ordinary-housing route (an ordinaryHousing entry with area \"*\")");
    }
  }
  return table;
}

const ServicePoint* RoutingTable::servicePoint(std::string_view codeOrName) const {
  const std::string key = core::lowerAscii(codeOrName);
  for (const auto& sp : servicePoints_) {
    if (core::lowerAscii(sp.code) == key || core::lowerAscii(sp.name) == key) return &sp;
  }
  return nullptr;
}

const ServicePoint* RoutingTable::servicePointByHsaId(std::string_view hsaId) const {
  for (const auto& sp : servicePoints_) {
    if (sp.hsaId == hsaId || sp.performingUnitHsaId == hsaId) return &sp;
  }
  return nullptr;
}

const Facility* RoutingTable::facility(std::string_view codeOrName) const {
  const std::string key = core::lowerAscii(codeOrName);
  for (const auto& f : facilities_) {
    if (core::lowerAscii(f.code) == key || core::lowerAscii(f.name) == key) return &f;
  }
  return nullptr;
}

const Municipality* RoutingTable::municipality(std::string_view tenant) const {
  for (const auto& m : municipalities_) {
    if (m.tenant == tenant) return &m;
  }
  return nullptr;
}

const ServicePoint* RoutingTable::forArea(std::string_view tenant, std::string_view area) const {
  const std::string key = area.empty() ? std::string("*") : core::lowerAscii(area);
  for (const auto& a : areas_) {
    if (a.municipality == tenant && core::lowerAscii(a.area) == key)
      return servicePoint(a.servicePoint);
  }
  return nullptr;
}

}  // namespace brygga::mappings

#include "mappings/mapping_set.h"

#include <algorithm>
#include <set>

#include "gateway/core/digest.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_types.h"
#include "mappings/data_reader.h"

namespace brygga::mappings {

namespace {

using rapidjson::Value;

core::StatusOr<FlowSettings> parseSettings(const Value& json, const std::string& file) {
  const DataPlace root{file, {}};
  BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(json,
                                          {"kind", "description", "conceptMaps", "profiles",
                                           "regionProfiles", "cosmic", "healthcareService"},
                                          root));
  FlowSettings s;
  BRYGGA_ASSIGN_OR_RETURN(const Value* maps, requiredObject(json, "conceptMaps", root));
  const DataPlace mp = root.at("conceptMaps");
  BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(
      *maps,
      {"encounterClassToRegion", "visitTypeToRegion", "contactTypeToRegion",
       "visitClassToMunicipality", "visitTypeToMunicipality", "carePlanActivityToRegion",
       "carePlanActivityToMunicipality", "noteTypeToRegion"},
      mp));
  auto& c = s.conceptMaps;
  BRYGGA_ASSIGN_OR_RETURN(c.encounterClassToRegion,
                          requiredString(*maps, "encounterClassToRegion", mp));
  BRYGGA_ASSIGN_OR_RETURN(c.visitTypeToRegion, requiredString(*maps, "visitTypeToRegion", mp));
  BRYGGA_ASSIGN_OR_RETURN(c.contactTypeToRegion, optionalString(*maps, "contactTypeToRegion", mp));
  BRYGGA_ASSIGN_OR_RETURN(c.visitClassToMunicipality,
                          requiredString(*maps, "visitClassToMunicipality", mp));
  BRYGGA_ASSIGN_OR_RETURN(c.visitTypeToMunicipality,
                          requiredString(*maps, "visitTypeToMunicipality", mp));
  BRYGGA_ASSIGN_OR_RETURN(c.carePlanActivityToRegion,
                          requiredString(*maps, "carePlanActivityToRegion", mp));
  BRYGGA_ASSIGN_OR_RETURN(c.carePlanActivityToMunicipality,
                          requiredString(*maps, "carePlanActivityToMunicipality", mp));
  BRYGGA_ASSIGN_OR_RETURN(c.noteTypeToRegion, requiredString(*maps, "noteTypeToRegion", mp));

  for (const char* key : {"profiles", "regionProfiles"}) {
    BRYGGA_ASSIGN_OR_RETURN(const Value* profiles, optionalObject(json, key, root));
    if (profiles == nullptr) continue;
    auto& out = std::string_view(key) == "profiles" ? s.profiles : s.regionProfiles;
    for (const auto& m : profiles->GetObject()) {
      const std::string type(m.name.GetString(), m.name.GetStringLength());
      const DataPlace pp = root.at(key).at(type);
      if (!fhir::isKnownR4ResourceType(type)) return pp.error("is not an R4 resource type");
      if (!m.value.IsString() || m.value.GetStringLength() == 0) {
        return pp.error("must be a profile url");
      }
      out[type] = std::string(m.value.GetString(), m.value.GetStringLength());
    }
  }
  BRYGGA_ASSIGN_OR_RETURN(const Value* cosmic, requiredObject(json, "cosmic", root));
  BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(*cosmic, {"performingUnitExtension"}, root.at("cosmic")));
  BRYGGA_ASSIGN_OR_RETURN(s.performingUnitExtension,
                          requiredString(*cosmic, "performingUnitExtension", root.at("cosmic")));
  BRYGGA_ASSIGN_OR_RETURN(const Value* hs, optionalObject(json, "healthcareService", root));
  if (hs != nullptr) {
    const DataPlace hp = root.at("healthcareService");
    BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(*hs, {"publishClosedDays"}, hp));
    const Value* days = fhir::member(*hs, "publishClosedDays");
    if (days != nullptr) {
      if (!days->IsInt() || days->GetInt() < 1 || days->GetInt() > 400) {
        return hp.at("publishClosedDays").error("must be an integer from 1 to 400");
      }
      s.publishClosedDays = days->GetInt();
    }
  }
  return s;
}

}  // namespace

core::StatusOr<std::shared_ptr<const MappingSet>> MappingSet::parse(
    std::vector<MappingFile> files) {
  std::sort(files.begin(), files.end(),
            [](const MappingFile& a, const MappingFile& b) { return a.name < b.name; });
  std::shared_ptr<MappingSet> set(new MappingSet());
  std::string hashed;
  struct Parsed {
    const MappingFile* file;
    rapidjson::Document doc;
  };
  std::vector<Parsed> parsed;
  const Parsed* routing = nullptr;
  const Parsed* hours = nullptr;
  const Parsed* flows = nullptr;
  for (const auto& f : files) {
    hashed += f.name;
    hashed += '\0';
    hashed += f.content;
    hashed += '\0';
    set->fileNames_.push_back(f.name);
    auto doc = fhir::parseJson(f.content, fhir::JsonLimits{4 * 1024 * 1024, 64});
    if (!doc.isOk()) return core::invalidArgument(f.name + ": " + doc.status().message());
    parsed.push_back(Parsed{&f, std::move(doc).value()});
  }
  for (const auto& p : parsed) {
    const DataPlace place{p.file->name, {}};
    if (!p.doc.IsObject()) return place.error("must be a JSON object");
    if (fhir::stringMember(p.doc, "resourceType") == "ConceptMap") continue;
    if (fhir::stringMember(p.doc, "resourceType") == "Measure") {
      BRYGGA_ASSIGN_OR_RETURN(MeasureDefinition measure,
                              MeasureDefinition::parse(p.doc, p.file->name));
      const std::string id = measure.id;
      if (!set->measures_.emplace(id, std::move(measure)).second) {
        return place.error("Measure " + id + " is already defined in another file");
      }
      continue;
    }
    const std::string kind(fhir::stringMember(p.doc, "kind"));
    const Parsed** slot = kind == "routing"         ? &routing
                          : kind == "service-hours" ? &hours
                          : kind == "flows"         ? &flows
                                                    : nullptr;
    if (slot == nullptr) {
      return place.error(
          "is neither a ConceptMap, a Measure nor a Brygga data file (\"kind\": routing, "
          "service-hours or "
          "flows)");
    }
    if (*slot != nullptr) {
      return place.error("is a second \"" + kind + "\" file (the first is " + (*slot)->file->name +
                         ")");
    }
    *slot = &p;
  }
  for (const auto& [slot, kind] : {std::pair{routing, "routing"}, std::pair{hours, "service-hours"},
                                   std::pair{flows, "flows"}}) {
    if (slot == nullptr) {
      return core::invalidArgument(std::string("mappings: no \"") + kind +
                                   "\" file among the mapping files");
    }
  }
  BRYGGA_ASSIGN_OR_RETURN(set->routing_, RoutingTable::parse(routing->doc, routing->file->name));
  std::set<std::string> codes;
  for (const auto& sp : set->routing_.servicePoints()) codes.insert(core::lowerAscii(sp.code));
  BRYGGA_ASSIGN_OR_RETURN(set->hours_, ServiceHours::parse(hours->doc, hours->file->name, codes));
  BRYGGA_ASSIGN_OR_RETURN(set->settings_, parseSettings(flows->doc, flows->file->name));

  std::map<std::string, std::string> fileOfUrl;
  for (const auto& p : parsed) {
    if (fhir::stringMember(p.doc, "resourceType") != "ConceptMap") continue;
    BRYGGA_ASSIGN_OR_RETURN(ConceptMap map, ConceptMap::parse(p.doc, p.file->name));
    if (auto seen = fileOfUrl.find(map.url()); seen != fileOfUrl.end()) {
      return core::invalidArgument(p.file->name + ": ConceptMap " + map.url() +
                                   " is already defined in " + seen->second);
    }
    fileOfUrl[map.url()] = p.file->name;
    set->conceptMaps_.emplace(map.url(), std::move(map));
  }
  const auto& c = set->settings_.conceptMaps;
  const std::pair<const char*, const std::string*> kNeeded[] = {
      {"encounterClassToRegion", &c.encounterClassToRegion},
      {"visitTypeToRegion", &c.visitTypeToRegion},
      {"contactTypeToRegion", &c.contactTypeToRegion},
      {"visitClassToMunicipality", &c.visitClassToMunicipality},
      {"visitTypeToMunicipality", &c.visitTypeToMunicipality},
      {"carePlanActivityToRegion", &c.carePlanActivityToRegion},
      {"carePlanActivityToMunicipality", &c.carePlanActivityToMunicipality},
      {"noteTypeToRegion", &c.noteTypeToRegion}};
  for (const auto& [key, url] : kNeeded) {
    if (!url->empty() && !set->conceptMaps_.count(*url)) {
      return DataPlace{flows->file->name, std::string("conceptMaps.") + key}.error(
          "names " + *url + ", which no ConceptMap file defines");
    }
  }
  set->version_ = core::sha256Hex(hashed).substr(0, 16);
  return std::shared_ptr<const MappingSet>(std::move(set));
}

const MeasureDefinition* MappingSet::measure(std::string_view id) const {
  auto it = measures_.find(std::string(id));
  return it == measures_.end() ? nullptr : &it->second;
}

const ConceptMap* MappingSet::conceptMap(std::string_view url) const {
  auto it = conceptMaps_.find(std::string(url));
  return it == conceptMaps_.end() ? nullptr : &it->second;
}

std::string MappingSet::profileFor(std::string_view type, bool towardsRegion) const {
  const std::string key(type);
  if (towardsRegion) {
    auto it = settings_.regionProfiles.find(key);
    if (it != settings_.regionProfiles.end()) return it->second;
  }
  auto it = settings_.profiles.find(key);
  return it == settings_.profiles.end() ? std::string() : it->second;
}

}  // namespace brygga::mappings

#include "mappings/measure_definition.h"

#include <algorithm>
#include <map>
#include <set>

#include "gateway/fhir/json.h"
#include "mappings/data_reader.h"

namespace brygga::mappings {

namespace {

using rapidjson::Value;

// What gateway/measures evaluates: per measure id, its group codes with the populations each may
// report, and the stratifiers every group may have.
struct KnownMeasure {
  std::map<std::string, std::set<std::string>> groups;
  std::set<std::string> stratifiers;
};

const std::map<std::string, KnownMeasure>& knownMeasures() {
  static const std::map<std::string, KnownMeasure> kKnown = [] {
    const std::set<std::string> ip = {"initial-population"};
    std::map<std::string, KnownMeasure> m;
    m["contacts"] = {{{"home-visit", ip}, {"consultation", ip}}, {"service-point", "municipality"}};
    m["enrolled-patients"] = {{{"enrolled", ip}, {"new-enrollments", ip}},
                              {"service-point", "municipality"}};
    m["short-term-patients"] = m["enrolled-patients"];
    m["consultation-requests"] = {
        {{"within-hours", ip},
         {"outside-hours", ip},
         {"answered", ip},
         {"declined", ip},
         {"time-to-encounter", {"initial-population", "measure-observation"}}},
        {"service-point", "municipality"}};
    m["readmission-30d"] = {
        {{"readmission-30d", {"initial-population", "denominator", "numerator"}}},
        {"service-point", "municipality"}};
    return m;
  }();
  return kKnown;
}

std::string joinKeys(const std::set<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// The code of a CodeableConcept's first coding (of `system` when given).
std::string codeOf(const Value* conceptValue, std::string_view system = {}) {
  if (conceptValue == nullptr || !conceptValue->IsObject()) return {};
  const Value* codings = fhir::member(*conceptValue, "coding");
  if (codings == nullptr || !codings->IsArray()) return {};
  for (const auto& c : codings->GetArray()) {
    if (!c.IsObject()) continue;
    if (!system.empty() && fhir::stringMember(c, "system") != system) continue;
    return std::string(fhir::stringMember(c, "code"));
  }
  return {};
}

std::string withoutDots(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c != '.') out += c;
  }
  return out;
}

core::Status parseCohort(const Value& json, const DataPlace& root,
                         std::vector<MeasureDefinition::CohortCode>& out) {
  const Value* contained = fhir::member(json, "contained");
  if (contained == nullptr) return core::Status::ok();
  if (!contained->IsArray()) return root.at("contained").error("must be an array");
  for (size_t i = 0; i < contained->Size(); ++i) {
    const Value& vs = (*contained)[static_cast<rapidjson::SizeType>(i)];
    const DataPlace p = root.item("contained", i);
    if (!vs.IsObject() || fhir::stringMember(vs, "resourceType") != "ValueSet") {
      return p.error("only a ValueSet (the cohort's codes) may be contained");
    }
    BRYGGA_ASSIGN_OR_RETURN(const Value* compose, requiredObject(vs, "compose", p));
    BRYGGA_ASSIGN_OR_RETURN(const Value* includes,
                            requiredArray(*compose, "include", p.at("compose")));
    for (size_t k = 0; k < includes->Size(); ++k) {
      const Value& inc = (*includes)[static_cast<rapidjson::SizeType>(k)];
      const DataPlace ip = p.at("compose").item("include", k);
      if (!inc.IsObject()) return ip.error("must be an object");
      BRYGGA_ASSIGN_OR_RETURN(std::string system, requiredString(inc, "system", ip));
      BRYGGA_ASSIGN_OR_RETURN(const Value* concepts, optionalArray(inc, "concept", ip));
      BRYGGA_ASSIGN_OR_RETURN(const Value* filters, optionalArray(inc, "filter", ip));
      if (concepts == nullptr && filters == nullptr) {
        return ip.error("names no concept and no filter");
      }
      if (concepts != nullptr) {
        for (size_t c = 0; c < concepts->Size(); ++c) {
          const Value& conceptValue = (*concepts)[static_cast<rapidjson::SizeType>(c)];
          if (!conceptValue.IsObject()) return ip.item("concept", c).error("must be an object");
          BRYGGA_ASSIGN_OR_RETURN(std::string code,
                                  requiredString(conceptValue, "code", ip.item("concept", c)));
          out.push_back({system, withoutDots(code), false});
        }
      }
      if (filters != nullptr) {
        for (size_t f = 0; f < filters->Size(); ++f) {
          const Value& filter = (*filters)[static_cast<rapidjson::SizeType>(f)];
          const DataPlace fp = ip.item("filter", f);
          if (!filter.IsObject()) return fp.error("must be an object");
          if (fhir::stringMember(filter, "property") != "concept" ||
              fhir::stringMember(filter, "op") != "is-a") {
            return fp.error("only the filter concept is-a <code> is understood");
          }
          BRYGGA_ASSIGN_OR_RETURN(std::string code, requiredString(filter, "value", fp));
          out.push_back({system, withoutDots(code), true});
        }
      }
    }
  }
  return core::Status::ok();
}

}  // namespace

bool MeasureDefinition::inCohort(std::string_view system, std::string_view code) const {
  const std::string c = withoutDots(code);
  for (const auto& rule : cohort) {
    if (rule.system != system) continue;
    if (rule.isA ? c.rfind(rule.code, 0) == 0 : c == rule.code) return true;
  }
  return false;
}

const MeasureDefinition::Group* MeasureDefinition::group(std::string_view code) const {
  for (const auto& g : groups) {
    if (g.code == code) return &g;
  }
  return nullptr;
}

core::StatusOr<MeasureDefinition> MeasureDefinition::parse(const Value& json,
                                                           const std::string& file) {
  MeasureDefinition d;
  const DataPlace root{file, "Measure"};
  BRYGGA_ASSIGN_OR_RETURN(d.id, requiredString(json, "id", root));
  const auto known = knownMeasures().find(d.id);
  if (known == knownMeasures().end()) {
    std::set<std::string> ids;
    for (const auto& [id, _] : knownMeasures()) ids.insert(id);
    return root.at("id").error("'" + d.id + "' is not a measure Brygga evaluates (" +
                               joinKeys(ids) + ")");
  }
  BRYGGA_ASSIGN_OR_RETURN(d.url, requiredString(json, "url", root));
  BRYGGA_ASSIGN_OR_RETURN(d.title, optionalString(json, "title", root));
  BRYGGA_ASSIGN_OR_RETURN(std::string status, requiredString(json, "status", root));
  if (status != "active" && status != "draft" && status != "retired") {
    return root.at("status").error("must be draft, active or retired");
  }
  d.scoring = codeOf(fhir::member(json, "scoring"));
  if (d.scoring.empty()) return root.at("scoring").error("must name the scoring");
  BRYGGA_ASSIGN_OR_RETURN(const Value* groups, requiredArray(json, "group", root));
  for (size_t i = 0; i < groups->Size(); ++i) {
    const Value& g = (*groups)[static_cast<rapidjson::SizeType>(i)];
    const DataPlace gp = root.item("group", i);
    if (!g.IsObject()) return gp.error("must be an object");
    Group group;
    group.code = codeOf(fhir::member(g, "code"), kMeasureGroupSystem);
    auto allowed = known->second.groups.find(group.code);
    if (allowed == known->second.groups.end()) {
      std::set<std::string> codes;
      for (const auto& [code, _] : known->second.groups) codes.insert(code);
      return gp.at("code").error("must be a code of " + std::string(kMeasureGroupSystem) +
                                 " that " + d.id + " has (" + joinKeys(codes) + ")");
    }
    if (d.group(group.code) != nullptr) return gp.at("code").error("repeats another group's");
    BRYGGA_ASSIGN_OR_RETURN(group.description, optionalString(g, "description", gp));
    BRYGGA_ASSIGN_OR_RETURN(const Value* pops, requiredArray(g, "population", gp));
    for (size_t k = 0; k < pops->Size(); ++k) {
      const Value& pop = (*pops)[static_cast<rapidjson::SizeType>(k)];
      const DataPlace pp = gp.item("population", k);
      if (!pop.IsObject()) return pp.error("must be an object");
      const std::string code = codeOf(fhir::member(pop, "code"), kMeasurePopulationSystem);
      if (allowed->second.count(code) == 0) {
        return pp.at("code").error("must be one of " + joinKeys(allowed->second));
      }
      group.populations.push_back(code);
    }
    BRYGGA_ASSIGN_OR_RETURN(const Value* strats, optionalArray(g, "stratifier", gp));
    if (strats != nullptr) {
      for (size_t k = 0; k < strats->Size(); ++k) {
        const Value& s = (*strats)[static_cast<rapidjson::SizeType>(k)];
        const DataPlace sp = gp.item("stratifier", k);
        if (!s.IsObject()) return sp.error("must be an object");
        const std::string code = codeOf(fhir::member(s, "code"), kMeasureStratifierSystem);
        if (known->second.stratifiers.count(code) == 0) {
          return sp.at("code").error("must be one of " + joinKeys(known->second.stratifiers));
        }
        group.stratifiers.push_back(code);
      }
    }
    d.groups.push_back(std::move(group));
  }
  BRYGGA_RETURN_IF_ERROR(parseCohort(json, root, d.cohort));
  if (d.id == "readmission-30d" && d.cohort.empty()) {
    return root.at("contained").error("the readmission cohort needs a ValueSet of its codes");
  }
  d.json = fhir::toJson(json);
  return d;
}

}  // namespace brygga::mappings

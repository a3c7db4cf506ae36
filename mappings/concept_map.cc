#include "mappings/concept_map.h"

#include <algorithm>
#include <array>

#include "gateway/fhir/json.h"
#include "mappings/data_reader.h"

namespace brygga::mappings {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;

constexpr std::array<std::string_view, 10> kEquivalences = {
    "relatedto", "equivalent",  "equal",   "wider",     "subsumes",
    "narrower",  "specializes", "inexact", "unmatched", "disjoint"};
constexpr std::array<std::string_view, 4> kStatuses = {"draft", "active", "retired", "unknown"};

bool maps(const std::string& equivalence) {
  return equivalence != "unmatched" && equivalence != "disjoint";
}

core::StatusOr<ConceptMap::Target> readTarget(const Value& t, const DataPlace& place) {
  if (!t.IsObject()) return place.error("must be an object");
  ConceptMap::Target target;
  BRYGGA_ASSIGN_OR_RETURN(target.equivalence, requiredString(t, "equivalence", place));
  if (std::find(kEquivalences.begin(), kEquivalences.end(), target.equivalence) ==
      kEquivalences.end()) {
    return place.at("equivalence")
        .error("'" + target.equivalence + "' is not an R4 ConceptMap equivalence");
  }
  if (maps(target.equivalence)) {
    BRYGGA_ASSIGN_OR_RETURN(target.code, requiredString(t, "code", place));
  } else {
    BRYGGA_ASSIGN_OR_RETURN(target.code, optionalString(t, "code", place));
  }
  BRYGGA_ASSIGN_OR_RETURN(target.display, optionalString(t, "display", place));
  BRYGGA_ASSIGN_OR_RETURN(const Value* depends, optionalArray(t, "dependsOn", place));
  if (depends != nullptr) {
    for (SizeType i = 0; i < depends->Size(); ++i) {
      const DataPlace dp = place.item("dependsOn", i);
      const Value& d = (*depends)[i];
      if (!d.IsObject()) return dp.error("must be an object");
      Coding c;
      BRYGGA_ASSIGN_OR_RETURN(std::string property, requiredString(d, "property", dp));
      (void)property;  // documentation for people; the context is the resource's own codings
      BRYGGA_ASSIGN_OR_RETURN(c.system, optionalString(d, "system", dp));
      BRYGGA_ASSIGN_OR_RETURN(c.code, requiredString(d, "value", dp));
      target.dependsOn.push_back(std::move(c));
    }
  }
  return target;
}

}  // namespace

core::StatusOr<ConceptMap> ConceptMap::parse(const Value& resource, const std::string& file) {
  DataPlace place{file, {}};
  if (!resource.IsObject() || fhir::stringMember(resource, "resourceType") != "ConceptMap") {
    return place.error("is not a ConceptMap resource");
  }
  ConceptMap map;
  BRYGGA_ASSIGN_OR_RETURN(map.url_, requiredString(resource, "url", place));
  if (map.url_.rfind("http://", 0) != 0 && map.url_.rfind("https://", 0) != 0 &&
      map.url_.rfind("urn:", 0) != 0) {
    return place.at("url").error("must be an absolute URI");
  }
  place.file = file + ": ConceptMap " + map.url_;
  BRYGGA_ASSIGN_OR_RETURN(map.name_, optionalString(resource, "name", place));
  BRYGGA_ASSIGN_OR_RETURN(std::string status, requiredString(resource, "status", place));
  if (std::find(kStatuses.begin(), kStatuses.end(), status) == kStatuses.end()) {
    return place.at("status").error("must be draft, active, retired or unknown");
  }
  BRYGGA_ASSIGN_OR_RETURN(const Value* groups, requiredArray(resource, "group", place));
  if (groups->Empty()) return place.at("group").error("must not be empty");
  for (SizeType g = 0; g < groups->Size(); ++g) {
    const DataPlace gp = place.item("group", g);
    const Value& gv = (*groups)[g];
    if (!gv.IsObject()) return gp.error("must be an object");
    Group group;
    BRYGGA_ASSIGN_OR_RETURN(group.source, requiredString(gv, "source", gp));
    BRYGGA_ASSIGN_OR_RETURN(group.target, requiredString(gv, "target", gp));
    BRYGGA_ASSIGN_OR_RETURN(const Value* elements, requiredArray(gv, "element", gp));
    for (SizeType e = 0; e < elements->Size(); ++e) {
      const Value& ev = (*elements)[e];
      const std::string label = ev.IsObject() ? std::string(fhir::stringMember(ev, "code")) : "";
      const DataPlace ep = gp.item("element", e, label);
      if (!ev.IsObject()) return ep.error("must be an object");
      BRYGGA_ASSIGN_OR_RETURN(std::string code, requiredString(ev, "code", ep));
      if (group.elements.count(code)) {
        return ep.error("the code " + code + " is listed twice in this group");
      }
      BRYGGA_ASSIGN_OR_RETURN(const Value* targets, requiredArray(ev, "target", ep));
      if (targets->Empty()) return ep.at("target").error("must not be empty");
      std::vector<Target> list;
      for (SizeType t = 0; t < targets->Size(); ++t) {
        BRYGGA_ASSIGN_OR_RETURN(Target target, readTarget((*targets)[t], ep.item("target", t)));
        list.push_back(std::move(target));
      }
      group.elements.emplace(code, std::move(list));
    }
    map.groups_.push_back(std::move(group));
  }
  return map;
}

std::optional<Coding> ConceptMap::translate(std::string_view system, std::string_view code,
                                            std::string_view targetSystem,
                                            const std::vector<Coding>& context) const {
  for (const Group& group : groups_) {
    if (group.source != system) continue;
    if (!targetSystem.empty() && group.target != targetSystem) continue;
    auto it = group.elements.find(std::string(code));
    if (it == group.elements.end()) continue;
    for (const Target& target : it->second) {
      const bool applies =
          std::all_of(target.dependsOn.begin(), target.dependsOn.end(), [&](const Coding& needed) {
            return std::any_of(context.begin(), context.end(), [&](const Coding& c) {
              return c.code == needed.code && (needed.system.empty() || c.system == needed.system);
            });
          });
      if (!applies) continue;
      // The first applicable target decides, also when it says "unmatched": the data's author
      // stated that this combination has no counterpart.
      if (!maps(target.equivalence)) return std::nullopt;
      return Coding{group.target, target.code, target.display};
    }
  }
  return std::nullopt;
}

}  // namespace brygga::mappings

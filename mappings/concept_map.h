#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"

namespace brygga::mappings {

struct Coding {
  std::string system;
  std::string code;
  std::string display;
  bool operator==(const Coding& other) const {
    return system == other.system && code == other.code;
  }
};

// A FHIR R4 ConceptMap read from mappings/data: groups of (source system -> target system) with
// elements whose targets may depend on other codings of the same resource (dependsOn), e.g. VR ->
// 185317003 only when Encounter.type says "phone". Immutable after parse; thread-safe.
class ConceptMap {
 public:
  struct Target {
    std::string code;
    std::string display;
    std::string equivalence;
    std::vector<Coding> dependsOn;  // all must be present in the translation context
  };
  struct Group {
    std::string source;
    std::string target;
    std::map<std::string, std::vector<Target>> elements;  // by source code
  };

  // Reads and checks one ConceptMap resource: url, status, groups with source and target systems,
  // elements with a code, targets with a code and an R4 equivalence, dependsOn with property and
  // value; a code listed twice in one group is an error. Errors name `file` and the element.
  static core::StatusOr<ConceptMap> parse(const rapidjson::Value& resource,
                                          const std::string& file);

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }
  const std::vector<Group>& groups() const { return groups_; }

  // The coding `code` of `system` maps to: the first target, in file order, of a group with that
  // source (and target system `targetSystem` when not empty) whose dependsOn codings are all in
  // `context`. nullopt when nothing maps (no element, or only unmatched / disjoint targets).
  std::optional<Coding> translate(std::string_view system, std::string_view code,
                                  std::string_view targetSystem = {},
                                  const std::vector<Coding>& context = {}) const;

 private:
  std::string url_;
  std::string name_;
  std::vector<Group> groups_;
};

}  // namespace brygga::mappings

#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"

// The follow-up Measures of mappings/data (issue 13): FHIR Measure resources, checked against
// what gateway/measures evaluates (each measure id, group code, population and stratifier it may
// name). Pure; immutable after parse.
namespace brygga::mappings {

inline constexpr const char* kMeasureGroupSystem =
    "https://brygga.se/fhir/CodeSystem/measure-group";
inline constexpr const char* kMeasureStratifierSystem =
    "https://brygga.se/fhir/CodeSystem/measure-stratifier";
inline constexpr const char* kMeasurePopulationSystem =
    "http://terminology.hl7.org/CodeSystem/measure-population";

struct MeasureDefinition {
  struct Group {
    std::string code;  // "home-visit"
    std::string description;
    std::vector<std::string> populations;  // measure-population codes, in the data's order
    std::vector<std::string> stratifiers;  // "service-point", "municipality"
  };
  // A code of the cohort's ValueSet: an exact code, or (isA) the code and everything below it
  // (ICD-10 "I50" takes I50, I50.0, I509 ...).
  struct CohortCode {
    std::string system;
    std::string code;
    bool isA = false;
  };

  std::string id;   // "contacts"
  std::string url;  // canonical
  std::string title;
  std::string scoring;  // measure-scoring code: cohort, proportion, continuous-variable
  std::vector<Group> groups;
  std::vector<CohortCode> cohort;  // readmission-30d: the heart-failure ValueSet
  std::string json;                // the resource as served at /fhir/Measure/{id}

  // True when system|code is in the cohort (codes compare with '.' ignored, so I50.9 is I509).
  bool inCohort(std::string_view system, std::string_view code) const;
  const Group* group(std::string_view code) const;

  // Parses and checks one Measure; errors are kInvalidArgument naming the file and the element.
  static core::StatusOr<MeasureDefinition> parse(const rapidjson::Value& json,
                                                 const std::string& file);
};

}  // namespace brygga::mappings

#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"
#include "mappings/concept_map.h"
#include "mappings/measure_definition.h"
#include "mappings/routing_table.h"
#include "mappings/service_hours.h"

namespace brygga::mappings {

// One data file as read from mappings/data (the reading itself is gateway/flows' job).
struct MappingFile {
  std::string name;  // file name, used in error messages: "routing.json"
  std::string content;
};

// flows.json: which ConceptMap serves which translation, the profiles Brygga stamps into
// meta.profile of what it emits, and the regional EHR's (Cambio COSMIC) profile settings.
struct FlowSettings {
  struct ConceptMaps {
    std::string encounterClassToRegion;    // HH/VR -> AMB
    std::string visitTypeToRegion;         // HH/VR (+ type) -> the COSMIC modality in type
    std::string contactTypeToRegion;       // modality -> KV kontakttyp (optional coding)
    std::string visitClassToMunicipality;  // COSMIC type -> HH/VR
    std::string visitTypeToMunicipality;   // COSMIC type -> the municipal type coding
    std::string carePlanActivityToRegion;
    std::string carePlanActivityToMunicipality;
    std::string noteTypeToRegion;  // municipal note types -> LOINC
  } conceptMaps;
  std::map<std::string, std::string> profiles;        // resource type -> profile (Brygga's)
  std::map<std::string, std::string> regionProfiles;  // resource type -> profile towards COSMIC
  std::string performingUnitExtension;                // COSMIC's performing-unit extension url
  int publishClosedDays = 60;  // HealthcareService.notAvailable covers this many days ahead
};

// Everything in mappings/data, checked and cross-checked, with the content hash that identifies
// it in the exchange log. Immutable; shared between threads by shared_ptr (a reload makes a new
// one, requests in flight keep the one they started with).
class MappingSet {
 public:
  // Parses every file: ConceptMaps (resourceType "ConceptMap"), Measures (resourceType
  // "Measure", each id once) and Brygga's own files by their
  // "kind" (routing, service-hours, flows; each exactly once). Errors are kInvalidArgument naming
  // the file and the entry; nothing is half-loaded.
  static core::StatusOr<std::shared_ptr<const MappingSet>> parse(std::vector<MappingFile> files);

  // The first 16 hex digits of the SHA-256 over the files (name and content, in name order).
  const std::string& version() const { return version_; }
  const std::vector<std::string>& fileNames() const { return fileNames_; }
  const RoutingTable& routing() const { return routing_; }
  const ServiceHours& hours() const { return *hours_; }
  const FlowSettings& settings() const { return settings_; }
  const std::map<std::string, ConceptMap>& conceptMaps() const { return conceptMaps_; }
  // By canonical url; nullptr when not loaded.
  const ConceptMap* conceptMap(std::string_view url) const;
  // meta.profile for a resource Brygga emits (empty when none is configured).
  std::string profileFor(std::string_view type, bool towardsRegion) const;
  // The follow-up Measures (resourceType "Measure"), by id; nullptr when not loaded.
  const std::map<std::string, MeasureDefinition>& measures() const { return measures_; }
  const MeasureDefinition* measure(std::string_view id) const;

 private:
  MappingSet() = default;

  std::string version_;
  std::vector<std::string> fileNames_;
  RoutingTable routing_;
  std::optional<ServiceHours> hours_;
  FlowSettings settings_;
  std::map<std::string, ConceptMap> conceptMaps_;      // by url
  std::map<std::string, MeasureDefinition> measures_;  // by id
};

}  // namespace brygga::mappings

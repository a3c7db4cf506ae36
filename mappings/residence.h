#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "mappings/routing_table.h"

// Where a home-care patient lives decides who has physician responsibility: a short-term care
// facility names its service point; ordinary housing goes by municipality and area. The
// municipality says where in the EpisodeOfCare: a residence extension (a reference to a Location,
// or a logical reference to a facility by identifier or name) and/or a home-care-area extension.
// Pure; thread-safe.
namespace brygga::mappings {

struct Residence {
  enum class Kind { kUnstated, kHome, kFacility };
  Kind kind = Kind::kUnstated;
  std::string facility;  // facility code or name as given
  std::string area;      // ordinary-housing area as given
};

// The literal reference of the EpisodeOfCare's residence extension ("urn:uuid:...",
// "Location/12"), for the caller to resolve; nullopt when there is none.
std::optional<std::string> residenceReference(const rapidjson::Value& episode);

// The residence an EpisodeOfCare states, reading the Location it refers to when the caller
// resolved it (`location`, may be null). A Location typed PTRES (v3-RoleCode) is a home, its
// area in address.district or a home-care-area extension; any other Location is a facility,
// named by its facility identifier or its name.
Residence residenceOf(const rapidjson::Value& episode, const rapidjson::Value* location);

// The service point responsible for a patient of municipality `tenant` living at `residence`.
// kUnprocessable naming what is unknown: the facility, the area, or the municipality.
core::StatusOr<const ServicePoint*> responsibleServicePoint(const RoutingTable& routing,
                                                            std::string_view tenant,
                                                            const Residence& residence);

// Writes (or replaces) the responsible-service-point extension: a logical reference to the
// service point by its HSA-id.
void stampServicePoint(rapidjson::Value& episode, rapidjson::Document::AllocatorType& alloc,
                       const ServicePoint& servicePoint);
// The HSA-id in the responsible-service-point extension, if any.
std::optional<std::string> stampedServicePoint(const rapidjson::Value& episode);

}  // namespace brygga::mappings

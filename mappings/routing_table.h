#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"

namespace brygga::mappings {

// One of the clinic's service points (Kungsbacka, Varberg, Halmstad, Hylte VC): the unit a
// patient's physician responsibility lies with, and where its requests go.
struct ServicePoint {
  std::string code;                 // "kungsbacka", used in hours overrides and the CLI
  std::string name;                 // "Kungsbacka"
  std::string hsaId;                // the service point as an organization (serviceProvider)
  std::string organizationName;     // display
  std::string performingUnitHsaId;  // the COSMIC performing unit; defaults to hsaId
  std::string destination;          // delivery destination of its requests and visits
  std::string followUpCode;  // its stratum in the follow-up measures ("hylte"); defaults to code
};

// A municipal short-term care facility (korttidsboende) and who has physician responsibility.
struct Facility {
  std::string code;          // "smedjan"
  std::string name;          // "Smedjan"
  std::string municipality;  // tenant, "kungsbacka"
  std::string servicePoint;  // ServicePoint::code
  std::string locationType;  // v3-RoleCode: SNF or NCCF
};

// Ordinary housing: municipality + area -> service point; area "*" is the municipality's default.
struct AreaRoute {
  std::string municipality;
  std::string area;
  std::string servicePoint;
};

// A municipality (a tenant) and where the region's messages to it go.
struct Municipality {
  std::string tenant;
  std::string name;
  std::string hsaId;
  std::string destination;  // delivery destination for region -> municipality flows
};

// The routing tables of mappings/data/routing.json. Immutable after parse; thread-safe.
class RoutingTable {
 public:
  // Checks every entry: unique codes, HSA-ids well formed, each facility and area naming a known
  // service point and municipality, each municipality having a default ("*") area.
  static core::StatusOr<RoutingTable> parse(const rapidjson::Value& json, const std::string& file);

  const std::string& clinicName() const { return clinicName_; }
  const std::string& clinicHsaId() const { return clinicHsaId_; }
  const std::vector<ServicePoint>& servicePoints() const { return servicePoints_; }
  const std::vector<Facility>& facilities() const { return facilities_; }
  const std::vector<Municipality>& municipalities() const { return municipalities_; }

  // By code or name, without regard to ASCII case; nullptr when unknown.
  const ServicePoint* servicePoint(std::string_view codeOrName) const;
  const ServicePoint* servicePointByHsaId(std::string_view hsaId) const;
  const Facility* facility(std::string_view codeOrName) const;
  const Municipality* municipality(std::string_view tenant) const;
  // The service point for ordinary housing in `area` of `tenant`; an empty area means the
  // municipality's default. nullptr when the area (or the municipality) is unknown.
  const ServicePoint* forArea(std::string_view tenant, std::string_view area) const;

 private:
  std::string clinicName_;
  std::string clinicHsaId_;
  std::vector<ServicePoint> servicePoints_;
  std::vector<Facility> facilities_;
  std::vector<AreaRoute> areas_;
  std::vector<Municipality> municipalities_;
};

}  // namespace brygga::mappings

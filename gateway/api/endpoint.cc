#include "gateway/api/endpoint.h"

#include "gateway/fhir/resource_types.h"
#include "gateway/fhir/swedish_identifiers.h"
#include "gateway/metrics/route_template.h"

namespace brygga::api {

core::Status assertUser(Caller& caller, const std::string& hsaId) {
  if (!caller.authenticated || !caller.mayAssertUser) {
    return core::invalidArgument(std::string(kUserHsaIdHeader) +
                                 " is accepted only from clients configured to name their "
                                 "users (mayAssertUser)");
  }
  if (!fhir::isValidHsaId(hsaId)) {
    return core::invalidArgument(std::string(kUserHsaIdHeader) + " is not a valid HSA-id");
  }
  caller.userHsaId = hsaId;
  return core::Status::ok();
}

std::string routeTemplate(std::string_view path) {
  return metrics::routeTemplate(
      path, [](std::string_view type) { return fhir::isSupportedResourceType(type); });
}

}  // namespace brygga::api

#include "mappings/enrollment_forward.h"

#include <algorithm>
#include <map>

#include <rapidjson/document.h>

#include "gateway/fhir/json.h"
#include "mappings/care_plan.h"

namespace brygga::mappings {

namespace {

int orderOf(const std::string& type) {
  static const std::map<std::string, int> kOrder = {
      {"Patient", 0}, {"EpisodeOfCare", 1}, {"Condition", 2}, {"CarePlan", 3}};
  auto it = kOrder.find(type);
  return it == kOrder.end() ? 9 : it->second;
}

}  // namespace

core::StatusOr<std::string> buildEnrollmentForward(const std::vector<StoredResource>& resources) {
  return buildEnrollmentForward(resources, FlowContext{});
}

core::StatusOr<std::string> buildEnrollmentForward(const std::vector<StoredResource>& resources,
                                                   const FlowContext& context) {
  std::vector<const StoredResource*> ordered;
  for (const auto& r : resources) {
    if (orderOf(r.type) < 9) ordered.push_back(&r);
  }
  std::stable_sort(ordered.begin(), ordered.end(), [](const auto* a, const auto* b) {
    return orderOf(a->type) < orderOf(b->type);
  });
  const bool hasPatient =
      std::any_of(ordered.begin(), ordered.end(), [](auto* r) { return r->type == "Patient"; });
  const bool hasEpisode = std::any_of(ordered.begin(), ordered.end(),
                                      [](auto* r) { return r->type == "EpisodeOfCare"; });
  if (!hasPatient || !hasEpisode) {
    return core::unprocessable("an enrollment needs a Patient and an EpisodeOfCare");
  }
  OutboundBundle bundle;
  for (const auto* r : ordered) {
    rapidjson::Document own;
    if (r->parsed == nullptr) {
      BRYGGA_ASSIGN_OR_RETURN(own, fhir::parseJson(r->json));
    }
    const rapidjson::Value& parsed = r->parsed != nullptr ? *r->parsed : own;
    const std::string profile =
        context.mappings != nullptr ? context.mappings->profileFor(r->type, true) : std::string();
    BRYGGA_ASSIGN_OR_RETURN(
        rapidjson::Value * resource,
        bundle.add(r->type, r->id, parsed,
                   r->type == "Patient" ? OutboundBundle::Method::kConditionalCreate
                                        : OutboundBundle::Method::kConditionalUpdate,
                   profile));
    if (r->type == "CarePlan" && context.mappings != nullptr) {
      BRYGGA_RETURN_IF_ERROR(prepareCarePlanForPeer(*resource, bundle.allocator(), parsed,
                                                    *context.mappings, /*towardsRegion=*/true));
    }
  }
  BRYGGA_RETURN_IF_ERROR(bundle.resolveReferences(context.referenced));
  return bundle.json();
}

}  // namespace brygga::mappings

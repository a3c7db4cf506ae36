#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "mappings/concept_map.h"
#include "mappings/mapping_set.h"

// Care plans kept in step between the municipality and the region (flow 4). Each stored version
// carries which side wrote it (meta.tag written-by); a side's update states the version it was
// based on (the shared-version extension Brygga puts on every care plan it sends, or
// meta.versionId). A change on top of a version the other side wrote after that base is a
// conflict, reported and not applied. Pure; thread-safe.
namespace brygga::mappings {

enum class Side { kMunicipality, kRegion };
const char* toString(Side side);

// Who wrote a stored version (meta.tag), if it says.
std::optional<Side> writtenBy(const rapidjson::Value& resource);
void tagWrittenBy(rapidjson::Value& resource, rapidjson::Document::AllocatorType& alloc, Side side);
// The version an incoming update was based on: the shared-version extension, else
// meta.versionId; nullopt when it states none.
std::optional<int64_t> declaredBaseVersion(const rapidjson::Value& incoming);

struct VersionSide {
  int64_t version = 0;
  std::optional<Side> side;
};
// kConflict (409) when `writer` would overwrite a change of the other side it has not seen:
// with a base, any version after it written by the other side; without one, a current version
// written by the other side. `versions` are the stored versions after the base (or only the
// current one when there is no base).
core::Status checkCarePlanConflict(Side writer, std::optional<int64_t> base, int64_t current,
                                   const std::vector<VersionSide>& versions);

// Replaces each activity's detail.code codings by their translation through `map`; a coding
// already in the target system passes. kUnprocessable naming the activity when a code has no
// mapping.
core::Status translateActivities(rapidjson::Value& carePlan,
                                 rapidjson::Document::AllocatorType& alloc, const ConceptMap& map,
                                 const std::string& targetSystem);

// Shapes an outgoing copy of a stored care plan for a peer: activity codes translated (towards
// the region or the municipality) and the shared-version extension set to the stored version.
core::Status prepareCarePlanForPeer(rapidjson::Value& outgoing,
                                    rapidjson::Document::AllocatorType& alloc,
                                    const rapidjson::Value& stored, const MappingSet& mappings,
                                    bool towardsRegion);

// A care plan the municipality changed, for the regional EHR: conditional update on its
// identifier, activities translated, shared-version set, references identifier-based.
struct FlowContext;
struct StoredResource;
core::StatusOr<std::string> buildCarePlanForward(const std::vector<StoredResource>& carePlans,
                                                 const FlowContext& context);

}  // namespace brygga::mappings

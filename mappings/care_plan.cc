#include "mappings/care_plan.h"

#include <algorithm>

#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "mappings/enrollment_forward.h"
#include "mappings/outbound.h"

namespace brygga::mappings {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

const char* otherSide(Side side) {
  return side == Side::kMunicipality ? "the region" : "the municipality";
}

// The single target system of the map's groups (what translated codes are in).
std::string targetSystemOf(const ConceptMap& map) {
  return map.groups().empty() ? std::string() : map.groups().front().target;
}

}  // namespace

const char* toString(Side side) {
  return side == Side::kMunicipality ? "municipality" : "region";
}

std::optional<Side> writtenBy(const Value& resource) {
  const Value* meta = fhir::member(resource, "meta");
  const Value* tags = meta != nullptr ? fhir::member(*meta, "tag") : nullptr;
  if (tags == nullptr || !tags->IsArray()) return std::nullopt;
  for (const auto& t : tags->GetArray()) {
    if (fhir::stringMember(t, "system") != kWrittenBySystem) continue;
    const std::string_view code = fhir::stringMember(t, "code");
    if (code == "municipality") return Side::kMunicipality;
    if (code == "region") return Side::kRegion;
  }
  return std::nullopt;
}

void tagWrittenBy(Value& resource, Alloc& alloc, Side side) {
  if (!resource.IsObject()) return;
  if (!resource.HasMember("meta") || !resource["meta"].IsObject()) {
    resource.RemoveMember("meta");
    resource.AddMember("meta", Value(rapidjson::kObjectType), alloc);
  }
  Value& meta = resource["meta"];
  if (!meta.HasMember("tag") || !meta["tag"].IsArray()) {
    meta.RemoveMember("tag");
    meta.AddMember("tag", Value(rapidjson::kArrayType), alloc);
  }
  Value& tags = meta["tag"];
  for (SizeType i = 0; i < tags.Size();) {
    if (fhir::stringMember(tags[i], "system") == kWrittenBySystem) {
      tags.Erase(tags.Begin() + i);
    } else {
      ++i;
    }
  }
  Value tag(rapidjson::kObjectType);
  tag.AddMember("system", Value(kWrittenBySystem, alloc), alloc);
  tag.AddMember("code", Value(toString(side), alloc), alloc);
  tags.PushBack(tag, alloc);
}

std::optional<int64_t> declaredBaseVersion(const Value& incoming) {
  const Value* list = fhir::member(incoming, "extension");
  if (list != nullptr && list->IsArray()) {
    for (const auto& e : list->GetArray()) {
      if (fhir::stringMember(e, "url") != kSharedVersionExtension) continue;
      const Value* v = fhir::member(e, "valueInteger");
      if (v != nullptr && v->IsInt64() && v->GetInt64() > 0) return v->GetInt64();
      if (auto s = core::parseDecimal(fhir::stringMember(e, "valueString")); s.isOk()) return *s;
    }
  }
  const Value* meta = fhir::member(incoming, "meta");
  if (meta == nullptr) return std::nullopt;
  // A versionId that is not a number states no base.
  auto version = core::parseDecimal(fhir::stringMember(*meta, "versionId"));
  return version.isOk() ? std::optional<int64_t>(*version) : std::nullopt;
}

core::Status checkCarePlanConflict(Side writer, std::optional<int64_t> base, int64_t current,
                                   const std::vector<VersionSide>& versions) {
  auto conflict = [&](const std::string& text) {
    return core::Status(core::StatusCode::kConflict, text,
                        {core::Issue::error("conflict", text, "CarePlan.meta.versionId")});
  };
  if (base && *base > current) {
    return conflict("the update is based on version " + std::to_string(*base) +
                    " of the care plan, but Brygga holds version " + std::to_string(current));
  }
  for (const auto& v : versions) {
    if (base && v.version <= *base) continue;
    if (v.side && *v.side != writer) {
      return conflict(std::string("concurrent change: ") + otherSide(writer) +
                      " changed this care plan in version " + std::to_string(v.version) +
                      (base ? " after version " + std::to_string(*base) + " your update is based on"
                            : " since your last change") +
                      "; it was not overwritten. Fetch version " + std::to_string(current) +
                      ", merge, and send the update based on it (meta.versionId or the "
                      "shared-version extension)");
    }
  }
  return core::Status::ok();
}

core::Status translateActivities(Value& carePlan, Alloc& alloc, const ConceptMap& map,
                                 const std::string& targetSystem) {
  if (!carePlan.HasMember("activity") || !carePlan["activity"].IsArray()) return core::Status::ok();
  Value& activities = carePlan["activity"];
  for (SizeType a = 0; a < activities.Size(); ++a) {
    Value& activity = activities[a];
    if (!activity.IsObject() || !activity.HasMember("detail") || !activity["detail"].IsObject())
      continue;
    Value& detail = activity["detail"];
    if (!detail.HasMember("code") || !detail["code"].IsObject()) continue;
    Value& code = detail["code"];
    if (!code.HasMember("coding") || !code["coding"].IsArray()) continue;
    Value translated(rapidjson::kArrayType);
    const std::string where = "CarePlan.activity[" + std::to_string(a) + "].detail.code";
    for (const auto& c : code["coding"].GetArray()) {
      const std::string system(fhir::stringMember(c, "system"));
      const std::string value(fhir::stringMember(c, "code"));
      if (system == targetSystem) {
        Value copy;
        copy.CopyFrom(c, alloc);
        translated.PushBack(copy, alloc);
        continue;
      }
      auto target = map.translate(system, value, targetSystem);
      if (!target) {
        const std::string text = "code with no mapping: " + where + " " + system + "|" + value +
                                 " has no translation in ConceptMap " + map.url();
        return core::unprocessable(text, {core::Issue::error("code-invalid", text, where)});
      }
      Value coding(rapidjson::kObjectType);
      coding.AddMember("system", Value(target->system.c_str(), alloc), alloc);
      coding.AddMember("code", Value(target->code.c_str(), alloc), alloc);
      if (!target->display.empty()) {
        coding.AddMember("display", Value(target->display.c_str(), alloc), alloc);
      }
      translated.PushBack(coding, alloc);
    }
    code["coding"] = translated;
  }
  return core::Status::ok();
}

core::Status prepareCarePlanForPeer(Value& outgoing, Alloc& alloc, const Value& stored,
                                    const MappingSet& mappings, bool towardsRegion) {
  const auto& names = mappings.settings().conceptMaps;
  const ConceptMap* map = mappings.conceptMap(towardsRegion ? names.carePlanActivityToRegion
                                                            : names.carePlanActivityToMunicipality);
  if (map != nullptr) {
    BRYGGA_RETURN_IF_ERROR(translateActivities(outgoing, alloc, *map, targetSystemOf(*map)));
  }
  fhir::removeExtensions(outgoing, kSharedVersionExtension);
  const Value* meta = fhir::member(stored, "meta");
  auto version = core::parseDecimal(meta != nullptr ? fhir::stringMember(*meta, "versionId") : "");
  if (version.isOk()) {
    Value ext(rapidjson::kObjectType);
    ext.AddMember("url", Value(kSharedVersionExtension, alloc), alloc);
    ext.AddMember("valueInteger", Value(static_cast<int>(*version)), alloc);
    fhir::addExtension(outgoing, std::move(ext), alloc);
  }
  return core::Status::ok();
}

core::StatusOr<std::string> buildCarePlanForward(const std::vector<StoredResource>& carePlans,
                                                 const FlowContext& context) {
  if (context.mappings == nullptr) return core::internalError("no mappings");
  OutboundBundle bundle;
  for (const auto& r : carePlans) {
    BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document parsed, fhir::parseJson(r.json));
    BRYGGA_ASSIGN_OR_RETURN(
        Value * added, bundle.add(r.type, r.id, parsed, OutboundBundle::Method::kConditionalUpdate,
                                  context.mappings->profileFor(r.type, true)));
    BRYGGA_RETURN_IF_ERROR(prepareCarePlanForPeer(*added, bundle.allocator(), parsed,
                                                  *context.mappings, /*towardsRegion=*/true));
  }
  if (bundle.empty()) return core::unprocessable("no care plan to forward");
  BRYGGA_RETURN_IF_ERROR(bundle.resolveReferences(context.referenced));
  return bundle.json();
}

}  // namespace brygga::mappings

#include "gateway/fhir/subset.h"

#include <algorithm>

#include <rapidjson/document.h>

#include "gateway/fhir/definitions.h"
#include "gateway/fhir/json.h"

namespace brygga::fhir {

std::vector<std::string> summaryElementsOf(std::string_view type) {
  std::vector<std::string> names;
  const r4::TypeDef* def = r4::builtinDefinitions().type(type);
  if (def == nullptr || def->root == nullptr) return names;
  for (const r4::ElementDef* element : def->root->children) {
    if (!element->summary && element->min == 0) continue;
    if (element->jsonNames.empty()) {
      names.push_back(element->name);
    } else {
      names.insert(names.end(), element->jsonNames.begin(), element->jsonNames.end());
    }
  }
  return names;
}

core::StatusOr<std::string> subsetResource(const std::string& json,
                                           const std::vector<std::string>& keep, bool dropText) {
  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, parseJson(json));
  if (!doc.IsObject()) return core::internalError("a stored resource is not a JSON object");
  auto& alloc = doc.GetAllocator();
  const auto kept = [&](const std::string& name) {
    if (name == "resourceType" || name == "id" || name == "meta") return true;
    if (name == "text" && dropText) return false;
    return keep.empty() || std::find(keep.begin(), keep.end(), name) != keep.end();
  };
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd();) {
    if (kept(std::string(it->name.GetString(), it->name.GetStringLength()))) {
      ++it;
    } else {
      it = doc.EraseMember(it);
    }
  }
  if (!doc.HasMember("meta"))
    doc.AddMember("meta", rapidjson::Value(rapidjson::kObjectType), alloc);
  rapidjson::Value& meta = doc["meta"];
  if (!meta.HasMember("tag")) meta.AddMember("tag", rapidjson::Value(rapidjson::kArrayType), alloc);
  rapidjson::Value tag(rapidjson::kObjectType);
  tag.AddMember("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", alloc);
  tag.AddMember("code", "SUBSETTED", alloc);
  tag.AddMember("display", "subsetted", alloc);
  meta["tag"].PushBack(tag, alloc);
  return toJson(doc);
}

}  // namespace brygga::fhir

#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"

namespace brygga::fhir {

struct JsonLimits {
  size_t maxBytes = 8 * 1024 * 1024;
  int maxDepth = 64;
};

// Strict JSON reader for outside input. Rejects, with kInvalidArgument (400) and a message
// naming the problem and the byte offset: syntax errors, invalid UTF-8, duplicate object keys,
// nesting deeper than maxDepth, trailing content. Input larger than maxBytes is kPayloadTooLarge
// (413) before any parsing. Parsing is iterative (no recursion), so depth is bounded by the
// explicit limit, not by the stack.
core::StatusOr<rapidjson::Document> parseJson(std::string_view text, const JsonLimits& limits = {});

// Compact serialization.
std::string toJson(const rapidjson::Value& value);

// Member lookup that never asserts: nullptr when `object` is not an object or lacks `key`.
const rapidjson::Value* member(const rapidjson::Value& object, std::string_view key);
// The same for changing the member in place.
rapidjson::Value* mutableMember(rapidjson::Value& object, std::string_view key);
// String member or empty view.
std::string_view stringMember(const rapidjson::Value& object, std::string_view key);

// Calls `visit` on every object in the tree under `root` (root included), in document order,
// parents before their children. Iterative, so a deep document costs no stack. `visit` may change
// member values in place (a string, an identifier's members) but not add or remove members.
// `Json` is rapidjson::Value or const rapidjson::Value.
template <typename Json, typename Visit>
void forEachObject(Json& root, Visit&& visit) {
  std::vector<Json*> pending{&root};
  while (!pending.empty()) {
    Json* v = pending.back();
    pending.pop_back();
    if (v->IsObject()) {
      visit(*v);
      for (rapidjson::SizeType i = v->MemberCount(); i > 0; --i) {
        Json& child = (v->MemberBegin() + (i - 1))->value;
        if (child.IsObject() || child.IsArray()) pending.push_back(&child);
      }
    } else if (v->IsArray()) {
      for (rapidjson::SizeType i = v->Size(); i > 0; --i) {
        Json& child = (*v)[i - 1];
        if (child.IsObject() || child.IsArray()) pending.push_back(&child);
      }
    }
  }
}

// FHIR extensions of a resource or element: appends `extension` to its `extension` array (made
// when missing, replacing a member that is not an array); removes every extension whose url is
// `url`, and the array when that leaves it empty.
void addExtension(rapidjson::Value& element, rapidjson::Value&& extension,
                  rapidjson::Document::AllocatorType& alloc);
void removeExtensions(rapidjson::Value& element, std::string_view url);

// Outside text quoted for a diagnostic message: at most 64 bytes shown, anything but printable
// ASCII replaced by '?', so a message never echoes control bytes or long payloads.
std::string quoteForDiagnostics(std::string_view text);

}  // namespace brygga::fhir

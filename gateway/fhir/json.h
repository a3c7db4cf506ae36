#pragma once

#include <cstddef>
#include <string>
#include <string_view>

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
rapidjson::Value* mutableMember(rapidjson::Value& object, std::string_view key);
// String member or empty view.
std::string_view stringMember(const rapidjson::Value& object, std::string_view key);

// Outside text quoted for a diagnostic message: at most 64 bytes shown, anything but printable
// ASCII replaced by '?', so a message never echoes control bytes or long payloads.
std::string quoteForDiagnostics(std::string_view text);

}  // namespace brygga::fhir

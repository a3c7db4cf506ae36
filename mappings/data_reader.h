#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"

// Reading Brygga's own mapping data files (mappings/data/*.json). Every error names the file and
// the entry, so that the integration team can find the line they got wrong:
//   "routing.json: facilities[3] (Smedjan): servicePoint 'kungsbaka' is not a known service point"
namespace brygga::mappings {

// Where in which file: "routing.json", "facilities[3] (Smedjan)".
struct DataPlace {
  std::string file;
  std::string entry;

  DataPlace at(std::string_view member) const;          // entry + "." + member
  DataPlace item(std::string_view array, size_t index,  // array[index] (label)
                 std::string_view label = {}) const;
  core::Status error(const std::string& what) const;  // kInvalidArgument "file: entry: what"
};

// Typed member readers. Required ones fail naming the member; optional ones accept absence but
// not a wrong type.
core::StatusOr<std::string> requiredString(const rapidjson::Value& object, std::string_view key,
                                           const DataPlace& place);
core::StatusOr<std::string> optionalString(const rapidjson::Value& object, std::string_view key,
                                           const DataPlace& place);
core::StatusOr<const rapidjson::Value*> requiredArray(const rapidjson::Value& object,
                                                      std::string_view key, const DataPlace& place);
// nullptr when absent.
core::StatusOr<const rapidjson::Value*> optionalArray(const rapidjson::Value& object,
                                                      std::string_view key, const DataPlace& place);
core::StatusOr<const rapidjson::Value*> requiredObject(const rapidjson::Value& object,
                                                       std::string_view key,
                                                       const DataPlace& place);
core::StatusOr<const rapidjson::Value*> optionalObject(const rapidjson::Value& object,
                                                       std::string_view key,
                                                       const DataPlace& place);
core::StatusOr<bool> optionalBool(const rapidjson::Value& object, std::string_view key,
                                  bool fallback, const DataPlace& place);
core::StatusOr<std::vector<std::string>> stringArray(const rapidjson::Value& object,
                                                     std::string_view key, const DataPlace& place,
                                                     bool required);
// Fails naming the first member of `object` that is not in `known` (typos must not pass).
core::Status onlyKnownMembers(const rapidjson::Value& object,
                              const std::vector<std::string_view>& known, const DataPlace& place);

}  // namespace brygga::mappings

#include "mappings/data_reader.h"

#include <algorithm>

#include "gateway/fhir/json.h"

namespace brygga::mappings {

using rapidjson::Value;

DataPlace DataPlace::at(std::string_view member) const {
  DataPlace p = *this;
  if (!p.entry.empty()) p.entry += '.';
  p.entry += member;
  return p;
}

DataPlace DataPlace::item(std::string_view array, size_t index, std::string_view label) const {
  DataPlace p = at(array);
  p.entry += "[" + std::to_string(index) + "]";
  if (!label.empty()) {
    // Names are the integration team's own data (Swedish letters included); only control bytes
    // and excess length are trimmed.
    std::string shown;
    for (char c : label.substr(0, 64)) shown += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    p.entry += " (" + shown + ")";
  }
  return p;
}

core::Status DataPlace::error(const std::string& what) const {
  return core::invalidArgument(file + ": " + (entry.empty() ? std::string() : entry + ": ") + what);
}

namespace {

const Value* find(const Value& object, std::string_view key) {
  return fhir::member(object, key);
}

}  // namespace

core::StatusOr<std::string> requiredString(const Value& object, std::string_view key,
                                           const DataPlace& place) {
  const Value* v = find(object, key);
  if (v == nullptr) return place.at(key).error("is required");
  if (!v->IsString() || v->GetStringLength() == 0) {
    return place.at(key).error("must be a non-empty string");
  }
  return std::string(v->GetString(), v->GetStringLength());
}

core::StatusOr<std::string> optionalString(const Value& object, std::string_view key,
                                           const DataPlace& place) {
  const Value* v = find(object, key);
  if (v == nullptr) return std::string();
  if (!v->IsString()) return place.at(key).error("must be a string");
  return std::string(v->GetString(), v->GetStringLength());
}

core::StatusOr<const Value*> requiredArray(const Value& object, std::string_view key,
                                           const DataPlace& place) {
  const Value* v = find(object, key);
  if (v == nullptr) return place.at(key).error("is required");
  if (!v->IsArray()) return place.at(key).error("must be an array");
  return v;
}

core::StatusOr<const Value*> optionalArray(const Value& object, std::string_view key,
                                           const DataPlace& place) {
  const Value* v = find(object, key);
  if (v == nullptr) return static_cast<const Value*>(nullptr);
  if (!v->IsArray()) return place.at(key).error("must be an array");
  return v;
}

core::StatusOr<const Value*> requiredObject(const Value& object, std::string_view key,
                                            const DataPlace& place) {
  const Value* v = find(object, key);
  if (v == nullptr) return place.at(key).error("is required");
  if (!v->IsObject()) return place.at(key).error("must be an object");
  return v;
}

core::StatusOr<const Value*> optionalObject(const Value& object, std::string_view key,
                                            const DataPlace& place) {
  const Value* v = find(object, key);
  if (v == nullptr) return static_cast<const Value*>(nullptr);
  if (!v->IsObject()) return place.at(key).error("must be an object");
  return v;
}

core::StatusOr<bool> optionalBool(const Value& object, std::string_view key, bool fallback,
                                  const DataPlace& place) {
  const Value* v = find(object, key);
  if (v == nullptr) return fallback;
  if (!v->IsBool()) return place.at(key).error("must be true or false");
  return v->GetBool();
}

core::StatusOr<std::vector<std::string>> stringArray(const Value& object, std::string_view key,
                                                     const DataPlace& place, bool required) {
  const Value* v = find(object, key);
  std::vector<std::string> out;
  if (v == nullptr) {
    if (required) return place.at(key).error("is required");
    return out;
  }
  if (!v->IsArray()) return place.at(key).error("must be an array of strings");
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const Value& s = (*v)[i];
    if (!s.IsString() || s.GetStringLength() == 0) {
      return place.item(key, i).error("must be a non-empty string");
    }
    out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

core::Status onlyKnownMembers(const Value& object, const std::vector<std::string_view>& known,
                              const DataPlace& place) {
  if (!object.IsObject()) return place.error("must be an object");
  for (const auto& m : object.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return place.at(name).error("is not a known member");
    }
  }
  return core::Status::ok();
}

}  // namespace brygga::mappings

#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

// Comparing FHIR JSON by meaning, for golden tests: object member order does not matter, and
// generated UUIDs (urn:uuid: values, ids Brygga assigned) are replaced by their order of first
// appearance (urn:uuid:#1, Patient/#2 ..., walking members in name order), so two documents agree
// when they link the same things the same way, whatever uuids were drawn.
namespace brygga::testing {

namespace json_equal_detail {

inline bool isHexAt(std::string_view s, size_t i) {
  const char c = s[i];
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// Whether s[i..i+36) has the 8-4-4-4-12 shape of a UUID.
inline bool uuidAt(std::string_view s, size_t i) {
  if (i + 36 > s.size()) return false;
  for (size_t k = 0; k < 36; ++k) {
    const bool hyphen = k == 8 || k == 13 || k == 18 || k == 23;
    if (hyphen ? s[i + k] != '-' : !isHexAt(s, i + k)) return false;
  }
  return true;
}

inline void canonicalize(rapidjson::Value& v, rapidjson::Document::AllocatorType& alloc,
                         std::map<std::string, std::string>& uuids) {
  if (v.IsString()) {
    std::string_view s(v.GetString(), v.GetStringLength());
    std::string out;
    bool changed = false;
    for (size_t i = 0; i < s.size();) {
      if (uuidAt(s, i)) {
        std::string key(s.substr(i, 36));
        auto it = uuids.find(key);
        if (it == uuids.end()) {
          it = uuids.emplace(key, "#" + std::to_string(uuids.size() + 1)).first;
        }
        out += it->second;
        i += 36;
        changed = true;
      } else {
        out += s[i++];
      }
    }
    if (changed) v.SetString(out.c_str(), static_cast<rapidjson::SizeType>(out.size()), alloc);
  } else if (v.IsObject()) {
    std::vector<std::pair<std::string, rapidjson::Value>> members;
    for (auto& m : v.GetObject()) {
      members.emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()),
                           rapidjson::Value(std::move(m.value)));
    }
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    v.SetObject();
    for (auto& [name, value] : members) {
      canonicalize(value, alloc, uuids);
      v.AddMember(rapidjson::Value(name.c_str(), alloc), value, alloc);
    }
  } else if (v.IsArray()) {
    for (auto& e : v.GetArray()) canonicalize(e, alloc, uuids);
  }
}

inline std::string pretty(const rapidjson::Value& v) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  writer.SetIndent(' ', 2);
  v.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace json_equal_detail

// `json` in canonical form (members sorted, UUIDs numbered), pretty-printed; empty on a parse
// error.
inline std::string canonicalJson(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  if (doc.HasParseError()) return {};
  std::map<std::string, std::string> urns;
  json_equal_detail::canonicalize(doc, doc.GetAllocator(), urns);
  return json_equal_detail::pretty(doc);
}

// Empty when `expected` and `actual` mean the same, else the first difference as
// "path: expected X, got Y" (paths like entry[1].resource.class.code).
inline std::string jsonDifference(const std::string& expected, const std::string& actual) {
  rapidjson::Document e, a;
  e.Parse(canonicalJson(expected).c_str());
  a.Parse(canonicalJson(actual).c_str());
  if (e.HasParseError() || e.IsNull()) return "the expected JSON does not parse";
  if (a.HasParseError() || a.IsNull()) return "the actual JSON does not parse";
  std::string where;
  auto text = [](const rapidjson::Value& v) {
    std::string s = json_equal_detail::pretty(v);
    return s.size() > 300 ? s.substr(0, 300) + "..." : s;
  };
  std::vector<std::pair<const rapidjson::Value*, const rapidjson::Value*>> stack;
  std::vector<std::string> paths;
  stack.push_back({&e, &a});
  paths.push_back("$");
  while (!stack.empty()) {
    auto [x, y] = stack.back();
    std::string path = paths.back();
    stack.pop_back();
    paths.pop_back();
    if (x->GetType() != y->GetType() && !(x->IsNumber() && y->IsNumber())) {
      return path + ": expected " + text(*x) + ", got " + text(*y);
    }
    if (x->IsObject()) {
      for (const auto& m : x->GetObject()) {
        auto it = y->FindMember(m.name);
        if (it == y->MemberEnd()) return path + "." + m.name.GetString() + ": missing";
        stack.push_back({&m.value, &it->value});
        paths.push_back(path + "." + m.name.GetString());
      }
      for (const auto& m : y->GetObject()) {
        if (!x->HasMember(m.name)) {
          return path + "." + m.name.GetString() + ": unexpected " + text(m.value);
        }
      }
    } else if (x->IsArray()) {
      if (x->Size() != y->Size()) {
        return path + ": expected " + std::to_string(x->Size()) + " items, got " +
               std::to_string(y->Size());
      }
      for (rapidjson::SizeType i = x->Size(); i > 0; --i) {
        stack.push_back({&(*x)[i - 1], &(*y)[i - 1]});
        paths.push_back(path + "[" + std::to_string(i - 1) + "]");
      }
    } else if (*x != *y) {
      return path + ": expected " + text(*x) + ", got " + text(*y);
    }
  }
  return {};
}

}  // namespace brygga::testing

#include "gateway/audit/canonical_json.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <utility>
#include <vector>

#include "gateway/core/log.h"
#include "gateway/fhir/json.h"

namespace brygga::audit {

namespace {

// UTF-16 code units of a UTF-8 string (valid: the strict reader checked it).
std::u16string utf16(std::string_view s) {
  std::u16string out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    uint32_t cp = c;
    size_t len = 1;
    if (c >= 0xf0) {
      len = 4;
      cp = c & 0x07;
    } else if (c >= 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if (c >= 0xc0) {
      len = 2;
      cp = c & 0x1f;
    }
    for (size_t j = 1; j < len && i + j < s.size(); ++j) {
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + j]) & 0x3f);
    }
    i += len;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out += static_cast<char16_t>(0xd800 + (cp >> 10));
      out += static_cast<char16_t>(0xdc00 + (cp & 0x3ff));
    } else {
      out += static_cast<char16_t>(cp);
    }
  }
  return out;
}

void append(std::string& out, const rapidjson::Value& v) {
  if (v.IsObject()) {
    std::vector<std::pair<std::u16string, const rapidjson::Value::Member*>> members;
    for (const auto& m : v.GetObject()) {
      members.emplace_back(utf16({m.name.GetString(), m.name.GetStringLength()}), &m);
    }
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    out += '{';
    for (size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out += ',';
      const auto& m = *members[i].second;
      core::appendJsonString(out, {m.name.GetString(), m.name.GetStringLength()});
      out += ':';
      append(out, m.value);
    }
    out += '}';
  } else if (v.IsArray()) {
    out += '[';
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      if (i > 0) out += ',';
      append(out, v[i]);
    }
    out += ']';
  } else if (v.IsString()) {
    core::appendJsonString(out, {v.GetString(), v.GetStringLength()});
  } else if (v.IsNumber()) {
    out += ecmaScriptNumber(v.GetDouble());
  } else if (v.IsBool()) {
    out += v.GetBool() ? "true" : "false";
  } else {
    out += "null";
  }
}

}  // namespace

std::string ecmaScriptNumber(double value) {
  if (value == 0) return "0";  // also -0
  std::string out;
  if (value < 0) {
    out += '-';
    value = -value;
  }
  // The shortest digits that read back as the same double, and the decimal exponent.
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  const std::string sci(buf, result.ptr);
  const size_t e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exponent = std::atoi(sci.c_str() + e + 1);
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;  // the decimal point sits after n digits
  if (k <= n && n <= 21) {
    out += digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    const int shown = n - 1;
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += shown < 0 ? "e-" : "e+";
    out += std::to_string(shown < 0 ? -shown : shown);
  }
  return out;
}

std::string canonicalJson(const rapidjson::Value& value) {
  std::string out;
  append(out, value);
  return out;
}

core::StatusOr<std::string> canonicalJson(std::string_view json) {
  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, fhir::parseJson(json));
  return canonicalJson(doc);
}

}  // namespace brygga::audit

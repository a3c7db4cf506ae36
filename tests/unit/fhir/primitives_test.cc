#include "gateway/fhir/primitives.h"

#include <functional>
#include <map>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "gateway/fhir/embedded_files.h"

namespace brygga::fhir::r4 {
namespace {

// The regular expressions of the primitive types, as the generated definitions carry them from
// the official StructureDefinitions.
std::map<std::string, std::string> specRegexes() {
  rapidjson::Document doc;
  const std::string_view text = embedded::file("r4/definitions.json");
  doc.Parse(text.data(), text.size());
  std::map<std::string, std::string> out;
  for (const auto& p : doc["primitives"].GetArray()) {
    out[p["name"].GetString()] = p["regex"].GetString();
  }
  return out;
}

bool realCalendarDate(const std::string& text) {
  if (text.size() < 10) return true;  // no day: nothing to check
  const int year = std::stoi(text.substr(0, 4));
  const int month = std::stoi(text.substr(5, 2));
  const int day = std::stoi(text.substr(8, 2));
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= (month == 2 && leap ? 29 : kDays[month - 1]);
}

struct Case {
  const char* type;
  std::function<bool(std::string_view)> check;
  std::vector<std::string> seeds;
  std::string alphabet;  // what mutations insert
  bool calendar = false;
};

// The hand-written scanners agree with the spec's regular expressions on valid values and on
// thousands of near misses made from them (one character changed, dropped or added); for the
// date types they are stricter in one way only: the date must exist.
TEST(Primitives, HandWrittenChecksAgreeWithTheSpecRegexes) {
  const auto regexes = specRegexes();
  const std::vector<Case> cases = {
      {"date",
       isDate,
       {"2026", "2026-03", "2026-03-02", "1912-12-12", "2024-02-29"},
       "0123456789-T:",
       true},
      {"dateTime",
       isDateTime,
       {"2026", "2026-03-02", "2026-03-02T10:00:00Z", "2026-03-02T10:00:00.123+01:00",
        "2026-03-02T23:59:60-14:00", "2026-03-02T10:00:00+14:00"},
       "0123456789-T:Z+.",
       true},
      {"instant",
       isInstant,
       {"2026-03-02T10:00:00Z", "2026-03-02T10:00:00.5+01:00", "2000-02-29T00:00:00-13:59"},
       "0123456789-T:Z+.",
       true},
      {"time", isTime, {"10:00:00", "23:59:60", "00:00:00.123"}, "0123456789:.", false},
      {"code", isCode, {"active", "in progress", "a-b_c.d", "Ää"}, " \tab\n-", false},
      {"id", isFhirId, {"a", "A-1.b", std::string(64, 'x')}, "aZ9-._ /", false},
      {"oid",
       isOidUri,
       {"urn:oid:1.2.752.29.4.19", "urn:oid:2.16.840.1.113883", "urn:oid:0.1"},
       "0123456789.:",
       false},
      {"uuid",
       isUuidUri,
       {"urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01"},
       "0123456789abcdefABG-:",
       false},
      {"uri", isUriText, {"http://example.org/a?b=c", "urn:x", "#id"}, "a: /\t", false},
  };
  std::mt19937 random(20261123);
  size_t compared = 0;
  for (const Case& c : cases) {
    ASSERT_TRUE(regexes.count(c.type)) << c.type;
    const std::regex pattern(regexes.at(c.type));
    std::vector<std::string> samples = c.seeds;
    for (const auto& seed : c.seeds) {
      for (int n = 0; n < 400; ++n) {
        std::string s = seed;
        const char ch = c.alphabet[random() % c.alphabet.size()];
        const size_t at = s.empty() ? 0 : random() % s.size();
        switch (random() % 3) {
          case 0:
            if (!s.empty()) s[at] = ch;
            break;
          case 1:
            if (!s.empty()) s.erase(at, 1);
            break;
          default:
            s.insert(at, 1, ch);
        }
        samples.push_back(s);
      }
    }
    for (const auto& s : samples) {
      if (s.empty()) continue;  // the spec's empty-string rule is not in the regexes
      bool expected = std::regex_match(s, pattern);
      if (expected && c.calendar) expected = realCalendarDate(s);
      EXPECT_EQ(c.check(s), expected) << c.type << " '" << s << "'";
      ++compared;
    }
  }
  EXPECT_GT(compared, 10000u);
}

TEST(Primitives, JsonTypes) {
  rapidjson::Document doc;
  doc.Parse(R"([true, 1, -1, 0, 1.5, "x", "", 3000000000])");
  const auto& v = doc.GetArray();
  EXPECT_EQ(primitiveProblem(Primitive::kBoolean, v[0]), nullptr);
  EXPECT_NE(primitiveProblem(Primitive::kBoolean, v[5]), nullptr);
  EXPECT_EQ(primitiveProblem(Primitive::kInteger, v[2]), nullptr);
  EXPECT_NE(primitiveProblem(Primitive::kInteger, v[4]), nullptr);
  EXPECT_NE(primitiveProblem(Primitive::kInteger, v[7]), nullptr);  // beyond 32 bits
  EXPECT_NE(primitiveProblem(Primitive::kPositiveInt, v[3]), nullptr);
  EXPECT_EQ(primitiveProblem(Primitive::kUnsignedInt, v[3]), nullptr);
  EXPECT_EQ(primitiveProblem(Primitive::kDecimal, v[4]), nullptr);
  EXPECT_NE(primitiveProblem(Primitive::kDecimal, v[5]), nullptr);
  EXPECT_NE(primitiveProblem(Primitive::kString, v[6]), nullptr);  // never empty
  EXPECT_NE(primitiveProblem(Primitive::kString, v[1]), nullptr);
}

TEST(Primitives, Base64) {
  EXPECT_TRUE(isBase64("aGVsbG8="));
  EXPECT_TRUE(isBase64("aGVs\nbG8h"));
  EXPECT_FALSE(isBase64("aGVsbG8"));
  EXPECT_FALSE(isBase64("aGV=bG8h"));
  EXPECT_FALSE(isBase64("not base64!"));
}

}  // namespace
}  // namespace brygga::fhir::r4

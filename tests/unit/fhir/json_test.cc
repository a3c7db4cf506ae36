#include "gateway/fhir/json.h"

#include <cstdint>
#include <limits>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace brygga::fhir {
namespace {

using ::testing::HasSubstr;

std::string nestedArrays(int depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

core::Status parseError(std::string_view text, const JsonLimits& limits = {}) {
  auto parsed = parseJson(text, limits);
  EXPECT_FALSE(parsed.isOk()) << "accepted: " << text.substr(0, 80);
  return parsed.status();
}

TEST(ParseJsonTest, AcceptsAnObjectAndKeepsValues) {
  auto parsed = parseJson(R"({"resourceType":"Patient","active":true,"n":[1,2.5,null]})");
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  const rapidjson::Document& doc = parsed.value();
  EXPECT_EQ(stringMember(doc, "resourceType"), "Patient");
  ASSERT_NE(member(doc, "active"), nullptr);
  EXPECT_TRUE(member(doc, "active")->GetBool());
  EXPECT_EQ(toJson(doc), R"({"resourceType":"Patient","active":true,"n":[1,2.5,null]})");
}

TEST(ParseJsonTest, RejectsDuplicateKeyAndNamesIt) {
  const core::Status status = parseError(R"({"id":"a","active":true,"id":"b"})");
  EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.httpStatus(), 400);
  EXPECT_THAT(status.message(), HasSubstr("duplicate key \"id\""));
  EXPECT_THAT(status.message(), HasSubstr("at offset 28"));
}

TEST(ParseJsonTest, RejectsDuplicateKeyInNestedObject) {
  const core::Status status =
      parseError(R"({"entry":[{"resource":{"name":[{"family":"A","family":"B"}]}}]})");
  EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("duplicate key \"family\""));
}

TEST(ParseJsonTest, AcceptsSameKeyInDifferentObjects) {
  EXPECT_TRUE(parseJson(R"({"a":{"x":1},"b":{"x":2},"x":{"x":{"x":3}}})").isOk());
  EXPECT_TRUE(parseJson(R"([{"a":1},{"a":1},{"a":{"a":1}}])").isOk());
  // After a nested object closes, the outer object's own keys are still tracked.
  EXPECT_FALSE(parseJson(R"({"a":1,"b":{"c":1},"a":2})").isOk());
}

TEST(ParseJsonTest, DetectsDuplicatesInLargeObjects) {
  std::string unique = "{";
  for (int i = 0; i < 40; ++i)
    unique += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":" + std::to_string(i));
  EXPECT_TRUE(parseJson(unique + "}").isOk());
  EXPECT_THAT(parseError(unique + ",\"k3\":0}").message(), HasSubstr("duplicate key \"k3\""));
  EXPECT_THAT(parseError(unique + ",\"k39\":0}").message(), HasSubstr("duplicate key \"k39\""));
}

TEST(ParseJsonTest, RejectsInvalidUtf8) {
  const core::Status status = parseError("{\"name\":\"\xC3\x28\"}");
  EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("invalid UTF-8 at offset"));
  EXPECT_FALSE(parseJson("{\"n\":\"\xED\xA0\x80\"}").isOk());  // encoded surrogate
  EXPECT_FALSE(parseJson("{\"n\":\"\xC0\xAF\"}").isOk());      // overlong
}

// RapidJSON 1.1 alone turns an escaped lone low surrogate into bytes that are not UTF-8.
TEST(ParseJsonTest, RejectsUnpairedSurrogateEscapes) {
  EXPECT_THAT(parseError(R"({"n":"eo\udD31"})").message(), HasSubstr("unpaired UTF-16 surrogate"));
  EXPECT_THAT(parseError(R"({"\udc00":1})").message(), HasSubstr("unpaired UTF-16 surrogate"));
  EXPECT_FALSE(parseJson(R"({"n":"\ud800"})").isOk());
  EXPECT_FALSE(parseJson(R"({"n":"\ud800\u0041"})").isOk());
  auto pair = parseJson(R"({"n":"\ud83d\ude00 \u00e5"})");
  ASSERT_TRUE(pair.isOk()) << pair.status().toString();
  EXPECT_EQ(stringMember(pair.value(), "n"), "\xF0\x9F\x98\x80 \xC3\xA5");
}

TEST(ParseJsonTest, AcceptsValidUtf8) {
  auto parsed = parseJson("{\"city\":\"H\xC3\xA4lsinge\xE2\x82\xAC\"}");
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(stringMember(parsed.value(), "city"), "H\xC3\xA4lsinge\xE2\x82\xAC");
}

TEST(ParseJsonTest, DepthLimitIsExact) {
  EXPECT_TRUE(parseJson(nestedArrays(64)).isOk());
  const core::Status status = parseError(nestedArrays(65));
  EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("nesting deeper than 64"));

  JsonLimits shallow;
  shallow.maxDepth = 3;
  EXPECT_TRUE(parseJson(R"({"a":[{"b":1}]})", shallow).isOk());
  EXPECT_THAT(parseError(R"({"a":[{"b":[]}]})", shallow).message(),
              HasSubstr("nesting deeper than 3"));
}

TEST(ParseJsonTest, MillionDeepArrayIsRejectedWithoutCrashing) {
  EXPECT_THAT(parseError(nestedArrays(1000000)).message(), HasSubstr("nesting deeper than 64"));
  EXPECT_THAT(parseError(std::string(1000000, '[')).message(), HasSubstr("nesting deeper"));
}

TEST(ParseJsonTest, OversizedInputIsPayloadTooLarge) {
  JsonLimits limits;
  limits.maxBytes = 16;
  EXPECT_TRUE(parseJson(R"({"a":"01234567"})", limits).isOk());  // exactly 16 bytes
  // Too large is decided before parsing, so even garbage gets 413.
  const core::Status status = parseError(R"({"a":"012345678"})", limits);
  EXPECT_EQ(status.code(), core::StatusCode::kPayloadTooLarge);
  EXPECT_EQ(status.httpStatus(), 413);
  EXPECT_EQ(parseError("not json at all!!", limits).code(), core::StatusCode::kPayloadTooLarge);
}

TEST(ParseJsonTest, RejectsTrailingContent) {
  EXPECT_TRUE(parseJson("{}  \r\n\t").isOk());
  EXPECT_THAT(parseError("{} x").message(), HasSubstr("unexpected content after the JSON value"));
  EXPECT_THAT(parseError("{}{}").message(), HasSubstr("at offset 2"));
  EXPECT_FALSE(parseJson("[1],").isOk());
  const std::string withNul("{}\0{}", 5);
  EXPECT_THAT(parseError(withNul).message(), HasSubstr("at offset 2"));
}

TEST(ParseJsonTest, RejectsEmptyAndMalformedInputWithOffset) {
  EXPECT_THAT(parseError("").message(), HasSubstr("empty"));
  EXPECT_THAT(parseError("   ").message(), HasSubstr("empty"));
  const core::Status status = parseError(R"({"a":})");
  EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("invalid JSON"));
  EXPECT_THAT(status.message(), HasSubstr("offset 5"));
  EXPECT_FALSE(parseJson("{'a':1}").isOk());
  EXPECT_FALSE(parseJson("[1,]").isOk());
  EXPECT_FALSE(parseJson("{\"a\":1e400}").isOk());     // does not fit a double
  EXPECT_FALSE(parseJson("{\"a\":\"\x01\"}").isOk());  // raw control character
}

TEST(ParseJsonTest, KeepsFullPrecisionNumbers) {
  auto parsed =
      parseJson(R"({"big":12345678901234567890,"d":0.1000000000000000055511151231257827})");
  ASSERT_TRUE(parsed.isOk());
  EXPECT_TRUE(member(parsed.value(), "big")->IsUint64());
  EXPECT_EQ(member(parsed.value(), "big")->GetUint64(), 12345678901234567890ull);
  EXPECT_EQ(member(parsed.value(), "d")->GetDouble(), 0.1);
}

// RapidJSON 1.1's own full-precision conversion reads "0e40" as about -2.4e229.
TEST(ParseJsonTest, ZeroWithExponentIsZero) {
  auto parsed = parseJson(R"([0e40, -0e99, 0E+100, 0.000e300, 1e-400, -1e-400, 5e-310])");
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  const rapidjson::Document& doc = parsed.value();
  for (rapidjson::SizeType i = 0; i < 6; ++i) {
    ASSERT_TRUE(doc[i].IsNumber()) << i;
    EXPECT_EQ(doc[i].GetDouble(), 0.0) << i;
  }
  EXPECT_DOUBLE_EQ(doc[6].GetDouble(), 5e-310);
  EXPECT_THAT(parseError("[1, 1.8e308]").message(),
              HasSubstr("number too large for a double at offset 4"));
  // The reader refuses exponents beyond 308 itself, before the value is known (even 0e400).
  EXPECT_THAT(parseError("[-1e400]").message(), HasSubstr("Number too big"));
}

TEST(ParseJsonTest, IntegersKeepTheirTypeAtTheLimits) {
  auto parsed = parseJson(
      "[4294967295, 4294967296, -2147483648, -2147483649, -9223372036854775808,"
      " 18446744073709551615, 18446744073709551616, -9223372036854775809, -0, 7]");
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  const rapidjson::Document& doc = parsed.value();
  EXPECT_TRUE(doc[0].IsUint());
  EXPECT_EQ(doc[0].GetUint(), 4294967295u);
  EXPECT_TRUE(doc[1].IsUint64() && !doc[1].IsUint());
  EXPECT_EQ(doc[1].GetUint64(), 4294967296u);
  EXPECT_TRUE(doc[2].IsInt());
  EXPECT_EQ(doc[2].GetInt(), -2147483647 - 1);
  EXPECT_TRUE(doc[3].IsInt64() && !doc[3].IsInt());
  EXPECT_EQ(doc[3].GetInt64(), -2147483649);
  EXPECT_EQ(doc[4].GetInt64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(doc[5].GetUint64(), std::numeric_limits<uint64_t>::max());
  EXPECT_TRUE(doc[6].IsDouble());
  EXPECT_DOUBLE_EQ(doc[6].GetDouble(), 18446744073709551616.0);
  EXPECT_TRUE(doc[7].IsDouble());
  EXPECT_TRUE(doc[8].IsInt());
  EXPECT_EQ(doc[8].GetInt(), 0);
  EXPECT_EQ(toJson(doc[9]), "7");
}

TEST(MemberTest, NeverAssertsOnWrongTypes) {
  auto parsed = parseJson(R"({"s":"text","n":1,"o":{}})");
  ASSERT_TRUE(parsed.isOk());
  const rapidjson::Document& doc = parsed.value();
  EXPECT_EQ(member(doc, "missing"), nullptr);
  EXPECT_EQ(member(*member(doc, "s"), "x"), nullptr);  // not an object
  EXPECT_EQ(stringMember(doc, "n"), "");
  EXPECT_EQ(stringMember(doc, "o"), "");
  EXPECT_EQ(stringMember(doc, "s"), "text");
  rapidjson::Value array(rapidjson::kArrayType);
  EXPECT_EQ(member(array, "s"), nullptr);
}

TEST(QuoteForDiagnosticsTest, BoundsAndSanitises) {
  EXPECT_EQ(quoteForDiagnostics("id"), "\"id\"");
  EXPECT_EQ(quoteForDiagnostics("a\"b\n\xC3\xA4"), "\"a\\\"b???\"");
  EXPECT_EQ(quoteForDiagnostics(std::string(100, 'x')), "\"" + std::string(64, 'x') + "...\"");
}

}  // namespace
}  // namespace brygga::fhir

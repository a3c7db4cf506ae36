// The golden tests' comparison: JSON meaning, not text.
#include "tests/support/json_equal.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace brygga::testing {
namespace {

using ::testing::HasSubstr;

TEST(JsonEqual, MemberOrderDoesNotMatter) {
  EXPECT_EQ(
      jsonDifference(R"({"a":1,"b":{"c":"x","d":[1,2]}})", R"({"b":{"d":[1,2],"c":"x"},"a":1})"),
      "");
}

TEST(JsonEqual, GeneratedUuidsMatchByHowTheyLink) {
  const std::string expected =
      R"({"entry":[{"fullUrl":"urn:uuid:#1","ref":"urn:uuid:#2"},{"fullUrl":"urn:uuid:#2"}]})";
  EXPECT_EQ(jsonDifference(expected,
                           R"({"entry":[{"fullUrl":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001",
                                         "ref":"urn:uuid:bbbbbbbb-0000-4000-8000-000000000002"},
                                        {"fullUrl":"urn:uuid:bbbbbbbb-0000-4000-8000-000000000002"}]})"),
            "");
  // The same uuids linked differently: the reference points at itself, not at the second entry.
  EXPECT_NE(jsonDifference(expected,
                           R"({"entry":[{"fullUrl":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001",
                                         "ref":"urn:uuid:aaaaaaaa-0000-4000-8000-000000000001"},
                                        {"fullUrl":"urn:uuid:bbbbbbbb-0000-4000-8000-000000000002"}]})"),
            "");
  // Ids Brygga assigned inside references count too.
  EXPECT_EQ(
      jsonDifference(R"({"subject":{"reference":"Patient/#1"}})",
                     R"({"subject":{"reference":"Patient/0b6e9a53-1c1f-4f32-9a41-0f7b3b0d2c11"}})"),
      "");
}

TEST(JsonEqual, DifferencesNameThePath) {
  EXPECT_THAT(jsonDifference(R"({"a":{"b":[1,{"c":"x"}]}})", R"({"a":{"b":[1,{"c":"y"}]}})"),
              HasSubstr("$.a.b[1].c: expected"));
  EXPECT_THAT(jsonDifference(R"({"a":1})", R"({"a":1,"z":2})"), HasSubstr("$.z: unexpected"));
  EXPECT_THAT(jsonDifference(R"({"a":1,"z":2})", R"({"a":1})"), HasSubstr("$.z: missing"));
  EXPECT_THAT(jsonDifference(R"([1,2])", R"([2,1])"), HasSubstr("$[0]: expected"));
  EXPECT_THAT(jsonDifference(R"([1])", R"([1,1])"), HasSubstr("expected 1 items, got 2"));
}

}  // namespace
}  // namespace brygga::testing

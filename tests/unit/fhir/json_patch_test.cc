// JSON Patch (RFC 6902) on RapidJSON documents: the RFC's own examples (appendix A) and the
// all-or-nothing rule.
#include "gateway/fhir/json_patch.h"

#include <gtest/gtest.h>

#include <string>

#include "gateway/fhir/json.h"

namespace brygga::fhir {
namespace {

rapidjson::Document doc(const std::string& json) {
  auto parsed = parseJson(json);
  EXPECT_TRUE(parsed.isOk()) << json;
  return parsed.isOk() ? std::move(parsed).value() : rapidjson::Document();
}

// Applies `patch` to `before`: the document afterwards as JSON, or the error's message.
std::string patched(const std::string& before, const std::string& patch) {
  rapidjson::Document target = doc(before);
  const rapidjson::Document ops = doc(patch);
  const core::Status s = applyJsonPatch(target, ops);
  return s.isOk() ? toJson(target) : "error " + std::to_string(s.httpStatus()) + ": " + s.message();
}

TEST(JsonPatch, AppliesTheExamplesOfRfc6902) {
  EXPECT_EQ(patched(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])"),
            R"({"foo":"bar","baz":"qux"})");
  EXPECT_EQ(patched(R"({"foo":["bar","baz"]})", R"([{"op":"add","path":"/foo/1","value":"qux"}])"),
            R"({"foo":["bar","qux","baz"]})");
  EXPECT_EQ(patched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"remove","path":"/baz"}])"),
            R"({"foo":"bar"})");
  EXPECT_EQ(patched(R"({"foo":["bar","qux","baz"]})", R"([{"op":"remove","path":"/foo/1"}])"),
            R"({"foo":["bar","baz"]})");
  EXPECT_EQ(
      patched(R"({"baz":"qux","foo":"bar"})", R"([{"op":"replace","path":"/baz","value":"boo"}])"),
      R"({"baz":"boo","foo":"bar"})");
  EXPECT_EQ(patched(R"({"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}})",
                    R"([{"op":"move","from":"/foo/waldo","path":"/qux/thud"}])"),
            R"({"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}})");
  EXPECT_EQ(patched(R"({"foo":["all","grass","cows","eat"]})",
                    R"([{"op":"move","from":"/foo/1","path":"/foo/3"}])"),
            R"({"foo":["all","cows","eat","grass"]})");
  EXPECT_EQ(
      patched(
          R"({"baz":"qux","foo":["a",2,"c"]})",
          R"([{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}])"),
      R"({"baz":"qux","foo":["a",2,"c"]})");
  EXPECT_EQ(
      patched(R"({"foo":["bar"]})", R"([{"op":"add","path":"/foo/-","value":["abc","def"]}])"),
      R"({"foo":["bar",["abc","def"]]})");
  EXPECT_EQ(patched(R"({"/":9,"~1":10})", R"([{"op":"copy","from":"/~1","path":"/~0"}])"),
            R"({"/":9,"~1":10,"~":9})");  // "/~1" is the member "/"
}

TEST(JsonPatch, AFailingOperationLeavesTheDocumentAsItWas) {
  rapidjson::Document target = doc(R"({"status":"active","note":[{"text":"a"}]})");
  const rapidjson::Document ops = doc(
      R"([{"op":"replace","path":"/status","value":"finished"},{"op":"test","path":"/note/0/text","value":"b"}])");
  const core::Status s = applyJsonPatch(target, ops);
  EXPECT_EQ(s.code(), core::StatusCode::kUnprocessable);
  EXPECT_NE(s.message().find("operation 1"), std::string::npos) << s.message();
  EXPECT_EQ(toJson(target), R"({"status":"active","note":[{"text":"a"}]})");
}

TEST(JsonPatch, NamesWhatIsWrongWithAPatchOrWhereItDoesNotApply) {
  const std::string base = R"({"foo":"bar","list":[1]})";
  EXPECT_EQ(patched(base, R"({"op":"add"})"), "error 400: a JSON Patch is an array of operations");
  EXPECT_EQ(patched(base, R"([{"op":"frobnicate","path":"/foo"}])"),
            "error 400: JSON Patch operation 0: unknown op \"frobnicate\"");
  EXPECT_EQ(patched(base, R"([{"op":"add","path":"/x"}])"),
            "error 400: JSON Patch operation 0: \"add\" needs a \"value\"");
  EXPECT_EQ(patched(base, R"([{"op":"remove","path":"foo"}])"),
            "error 400: JSON Patch operation 0: a JSON Pointer starts with '/'");
  EXPECT_EQ(patched(base, R"([{"op":"remove","path":"/nothing"}])"),
            "error 422: JSON Patch operation 0: path /nothing is not in the resource");
  EXPECT_EQ(patched(base, R"([{"op":"replace","path":"/list/1","value":2}])"),
            "error 422: JSON Patch operation 0: path /list/1 is not in the resource");
  EXPECT_EQ(patched(base, R"([{"op":"add","path":"/list/01","value":2}])"),
            "error 422: JSON Patch operation 0: path /list/01 is not in the resource");
  EXPECT_EQ(patched(base, R"([{"op":"move","from":"/list","path":"/list/0"}])"),
            "error 400: JSON Patch operation 0: \"move\" cannot move a value into itself");
  EXPECT_EQ(patched(base, R"([{"op":"test","path":"/foo","value":"baz"}])"),
            "error 422: JSON Patch operation 0: test failed: /foo has another value");
}

}  // namespace
}  // namespace brygga::fhir

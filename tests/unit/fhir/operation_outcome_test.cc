#include "gateway/fhir/operation_outcome.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/fhir/fhir_test_util.h"

namespace brygga::fhir {
namespace {

using testing::parseTestJson;

TEST(OperationOutcomeTest, ListsIssuesWithExpressions) {
  const std::vector<core::Issue> issues = {
      core::Issue::error("value",
                         "not a valid personnummer: check digit: the Luhn check digit "
                         "does not match",
                         "Patient.identifier[0].value"),
      core::Issue::warning("informational", "unknown element ignored"),
  };
  EXPECT_EQ(
      operationOutcomeJson(issues),
      R"({"resourceType":"OperationOutcome","issue":[)"
      R"({"severity":"error","code":"value","diagnostics":"not a valid personnummer: check digit: the Luhn check digit does not match","expression":["Patient.identifier[0].value"]},)"
      R"({"severity":"warning","code":"informational","diagnostics":"unknown element ignored"}]})");
}

TEST(OperationOutcomeTest, NoIssuesMeansAllOk) {
  EXPECT_EQ(
      operationOutcomeJson(std::vector<core::Issue>{}),
      R"({"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational","diagnostics":"All OK"}]})");
}

TEST(OperationOutcomeTest, StatusWithoutIssuesMapsItsCode) {
  const std::pair<core::StatusCode, const char*> cases[] = {
      {core::StatusCode::kInvalidArgument, "structure"},
      {core::StatusCode::kUnauthenticated, "login"},
      {core::StatusCode::kPermissionDenied, "forbidden"},
      {core::StatusCode::kNotFound, "not-found"},
      {core::StatusCode::kMethodNotAllowed, "not-supported"},
      {core::StatusCode::kConflict, "conflict"},
      {core::StatusCode::kGone, "deleted"},
      {core::StatusCode::kPreconditionFailed, "conflict"},
      {core::StatusCode::kPayloadTooLarge, "too-long"},
      {core::StatusCode::kUnsupportedMediaType, "not-supported"},
      {core::StatusCode::kUnprocessable, "invalid"},
      {core::StatusCode::kUnavailable, "transient"},
      {core::StatusCode::kInternal, "exception"},
  };
  for (const auto& [code, issueType] : cases) {
    const auto doc = parseTestJson(operationOutcomeJson(core::Status(code, "what happened")));
    ASSERT_TRUE(doc.IsObject());
    EXPECT_STREQ(doc["resourceType"].GetString(), "OperationOutcome");
    ASSERT_EQ(doc["issue"].Size(), 1u);
    const auto& issue = doc["issue"][0];
    EXPECT_STREQ(issue["severity"].GetString(), "error");
    EXPECT_STREQ(issue["code"].GetString(), issueType) << core::toString(code);
    EXPECT_STREQ(issue["diagnostics"].GetString(), "what happened");
    EXPECT_FALSE(issue.HasMember("expression"));
  }
}

TEST(OperationOutcomeTest, StatusIssuesWinOverItsMessage) {
  const core::Status status = core::unprocessable(
      "validation failed", {core::Issue::error("required", "EpisodeOfCare.patient is required",
                                               "EpisodeOfCare.patient")});
  const auto doc = parseTestJson(operationOutcomeJson(status));
  ASSERT_EQ(doc["issue"].Size(), 1u);
  EXPECT_STREQ(doc["issue"][0]["code"].GetString(), "required");
  EXPECT_STREQ(doc["issue"][0]["expression"][0].GetString(), "EpisodeOfCare.patient");
}

TEST(OperationOutcomeTest, EscapesAndRepairsOutsideText) {
  const std::string json = operationOutcomeJson(core::invalidArgument("bad \"x\"\n\xC3\x28 end"));
  const auto doc = parseTestJson(json);  // fails the test when the output is not valid JSON
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["issue"][0]["diagnostics"].GetString(), "bad \"x\"\n\xEF\xBF\xBD( end");
}

TEST(OperationOutcomeTest, HasErrors) {
  EXPECT_FALSE(hasErrors({}));
  EXPECT_FALSE(hasErrors({core::Issue::warning("informational", "fyi")}));
  EXPECT_TRUE(hasErrors(
      {core::Issue::warning("informational", "fyi"), core::Issue::error("value", "bad")}));
  core::Issue fatal;
  fatal.severity = core::Issue::Severity::kFatal;
  EXPECT_TRUE(hasErrors({fatal}));
}

}  // namespace
}  // namespace brygga::fhir

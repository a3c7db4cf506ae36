// $validate over real HTTP, the profiles in the CapabilityStatement, and writes refused with the
// validator's whole OperationOutcome.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"

namespace brygga::testing {
namespace {

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<GatewayHarness>(&peer_);
    harness_->start();
  }
  HttpAnswer call(const std::string& client, const std::string& method, const std::string& path,
                  const std::string& body = {}) {
    return harness_->call(client, method, path, body, {{"Content-Type", "application/fhir+json"}});
  }
  // The (code, expression) pairs of an OperationOutcome's issues.
  static std::set<std::pair<std::string, std::string>> issuesOf(const std::string& body) {
    std::set<std::pair<std::string, std::string>> out;
    auto doc = parse(body);
    if (!doc.IsObject() || !doc.HasMember("issue")) return out;
    for (const auto& issue : doc["issue"].GetArray()) {
      std::string expression;
      if (issue.HasMember("expression")) expression = issue["expression"][0].GetString();
      out.emplace(issue["code"].GetString(), expression);
    }
    return out;
  }

  TestPeer peer_;
  std::unique_ptr<GatewayHarness> harness_;
};

TEST_F(ValidateTest, ValidateAnswersWithEveryIssueAndStoresNothing) {
  const std::string bad = R"({"resourceType":"Patient","gender":"mann","birthDate":"1912-13-01",
    "identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":"191212121213"}]})";
  auto r = call("kungsbacka", "POST", "/Patient/$validate", bad);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(issuesOf(r.body), (std::set<std::pair<std::string, std::string>>{
                                  {"code-invalid", "Patient.gender"},
                                  {"value", "Patient.birthDate"},
                                  {"value", "Patient.identifier[0].value"}}));
  EXPECT_EQ(r.body.find("191212121213"), std::string::npos) << "never echo a personnummer";

  auto ok = call("kungsbacka", "POST", "/Patient/$validate", patientJson("19121212-1212"));
  ASSERT_EQ(ok.status, 200);
  auto outcome = parse(ok.body);
  ASSERT_EQ(outcome["issue"].Size(), 1u);
  EXPECT_STREQ(outcome["issue"][0]["severity"].GetString(), "information");

  // Nothing was written.
  auto search = call("kungsbacka", "GET", "/Patient");
  EXPECT_EQ(parse(search.body)["total"].GetInt(), 0);
}

TEST_F(ValidateTest, SystemLevelValidateTakesABundleOrParameters) {
  auto bundle = call("kungsbacka", "POST", "/$validate", enrollmentBundle("19121212-1212"));
  ASSERT_EQ(bundle.status, 200) << bundle.body;
  EXPECT_EQ(issuesOf(bundle.body).size(), 1u) << bundle.body;  // "All OK"

  auto broken = call("kungsbacka", "POST", "/$validate", enrollmentBundle("19121212-1213"));
  EXPECT_EQ(issuesOf(broken.body), (std::set<std::pair<std::string, std::string>>{
                                       {"value", "Bundle.entry[0].resource.identifier[0].value"}}));

  const std::string parameters =
      R"({"resourceType":"Parameters","parameter":[{"name":"resource","resource":{"resourceType":"Encounter","status":"finished"}}]})";
  auto p = call("kungsbacka", "POST", "/$validate", parameters);
  ASSERT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(issuesOf(p.body),
            (std::set<std::pair<std::string, std::string>>{{"required", "Encounter.class"}}));

  EXPECT_EQ(call("kungsbacka", "POST", "/$validate", R"({"resourceType":"Parameters"})").status,
            400);
  EXPECT_EQ(
      call("kungsbacka", "POST", "/Patient/$validate", R"({"resourceType":"Encounter"})").status,
      400);
  EXPECT_EQ(call("kungsbacka", "GET", "/$validate").status, 405);
  EXPECT_EQ(call("", "POST", "/$validate", parameters).status, 401);
}

TEST_F(ValidateTest, ValidateIsAuditedAsAnOperation) {
  ASSERT_EQ(call("kungsbacka", "POST", "/Patient/$validate", patientJson("19121212-1212")).status,
            200);
  auto events = call("integration", "GET", "/AuditEvent");
  ASSERT_EQ(events.status, 200);
  bool found = false;
  for (const auto& e : parse(events.body)["entry"].GetArray()) {
    const auto& ev = e["resource"];
    if (ev.HasMember("subtype") &&
        std::string(ev["subtype"][0]["code"].GetString()) == "operation") {
      found = true;
    }
  }
  EXPECT_TRUE(found) << events.body;
}

TEST_F(ValidateTest, WritesAreRefusedWithTheWholeOutcome) {
  auto r = call("kungsbacka", "POST", "/Patient",
                R"({"resourceType":"Patient","gender":"mann","nickname":"x"})");
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(issuesOf(r.body),
            (std::set<std::pair<std::string, std::string>>{{"code-invalid", "Patient.gender"},
                                                           {"structure", "Patient.nickname"}}));
}

TEST_F(ValidateTest, CapabilityStatementListsBryggasProfiles) {
  auto doc = parse(call("", "GET", "/metadata").body);
  std::set<std::string> profiles;
  for (const auto& res : doc["rest"][0]["resource"].GetArray()) {
    if (!res.HasMember("supportedProfile")) continue;
    for (const auto& p : res["supportedProfile"].GetArray()) {
      profiles.insert(std::string(res["type"].GetString()) + " " + p.GetString());
    }
  }
  EXPECT_EQ(profiles,
            (std::set<std::string>{
                "EpisodeOfCare "
                "https://brygga.se/fhir/StructureDefinition/brygga-enrollment-episodeofcare",
                "Encounter https://brygga.se/fhir/StructureDefinition/brygga-visit-encounter",
                "Patient https://brygga.se/fhir/StructureDefinition/brygga-patient"}));
}

}  // namespace
}  // namespace brygga::testing

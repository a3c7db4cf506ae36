#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "mappings/enrollment_forward.h"

namespace brygga::mappings {
namespace {

const StoredResource kPatient{
    "Patient", "p1",
    R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"3","lastUpdated":"2026-11-23T10:00:00.000Z"},
        "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"19121212-1212"}],"gender":"male"})"};
const StoredResource kEpisode{"EpisodeOfCare", "e1",
                              R"({"resourceType":"EpisodeOfCare","id":"e1","status":"finished",
        "identifier":[{"system":"https://kungsbacka.se/hemsjukvard/inskrivning","value":"E-1"}],
        "patient":{"reference":"Patient/p1"},"period":{"start":"2026-11-01","end":"2026-11-20"}})"};

rapidjson::Document build(const std::vector<StoredResource>& resources) {
  auto out = buildEnrollmentForward(resources);
  EXPECT_TRUE(out.isOk()) << out.status().toString();
  rapidjson::Document doc;
  doc.Parse(out.isOk() ? out->c_str() : "{}");
  return doc;
}

TEST(EnrollmentForward, PatientIsAConditionalCreateOnItsNormalisedPersonnummer) {
  // Given in the order the peer must not depend on: the episode first.
  auto doc = build({kEpisode, kPatient});
  ASSERT_EQ(doc["entry"].Size(), 2u);
  const auto& patient = doc["entry"][0];
  EXPECT_STREQ(patient["request"]["method"].GetString(), "POST");
  EXPECT_STREQ(patient["request"]["ifNoneExist"].GetString(),
               "identifier=http://electronichealth.se/identifier/personnummer%7C191212121212");
  // Always the HL7 Sweden URI and 12 digits out, whatever came in; Brygga's ids stay home.
  EXPECT_STREQ(patient["resource"]["identifier"][0]["system"].GetString(),
               "http://electronichealth.se/identifier/personnummer");
  EXPECT_STREQ(patient["resource"]["identifier"][0]["value"].GetString(), "191212121212");
  EXPECT_FALSE(patient["resource"].HasMember("id"));
  EXPECT_FALSE(patient["resource"].HasMember("meta"));
}

TEST(EnrollmentForward, EpisodeIsAConditionalUpdateSoDischargeReachesTheRegion) {
  auto doc = build({kPatient, kEpisode});
  const auto& episode = doc["entry"][1];
  EXPECT_STREQ(episode["request"]["method"].GetString(), "PUT");
  EXPECT_STREQ(episode["request"]["url"].GetString(),
               "EpisodeOfCare?identifier=https://kungsbacka.se/hemsjukvard/inskrivning%7CE-1");
  EXPECT_STREQ(episode["resource"]["status"].GetString(), "finished");
  EXPECT_STREQ(episode["resource"]["patient"]["reference"].GetString(),
               doc["entry"][0]["fullUrl"].GetString());
  EXPECT_EQ(std::string(doc["entry"][0]["fullUrl"].GetString()).rfind("urn:uuid:", 0), 0u);
}

TEST(EnrollmentForward, RefusesWhatCannotBeMatchedAtThePeer) {
  StoredResource noPnr{
      "Patient", "p2",
      R"({"resourceType":"Patient","id":"p2","identifier":[{"system":"x","value":"1"}]})"};
  auto r = buildEnrollmentForward({noPnr, kEpisode});
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), core::StatusCode::kUnprocessable);
  EXPECT_FALSE(buildEnrollmentForward({kPatient}).isOk());
  StoredResource noId{
      "EpisodeOfCare", "e2",
      R"({"resourceType":"EpisodeOfCare","id":"e2","status":"active","patient":{"reference":"Patient/p1"}})"};
  auto missing = buildEnrollmentForward({kPatient, noId});
  ASSERT_FALSE(missing.isOk());
  ASSERT_FALSE(missing.status().issues().empty());
  EXPECT_EQ(missing.status().issues()[0].expression, "EpisodeOfCare.identifier");
}

}  // namespace
}  // namespace brygga::mappings

// The flows hand the transforms documents they already parsed (StoredResource::parsed) so that
// the write unit does not parse each record again; the Bundle must be the same either way.
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "mappings/enrollment_forward.h"

namespace brygga::mappings {
namespace {

const char* kPatientJson =
    R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"3","lastUpdated":"2026-11-23T10:00:00.000Z"},
        "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"19121212-1212"}],"gender":"male"})";
const char* kEpisodeJson = R"({"resourceType":"EpisodeOfCare","id":"e1","status":"active",
        "identifier":[{"system":"https://kungsbacka.se/hemsjukvard/inskrivning","value":"E-1"}],
        "patient":{"reference":"Patient/p1"},"period":{"start":"2026-11-01"}})";

// The Bundle with its fresh urn:uuid fullUrls replaced by their order of appearance.
std::string withoutUrns(const std::string& bundle) {
  static const std::regex kUrn("urn:uuid:[0-9a-f-]{36}");
  std::string out;
  std::vector<std::string> seen;
  auto last = bundle.cbegin();
  for (std::sregex_iterator it(bundle.begin(), bundle.end(), kUrn), end; it != end; ++it) {
    out.append(last, bundle.cbegin() + it->position());
    const std::string urn = it->str();
    size_t index = 0;
    while (index < seen.size() && seen[index] != urn) ++index;
    if (index == seen.size()) seen.push_back(urn);
    out += "urn:" + std::to_string(index);
    last = bundle.cbegin() + it->position() + it->length();
  }
  out.append(last, bundle.cend());
  return out;
}

TEST(EnrollmentForwardParsed, AlreadyParsedResourcesGiveTheSameBundleAsTheirJson) {
  rapidjson::Document patient;
  patient.Parse(kPatientJson);
  rapidjson::Document episode;
  episode.Parse(kEpisodeJson);
  ASSERT_FALSE(patient.HasParseError());
  ASSERT_FALSE(episode.HasParseError());

  auto fromJson = buildEnrollmentForward(
      {{"EpisodeOfCare", "e1", kEpisodeJson}, {"Patient", "p1", kPatientJson}});
  auto fromParsed = buildEnrollmentForward(
      {{"EpisodeOfCare", "e1", kEpisodeJson, &episode}, {"Patient", "p1", kPatientJson, &patient}});
  ASSERT_TRUE(fromJson.isOk()) << fromJson.status().toString();
  ASSERT_TRUE(fromParsed.isOk()) << fromParsed.status().toString();
  EXPECT_EQ(withoutUrns(*fromParsed), withoutUrns(*fromJson));
  EXPECT_NE(fromParsed->find("191212121212"), std::string::npos);
}

TEST(EnrollmentForwardParsed, TheParsedDocumentIsWhatIsSent) {
  // The transforms trust `parsed` (the flows parse it from `json` themselves); a test of that
  // contract: what is in the document is what goes out.
  rapidjson::Document episode;
  episode.Parse(kEpisodeJson);
  episode["status"].SetString("finished");
  auto out = buildEnrollmentForward(
      {{"EpisodeOfCare", "e1", kEpisodeJson, &episode}, {"Patient", "p1", kPatientJson}});
  ASSERT_TRUE(out.isOk()) << out.status().toString();
  EXPECT_NE(out->find(R"("status":"finished")"), std::string::npos);
  EXPECT_EQ(out->find(R"("status":"active")"), std::string::npos);
}

}  // namespace
}  // namespace brygga::mappings

// What Brygga emits must be valid FHIR: the enrollment forward Bundle is run through the same
// validator that guards every write (a mapping producing an invalid resource is a bug).
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/validator.h"
#include "mappings/enrollment_forward.h"
#include "tests/support/mappings_test_util.h"

namespace brygga::mappings {
namespace {

const StoredResource kPatient{
    "Patient", "p1",
    R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"3","lastUpdated":"2026-11-23T10:00:00.000Z"},
        "identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"19121212-1212"}],
        "name":[{"family":"Tolvansson","given":["Tolvan"]}],"gender":"male","birthDate":"1912-12-12"})"};
const StoredResource kEpisode{
    "EpisodeOfCare", "e1",
    R"({"resourceType":"EpisodeOfCare","id":"e1","meta":{"versionId":"1","lastUpdated":"2026-11-23T10:00:00.000Z"},
        "status":"active",
        "identifier":[{"system":"https://kungsbacka.se/hemsjukvard/inskrivning","value":"E-1"}],
        "type":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/episodeofcare-type","code":"hacc"}]}],
        "patient":{"reference":"Patient/p1"},
        "managingOrganization":{"identifier":{"system":"urn:oid:1.2.752.29.4.19","value":"SE2120001306-HSJV01"}},
        "period":{"start":"2026-11-01"}})"};
const StoredResource kCondition{"Condition", "c1",
                                R"({"resourceType":"Condition","id":"c1",
        "identifier":[{"system":"https://kungsbacka.se/hemsjukvard/diagnos","value":"D-1"}],
        "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
        "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"I50"}]},
        "subject":{"reference":"Patient/p1"}})"};

std::string describe(const std::vector<core::Issue>& issues) {
  std::string out;
  for (const auto& i : issues) {
    out += std::string(core::toString(i.severity)) + " " + i.code + " at " + i.expression + ": " +
           i.diagnostics + "\n";
  }
  return out;
}

std::vector<core::Issue> validate(const std::string& json) {
  auto doc = fhir::parseJson(json);
  EXPECT_TRUE(doc.isOk()) << doc.status().toString();
  if (!doc.isOk()) return {};
  return fhir::makeValidator()->validate(*doc);
}

TEST(EnrollmentForwardValidation, TheForwardBundleIsValidFhir) {
  auto bundle = buildEnrollmentForward({kPatient, kEpisode, kCondition});
  ASSERT_TRUE(bundle.isOk()) << bundle.status().toString();
  const auto issues = validate(*bundle);
  EXPECT_FALSE(fhir::hasErrors(issues)) << describe(issues) << *bundle;
}

TEST(EnrollmentForwardValidation, TheMappedForwardBundleIsValidFhir) {
  const auto mappingSet = brygga::testing::repoMappings();
  ASSERT_NE(mappingSet, nullptr);
  FlowContext context;
  context.mappings = mappingSet.get();
  context.nowMs = 1795430400000;  // 2026-11-23
  auto bundle = buildEnrollmentForward({kPatient, kEpisode, kCondition}, context);
  ASSERT_TRUE(bundle.isOk()) << bundle.status().toString();
  const auto issues = validate(*bundle);
  EXPECT_FALSE(fhir::hasErrors(issues)) << describe(issues) << *bundle;
}

TEST(EnrollmentForwardValidation, TheValidatorWouldCatchABrokenMapping) {
  // The check above can fail: a forward Bundle whose Patient lost its personnummer check digit
  // is refused with the expression of the broken value.
  auto bundle = buildEnrollmentForward({kPatient, kEpisode});
  ASSERT_TRUE(bundle.isOk());
  std::string broken = *bundle;
  const size_t at = broken.find("191212121212");
  ASSERT_NE(at, std::string::npos);
  broken.replace(at, 12, "191212121213");
  const auto issues = validate(broken);
  EXPECT_TRUE(fhir::hasErrors(issues));
  EXPECT_THAT(issues,
              ::testing::Contains(::testing::Field(
                  &core::Issue::expression, "Bundle.entry[0].resource.identifier[0].value")));
}

}  // namespace
}  // namespace brygga::mappings

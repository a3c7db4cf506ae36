#include "gateway/fhir/resource_index.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/core/civil_time.h"
#include "tests/support/test_support.h"
#include "tests/unit/fhir/fhir_test_util.h"

namespace brygga::fhir {
namespace {

using ::testing::AllOf;
using ::testing::Field;
using ::testing::IsEmpty;
using ::testing::Optional;
using testing::parseTestJson;
using ::testing::UnorderedElementsAre;

auto indexValue(const std::string& param, const std::string& system, const std::string& value) {
  return AllOf(Field(&IndexValue::param, param), Field(&IndexValue::system, system),
               Field(&IndexValue::value, value));
}

TEST(ExtractIndexTest, PatientIdentifiersAreCanonicalAndNormalised) {
  const auto doc = parseTestJson(R"({"resourceType":"Patient","id":"p1","identifier":[
    {"system":"urn:oid:1.2.752.129.2.1.3.1","value":"19121212-1212"},
    {"system":"http://electronichealth.se/identifier/personnummer","value":"19121212+1212"},
    {"system":"urn:oid:1.2.752.129.2.1.3.3","value":"19121272-1219"},
    {"system":"https://example.org/mrn","value":"A-1"},
    {"system":"https://example.org/empty"},
    {"value":"no-system"}
  ],"subject":{"reference":"Patient/other"}})");
  EXPECT_THAT(
      extractIndex(doc),
      UnorderedElementsAre(
          indexValue("identifier", "http://electronichealth.se/identifier/personnummer",
                     "191212121212"),
          indexValue("identifier", "http://electronichealth.se/identifier/personnummer",
                     "191212121212"),
          indexValue("identifier", "http://electronichealth.se/identifier/samordningsnummer",
                     "191212721219"),
          indexValue("identifier", "https://example.org/mrn", "A-1"),
          indexValue("identifier", "", "no-system")));
}

TEST(ExtractIndexTest, EachPartOfANameIsIndexedOnceFamilyAndGivenUnderTheirOwnParameters) {
  const auto doc = parseTestJson(R"({"resourceType":"Patient","id":"p1","name":[
    {"text":"Dr Åsa Öberg","family":"Öberg","given":["Åsa","Maria"],"prefix":["Dr"],
     "suffix":["Jr"]}]})");
  EXPECT_THAT(
      extractIndex(doc),
      UnorderedElementsAre(indexValue("name", "Dr Åsa Öberg", "dr asa oberg"),
                           indexValue("family", "Öberg", "oberg"),
                           indexValue("given", "Åsa", "asa"), indexValue("given", "Maria", "maria"),
                           indexValue("name", "Dr", "dr"), indexValue("name", "Jr", "jr")));
}

TEST(PersonNumbersTest, EveryFormIsOnePersonAndIsStoredNormalised) {
  auto doc = parseTestJson(R"({"resourceType":"Patient","id":"p1","identifier":[
    {"system":"https://terminology.hl7.se/sid/se-personnummer","value":"19121212-1212"},
    {"system":"urn:oid:1.2.752.129.2.1.3.1","value":"191212121212"},
    {"system":"https://terminology.hl7.se/sid/se-samordningsnummer","value":"19121272-1219"},
    {"system":"http://electronichealth.se/identifier/personnummer","value":"19121212-1213"},
    {"system":"https://example.org/mrn","value":"A-1"}
  ]})");
  EXPECT_THAT(
      personNumbersOf(doc),
      ::testing::ElementsAre(PersonNumber{PersonNumberKind::kPersonnummer, "191212121212"},
                             PersonNumber{PersonNumberKind::kSamordningsnummer, "191212721219"}));
  normalizePersonNumbers(doc, doc.GetAllocator());
  const auto& ids = doc["identifier"];
  EXPECT_STREQ(ids[0]["system"].GetString(), "http://electronichealth.se/identifier/personnummer");
  EXPECT_STREQ(ids[0]["value"].GetString(), "191212121212");
  EXPECT_STREQ(ids[1]["system"].GetString(), "http://electronichealth.se/identifier/personnummer");
  EXPECT_STREQ(ids[2]["system"].GetString(),
               "http://electronichealth.se/identifier/samordningsnummer");
  EXPECT_STREQ(ids[2]["value"].GetString(), "191212721219");
  // Invalid numbers and other systems stay as sent.
  EXPECT_STREQ(ids[3]["value"].GetString(), "19121212-1213");
  EXPECT_STREQ(ids[4]["system"].GetString(), "https://example.org/mrn");
}

TEST(ExtractIndexTest, EpisodeOfCareFromTheEnrollmentBundle) {
  const auto bundle = parseTestJson(brygga::testing::readTestData("enrollment-bundle.json"));
  const rapidjson::Value& episode = bundle["entry"][1]["resource"];
  EXPECT_THAT(extractIndex(episode),
              UnorderedElementsAre(
                  indexValue("identifier", "https://brygga.example/municipality/kungsbacka/episode",
                             "E-1001"),
                  indexValue("status", "", "active")));
}

TEST(ExtractIndexTest, ReferencesAreIndexedInRelativeForm) {
  const auto encounter = parseTestJson(R"({"resourceType":"Encounter","status":"finished",
    "subject":{"reference":"https://region.example/fhir/Patient/p1/_history/3"}})");
  EXPECT_THAT(extractIndex(encounter), UnorderedElementsAre(indexValue("subject", "", "Patient/p1"),
                                                            indexValue("patient", "", "Patient/p1"),
                                                            indexValue("status", "", "finished")));

  const auto episode = parseTestJson(R"({"resourceType":"EpisodeOfCare","status":"active",
    "patient":{"reference":"Patient/p2"}})");
  EXPECT_THAT(extractIndex(episode), UnorderedElementsAre(indexValue("patient", "", "Patient/p2"),
                                                          indexValue("status", "", "active")));

  const auto task = parseTestJson(R"({"resourceType":"Task","status":"requested",
    "for":{"reference":"Patient/p3"},"focus":{"reference":"ServiceRequest/s1"}})");
  EXPECT_THAT(extractIndex(task), UnorderedElementsAre(indexValue("patient", "", "Patient/p3"),
                                                       indexValue("status", "", "requested")));

  // A Group subject is a subject but not a patient; unresolved urn:uuid references index nothing.
  const auto condition = parseTestJson(R"({"resourceType":"Condition",
    "subject":{"reference":"Group/g1"},
    "patient":{"reference":"urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01"}})");
  EXPECT_THAT(extractIndex(condition), UnorderedElementsAre(indexValue("subject", "", "Group/g1")));
}

TEST(ExtractIndexTest, ToleratesWrongShapes) {
  EXPECT_THAT(extractIndex(parseTestJson("[1,2]")), IsEmpty());
  EXPECT_THAT(
      extractIndex(parseTestJson(
          R"({"resourceType":"Condition","identifier":"x","subject":"Patient/1","status":3})")),
      IsEmpty());
  EXPECT_THAT(
      extractIndex(parseTestJson(
          R"({"resourceType":"Condition","identifier":{"value":"one"},"subject":{"reference":"ftp://x/Patient/1"}})")),
      UnorderedElementsAre(indexValue("identifier", "", "one")));
}

TEST(PatientReferenceOfTest, FindsThePatient) {
  EXPECT_THAT(patientReferenceOf(parseTestJson(R"({"resourceType":"Patient","id":"p1"})")),
              Optional(std::string("Patient/p1")));
  EXPECT_EQ(patientReferenceOf(parseTestJson(R"({"resourceType":"Patient"})")), std::nullopt);
  EXPECT_THAT(patientReferenceOf(parseTestJson(
                  R"({"resourceType":"EpisodeOfCare","patient":{"reference":"Patient/p2"}})")),
              Optional(std::string("Patient/p2")));
  EXPECT_THAT(
      patientReferenceOf(parseTestJson(
          R"({"resourceType":"Encounter","subject":{"reference":"http://x/fhir/Patient/p3"}})")),
      Optional(std::string("Patient/p3")));
  EXPECT_THAT(patientReferenceOf(
                  parseTestJson(R"({"resourceType":"Task","for":{"reference":"Patient/p4"}})")),
              Optional(std::string("Patient/p4")));
  EXPECT_EQ(patientReferenceOf(parseTestJson(
                R"({"resourceType":"Condition","subject":{"reference":"Group/g1"}})")),
            std::nullopt);
  EXPECT_EQ(patientReferenceOf(parseTestJson(R"({"resourceType":"Organization"})")), std::nullopt);
}

TEST(RewriteReferencesTest, RewritesEverywhereIncludingNestedArrays) {
  auto doc = parseTestJson(R"({"resourceType":"CarePlan",
    "subject":{"reference":"urn:uuid:a"},
    "activity":[{"detail":{"performer":[{"reference":"urn:uuid:b"},{"reference":"Organization/keep"}]}},
                [[{"reference":"urn:uuid:a"}]]],
    "note":[{"text":"reference"}],
    "reference":{"reference":"urn:uuid:b"},
    "other":{"reference":5}})");
  std::vector<std::string> seen;
  rewriteReferences(doc, doc.GetAllocator(),
                    [&](const std::string& ref) -> std::optional<std::string> {
                      seen.push_back(ref);
                      if (ref == "urn:uuid:a") return std::string("Patient/1");
                      if (ref == "urn:uuid:b") return std::string("Organization/2");
                      return std::nullopt;
                    });
  EXPECT_EQ(
      toJson(doc),
      R"({"resourceType":"CarePlan","subject":{"reference":"Patient/1"},)"
      R"("activity":[{"detail":{"performer":[{"reference":"Organization/2"},{"reference":"Organization/keep"}]}},)"
      R"([[{"reference":"Patient/1"}]]],"note":[{"text":"reference"}],)"
      R"("reference":{"reference":"Organization/2"},"other":{"reference":5}})");
  EXPECT_EQ(seen.size(), 5u);
}

TEST(StampMetaTest, SetsIdVersionAndLastUpdatedAndKeepsTheRest) {
  auto doc = parseTestJson(R"({"resourceType":"Patient","active":true,
    "meta":{"profile":["http://hl7.se/fhir/ig/base/StructureDefinition/SEBasePatient"],"versionId":"7"},
    "id":"old"})");
  const int64_t when = 1772442000123;  // 2026-03-02T09:00:00.123Z
  stampMeta(doc, doc.GetAllocator(), "p1", 8, when);
  EXPECT_EQ(
      toJson(doc),
      R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"8","lastUpdated":")" +
          core::formatInstant(when) +
          R"(","profile":["http://hl7.se/fhir/ig/base/StructureDefinition/SEBasePatient"]},"active":true})");
  EXPECT_EQ(core::formatInstant(when), "2026-03-02T09:00:00.123Z");
}

TEST(StampMetaTest, CreatesMetaWhenAbsentOrMalformed) {
  auto doc = parseTestJson(R"({"resourceType":"Task","meta":"junk","status":"requested"})");
  stampMeta(doc, doc.GetAllocator(), "t1", 1, 0);
  EXPECT_EQ(
      toJson(doc),
      R"({"resourceType":"Task","id":"t1","meta":{"versionId":"1","lastUpdated":"1970-01-01T00:00:00.000Z"},"status":"requested"})");
  rapidjson::Document notAnObject;
  notAnObject.SetArray();
  stampMeta(notAnObject, notAnObject.GetAllocator(), "x", 1, 0);
  EXPECT_TRUE(notAnObject.IsArray());
}

}  // namespace
}  // namespace brygga::fhir

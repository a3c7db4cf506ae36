#include "gateway/fhir/validator.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/fhir/operation_outcome.h"
#include "tests/support/test_support.h"
#include "tests/unit/fhir/fhir_test_util.h"

namespace brygga::fhir {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Each;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::issueAt;
using ::testing::Not;
using testing::parseTestJson;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

class ValidatorTest : public ::testing::Test {
 protected:
  std::vector<core::Issue> validate(std::string_view json) {
    const rapidjson::Document doc = parseTestJson(json);
    return validator_->validate(doc);
  }

  std::unique_ptr<Validator> validator_ = makeStructuralValidator();
};

std::string describe(const std::vector<core::Issue>& issues) {
  std::string out;
  for (const auto& issue : issues) {
    out += issue.code + " at " + issue.expression + ": " + issue.diagnostics + "\n";
  }
  return out;
}

TEST_F(ValidatorTest, EnrollmentBundleIsClean) {
  const auto issues = validate(brygga::testing::readTestData("enrollment-bundle.json"));
  EXPECT_THAT(issues, IsEmpty()) << describe(issues);
}

TEST_F(ValidatorTest, MinimalResourcesAreClean) {
  EXPECT_THAT(validate(R"({"resourceType":"Patient"})"), IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Observation","status":"final","code":{}})"), IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"collection","entry":[]})"), IsEmpty());
}

TEST_F(ValidatorTest, RootMustBeAResourceOfAKnownType) {
  EXPECT_THAT(validate("[]"), UnorderedElementsAre(issueAt("structure", "")));
  EXPECT_THAT(validate(R"({"id":"1"})"), UnorderedElementsAre(issueAt("required", "resourceType")));
  EXPECT_THAT(validate(R"({"resourceType":7})"),
              UnorderedElementsAre(issueAt("structure", "resourceType")));
  const auto issues = validate(R"({"resourceType":"Patiant"})");
  ASSERT_THAT(issues, UnorderedElementsAre(issueAt("invalid", "resourceType")));
  EXPECT_THAT(issues[0].diagnostics, HasSubstr("\"Patiant\""));
  // Abstract types are not resource types.
  EXPECT_THAT(validate(R"({"resourceType":"DomainResource"})"), SizeIs(1));
}

TEST_F(ValidatorTest, ReportsAllIssuesAtOnce) {
  const auto issues = validate(R"({
    "resourceType": "Patient",
    "id": "a b",
    "meta": {"versionId": 3, "lastUpdated": "yesterday", "profile": "http://x"},
    "identifier": [
      {"system": "https://example.org/mrn", "value": "A-1"},
      {"system": "http://electronichealth.se/identifier/personnummer", "value": "19121212-1213"}
    ],
    "gender": "mann",
    "birthDate": "1912-13-01",
    "generalPractitioner": [{"reference": "Practitioner/"}]
  })");
  EXPECT_THAT(issues,
              UnorderedElementsAre(
                  issueAt("value", "Patient.id"), issueAt("structure", "Patient.meta.versionId"),
                  issueAt("value", "Patient.meta.lastUpdated"),
                  issueAt("structure", "Patient.meta.profile"),
                  issueAt("value", "Patient.identifier[1].value"),
                  issueAt("code-invalid", "Patient.gender"), issueAt("value", "Patient.birthDate"),
                  issueAt("value", "Patient.generalPractitioner[0].reference")))
      << describe(issues);
  EXPECT_THAT(issues, Each(Field(&core::Issue::severity, core::Issue::Severity::kError)));
  EXPECT_TRUE(hasErrors(issues));
}

TEST_F(ValidatorTest, PersonnummerRulesNameWhatFailedButNotTheNumber) {
  const auto issues = validate(R"({"resourceType":"Patient","identifier":[
    {"system":"http://electronichealth.se/identifier/personnummer","value":"191212121213"},
    {"system":"urn:oid:1.2.752.129.2.1.3.1","value":"19120230-1234"},
    {"system":"urn:oid:1.2.752.129.2.1.3.1","value":"1212121212"},
    {"system":"urn:oid:1.2.752.129.2.1.3.1","value":"19121212-1212"},
    {"system":"http://electronichealth.se/identifier/samordningsnummer","value":"191212121212"},
    {"system":"urn:oid:1.2.752.129.2.1.3.3","value":"191212721219"}
  ]})");
  ASSERT_THAT(issues, SizeIs(4)) << describe(issues);
  EXPECT_EQ(issues[0].expression, "Patient.identifier[0].value");
  EXPECT_THAT(issues[0].diagnostics, HasSubstr("personnummer: check digit"));
  EXPECT_EQ(issues[1].expression, "Patient.identifier[1].value");
  EXPECT_THAT(issues[1].diagnostics, HasSubstr("personnummer: date"));
  EXPECT_EQ(issues[2].expression, "Patient.identifier[2].value");
  EXPECT_THAT(issues[2].diagnostics, HasSubstr("personnummer: format"));
  EXPECT_EQ(issues[3].expression, "Patient.identifier[4].value");
  EXPECT_THAT(issues[3].diagnostics, HasSubstr("samordningsnummer: date"));
  for (const auto& issue : issues) {
    EXPECT_EQ(issue.code, "value");
    EXPECT_THAT(issue.diagnostics, Not(HasSubstr("1212")));
  }
}

TEST_F(ValidatorTest, IdentifierShapeAndHsaIds) {
  const auto issues = validate(R"({"resourceType":"PractitionerRole",
    "identifier":[{"system":5,"value":"x"},"SE1",{"system":"urn:oid:1.2.752.29.6.2.1","value":"SE123"}],
    "practitioner":{"identifier":{"system":"urn:oid:1.2.752.129.2.1.4.1","value":"SE2321000131-E000000000001"}},
    "organization":{"identifier":{"system":"urn:oid:1.2.752.29.4.19","value":"2321000131"}}
  })");
  EXPECT_THAT(issues, UnorderedElementsAre(
                          issueAt("structure", "PractitionerRole.identifier[0].system"),
                          issueAt("structure", "PractitionerRole.identifier[1]"),
                          issueAt("value", "PractitionerRole.identifier[2].value"),
                          issueAt("value", "PractitionerRole.organization.identifier.value")))
      << describe(issues);
}

TEST_F(ValidatorTest, AcceptsEveryReferenceForm) {
  for (const char* ref :
       {"Patient/123", "Patient/a.b-C", "Patient/123/_history/4",
        "http://example.org/fhir/Patient/1", "https://x",
        "urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01", "urn:oid:1.2.752.29.4.19", "#", "#org1"}) {
    const std::string json =
        std::string(R"({"resourceType":"Condition","subject":{"reference":")") + ref + "\"}}";
    EXPECT_THAT(validate(json), IsEmpty()) << ref;
  }
}

TEST_F(ValidatorTest, RejectsMalformedReferences) {
  for (const char* ref :
       {"", "Patient", "Patient/", "Foo/1", "patient/1", "Patient/1/_history", "Patient/1/x/2",
        "Patient/"
        "12345678901234567890123456789012345678901234567890123456789012345",
        "Patient/1 ", "Patient/1\\t", "urn:uuid:5B0E7C2A-3F1D-4C8E-9A6B-2D4F8E1C7A01",
        "urn:uuid:1234", "urn:oid:1.02", "urn:oid:3.1", "urn:oid:1", "http://", "#bad id",
        "Patient?identifier=x"}) {
    const std::string json =
        std::string(R"({"resourceType":"Condition","subject":{"reference":")") + ref + "\"}}";
    const auto issues = validate(json);
    EXPECT_THAT(issues, UnorderedElementsAre(issueAt("value", "Condition.subject.reference")))
        << "'" << ref << "'\n"
        << describe(issues);
  }
  EXPECT_THAT(validate(R"({"resourceType":"Condition","subject":{"reference":12}})"),
              UnorderedElementsAre(issueAt("structure", "Condition.subject.reference")));
}

TEST_F(ValidatorTest, FindsReferencesDeepInArrays) {
  const auto issues = validate(R"({"resourceType":"CarePlan","status":"active","intent":"plan",
    "subject":{"reference":"Patient/1"},
    "activity":[{"detail":{"performer":[{"reference":"Organization/1"}]}},
                {"detail":{"performer":[{"reference":"Organization/ok"},{"reference":"Organisation/2"}]}}]
  })");
  EXPECT_THAT(issues, UnorderedElementsAre(
                          issueAt("value", "CarePlan.activity[1].detail.performer[1].reference")))
      << describe(issues);
}

TEST_F(ValidatorTest, DatesAndPeriods) {
  const auto issues = validate(R"({"resourceType":"EpisodeOfCare","status":"finished",
    "patient":{"reference":"Patient/1"},
    "period":{"start":"2026-03-02T10:00:00+01:00","end":"2026-03-02T08:00:00Z"},
    "statusHistory":[{"status":"active","period":{"start":"2026-02-30"}},
                     {"status":"active","period":{"start":"2026-03","end":"2026-03-01"}},
                     {"status":"active","period":{"start":"2026-03-05","end":"2026-03"}},
                     {"status":"finished","period":{"start":"2026-04","end":"2026-03-31"}},
                     {"status":"finished","period":{"start":"2026-03-02T10:00","end":5}}]
  })");
  EXPECT_THAT(issues, UnorderedElementsAre(
                          issueAt("invariant", "EpisodeOfCare.period"),
                          issueAt("value", "EpisodeOfCare.statusHistory[0].period.start"),
                          issueAt("invariant", "EpisodeOfCare.statusHistory[3].period"),
                          issueAt("value", "EpisodeOfCare.statusHistory[4].period.start"),
                          issueAt("structure", "EpisodeOfCare.statusHistory[4].period.end")))
      << describe(issues);
  EXPECT_THAT(issues, Contains(Field(&core::Issue::diagnostics, HasSubstr("per-1"))));
}

TEST_F(ValidatorTest, TopLevelDateElements) {
  const auto issues = validate(R"({"resourceType":"Observation","status":"final","code":{},
    "issued":"2026-03-02","date":"2026-03-02T25:00:00Z",
    "effectiveTiming":{"repeat":{"period":1,"periodUnit":"d"}}})");
  EXPECT_THAT(issues, UnorderedElementsAre(issueAt("value", "Observation.issued"),
                                           issueAt("value", "Observation.date")))
      << describe(issues);
  EXPECT_THAT(
      validate(R"({"resourceType":"ServiceRequest","status":"active","authoredOn":"2026"})"),
      IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Provenance","recorded":"2026-03-02T10:00:00.5+01:00"})"),
              IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Patient","birthDate":"1912-12-12T00:00:00Z"})"),
              UnorderedElementsAre(issueAt("value", "Patient.birthDate")));
}

TEST_F(ValidatorTest, StatusMustBeAStringAndIsRequiredWhereR4SaysSo) {
  EXPECT_THAT(validate(R"({"resourceType":"Condition","status":1})"),
              UnorderedElementsAre(issueAt("structure", "Condition.status")));
  EXPECT_THAT(validate(R"({"resourceType":"Task","intent":"order"})"),
              UnorderedElementsAre(issueAt("required", "Task.status")));
}

TEST_F(ValidatorTest, EpisodeOfCareRules) {
  EXPECT_THAT(validate(R"({"resourceType":"EpisodeOfCare"})"),
              UnorderedElementsAre(issueAt("required", "EpisodeOfCare.status"),
                                   issueAt("required", "EpisodeOfCare.patient")));
  EXPECT_THAT(validate(R"({"resourceType":"EpisodeOfCare","status":"done","patient":"Patient/1"})"),
              UnorderedElementsAre(issueAt("code-invalid", "EpisodeOfCare.status"),
                                   issueAt("structure", "EpisodeOfCare.patient")));
}

TEST_F(ValidatorTest, EncounterRules) {
  EXPECT_THAT(validate(R"({"resourceType":"Encounter"})"),
              UnorderedElementsAre(issueAt("required", "Encounter.status"),
                                   issueAt("required", "Encounter.class")));
  EXPECT_THAT(validate(R"({"resourceType":"Encounter","status":"finished","class":{"code":"HH"}})"),
              IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Encounter","status":"done","class":"HH"})"),
              UnorderedElementsAre(issueAt("code-invalid", "Encounter.status"),
                                   issueAt("structure", "Encounter.class")));
}

TEST_F(ValidatorTest, BundleTypeIsRequiredAndCoded) {
  EXPECT_THAT(validate(R"({"resourceType":"Bundle"})"),
              UnorderedElementsAre(issueAt("required", "Bundle.type")));
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"transactions"})"),
              UnorderedElementsAre(issueAt("code-invalid", "Bundle.type")));
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"batch","entry":{}})"),
              UnorderedElementsAre(issueAt("structure", "Bundle.entry")));
}

TEST_F(ValidatorTest, TransactionEntriesNeedRequestsAndResources) {
  const auto issues = validate(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"Patient/1","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"Patient"},"request":{"url":"Patient"}},
    {"request":{"method":"POST","url":"Patient"}},
    {"request":{"method":"FETCH","url":"Patient/1"}},
    {"request":{"method":"GET"}},
    {"resource":{"resourceType":"Patient"}},
    {"fullUrl":"urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01","resource":{"resourceType":"Patient"},"request":{"method":"PUT","url":"Patient/2"}},
    {"fullUrl":"urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01","resource":{"resourceType":"Patient"},"request":{"method":"PUT","url":"Patient/3"}},
    {"request":{"method":"DELETE","url":"Patient/4"}},
    {"resource":{"id":"x"},"request":{"method":"PUT","url":"Patient/x"}},
    7
  ]})");
  EXPECT_THAT(issues,
              UnorderedElementsAre(issueAt("value", "Bundle.entry[0].fullUrl"),
                                   issueAt("required", "Bundle.entry[1].request.method"),
                                   issueAt("required", "Bundle.entry[2].resource"),
                                   issueAt("code-invalid", "Bundle.entry[3].request.method"),
                                   issueAt("required", "Bundle.entry[4].request.url"),
                                   issueAt("required", "Bundle.entry[5].request"),
                                   issueAt("invariant", "Bundle.entry[7].fullUrl"),
                                   issueAt("required", "Bundle.entry[9].resource.resourceType"),
                                   issueAt("structure", "Bundle.entry[10]")))
      << describe(issues);
}

TEST_F(ValidatorTest, CollectionEntriesNeedNoRequest) {
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"https://example.org/fhir/Patient/1","resource":{"resourceType":"Patient","id":"1"}}]})"),
              IsEmpty());
}

TEST_F(ValidatorTest, EntryResourcesAreValidatedWithPrefixedExpressions) {
  const auto issues = validate(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01",
     "resource":{"resourceType":"Patient","gender":"m",
                 "identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":"191212121213"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"resource":{"resourceType":"EpisodeOfCare","status":"active",
                 "patient":{"reference":"urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a0"}},
     "request":{"method":"POST","url":"EpisodeOfCare"}},
    {"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Encounter"}}]},
     "request":{"method":"POST","url":"Bundle"}}
  ]})");
  EXPECT_THAT(issues, UnorderedElementsAre(
                          issueAt("code-invalid", "Bundle.entry[0].resource.gender"),
                          issueAt("value", "Bundle.entry[0].resource.identifier[0].value"),
                          issueAt("value", "Bundle.entry[1].resource.patient.reference"),
                          issueAt("required", "Bundle.entry[2].resource.entry[0].resource.status"),
                          issueAt("required", "Bundle.entry[2].resource.entry[0].resource.class")))
      << describe(issues);
}

TEST_F(ValidatorTest, ConditionalReferencesOnlyInsideTransactions) {
  const std::string episode = R"({"resourceType":"EpisodeOfCare","status":"active",
    "patient":{"reference":"Patient?identifier=http://electronichealth.se/identifier/personnummer|191212121212"}})";
  EXPECT_THAT(validate(episode),
              UnorderedElementsAre(issueAt("value", "EpisodeOfCare.patient.reference")));
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)" +
                       episode + R"(,"request":{"method":"POST","url":"EpisodeOfCare"}}]})"),
              IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":)" +
                       episode + "}]}"),
              UnorderedElementsAre(issueAt("value", "Bundle.entry[0].resource.patient.reference")));
}

TEST_F(ValidatorTest, ContainedResourcesAreValidated) {
  const auto issues = validate(R"({"resourceType":"Patient",
    "contained":[{"resourceType":"Organization","id":"org1",
                  "identifier":[{"system":"urn:oid:1.2.752.29.4.19","value":"SE-nope"}]},
                 {"id":"x"}],
    "managingOrganization":{"reference":"#org1"}})");
  EXPECT_THAT(issues,
              UnorderedElementsAre(issueAt("value", "Patient.contained[0].identifier[0].value"),
                                   issueAt("required", "Patient.contained[1].resourceType")))
      << describe(issues);
}

TEST_F(ValidatorTest, DeepDocumentsDoNotExhaustTheStack) {
  // Built directly, not parsed: the validator must not rely on the parser's depth limit.
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  doc.AddMember("resourceType", "Basic", alloc);
  rapidjson::Value inner(rapidjson::kObjectType);
  inner.AddMember("reference", "Nope", alloc);
  for (int i = 0; i < 200000; ++i) {
    rapidjson::Value wrapper(rapidjson::kArrayType);
    wrapper.PushBack(inner, alloc);
    inner = std::move(wrapper);
  }
  doc.AddMember("extension", inner, alloc);
  const auto issues = validator_->validate(doc);
  ASSERT_THAT(issues, SizeIs(1));
  EXPECT_EQ(issues[0].code, "value");
  EXPECT_EQ(issues[0].expression.substr(0, 19), "Basic.extension[0][");
}

}  // namespace
}  // namespace brygga::fhir

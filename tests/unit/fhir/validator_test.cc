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
using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::issueAt;
using ::testing::Not;
using testing::parseTestJson;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

constexpr const char* kPatientProfile = "https://brygga.se/fhir/StructureDefinition/brygga-patient";
constexpr const char* kEpisodeProfile =
    "https://brygga.se/fhir/StructureDefinition/brygga-enrollment-episodeofcare";
constexpr const char* kEncounterProfile =
    "https://brygga.se/fhir/StructureDefinition/brygga-visit-encounter";

class ValidatorTest : public ::testing::Test {
 protected:
  std::vector<core::Issue> validate(std::string_view json) {
    const rapidjson::Document doc = parseTestJson(json);
    return validator_->validate(doc);
  }

  std::unique_ptr<Validator> validator_ = makeValidator();
};

std::string describe(const std::vector<core::Issue>& issues) {
  std::string out;
  for (const auto& issue : issues) {
    out += std::string(core::toString(issue.severity)) + " " + issue.code + " at " +
           issue.expression + ": " + issue.diagnostics + "\n";
  }
  return out;
}

auto severityIs(core::Issue::Severity severity) {
  return Field(&core::Issue::severity, severity);
}

TEST_F(ValidatorTest, EnrollmentBundleIsClean) {
  const auto issues = validate(brygga::testing::readTestData("enrollment-bundle.json"));
  EXPECT_THAT(issues, IsEmpty()) << describe(issues);
}

TEST_F(ValidatorTest, MinimalResourcesAreClean) {
  EXPECT_THAT(validate(R"({"resourceType":"Patient"})"), IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"}})"),
              IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"collection"})"), IsEmpty());
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
  EXPECT_THAT(validate(R"({"resourceType":"Resource"})"), SizeIs(1));
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
  EXPECT_THAT(issues, Each(severityIs(core::Issue::Severity::kError)));
  EXPECT_TRUE(hasErrors(issues));
}

TEST_F(ValidatorTest, UnknownElementsAreNamedWithTheirExpression) {
  const auto issues = validate(R"({"resourceType":"Patient","nmae":[{"family":"X"}],
    "name":[{"family":"Tolvansson","givn":["Tolvan"]}],
    "contact":[{"name":{"text":"x"},"relation":"mother"}],
    "meta":{"resourceType":"Meta"}})");
  EXPECT_THAT(issues, UnorderedElementsAre(issueAt("structure", "Patient.nmae"),
                                           issueAt("structure", "Patient.name[0].givn"),
                                           issueAt("structure", "Patient.contact[0].relation"),
                                           issueAt("structure", "Patient.meta.resourceType")))
      << describe(issues);
}

TEST_F(ValidatorTest, CardinalityAndArrayShapes) {
  const auto issues = validate(R"({"resourceType":"Encounter","status":"finished",
    "class":[{"code":"HH"}],"identifier":{"value":"1"},"participant":[],
    "location":[{"status":"active"}]})");
  EXPECT_THAT(issues, UnorderedElementsAre(
                          issueAt("structure", "Encounter.class"),        // 1..1 is not an array
                          issueAt("structure", "Encounter.identifier"),   // 0..* must be an array
                          issueAt("structure", "Encounter.participant"),  // arrays are never empty
                          issueAt("required", "Encounter.location[0].location")))
      << describe(issues);
}

TEST_F(ValidatorTest, ChoiceTypes) {
  EXPECT_THAT(validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "valueQuantity":{"value":5.2,"unit":"mmol/L"},"effectiveDateTime":"2026-03-02"})"),
              IsEmpty());
  const auto issues = validate(R"({"resourceType":"Observation","status":"final",
    "code":{"text":"x"},"valueString":"a","valueBoolean":true,"valueFoo":1,
    "effectiveDateTime":"2026-03-02T10:00","effectivePeriod":{"start":"2026"}})");
  EXPECT_THAT(issues,
              UnorderedElementsAre(issueAt("structure", "Observation.value.ofType(boolean)"),
                                   issueAt("structure", "Observation.valueFoo"),
                                   issueAt("value", "Observation.effective.ofType(dateTime)"),
                                   issueAt("structure", "Observation.effective.ofType(Period)")))
      << describe(issues);
}

TEST_F(ValidatorTest, PrimitiveJsonTypesAndFormats) {
  const auto issues = validate(R"({"resourceType":"Patient","active":"true",
    "multipleBirthInteger":1.5,"birthDate":"","deceasedDateTime":"2026-02-29",
    "telecom":[{"system":"phone","value":"+46 300 123","rank":0}],
    "photo":[{"contentType":"image/png","data":"not base64!","size":-1}],
    "name":[{"family":"X","given":["A",7]}]})");
  // A wrong JSON type is a structure issue; the right JSON type with a wrong value is a value one.
  EXPECT_THAT(issues,
              UnorderedElementsAre(issueAt("structure", "Patient.active"),
                                   issueAt("value", "Patient.multipleBirth.ofType(integer)"),
                                   issueAt("value", "Patient.birthDate"),
                                   issueAt("value", "Patient.deceased.ofType(dateTime)"),
                                   issueAt("value", "Patient.telecom[0].rank"),
                                   issueAt("value", "Patient.photo[0].data"),
                                   issueAt("value", "Patient.photo[0].size"),
                                   issueAt("structure", "Patient.name[0].given[1]")))
      << describe(issues);
}

TEST_F(ValidatorTest, PrimitiveExtensions) {
  EXPECT_THAT(validate(R"({"resourceType":"Patient","birthDate":"1912-12-12",
    "_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                                "valueDateTime":"1912-12-12T08:30:00+01:00"}]},
    "name":[{"given":["Tolvan",null],"_given":[null,{"extension":[
      {"url":"http://hl7.org/fhir/StructureDefinition/iso21090-EN-qualifier","valueCode":"CL"}]}]}]})"),
              IsEmpty());
  const auto issues =
      validate(R"({"resourceType":"Patient","_birthDate":{"extension":[{"valueString":"x"}]},
    "_name":{"id":"a"},"name":[{"given":["A",null],"_given":[null]}]})");
  EXPECT_THAT(issues,
              UnorderedElementsAre(issueAt("required", "Patient.birthDate.extension[0].url"),
                                   issueAt("structure", "Patient._name"),
                                   issueAt("structure", "Patient.name[0].given"),
                                   issueAt("structure", "Patient.name[0].given[1]")))
      << describe(issues);
}

TEST_F(ValidatorTest, ExtensionsNeedUrlAndValueOrExtensions) {
  const auto issues = validate(R"({"resourceType":"Patient","extension":[
    {"url":"http://example.org/a","valueString":"x"},
    {"valueString":"no url"},
    {"url":"http://example.org/b"},
    {"url":"http://example.org/c","valueString":"x","extension":[{"url":"d","valueCode":"e"}]},
    {"url":"http://example.org/f","valueWhatever":1}],
    "modifierExtension":[{"url":"http://example.org/g","valueBoolean":"yes"}]})");
  EXPECT_THAT(issues,
              UnorderedElementsAre(
                  issueAt("required", "Patient.extension[1].url"),
                  issueAt("invariant", "Patient.extension[2]"),
                  issueAt("invariant", "Patient.extension[3]"),
                  issueAt("structure", "Patient.extension[4].valueWhatever"),
                  issueAt("structure", "Patient.modifierExtension[0].value.ofType(boolean)")))
      << describe(issues);
  EXPECT_THAT(issues, Contains(Field(&core::Issue::diagnostics, HasSubstr("ext-1"))));
}

TEST_F(ValidatorTest, RequiredBindings) {
  // code: any system; Coding: the right system; CodeableConcept: at least one coding in the set.
  const auto issues = validate(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},
    "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"sleeping"}]},
    "verificationStatus":{"coding":[{"system":"http://example.org/other","code":"confirmed"}]},
    "category":[{"text":"no binding here"}],
    "note":[{"text":"ok"}]})");
  EXPECT_THAT(issues, UnorderedElementsAre(
                          issueAt("code-invalid", "Condition.clinicalStatus"),
                          issueAt("code-invalid", "Condition.clinicalStatus.coding[0].code"),
                          issueAt("code-invalid", "Condition.verificationStatus")))
      << describe(issues);
  EXPECT_THAT(validate(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},
    "clinicalStatus":{"text":"active"}})"),
              UnorderedElementsAre(issueAt("code-invalid", "Condition.clinicalStatus")));
  EXPECT_THAT(validate(R"({"resourceType":"Encounter","status":"finished",
    "class":{"system":"http://example.org","code":"HH"}})"),
              IsEmpty());  // Encounter.class is extensible, not required
  EXPECT_THAT(validate(R"({"resourceType":"Encounter","status":"finished",
    "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"XX"}})"),
              UnorderedElementsAre(issueAt("code-invalid", "Encounter.class.code")));
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

TEST_F(ValidatorTest, CodeAndIdentifierSystemsAreAbsoluteUris) {
  EXPECT_THAT(validate(R"({"resourceType":"Patient",
    "identifier":[{"system":"mrn","value":"1"},{"system":"urn:oid:1.2.3","value":"2"}],
    "maritalStatus":{"coding":[{"system":"local-codes","code":"M"}]}})"),
              UnorderedElementsAre(issueAt("value", "Patient.identifier[0].system"),
                                   issueAt("value", "Patient.maritalStatus.coding[0].system")));
}

TEST_F(ValidatorTest, AcceptsEveryReferenceForm) {
  for (const char* ref :
       {"Patient/123", "Patient/a.b-C", "Patient/123/_history/4",
        "http://example.org/fhir/Patient/1", "https://x",
        "urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01", "urn:oid:1.2.752.29.4.19"}) {
    const std::string json =
        std::string(R"({"resourceType":"Condition","subject":{"reference":")") + ref + "\"}}";
    EXPECT_THAT(validate(json), IsEmpty()) << ref;
  }
  // Local references need the contained resource they name.
  EXPECT_THAT(validate(R"({"resourceType":"Condition","subject":{"reference":"#p1"},
    "contained":[{"resourceType":"Patient","id":"p1"}]})"),
              IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Condition","subject":{"reference":"#p1"}})"),
              UnorderedElementsAre(issueAt("invariant", "Condition.subject.reference")));
}

TEST_F(ValidatorTest, RejectsMalformedReferences) {
  for (const char* ref :
       {"Patient", "Patient/", "Foo/1", "patient/1", "Patient/1/_history", "Patient/1/x/2",
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
  EXPECT_THAT(validate(R"({"resourceType":"Condition","subject":{"reference":""}})"),
              UnorderedElementsAre(issueAt("value", "Condition.subject.reference")));
}

TEST_F(ValidatorTest, ReferenceTargetTypesFollowTheDefinition) {
  // Condition.subject is Reference(Patient | Group).
  EXPECT_THAT(validate(R"({"resourceType":"Condition","subject":{"reference":"Group/g"}})"),
              IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Condition","subject":{"reference":"Practitioner/1"}})"),
              UnorderedElementsAre(issueAt("structure", "Condition.subject.reference")));
  EXPECT_THAT(
      validate(
          R"({"resourceType":"Condition","subject":{"reference":"http://x/fhir/Location/1"}})"),
      UnorderedElementsAre(issueAt("structure", "Condition.subject.reference")));
}

TEST_F(ValidatorTest, FindsReferencesDeepInArrays) {
  const auto issues = validate(R"({"resourceType":"CarePlan","status":"active","intent":"plan",
    "subject":{"reference":"Patient/1"},
    "activity":[{"detail":{"status":"scheduled","performer":[{"reference":"Organization/1"}]}},
                {"detail":{"status":"scheduled","performer":[{"reference":"Organization/ok"},{"reference":"Organisation/2"}]}}]
  })");
  EXPECT_THAT(issues, UnorderedElementsAre(
                          issueAt("value", "CarePlan.activity[1].detail.performer[1].reference")))
      << describe(issues);
}

// Consent (blocks, issue 11): a policy or policy rule is required (ppc-1); ppc-2..5 are applied
// as R4 publishes them (system 'something').
TEST_F(ValidatorTest, ConsentNeedsAPolicyAndThePublishedScopeRules) {
  const std::string base = R"({"resourceType":"Consent","status":"active",
    "category":[{"text":"spärr"}],)";
  EXPECT_THAT(validate(base + R"("scope":{"text":"x"},"policyRule":{"text":"OPTOUT"}})"),
              IsEmpty());
  auto noPolicy = validate(base + R"("scope":{"text":"x"}})");
  EXPECT_THAT(noPolicy, UnorderedElementsAre(issueAt("invariant", "Consent")))
      << describe(noPolicy);
  EXPECT_THAT(noPolicy, Contains(Field(&core::Issue::diagnostics, HasSubstr("ppc-1"))));
  auto noPatient = validate(
      base +
      R"("scope":{"coding":[{"system":"something","code":"research"}]},"policyRule":{"text":"x"}})");
  EXPECT_THAT(noPatient, Contains(Field(&core::Issue::diagnostics, HasSubstr("ppc-3"))))
      << describe(noPatient);
  EXPECT_THAT(validate(base + R"("scope":{"coding":[{"system":"something","code":"research"}]},)"
                              R"("policyRule":{"text":"x"},"patient":{"reference":"Patient/1"}})"),
              Not(Contains(Field(&core::Issue::diagnostics, HasSubstr("ppc-3")))));
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

TEST_F(ValidatorTest, DateTimeFormsOfTheSpec) {
  const auto issues =
      validate(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "issued":"2026-03-02","effectiveDateTime":"2026-03-02T25:00:00Z"})");
  EXPECT_THAT(issues,
              UnorderedElementsAre(issueAt("value", "Observation.issued"),
                                   issueAt("value", "Observation.effective.ofType(dateTime)")))
      << describe(issues);
  EXPECT_THAT(validate(R"({"resourceType":"Provenance","recorded":"2026-03-02T10:00:00.5+01:00",
    "target":[{"reference":"Patient/1"}],"agent":[{"who":{"reference":"Practitioner/1"}}]})"),
              IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Patient","birthDate":"1912-12-12T00:00:00Z"})"),
              UnorderedElementsAre(issueAt("value", "Patient.birthDate")));
}

TEST_F(ValidatorTest, RequiredElementsOfTheResourcesBryggaServes) {
  EXPECT_THAT(validate(R"({"resourceType":"Task","intent":"order"})"),
              UnorderedElementsAre(issueAt("required", "Task.status")));
  EXPECT_THAT(validate(R"({"resourceType":"EpisodeOfCare"})"),
              UnorderedElementsAre(issueAt("required", "EpisodeOfCare.status"),
                                   issueAt("required", "EpisodeOfCare.patient")));
  EXPECT_THAT(validate(R"({"resourceType":"EpisodeOfCare","status":"done","patient":"Patient/1"})"),
              UnorderedElementsAre(issueAt("code-invalid", "EpisodeOfCare.status"),
                                   issueAt("structure", "EpisodeOfCare.patient")));
  EXPECT_THAT(validate(R"({"resourceType":"Encounter"})"),
              UnorderedElementsAre(issueAt("required", "Encounter.status"),
                                   issueAt("required", "Encounter.class")));
  EXPECT_THAT(validate(R"({"resourceType":"Encounter","status":"finished","class":{"code":"HH"}})"),
              IsEmpty());
}

TEST_F(ValidatorTest, EmptyObjectsArraysAndStringsAreNotValues) {
  const auto issues = validate(R"({"resourceType":"Patient","name":[{}],"telecom":[],
    "gender":"","address":[{"line":[""]}],"maritalStatus":null})");
  EXPECT_THAT(issues, UnorderedElementsAre(issueAt("invariant", "Patient.name[0]"),
                                           issueAt("structure", "Patient.telecom"),
                                           issueAt("value", "Patient.gender"),
                                           issueAt("value", "Patient.address[0].line[0]"),
                                           issueAt("structure", "Patient.maritalStatus")))
      << describe(issues);
}

TEST_F(ValidatorTest, BundleTypeIsRequiredAndCoded) {
  EXPECT_THAT(validate(R"({"resourceType":"Bundle"})"),
              UnorderedElementsAre(issueAt("required", "Bundle.type")));
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"transactions"})"),
              UnorderedElementsAre(issueAt("code-invalid", "Bundle.type")));
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"collection","entry":{}})"),
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
                                   issueAt("invariant", "Bundle.entry[5].request"),
                                   issueAt("invariant", "Bundle.entry[7].fullUrl"),
                                   issueAt("required", "Bundle.entry[9].resource.resourceType"),
                                   issueAt("structure", "Bundle.entry[10]")))
      << describe(issues);
}

TEST_F(ValidatorTest, CollectionEntriesNeedNoRequest) {
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"fullUrl":"https://example.org/fhir/Patient/1","resource":{"resourceType":"Patient","id":"1"}}]})"),
              IsEmpty());
  EXPECT_THAT(validate(R"({"resourceType":"Bundle","type":"collection","entry":[
    {"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}]})"),
              UnorderedElementsAre(issueAt("invariant", "Bundle.entry[0].request")));
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

TEST_F(ValidatorTest, UrnReferencesResolveInsideTheBundle) {
  // EpisodeOfCare.patient is Reference(Patient): an entry of another type does not do.
  const auto issues = validate(R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01","resource":{"resourceType":"Organization","name":"x"},
     "request":{"method":"POST","url":"Organization"}},
    {"resource":{"resourceType":"EpisodeOfCare","status":"active",
                 "patient":{"reference":"urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01"}},
     "request":{"method":"POST","url":"EpisodeOfCare"}},
    {"resource":{"resourceType":"EpisodeOfCare","status":"active",
                 "patient":{"reference":"urn:uuid:00000000-3f1d-4c8e-9a6b-2d4f8e1c7a01"}},
     "request":{"method":"POST","url":"EpisodeOfCare"}}]})");
  EXPECT_THAT(issues, UnorderedElementsAre(
                          issueAt("structure", "Bundle.entry[1].resource.patient.reference"),
                          issueAt("not-found", "Bundle.entry[2].resource.patient.reference")))
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
                 {"id":"x"},
                 {"resourceType":"Practitioner","id":"unused"},
                 {"resourceType":"Practitioner","id":"p2","meta":{"versionId":"1"},
                  "contained":[{"resourceType":"Organization","id":"o"}]}],
    "managingOrganization":{"reference":"#org1"},
    "generalPractitioner":[{"reference":"#p2"}]})");
  EXPECT_THAT(issues,
              UnorderedElementsAre(issueAt("value", "Patient.contained[0].identifier[0].value"),
                                   issueAt("required", "Patient.contained[1].resourceType"),
                                   issueAt("invariant", "Patient.contained[1]"),            // dom-3
                                   issueAt("invariant", "Patient.contained[2]"),            // dom-3
                                   issueAt("invariant", "Patient.contained[3].contained"),  // dom-2
                                   issueAt("invariant", "Patient.contained[3].meta"),       // dom-4
                                   // The nested one is checked too: no name or identifier
                                   // (org-1), referred to by nothing (dom-3).
                                   issueAt("invariant", "Patient.contained[3].contained[0]"),
                                   issueAt("invariant", "Patient.contained[3].contained[0]")))
      << describe(issues);
}

TEST_F(ValidatorTest, NarrativeMustBeSafeXhtml) {
  EXPECT_THAT(validate(R"({"resourceType":"Patient","text":{"status":"generated",
    "div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>Tolvan <b>Tolvansson</b></p></div>"}})"),
              IsEmpty());
  for (const char* div :
       {"<p>x</p>", "<div>no namespace</div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><script>x</script></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p onclick=\"x\">a</p></div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>unbalanced</div>",
        "<div xmlns=\"http://www.w3.org/1999/xhtml\">  </div>"}) {
    const std::string json =
        std::string(R"({"resourceType":"Patient","text":{"status":"generated","div":)") +
        toJson(rapidjson::Value(rapidjson::StringRef(div))) + "}}";
    EXPECT_THAT(validate(json), UnorderedElementsAre(issueAt("value", "Patient.text.div"))) << div;
  }
}

TEST_F(ValidatorTest, ParametersCarryResources) {
  EXPECT_THAT(validate(R"({"resourceType":"Parameters","parameter":[
    {"name":"resource","resource":{"resourceType":"Patient","gender":"male"}},
    {"name":"mode","valueCode":"create"}]})"),
              IsEmpty());
  EXPECT_THAT(
      validate(R"({"resourceType":"Parameters","parameter":[
    {"name":"resource","resource":{"resourceType":"Patient","gender":"man"},"valueString":"x"}]})"),
      UnorderedElementsAre(issueAt("code-invalid", "Parameters.parameter[0].resource.gender"),
                           issueAt("invariant", "Parameters.parameter[0]")));
}

TEST_F(ValidatorTest, UnknownProfilesAreWarnings) {
  const auto issues = validate(R"({"resourceType":"Patient",
    "meta":{"profile":["http://example.org/StructureDefinition/other",
                       "http://hl7.org/fhir/StructureDefinition/Patient"]}})");
  ASSERT_THAT(issues, ElementsAre(issueAt("not-supported", "Patient.meta.profile[0]")));
  EXPECT_EQ(issues[0].severity, core::Issue::Severity::kWarning);
  EXPECT_FALSE(hasErrors(issues));
  EXPECT_THAT(
      validate(std::string(R"({"resourceType":"Organization","name":"x","meta":{"profile":[")") +
               kPatientProfile + "\"]}}"),
      ElementsAre(issueAt("invalid", "Organization.meta.profile[0]")));
}

TEST_F(ValidatorTest, KnownProfilesAreBryggasOwn) {
  EXPECT_THAT(knownProfiles(), ElementsAre(kEpisodeProfile, kPatientProfile, kEncounterProfile));
  EXPECT_THAT(knownProfiles("Encounter"), ElementsAre(kEncounterProfile));
  EXPECT_THAT(knownProfiles("Observation"), IsEmpty());
}

TEST_F(ValidatorTest, BryggaPatientProfileNeedsASwedishIdentity) {
  const std::string head =
      std::string(R"({"resourceType":"Patient","meta":{"profile":[")") + kPatientProfile + "\"]}";
  EXPECT_THAT(
      validate(
          head +
          R"(,"identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"191212121212"}]})"),
      IsEmpty());
  EXPECT_THAT(validate(head + "}"),
              UnorderedElementsAre(issueAt("required", "Patient.identifier"),
                                   issueAt("invariant", "Patient.identifier")));
  EXPECT_THAT(
      validate(head + R"(,"identifier":[{"system":"https://example.org/mrn","value":"1"}]})"),
      UnorderedElementsAre(issueAt("invariant", "Patient.identifier")));
  // Without the profile the same Patient is fine.
  EXPECT_THAT(
      validate(
          R"({"resourceType":"Patient","identifier":[{"system":"https://example.org/mrn","value":"1"}]})"),
      IsEmpty());
}

std::string episode(const std::string& patientReference, const std::string& extra = {}) {
  return std::string(R"({"resourceType":"EpisodeOfCare","meta":{"profile":[")") + kEpisodeProfile +
         R"("]},"status":"active","patient":{"reference":")" + patientReference +
         R"("},"managingOrganization":{"identifier":{"system":"urn:oid:1.2.752.29.4.19","value":"SE2120001306-HSJV01"}},
         "period":{"start":"2026-03-02"})" +
         extra + "}";
}

TEST_F(ValidatorTest, EnrollmentProfile) {
  EXPECT_THAT(validate(episode("Patient/1")), IsEmpty());
  EXPECT_THAT(validate(episode("Organization/1")),
              UnorderedElementsAre(issueAt("structure", "EpisodeOfCare.patient.reference"),
                                   issueAt("invariant", "EpisodeOfCare.patient.reference")));
  const auto missing = validate(
      std::string(R"({"resourceType":"EpisodeOfCare","meta":{"profile":[")") + kEpisodeProfile +
      R"("]},"status":"active","patient":{"reference":"Patient/1"},
    "managingOrganization":{"display":"no id"},"period":{"end":"2026-03-02"}})");
  EXPECT_THAT(missing,
              UnorderedElementsAre(issueAt("required", "EpisodeOfCare.period.start"),
                                   issueAt("invariant", "EpisodeOfCare.managingOrganization")))
      << describe(missing);
  const auto none =
      validate(std::string(R"({"resourceType":"EpisodeOfCare","meta":{"profile":[")") +
               kEpisodeProfile + R"("]},"status":"active","patient":{"reference":"Patient/1"}})");
  EXPECT_THAT(none, UnorderedElementsAre(issueAt("required", "EpisodeOfCare.managingOrganization"),
                                         issueAt("required", "EpisodeOfCare.period")))
      << describe(none);
}

TEST_F(ValidatorTest, EnrollmentProfileFollowsThePatientInsideTheBundle) {
  const std::string bundle = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"fullUrl":"urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01",
     "resource":{"resourceType":"Patient","identifier":[{"system":"https://example.org/mrn","value":"1"}]},
     "request":{"method":"POST","url":"Patient"}},
    {"resource":)" + episode("urn:uuid:5b0e7c2a-3f1d-4c8e-9a6b-2d4f8e1c7a01") +
                             R"(,"request":{"method":"POST","url":"EpisodeOfCare"}}]})";
  const auto issues = validate(bundle);
  ASSERT_THAT(issues, UnorderedElementsAre(
                          issueAt("invariant", "Bundle.entry[1].resource.patient.reference")))
      << describe(issues);
  EXPECT_THAT(issues[0].diagnostics, HasSubstr("brygga-eoc-1"));
}

std::string encounter(const std::string& cls, const std::string& participant) {
  return std::string(R"({"resourceType":"Encounter","meta":{"profile":[")") + kEncounterProfile +
         R"("]},"status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":")" +
         cls +
         R"("},"period":{"start":"2026-03-02T10:00:00+01:00","end":"2026-03-02T10:30:00+01:00"},
         "participant":[)" +
         participant + "]}";
}

TEST_F(ValidatorTest, VisitEncounterProfile) {
  const std::string physician =
      R"({"individual":{"identifier":{"system":"urn:oid:1.2.752.29.6.2.1","value":"SE2321000131-E000000000001"}}})";
  EXPECT_THAT(validate(encounter("HH", physician)), IsEmpty());
  EXPECT_THAT(validate(encounter("VR", physician)), IsEmpty());
  EXPECT_THAT(validate(encounter("AMB", physician)),
              UnorderedElementsAre(issueAt("code-invalid", "Encounter.class")));
  const auto issues = validate(encounter("HH", R"({"individual":{"display":"Dr X"}})"));
  EXPECT_THAT(issues, UnorderedElementsAre(issueAt("invariant", "Encounter.participant")))
      << describe(issues);
  EXPECT_THAT(validate(std::string(R"({"resourceType":"Encounter","meta":{"profile":[")") +
                       kEncounterProfile + R"("]},"status":"planned","class":{"code":"HH"}})"),
              UnorderedElementsAre(issueAt("code-invalid", "Encounter.class"),
                                   issueAt("required", "Encounter.period"),
                                   issueAt("required", "Encounter.participant"),
                                   issueAt("invariant", "Encounter.participant")));
}

TEST_F(ValidatorTest, DeepDocumentsDoNotExhaustTheStack) {
  // Built directly, not parsed: the validator must not rely on the parser's depth limit.
  rapidjson::Document doc(rapidjson::kObjectType);
  auto& alloc = doc.GetAllocator();
  doc.AddMember("resourceType", "Basic", alloc);
  doc.AddMember("code", rapidjson::Value(rapidjson::kObjectType).AddMember("text", "x", alloc),
                alloc);
  rapidjson::Value inner(rapidjson::kObjectType);
  inner.AddMember("url", "http://example.org/leaf", alloc);
  inner.AddMember("valueString", "x", alloc);
  for (int i = 0; i < 200000; ++i) {
    rapidjson::Value list(rapidjson::kArrayType);
    list.PushBack(inner, alloc);
    rapidjson::Value wrapper(rapidjson::kObjectType);
    wrapper.AddMember("url", "http://example.org/nested", alloc);
    wrapper.AddMember("extension", list, alloc);
    inner = std::move(wrapper);
  }
  rapidjson::Value top(rapidjson::kArrayType);
  top.PushBack(inner, alloc);
  doc.AddMember("extension", top, alloc);
  const auto issues = validator_->validate(doc);
  ASSERT_THAT(issues, SizeIs(1));
  EXPECT_EQ(issues[0].code, "structure");
  EXPECT_THAT(issues[0].diagnostics, HasSubstr("nested too deeply"));
  EXPECT_EQ(issues[0].expression.substr(0, 28), "Basic.extension[0].extension");
}

TEST_F(ValidatorTest, IssueCountIsBounded) {
  std::string json = R"({"resourceType":"Patient","name":[)";
  for (int i = 0; i < 5000; ++i) json += std::string(i ? "," : "") + R"({"x":1})";
  json += "]}";
  const auto issues = validate(json);
  EXPECT_LE(issues.size(), 2001u);
  EXPECT_EQ(issues.back().code, "too-costly");
}

}  // namespace
}  // namespace brygga::fhir

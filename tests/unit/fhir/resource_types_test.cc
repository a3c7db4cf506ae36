#include "gateway/fhir/resource_types.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace brygga::fhir {
namespace {

TEST(ResourceTypesTest, SupportedTypes) {
  for (const char* type :
       {"Patient", "EpisodeOfCare", "Encounter", "CarePlan", "Task", "DocumentReference",
        "Composition", "Condition", "Organization", "Practitioner", "PractitionerRole", "Location",
        "Provenance", "AuditEvent", "ServiceRequest", "HealthcareService", "Consent",
        "Subscription"}) {
    EXPECT_TRUE(isSupportedResourceType(type)) << type;
    EXPECT_TRUE(isKnownR4ResourceType(type)) << type;
  }
  EXPECT_EQ(supportedResourceTypes().size(), 18u);
  EXPECT_FALSE(isSupportedResourceType("Observation"));
  EXPECT_FALSE(isSupportedResourceType("patient"));
}

TEST(ResourceTypesTest, OnlyAuditEventIsReadOnly) {
  EXPECT_TRUE(isReadOnlyResourceType("AuditEvent"));
  for (const auto type : supportedResourceTypes()) {
    if (type != "AuditEvent") {
      EXPECT_FALSE(isReadOnlyResourceType(type)) << type;
    }
  }
}

TEST(ResourceTypesTest, KnownR4Types) {
  for (const char* type : {"Account", "Bundle", "OperationOutcome", "Parameters", "Binary",
                           "MedicinalProductUndesirableEffect", "VisionPrescription", "Media",
                           "CatalogEntry", "EffectEvidenceSynthesis"}) {
    EXPECT_TRUE(isKnownR4ResourceType(type)) << type;
  }
  // Abstract types, R5-only types, and near misses.
  for (const char* type : {"Resource", "DomainResource", "ActorDefinition", "SubscriptionTopic",
                           "Patients", "patient", "", "Patient "}) {
    EXPECT_FALSE(isKnownR4ResourceType(type)) << type;
  }
}

TEST(ResourceTypesTest, IdFormat) {
  EXPECT_TRUE(isValidId("a"));
  EXPECT_TRUE(isValidId("Abc-123.x"));
  EXPECT_TRUE(isValidId(std::string(64, 'a')));
  EXPECT_FALSE(isValidId(""));
  EXPECT_FALSE(isValidId(std::string(65, 'a')));
  EXPECT_FALSE(isValidId("a b"));
  EXPECT_FALSE(isValidId("a_b"));
  EXPECT_FALSE(isValidId("a/b"));
  EXPECT_FALSE(isValidId("\xC3\xA5"));
}

}  // namespace
}  // namespace brygga::fhir

#include "gateway/fhir/subset.h"

#include <gtest/gtest.h>

namespace brygga::fhir {
namespace {

constexpr const char* kCondition =
    R"({"resourceType":"Condition","id":"c1","text":{"status":"generated","div":"<div>x</div>"},)"
    R"("code":{"text":"Fall"},"subject":{"reference":"Patient/p"}})";

TEST(Subset, KeepsTheNamedElementsWithIdAndTagsTheResourceSubsetted) {
  auto cut = subsetResource(kCondition, {"code"}, false);
  ASSERT_TRUE(cut.isOk()) << cut.status().toString();
  EXPECT_EQ(*cut, R"({"resourceType":"Condition","id":"c1","code":{"text":"Fall"},"meta":{"tag":[)"
                  R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue",)"
                  R"("code":"SUBSETTED","display":"subsetted"}]}})");
}

TEST(Subset, DataDropsOnlyTheNarrativeAndKeepsAnExistingMeta) {
  auto cut = subsetResource(
      R"({"resourceType":"Condition","id":"c1","meta":{"versionId":"2"},"text":{"div":"x"},"code":{}})",
      {}, true);
  ASSERT_TRUE(cut.isOk());
  EXPECT_EQ(*cut, R"({"resourceType":"Condition","id":"c1","meta":{"versionId":"2","tag":[)"
                  R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationValue",)"
                  R"("code":"SUBSETTED","display":"subsetted"}]},"code":{}})");
}

}  // namespace
}  // namespace brygga::fhir

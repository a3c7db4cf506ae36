// What a write unit is as a home-care message: the kind the console shows and filters by.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/flows/flow_router.h"

namespace brygga::flows {
namespace {

class MessageKindTest : public ::testing::Test {
 protected:
  // The unit's writes, each a type and its resource's JSON.
  std::string kindOf(const std::vector<std::pair<std::string, std::string>>& resources) {
    docs_.clear();
    docs_.reserve(resources.size());
    std::vector<FlowWrite> writes;
    for (const auto& [type, json] : resources) {
      docs_.emplace_back();
      docs_.back().Parse(json.c_str());
      EXPECT_FALSE(docs_.back().HasParseError()) << json;
      FlowWrite w;
      w.method = "POST";
      w.type = type;
      w.resource = &docs_.back();
      w.allocator = &docs_.back().GetAllocator();
      writes.push_back(w);
    }
    return FlowRouter::kindOf(writes);
  }

  std::vector<rapidjson::Document> docs_;
};

constexpr const char* kPatient = R"({"resourceType":"Patient"})";
constexpr const char* kActiveEpisode =
    R"({"resourceType":"EpisodeOfCare","status":"active","period":{"start":"2026-12-01"}})";
constexpr const char* kCarePlan = R"({"resourceType":"CarePlan","status":"active"})";
constexpr const char* kHomeVisit =
    R"({"resourceType":"Encounter","class":{"system":"http://terminology.hl7.org/CodeSystem/)"
    R"(v3-ActCode","code":"HH"}})";
constexpr const char* kInpatient =
    R"({"resourceType":"Encounter","class":{"system":"http://terminology.hl7.org/CodeSystem/)"
    R"(v3-ActCode","code":"IMP"}})";

TEST_F(MessageKindTest, AnEnrollmentWithItsCarePlanIsAnEnrollmentAndAnEndedOneADischarge) {
  EXPECT_EQ(
      kindOf({{"Patient", kPatient}, {"EpisodeOfCare", kActiveEpisode}, {"CarePlan", kCarePlan}}),
      "enrollment");
  EXPECT_EQ(kindOf({{"EpisodeOfCare", R"({"resourceType":"EpisodeOfCare","status":"finished"})"}}),
            "discharge");
  EXPECT_EQ(kindOf({{"EpisodeOfCare", R"({"resourceType":"EpisodeOfCare","status":"active",)"
                                      R"("period":{"start":"2026-12-01","end":"2026-12-20"}})"}}),
            "discharge");
}

TEST_F(MessageKindTest, ConsultationsVisitsNotesCarePlansAndAdmissionsAreToldApart) {
  EXPECT_EQ(kindOf({{"Task", R"({"resourceType":"Task"})"}}), "consultation");
  EXPECT_EQ(kindOf({{"Encounter", kHomeVisit}}), "visit");
  EXPECT_EQ(
      kindOf({{"Encounter", kHomeVisit}, {"Composition", R"({"resourceType":"Composition"})"}}),
      "visit note");
  EXPECT_EQ(kindOf({{"DocumentReference", R"({"resourceType":"DocumentReference"})"}}),
            "visit note");
  EXPECT_EQ(kindOf({{"CarePlan", kCarePlan}}), "care plan");
  EXPECT_EQ(kindOf({{"Encounter", kInpatient}}), "admission");
}

TEST_F(MessageKindTest, AWriteThatIsNoHomeCareMessageHasNoKind) {
  EXPECT_EQ(kindOf({{"Patient", kPatient}}), "");
  EXPECT_EQ(kindOf({{"Practitioner", R"({"resourceType":"Practitioner"})"}}), "");
  EXPECT_EQ(kindOf({}), "");
}

}  // namespace
}  // namespace brygga::flows

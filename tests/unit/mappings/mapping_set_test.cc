// The mapping data of mappings/data: every file is checked when loaded and an error names the file
// and the entry; the content hash identifies the set.
#include "mappings/mapping_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/fhir/json.h"
#include "tests/support/mappings_test_util.h"

namespace brygga::mappings {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(MappingSet, TheRepositoryDataLoads) {
  auto set = testing::repoMappings();
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(set->version().size(), 16u);
  EXPECT_EQ(set->routing().servicePoints().size(), 4u);
  EXPECT_EQ(set->routing().facilities().size(), 8u);
  EXPECT_EQ(set->routing().municipalities().size(), 6u);
  EXPECT_GE(set->conceptMaps().size(), 8u);
}

TEST(MappingSet, FacilitiesAreRoutedToTheirServicePointsAsInTheBrief) {
  auto set = testing::repoMappings();
  const std::pair<const char*, const char*> kExpected[] = {
      {"Smedjan", "Kungsbacka"},    {"Signes Hus", "Kungsbacka"}, {"Skansgatan", "Varberg"},
      {"Kungsängen", "Varberg"},    {"Tallgläntan", "Halmstad"},  {"Bäckagård", "Halmstad"},
      {"Smedjebacken", "Halmstad"}, {"Malmagården", "Hylte VC"}};
  for (const auto& [facility, servicePoint] : kExpected) {
    const Facility* f = set->routing().facility(facility);
    ASSERT_NE(f, nullptr) << facility;
    const ServicePoint* sp = set->routing().servicePoint(f->servicePoint);
    ASSERT_NE(sp, nullptr) << facility;
    EXPECT_EQ(sp->name, servicePoint) << facility;
  }
  EXPECT_NE(set->routing().facility("signes hus"), nullptr);  // case does not matter
  EXPECT_NE(set->routing().facility("smedjan"), nullptr);     // nor does code vs name
  EXPECT_EQ(set->routing().facility("Solgården"), nullptr);
}

TEST(MappingSet, OrdinaryHousingIsRoutedByMunicipalityAndArea) {
  auto set = testing::repoMappings();
  const auto& routing = set->routing();
  ASSERT_NE(routing.forArea("hylte", ""), nullptr);
  EXPECT_EQ(routing.forArea("hylte", "")->name, "Hylte VC");
  EXPECT_EQ(routing.forArea("falkenberg", "")->name, "Halmstad");
  EXPECT_EQ(routing.forArea("falkenberg", "Ullared")->name, "Varberg");
  EXPECT_EQ(routing.forArea("laholm", "")->name, "Halmstad");
  EXPECT_EQ(routing.forArea("kungsbacka", "onsala")->name, "Kungsbacka");
  EXPECT_EQ(routing.forArea("kungsbacka", "Mars"), nullptr);
  EXPECT_EQ(routing.forArea("göteborg", ""), nullptr);
}

TEST(MappingSet, TheVersionIsAContentHash) {
  auto files = testing::repoMappingFiles();
  auto a = MappingSet::parse(files);
  auto reordered = files;
  std::reverse(reordered.begin(), reordered.end());
  auto b = MappingSet::parse(reordered);
  testing::editFile(files, "routing.json", R"("area": "Onsala")", R"("area": "Onsala Norra")");
  auto c = MappingSet::parse(files);
  ASSERT_TRUE(a.isOk() && b.isOk() && c.isOk());
  EXPECT_EQ((*a)->version(), (*b)->version());
  EXPECT_NE((*a)->version(), (*c)->version());
}

struct BadEdit {
  const char* file;
  const char* from;
  const char* to;
  const char* message;
};

class MappingSetErrors : public ::testing::TestWithParam<BadEdit> {};

TEST_P(MappingSetErrors, NameTheFileAndTheEntry) {
  auto files = testing::repoMappingFiles();
  testing::editFile(files, GetParam().file, GetParam().from, GetParam().to);
  auto set = MappingSet::parse(files);
  ASSERT_FALSE(set.isOk());
  EXPECT_EQ(set.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(set.status().message(), StartsWith(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Files, MappingSetErrors,
    ::testing::Values(
        BadEdit{"routing.json", R"("municipality": "laholm", "servicePoint": "halmstad")",
                R"("municipality": "laholm", "servicePoint": "halmstadd")",
                "routing.json: facilities[6] (Smedjebacken).servicePoint: 'halmstadd' is not a "
                "known service point"},
        BadEdit{"routing.json", R"("hsaId": "SE2321000115-E00000000102")",
                R"("hsaId": "SE23210-E00000000102")",
                "routing.json: servicePoints[1] (Varberg).hsaId: 'SE23210-E00000000102' is not a "
                "well-formed HSA-id"},
        BadEdit{"routing.json",
                R"({ "municipality": "hylte", "area": "*", "servicePoint": "hylte-vc" })",
                R"({ "municipality": "hylte", "area": "Unnaryd", "servicePoint": "hylte-vc" })",
                "routing.json: municipalities[5] (hylte): has no default ordinary-housing route"},
        BadEdit{"routing.json", R"("locationType": "SNF" },)",
                R"("locationType": "SNF", "beds": 12 },)",
                "routing.json: facilities[0] (Smedjan).beds: is not a known member"},
        BadEdit{"routing.json", R"("kind": "routing")", R"("kind": "routes")",
                "routing.json: is neither a ConceptMap, a Measure nor a Brygga data file"},
        BadEdit{"flows.json", R"(ConceptMap/note-type-to-loinc")",
                R"(ConceptMap/note-type-to-snomed")",
                "flows.json: conceptMaps.noteTypeToRegion: names "
                "https://brygga.se/fhir/ConceptMap/note-type-to-snomed, which no ConceptMap "
                "file defines"},
        BadEdit{"flows.json", R"("Patient": )", R"("Patients": )",
                "flows.json: profiles.Patients: is not an R4 resource type"},
        BadEdit{"conceptmap-note-type-to-loinc.json",
                R"("display": "Progress note", "equivalence": "equivalent")",
                R"("display": "Progress note", "equivalence": "same")",
                "conceptmap-note-type-to-loinc.json: ConceptMap "
                "https://brygga.se/fhir/ConceptMap/note-type-to-loinc: group[0].element[2] "
                "(uppfoljning).target[0].equivalence: 'same' is not an R4 ConceptMap equivalence"},
        BadEdit{"conceptmap-care-plan-activity-to-region.json", R"({ "code": "viktkontroll")",
                R"({ "code": "sarvard")",
                "conceptmap-care-plan-activity-to-region.json: ConceptMap "
                "https://brygga.se/fhir/ConceptMap/care-plan-activity-to-region: "
                "group[0].element[3] (sarvard): the code sarvard is listed twice in this group"},
        BadEdit{"conceptmap-encounter-class-to-cosmic.json", R"("status": "active",)",
                R"("status": "active",,)", "conceptmap-encounter-class-to-cosmic.json: "}));

TEST(MappingSet, MissingOrRepeatedFilesAreErrors) {
  auto files = testing::repoMappingFiles();
  auto withoutRouting = files;
  std::erase_if(withoutRouting, [](const auto& f) { return f.name == "routing.json"; });
  auto a = MappingSet::parse(withoutRouting);
  ASSERT_FALSE(a.isOk());
  EXPECT_THAT(a.status().message(), HasSubstr("no \"routing\" file"));

  auto twice = files;
  for (const auto& f : files) {
    if (f.name == "routing.json") twice.push_back({"routing-copy.json", f.content});
  }
  auto b = MappingSet::parse(twice);
  ASSERT_FALSE(b.isOk());
  EXPECT_THAT(b.status().message(), HasSubstr("routing.json: is a second \"routing\" file"));

  auto sameMap = files;
  for (const auto& f : files) {
    if (f.name == "conceptmap-note-type-to-loinc.json")
      sameMap.push_back({"zz-copy.json", f.content});
  }
  auto c = MappingSet::parse(sameMap);
  ASSERT_FALSE(c.isOk());
  EXPECT_THAT(c.status().message(),
              HasSubstr("zz-copy.json: ConceptMap https://brygga.se/fhir/ConceptMap/"
                        "note-type-to-loinc is already defined in "
                        "conceptmap-note-type-to-loinc.json"));
}

TEST(ConceptMap, TranslatesWithDependsOnAndUnmatched) {
  auto set = testing::repoMappings();
  const auto& s = set->settings().conceptMaps;
  const ConceptMap* types = set->conceptMap(s.visitTypeToRegion);
  ASSERT_NE(types, nullptr);
  const std::string actCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
  auto home = types->translate(actCode, "HH");
  ASSERT_TRUE(home.has_value());
  EXPECT_EQ(home->system, "http://snomed.info/sct");
  EXPECT_EQ(home->code, "439708006");
  // VR needs its type to say phone or video.
  EXPECT_FALSE(types->translate(actCode, "VR").has_value());
  auto phone = types->translate(actCode, "VR", {}, {{"http://snomed.info/sct", "185317003", ""}});
  ASSERT_TRUE(phone.has_value());
  EXPECT_EQ(phone->code, "185317003");
  auto video = types->translate(
      actCode, "VR", {}, {{"https://brygga.se/fhir/CodeSystem/contact-modality", "video", ""}});
  ASSERT_TRUE(video.has_value());
  EXPECT_EQ(video->system, "https://brygga.se/fhir/CodeSystem/cosmic-contact-type");
  EXPECT_EQ(video->code, "VIDEO");
  // Video has no KV kontakttyp: the file says "unmatched".
  const ConceptMap* kv = set->conceptMap(s.contactTypeToRegion);
  ASSERT_NE(kv, nullptr);
  EXPECT_EQ(kv->translate("http://snomed.info/sct", "185317003")->code, "2");
  EXPECT_FALSE(kv->translate("https://brygga.se/fhir/CodeSystem/cosmic-contact-type", "VIDEO"));
  // A target system narrows the groups searched.
  const ConceptMap* cls = set->conceptMap(s.encounterClassToRegion);
  EXPECT_EQ(cls->translate(actCode, "HH", actCode)->code, "AMB");
  EXPECT_FALSE(cls->translate(actCode, "HH", "http://snomed.info/sct").has_value());
}

}  // namespace
}  // namespace brygga::mappings

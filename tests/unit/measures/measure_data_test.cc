// The Measures of mappings/data (issue 13): valid FHIR R4, loaded with the other mapping files,
// and a Measure naming what Brygga does not evaluate refused naming the file and the element.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/validator.h"
#include "gateway/flows/mapping_registry.h"
#include "mappings/mapping_set.h"

namespace brygga::measures {
namespace {

namespace fs = std::filesystem;

std::vector<mappings::MappingFile> dataFiles() {
  auto files = flows::readMappingFiles(std::string(BRYGGA_SOURCE_DIR) + "/mappings/data");
  EXPECT_TRUE(files.isOk()) << files.status().toString();
  return files.isOk() ? std::move(files).value() : std::vector<mappings::MappingFile>{};
}

TEST(MeasureData, TheFiveMeasuresLoadAndValidate) {
  auto set = mappings::MappingSet::parse(dataFiles());
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  const auto validator = fhir::makeValidator();
  std::vector<std::string> ids;
  for (const auto& [id, m] : (*set)->measures()) {
    ids.push_back(id);
    rapidjson::Document doc;
    doc.Parse(m.json.c_str());
    const auto issues = validator->validate(doc);
    EXPECT_FALSE(fhir::hasErrors(issues)) << id << ": " << fhir::operationOutcomeJson(issues);
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"consultation-requests", "contacts", "enrolled-patients",
                                           "readmission-30d", "short-term-patients"}));
  const auto* readmission = (*set)->measure("readmission-30d");
  EXPECT_TRUE(readmission->inCohort("http://hl7.org/fhir/sid/icd-10", "I50.9"));
  EXPECT_TRUE(readmission->inCohort("http://hl7.org/fhir/sid/icd-10", "I50"));
  EXPECT_FALSE(readmission->inCohort("http://hl7.org/fhir/sid/icd-10", "I51.9"));
  EXPECT_TRUE(readmission->inCohort("http://snomed.info/sct", "42343007"));
  EXPECT_FALSE(readmission->inCohort("http://snomed.info/sct", "840544004"));
  // The service points' strata: Hylte VC counts as "hylte".
  EXPECT_EQ((*set)->routing().servicePoint("hylte-vc")->followUpCode, "hylte");
}

TEST(MeasureData, AMeasureWithAGroupBryggaDoesNotEvaluateIsRefusedNamingIt) {
  std::vector<mappings::MappingFile> files = dataFiles();
  for (auto& f : files) {
    if (f.name != "measure-contacts.json") continue;
    const size_t at = f.content.find("\"home-visit\"");
    ASSERT_NE(at, std::string::npos);
    f.content.replace(at, 12, "\"house-call\"");
  }
  auto set = mappings::MappingSet::parse(files);
  ASSERT_FALSE(set.isOk());
  EXPECT_NE(set.status().message().find("measure-contacts.json: Measure.group[0].code"),
            std::string::npos)
      << set.status().message();
  EXPECT_NE(set.status().message().find("(consultation, home-visit)"), std::string::npos)
      << set.status().message();
}

TEST(MeasureData, TwoFilesWithOneMeasureIdAreRefused) {
  std::vector<mappings::MappingFile> files = dataFiles();
  for (const auto& f : dataFiles()) {
    if (f.name == "measure-contacts.json")
      files.push_back({"measure-contacts-copy.json", f.content});
  }
  auto set = mappings::MappingSet::parse(files);
  ASSERT_FALSE(set.isOk());
  EXPECT_NE(set.status().message().find("already defined"), std::string::npos)
      << set.status().message();
}

}  // namespace
}  // namespace brygga::measures

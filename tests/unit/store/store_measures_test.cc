// The follow-up measures' facts and stored reports (issue 13), on every backend: replaced with
// their resource in its unit, gone with an empty list, read by resource type or all, rolled back
// with a failed unit; a month's report is kept once.
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

class MeasureStoreTest : public StoreTest {
 protected:
  static MeasureFact fact(const std::string& type, const std::string& id, int seq,
                          const std::string& kind, int64_t start) {
    MeasureFact f;
    f.type = type;
    f.id = id;
    f.seq = seq;
    f.kind = kind;
    f.patient = "p-" + id;
    f.startMs = start;
    f.endMs = start + 10;
    f.servicePoint = "SE2321000115-E00000000101";
    f.municipality = "kungsbacka";
    f.code = "home-visit";
    f.flag = seq;
    f.ref = "enc-1";
    return f;
  }

  core::Status replace(const std::string& type, const std::string& id,
                       const std::vector<MeasureFact>& facts) {
    return store_->write([&](StoreTransaction& txn) {
      return txn.measureFacts().replaceMeasureFacts(type, id, facts);
    });
  }

  std::vector<MeasureFact> all(const std::string& type = "") {
    std::vector<MeasureFact> out;
    core::Status s = store_->measureFacts().forEachMeasureFact(
        type, [&](const MeasureFact& f) { out.push_back(f); });
    EXPECT_TRUE(s.isOk()) << s.toString();
    std::sort(out.begin(), out.end(), [](const MeasureFact& a, const MeasureFact& b) {
      return std::tie(a.type, a.id, a.seq) < std::tie(b.type, b.id, b.seq);
    });
    return out;
  }
};

TEST_P(MeasureStoreTest, AResourcesFactsAreReplacedWithItAndReadBackWhole) {
  ASSERT_TRUE(replace("EpisodeOfCare", "e1",
                      {fact("EpisodeOfCare", "e1", 0, "episode", 100),
                       fact("EpisodeOfCare", "e1", 1, "episode", 200)})
                  .isOk());
  ASSERT_TRUE(replace("Task", "t1", {fact("Task", "t1", 0, "request", 300)}).isOk());
  std::vector<MeasureFact> facts = all();
  ASSERT_EQ(facts.size(), 3u);
  EXPECT_EQ(facts[0], fact("EpisodeOfCare", "e1", 0, "episode", 100));
  EXPECT_EQ(facts[2], fact("Task", "t1", 0, "request", 300));
  EXPECT_EQ(all("Task").size(), 1u);

  // A later write of the episode replaces both segments; an empty list removes them.
  ASSERT_TRUE(
      replace("EpisodeOfCare", "e1", {fact("EpisodeOfCare", "e1", 0, "episode", 150)}).isOk());
  EXPECT_EQ(all("EpisodeOfCare"),
            std::vector<MeasureFact>{fact("EpisodeOfCare", "e1", 0, "episode", 150)});
  std::vector<MeasureFact> inUnit;
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) -> core::Status {
                    BRYGGA_ASSIGN_OR_RETURN(
                        inUnit, txn.measureFacts().measureFactsOf("EpisodeOfCare", "e1"));
                    return core::Status::ok();
                  })
                  .isOk());
  EXPECT_EQ(inUnit.size(), 1u);
  ASSERT_TRUE(replace("EpisodeOfCare", "e1", {}).isOk());
  EXPECT_TRUE(all("EpisodeOfCare").empty());
}

TEST_P(MeasureStoreTest, AFailedUnitKeepsTheFactsItReplaced) {
  ASSERT_TRUE(replace("Encounter", "c1", {fact("Encounter", "c1", 0, "contact", 100)}).isOk());
  core::Status failed = store_->write([&](StoreTransaction& txn) -> core::Status {
    BRYGGA_RETURN_IF_ERROR(txn.measureFacts().replaceMeasureFacts("Encounter", "c1", {}));
    return core::conflict("the unit fails");
  });
  EXPECT_FALSE(failed.isOk());
  EXPECT_EQ(all().size(), 1u);
}

TEST_P(MeasureStoreTest, AClosedMonthsReportIsKeptOnce) {
  StoredMeasureReport report{"contacts", "2026-03-01", R"({"resourceType":"MeasureReport"})", 5};
  bool first = false, second = true;
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) -> core::Status {
                    BRYGGA_ASSIGN_OR_RETURN(first, txn.measureFacts().storeMeasureReport(report));
                    report.json = "{}";
                    BRYGGA_ASSIGN_OR_RETURN(second, txn.measureFacts().storeMeasureReport(report));
                    return core::Status::ok();
                  })
                  .isOk());
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  auto reports = store_->measureFacts().measureReports("contacts");
  ASSERT_TRUE(reports.isOk());
  ASSERT_EQ(reports->size(), 1u);
  EXPECT_EQ((*reports)[0].json, R"({"resourceType":"MeasureReport"})");
  EXPECT_TRUE(store_->measureFacts().measureReports("readmission-30d")->empty());
}

BRYGGA_STORE_CONTRACT(MeasureStoreTest);

}  // namespace
}  // namespace brygga::store

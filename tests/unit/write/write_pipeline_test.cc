// The write pipeline against a real SQLite store in a temporary directory, without HTTP: what a
// write unit decides (conditionals, one Patient per person, care relationships, ownership,
// If-Match, person numbers) and that it is all or nothing.
#include "gateway/write/write_pipeline.h"

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/log.h"
#include "gateway/fhir/json.h"
#include "gateway/flows/flow_router.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/store/sqlite_store.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_personnummer.h"
#include "tests/support/test_support.h"

namespace brygga::write {
namespace {

using core::StatusCode;

const std::vector<std::string> kDestinations = {"regional", "kungsbacka", "varberg", "falkenberg",
                                                "halmstad", "laholm",     "hylte"};

Writer municipality(const std::string& tenant) {
  return Writer{core::ClientRole::kMunicipal, tenant, tenant, "req-" + tenant};
}
const Writer kRegion{core::ClientRole::kRegional, "", "region", "req-region"};

// The JSON documents of one write unit; each op points into one of them.
class Unit {
 public:
  // POST (condition: If-None-Exist) or PUT Type/id (id set) or conditional PUT (condition).
  Unit& add(const std::string& method, const std::string& json, const std::string& condition = "",
            const std::string& id = "", const std::string& fullUrl = "") {
    auto doc = std::make_unique<rapidjson::Document>();
    auto parsed = fhir::parseJson(json);
    EXPECT_TRUE(parsed.isOk()) << parsed.status().toString();
    *doc = std::move(parsed).value();
    WriteOp op;
    op.entryIndex = ops_.size();
    op.method = method;
    op.type = std::string(fhir::stringMember(*doc, "resourceType"));
    op.id = id;
    op.condition = condition;
    op.fullUrl = fullUrl;
    op.resource = doc.get();
    op.allocator = &doc->GetAllocator();
    docs_.push_back(std::move(doc));
    ops_.push_back(std::move(op));
    return *this;
  }
  std::vector<WriteOp>& ops() { return ops_; }
  WriteOp& operator[](size_t i) { return ops_[i]; }

 private:
  std::vector<std::unique_ptr<rapidjson::Document>> docs_;
  std::vector<WriteOp> ops_;
};

std::string patientJson(const std::string& personnummer, const std::string& family = "Tolvansson") {
  return R"({"resourceType":"Patient","identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":")" +
         personnummer + R"("}],"name":[{"family":")" + family + R"("}]})";
}

std::string episodeJson(const std::string& patientRef, const std::string& tenant,
                        const std::string& value) {
  return R"({"resourceType":"EpisodeOfCare","identifier":[{"system":"https://brygga.example/municipality/)" +
         tenant + R"(/episode","value":")" + value +
         R"("}],"status":"active","patient":{"reference":")" + patientRef +
         R"("},"period":{"start":"2026-05-01"}})";
}

std::string episodeCondition(const std::string& tenant, const std::string& value) {
  return "identifier=https://brygga.example/municipality/" + tenant + "/episode|" + value;
}

class WritePipelineTest : public ::testing::Test {
 protected:
  WritePipelineTest() : logger_(log_) {
    store::SqliteOptions options;
    options.path = dir_.file("brygga.db");
    auto opened = store::openSqliteStore(options);
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    store_ = std::move(opened).value();
  }

  // A pipeline without flows: resources are decided and written, nothing is forwarded.
  WritePipeline plain() {
    return WritePipeline(
        PipelineDependencies{*store_, clock_, access::AccessConfig{}, nullptr, {}, nullptr});
  }

  core::Status commit(WritePipeline& pipeline, const Writer& writer, Unit& unit,
                      const RecordInUnit& record = nullptr) {
    return pipeline.commit(writer, unit.ops(), nullptr, record);
  }

  // Enrolls a person with `tenant` (Patient and active home-care EpisodeOfCare in one unit);
  // returns the Patient's id.
  std::string enroll(const std::string& tenant, const std::string& personnummer,
                     const std::string& episode) {
    WritePipeline pipeline = plain();
    Unit unit;
    unit.add("POST", patientJson(personnummer), "", "", "urn:uuid:p")
        .add("POST", episodeJson("urn:uuid:p", tenant, episode), episodeCondition(tenant, episode),
             "", "urn:uuid:e");
    const core::Status s = commit(pipeline, municipality(tenant), unit);
    EXPECT_TRUE(s.isOk()) << s.toString();
    return unit[0].record.id;
  }

  int64_t versionOf(const std::string& type, const std::string& id) {
    auto found = store_->resources().read(type, id, std::nullopt);
    EXPECT_TRUE(found.isOk());
    return found.isOk() && found->has_value() ? (**found).version : 0;
  }

  int64_t count(const std::string& type) {
    store::SearchQuery query;
    query.type = type;
    query.count = 100;
    auto page = store_->resources().search(query);
    EXPECT_TRUE(page.isOk()) << page.status().toString();
    return page.isOk() ? page->total : -1;
  }

  testing::TempDir dir_;
  testing::SimulatedTimeSystem clock_;
  std::ostringstream log_;
  core::Logger logger_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(WritePipelineTest, AnEnrollmentCreatesThePatientAndPointsTheEpisodeAtIt) {
  const std::string id = enroll("kungsbacka", "19121212-1212", "E-1");
  ASSERT_FALSE(id.empty());
  auto episode = store_->resources().search([&] {
    store::SearchQuery q;
    q.type = "EpisodeOfCare";
    q.count = 10;
    return q;
  }());
  ASSERT_TRUE(episode.isOk());
  ASSERT_EQ(episode->records.size(), 1u);
  EXPECT_NE(episode->records[0].json.find("\"reference\":\"Patient/" + id + "\""),
            std::string::npos);
  EXPECT_EQ(episode->records[0].tenant, "kungsbacka");
  EXPECT_EQ(episode->records[0].patientId, id);
}

TEST_F(WritePipelineTest, OnePersonIsOnePatientWhoeverEnrollsAndWhateverTheNumbersForm) {
  const std::string first = enroll("kungsbacka", "19121212-1212", "E-1");
  // Varberg enrolls the same person, the number without its hyphen and no If-None-Exist.
  const std::string second = enroll("varberg", "191212121212", "V-1");
  EXPECT_EQ(first, second);
  EXPECT_EQ(count("Patient"), 1);
  EXPECT_EQ(count("EpisodeOfCare"), 2);
  EXPECT_EQ(versionOf("Patient", first), 1);  // found, not written again
}

TEST_F(WritePipelineTest, AConditionalCreateThatMatchesWritesNothingAndTwoMatchesAre412) {
  const std::string patient = enroll("kungsbacka", "19121212-1212", "E-1");
  WritePipeline pipeline = plain();
  Unit again;
  again.add("POST", episodeJson("Patient/" + patient, "kungsbacka", "E-1"),
            episodeCondition("kungsbacka", "E-1"));
  ASSERT_TRUE(commit(pipeline, municipality("kungsbacka"), again).isOk());
  EXPECT_TRUE(again[0].matchedExisting);
  EXPECT_FALSE(again[0].created);
  EXPECT_EQ(again[0].record.version, 1);

  Unit second;
  second.add("POST", episodeJson("Patient/" + patient, "kungsbacka", "E-2"),
             episodeCondition("kungsbacka", "E-2"));
  ASSERT_TRUE(commit(pipeline, municipality("kungsbacka"), second).isOk());
  Unit ambiguous;
  ambiguous.add("POST", episodeJson("Patient/" + patient, "kungsbacka", "E-3"),
                "patient=Patient/" + patient);
  const core::Status s = commit(pipeline, municipality("kungsbacka"), ambiguous);
  EXPECT_EQ(s.code(), StatusCode::kPreconditionFailed) << s.toString();
  EXPECT_EQ(count("EpisodeOfCare"), 2);
}

TEST_F(WritePipelineTest, WithoutACareRelationshipTheAnswerIsTheSameAsForAnUnknownPatient) {
  const std::string patient = enroll("kungsbacka", "19121212-1212", "E-1");
  WritePipeline pipeline = plain();
  const auto conditionFor = [](const std::string& ref) {
    return R"({"resourceType":"Condition","subject":{"reference":")" + ref +
           R"("},"code":{"text":"x"}})";
  };
  Unit known;
  known.add("POST", conditionFor("Patient/" + patient));
  const core::Status refused = commit(pipeline, municipality("falkenberg"), known);
  Unit unknown;
  unknown.add("POST", conditionFor("Patient/no-such-patient"));
  const core::Status missing = commit(pipeline, municipality("falkenberg"), unknown);
  EXPECT_EQ(refused.code(), StatusCode::kUnprocessable) << refused.toString();
  EXPECT_EQ(refused.toString(), missing.toString());
  EXPECT_EQ(count("Condition"), 0);
  // The enrolling municipality writes it.
  Unit own;
  own.add("POST", conditionFor("Patient/" + patient));
  EXPECT_TRUE(commit(pipeline, municipality("kungsbacka"), own).isOk());
  EXPECT_EQ(count("Condition"), 1);
}

TEST_F(WritePipelineTest, ABarePatientFromAMunicipalityIsRefusedAlikeWhetherThePersonIsKnown) {
  enroll("kungsbacka", "19121212-1212", "E-1");
  WritePipeline pipeline = plain();
  Unit known;
  known.add("POST", patientJson("19121212-1212"));
  Unit unknown;
  unknown.add("POST", patientJson(brygga::testing::testPersonnummer(7)));
  const core::Status a = commit(pipeline, municipality("falkenberg"), known);
  const core::Status b = commit(pipeline, municipality("falkenberg"), unknown);
  EXPECT_EQ(a.code(), StatusCode::kUnprocessable);
  EXPECT_EQ(a.toString(), b.toString());
  EXPECT_EQ(count("Patient"), 1);
}

TEST_F(WritePipelineTest, ADirectoryRecordIsItsOwnersToChange) {
  WritePipeline pipeline = plain();
  const std::string location =
      R"({"resourceType":"Location","id":"bo-x","identifier":[{"system":"https://falkenberg.se/hemsjukvard/bostad","value":"BO-X"}],"name":"Bostad X"})";
  Unit create;
  create.add("PUT", location, "", "bo-x");
  ASSERT_TRUE(commit(pipeline, municipality("falkenberg"), create).isOk());
  EXPECT_TRUE(create[0].created);

  Unit takeover;
  takeover.add("PUT", location, "", "bo-x");
  EXPECT_EQ(commit(pipeline, municipality("varberg"), takeover).code(),
            StatusCode::kPermissionDenied);
  // A conditional update never matches another owner's record: Varberg gets one of its own.
  Unit conditional;
  conditional.add("PUT", R"({"resourceType":"Location","name":"Varbergs"})",
                  "identifier=https://falkenberg.se/hemsjukvard/bostad|BO-X");
  ASSERT_TRUE(commit(pipeline, municipality("varberg"), conditional).isOk());
  EXPECT_TRUE(conditional[0].created);
  EXPECT_NE(conditional[0].record.id, "bo-x");
  EXPECT_EQ(versionOf("Location", "bo-x"), 1);

  Unit own;
  own.add("PUT", location, "", "bo-x");
  ASSERT_TRUE(commit(pipeline, municipality("falkenberg"), own).isOk());
  EXPECT_EQ(versionOf("Location", "bo-x"), 2);
}

TEST_F(WritePipelineTest, AStaleIfMatchIs412AndTheCurrentOneWrites) {
  WritePipeline pipeline = plain();
  const std::string org = R"({"resourceType":"Organization","id":"org-1","name":"A"})";
  Unit create;
  create.add("PUT", org, "", "org-1");
  ASSERT_TRUE(commit(pipeline, kRegion, create).isOk());
  Unit stale;
  stale.add("PUT", org, "", "org-1");
  stale[0].ifMatch = 2;
  const core::Status s = commit(pipeline, kRegion, stale);
  EXPECT_EQ(s.code(), StatusCode::kPreconditionFailed);
  EXPECT_NE(s.message().find("W/\"2\" is stale: the current version is 1"), std::string::npos)
      << s.message();
  Unit current;
  current.add("PUT", org, "", "org-1");
  current[0].ifMatch = 1;
  EXPECT_TRUE(commit(pipeline, kRegion, current).isOk());
  EXPECT_EQ(versionOf("Organization", "org-1"), 2);
}

TEST_F(WritePipelineTest, AnUpdateDoesNotAddAPersonNumberWhetherOrNotAnotherPatientHoldsIt) {
  const std::string patient = enroll("kungsbacka", "19121212-1212", "E-1");
  enroll("kungsbacka", brygga::testing::testPersonnummer(1), "E-2");
  WritePipeline pipeline = plain();
  const auto withSecondNumber = [&](const std::string& number) {
    return R"({"resourceType":"Patient","id":")" + patient +
           R"(","identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":"19121212-1212"},{"system":"http://electronichealth.se/identifier/personnummer","value":")" +
           number + R"("}]})";
  };
  Unit held;
  held.add("PUT", withSecondNumber(brygga::testing::testPersonnummer(1)), "", patient);
  Unit free;
  free.add("PUT", withSecondNumber(brygga::testing::testPersonnummer(2)), "", patient);
  const core::Status a = commit(pipeline, municipality("kungsbacka"), held);
  const core::Status b = commit(pipeline, municipality("kungsbacka"), free);
  EXPECT_EQ(a.code(), StatusCode::kUnprocessable);
  EXPECT_EQ(a.toString(), b.toString());
  EXPECT_EQ(versionOf("Patient", patient), 1);
}

TEST_F(WritePipelineTest, AUnitIsAllOrNothingAndItsRecordIsWrittenInsideIt) {
  WritePipeline pipeline = plain();
  // The second op fails (a stale If-Match): the first is not written either.
  Unit unit;
  unit.add("PUT", R"({"resourceType":"Organization","id":"org-a","name":"A"})", "", "org-a")
      .add("PUT", R"({"resourceType":"Organization","id":"org-b","name":"B"})", "", "org-b");
  unit[1].ifMatch = 5;
  EXPECT_EQ(commit(pipeline, kRegion, unit).code(), StatusCode::kPreconditionFailed);
  EXPECT_EQ(count("Organization"), 0);

  // The request's own record fails: nothing of the unit is kept.
  Unit recorded;
  recorded.add("PUT", R"({"resourceType":"Organization","id":"org-a","name":"A"})", "", "org-a");
  int calls = 0;
  const core::Status failed =
      commit(pipeline, kRegion, recorded, [&](store::StoreTransaction&, const UnitResult& result) {
        ++calls;
        EXPECT_EQ(result.ops.size(), 1u);
        EXPECT_EQ(result.ops[0].record.id, "org-a");  // decided and written when it is recorded
        return core::unavailable("the audit log is full");
      });
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable);
  EXPECT_GE(calls, 1);
  EXPECT_EQ(count("Organization"), 0);
}

// With the shipped mapping files and the flows: what an enrollment enqueues, when the wake-up
// is called, and back-pressure.
class WritePipelineFlowsTest : public WritePipelineTest {
 protected:
  WritePipelineFlowsTest()
      : registry_(std::string(BRYGGA_SOURCE_DIR) + "/mappings/data", kDestinations, logger_,
                  clock_) {
    EXPECT_TRUE(registry_.load().isOk());
    router_ =
        std::make_unique<flows::FlowRouter>(registry_, *store_, clock_, kDestinations, logger_);
  }

  WritePipeline withFlows(std::map<std::string, int64_t> maxQueueDepth) {
    return WritePipeline(PipelineDependencies{
        *store_, clock_, access::AccessConfig{}, router_.get(), std::move(maxQueueDepth),
        [this](const std::string& destination) {
          // Called after the commit: the entry is already there for a worker to take.
          int64_t pending = -1;
          EXPECT_TRUE(store_
                          ->write([&](store::StoreTransaction& txn) -> core::Status {
                            BRYGGA_ASSIGN_OR_RETURN(pending,
                                                    txn.outbox().pendingCount(destination));
                            return core::Status::ok();
                          })
                          .isOk());
          woken_.push_back(destination + ":" + std::to_string(pending));
        }});
  }

  core::Status enrollFromTestData(WritePipeline& pipeline, rapidjson::Document& bundle) {
    auto parsed = fhir::parseJson(brygga::testing::readTestData("enrollment-bundle.json"));
    EXPECT_TRUE(parsed.isOk());
    bundle = std::move(parsed).value();
    std::vector<WriteOp> ops;
    size_t index = 0;
    for (auto& entry : bundle["entry"].GetArray()) {
      WriteOp op;
      op.entryIndex = index++;
      op.method = entry["request"]["method"].GetString();
      op.fullUrl = fhir::stringMember(entry, "fullUrl");
      op.condition = fhir::stringMember(entry["request"], "ifNoneExist");
      op.resource = &entry["resource"];
      op.allocator = &bundle.GetAllocator();
      op.type = fhir::stringMember(*op.resource, "resourceType");
      ops.push_back(std::move(op));
    }
    return pipeline.commit(municipality("kungsbacka"), ops, router_->mappings(), nullptr);
  }

  flows::MappingRegistry registry_;
  std::unique_ptr<flows::FlowRouter> router_;
  std::vector<std::string> woken_;
};

TEST_F(WritePipelineFlowsTest, AnEnrollmentIsEnqueuedAndTheWorkerWokenAfterTheCommit) {
  WritePipeline pipeline = withFlows({});
  rapidjson::Document bundle;
  const core::Status s = enrollFromTestData(pipeline, bundle);
  ASSERT_TRUE(s.isOk()) << s.toString();
  ASSERT_EQ(woken_.size(), 1u);
  EXPECT_EQ(woken_[0].substr(woken_[0].find(':')), ":1");
}

TEST_F(WritePipelineFlowsTest, AFullQueueRefusesTheUnitAndNothingIsWritten) {
  WritePipeline pipeline = withFlows(
      {{"regional", 0}, {"kungsbacka", 0}, {"varberg", 0}, {"halmstad", 0}, {"hylte", 0}});
  rapidjson::Document bundle;
  const core::Status s = enrollFromTestData(pipeline, bundle);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.toString();
  EXPECT_TRUE(woken_.empty());
  EXPECT_EQ(count("Patient"), 0);
  EXPECT_EQ(count("EpisodeOfCare"), 0);
}

}  // namespace
}  // namespace brygga::write

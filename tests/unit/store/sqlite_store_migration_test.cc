// The SQLite store's own migrations of the facts of access: a schema-5 database migrated to
// schema 6 (one Patient per person number), and schema 9's birth dates.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "gateway/store/sqlite_schema.h"
#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> idsOf(const SearchPage& page) {
  std::vector<std::string> ids;
  for (const ResourceRecord& r : page.records) ids.push_back(r.id);
  return ids;
}

// A database written before schema 6, migrated when a build with it opens the file.
class SchemaSixMigrationTest : public SqliteStoreTest {
 protected:
  void SetUp() override {
    Poco::Data::SQLite::Connector::registerConnector();
    session_ = std::make_unique<Poco::Data::Session>("SQLite", dbPath());
    ASSERT_TRUE(sqlite::migrate(*session_, 5).isOk());
  }

  // A resource as schema 5 stored it: its version, its head, its search index.
  void oldResource(const std::string& type, const std::string& id, int version,
                   const std::string& tenant, const std::string& json,
                   const std::vector<IndexEntry>& index, int64_t ms = 1000) {
    using namespace Poco::Data::Keywords;
    std::string t = type, i = id, te = tenant, j = json;
    Poco::Int64 v = version, m = ms;
    *session_ << "INSERT INTO resource_version VALUES (?, ?, ?, ?, 0, ?, ?)", use(t), use(i),
        use(v), use(m), use(te), use(j), now;
    *session_ << "INSERT INTO resource_current VALUES (?, ?, ?, ?, 0, ?)"
                 " ON CONFLICT (type, id) DO UPDATE SET version = excluded.version",
        use(t), use(i), use(v), use(m), use(te), now;
    *session_ << "DELETE FROM search_index WHERE type = ? AND id = ?", use(t), use(i), now;
    for (const IndexEntry& e : index) {
      std::string p = e.param, s = e.system, val = e.value;
      *session_ << "INSERT INTO search_index VALUES (?, ?, ?, ?, ?)", use(t), use(i), use(p),
          use(s), use(val), now;
    }
  }

  std::unique_ptr<Poco::Data::Session> session_;
};

std::string patientJson(const std::string& id, const std::string& system, const std::string& number,
                        const std::string& family) {
  return R"({"resourceType":"Patient","id":")" + id + R"(","meta":{"versionId":"1"},)" +
         R"("identifier":[{"system":")" + system + R"(","value":")" + number + R"("}],)" +
         R"("name":[{"family":")" + family + R"("}]})";
}

TEST_F(SchemaSixMigrationTest, DuplicatesAreMergedWhenTheyAgreeAndReportedWhenNot) {
  const std::string pnrUri = kPersonnummerSystem;
  const IndexEntry tolvan{"identifier", pnrUri, kTolvan};
  // Kungsbacka's Patient first; Falkenberg's second copy of the same person, the same content in
  // another member order and identifier form; Halmstad's with another name.
  oldResource("Patient", "kb", 1, "kungsbacka", patientJson("kb", pnrUri, kTolvan, "Tolvansson"),
              {tolvan}, 1000);
  oldResource("Patient", "fb", 1, "falkenberg",
              R"({"name":[{"family":"Tolvansson"}],"resourceType":"Patient","id":"fb",)"
              R"("identifier":[{"system":"urn:oid:1.2.752.129.2.1.3.1","value":"19121212-1212"}]})",
              {tolvan}, 2000);
  oldResource("Patient", "hs", 1, "halmstad", patientJson("hs", pnrUri, kTolvan, "Tolvan"),
              {tolvan}, 3000);
  // An Inera-form number, indexed as sent before schema 6.
  oldResource(
      "Patient", "in", 1, "varberg",
      patientJson("in", "https://terminology.hl7.se/sid/se-personnummer", "19391004-0000", "Inera"),
      {{"identifier", "https://terminology.hl7.se/sid/se-personnummer", "19391004-0000"}});
  // Falkenberg's enrollment and condition of its copy; Kungsbacka's finished enrollment.
  oldResource("EpisodeOfCare", "e-fb", 1, "falkenberg",
              R"({"resourceType":"EpisodeOfCare","id":"e-fb","status":"active",)"
              R"("patient":{"reference":"Patient/fb"}})",
              {{"patient", "", "Patient/fb"}, {"status", "", "active"}});
  oldResource("EpisodeOfCare", "e-kb", 1, "kungsbacka",
              R"({"resourceType":"EpisodeOfCare","id":"e-kb","status":"finished",)"
              R"("period":{"start":"2025-01-01","end":"2025-02-01T00:00:00Z"},)"
              R"("patient":{"reference":"Patient/kb"}})",
              {{"patient", "", "Patient/kb"}, {"status", "", "finished"}});
  oldResource("Condition", "c-fb", 1, "falkenberg",
              R"({"resourceType":"Condition","id":"c-fb","meta":{"versionId":"1"},)"
              R"("subject":{"reference":"Patient/fb"}})",
              {{"patient", "", "Patient/fb"}, {"subject", "", "Patient/fb"}});
  session_.reset();

  store_ = open();
  ASSERT_NE(store_, nullptr);
  // One person, one Patient: the oldest.
  EXPECT_EQ(*store_->resources().patientByNumber("pnr", kTolvan), std::optional<std::string>("kb"));
  EXPECT_EQ(*store_->resources().patientByNumber("pnr", "193910040000"),
            std::optional<std::string>("in"));
  // Falkenberg's copy agreed: merged, its condition and enrollment now Kungsbacka's Patient's.
  auto fb = store_->resources().read("Patient", "fb");
  ASSERT_TRUE(fb.isOk() && fb->has_value());
  EXPECT_TRUE((*fb)->deleted);
  EXPECT_NE((*fb)->json.find(R"("other":{"reference":"Patient/kb"})"), std::string::npos)
      << (*fb)->json;
  auto condition = store_->resources().read("Condition", "c-fb");
  ASSERT_TRUE(condition.isOk() && condition->has_value());
  EXPECT_EQ((*condition)->version, 2);
  EXPECT_EQ((*condition)->patientId, "kb");
  EXPECT_NE((*condition)->json.find("\"Patient/kb\""), std::string::npos);
  EXPECT_NE((*condition)->json.find(R"("versionId":"2")"), std::string::npos);
  auto history = store_->resources().history("Patient", "fb");
  ASSERT_TRUE(history.isOk());
  EXPECT_EQ(history->size(), 2u) << "the merged Patient's history is kept";
  // Halmstad's differs: reported, not merged, no number of its own.
  auto hs = store_->resources().read("Patient", "hs");
  ASSERT_TRUE(hs.isOk() && hs->has_value());
  EXPECT_FALSE((*hs)->deleted);
  auto report = store_->resources().migrationReport();
  ASSERT_TRUE(report.isOk());
  ASSERT_EQ(report->size(), 2u);
  std::map<std::string, std::string> kinds;
  for (const auto& e : *report) kinds[e.subject] = e.kind;
  EXPECT_EQ(kinds["Patient/fb"], "merged");
  EXPECT_EQ(kinds["Patient/hs"], "duplicate");
  for (const auto& e : *report) {
    EXPECT_EQ(e.detail.find(kTolvan), std::string::npos) << "no person number in the report";
  }

  // Relationships from the municipal EpisodeOfCare, on the surviving Patient.
  auto facts = store_->resources().accessFacts("kb");
  ASSERT_TRUE(facts.isOk());
  ASSERT_EQ(facts->relationships.size(), 2u);
  EXPECT_EQ(facts->relationships[0].episodeId, "e-fb");
  EXPECT_TRUE(facts->relationships[0].active);
  EXPECT_EQ(facts->relationships[1].tenant, "kungsbacka");
  EXPECT_FALSE(facts->relationships[1].active);
  EXPECT_EQ(facts->relationships[1].endedMs, 1738368000000);  // 2025-02-01T00:00:00Z
  // Patients belong to no municipality now; the Inera form is found in the stored form.
  EXPECT_EQ((*store_->resources().read("Patient", "kb"))->tenant, "");
  SearchQuery byNumber;
  byNumber.type = "Patient";
  byNumber.criteria.push_back({"identifier", kPersonnummerSystem, {"193910040000"}});
  EXPECT_THAT(idsOf(*store_->resources().search(byNumber)), ElementsAre("in"));
}

TEST_F(SchemaSixMigrationTest, TheOutboxKeepsItsEntriesAndNeverReusesAnId) {
  using namespace Poco::Data::Keywords;
  *session_ << "INSERT INTO outbox (destination, ordering_key, request_id, tenant, payload, state,"
               " attempts, created_ms, next_attempt_ms, last_error) VALUES"
               " ('regional', 'Patient/p', 'r1', 'kungsbacka', '{}', 'pending', 0, 1, 1, ''),"
               " ('regional', 'Patient/p', 'r2', 'kungsbacka', '{}', 'dead', 3, 1, 1, 'no'),"
               " ('regional', 'Patient/p', 'r3', 'kungsbacka', '{}', 'delivered', 1, 1, 1, '')",
      now;
  *session_ << "DELETE FROM outbox WHERE id = 3", now;
  session_.reset();
  store_ = open();
  ASSERT_NE(store_, nullptr);
  auto states = store_->outbox().destinationStates();
  ASSERT_TRUE(states.isOk());
  EXPECT_EQ(states->front().pending, 1);
  EXPECT_EQ(states->front().dead, 1);
  EXPECT_EQ(enqueueOrFail(outboxEntry("regional", "Patient/q", 0)), 4);
}

}  // namespace
}  // namespace brygga::store

namespace brygga::store {
namespace {

// Schema 9 indexes the whole birth dates of the Patients a database already holds.
TEST_F(SqliteStoreTest, SchemaNineIndexesTheBirthDatesOfStoredPatients) {
  using namespace Poco::Data::Keywords;
  const std::string path = dir_.file("schema8.db");
  Poco::Data::SQLite::Connector::registerConnector();
  {
    Poco::Data::Session session("SQLite", path);
    ASSERT_TRUE(sqlite::migrate(session, 8).isOk());
    for (const auto& [id, born] : std::vector<std::pair<std::string, std::string>>{
             {"p1", "1912-12-12"}, {"p2", "1912"}, {"p3", "1913-03-01"}}) {
      std::string i = id;
      std::string json =
          R"({"resourceType":"Patient","id":")" + id + R"(","birthDate":")" + born + R"("})";
      session << "INSERT INTO resource_version (type, id, version, last_updated_ms, deleted,"
                 " tenant, json) VALUES ('Patient', ?, 1, 1000, 0, '', ?)",
          use(i), use(json), now;
      session << "INSERT INTO resource_current (type, id, version, last_updated_ms, deleted,"
                 " tenant, patient_id) VALUES ('Patient', ?, 1, 1000, 0, '', ?)",
          use(i), use(i), now;
    }
  }
  SqliteOptions options;
  options.path = path;
  auto migrated = openSqliteStore(options);
  ASSERT_TRUE(migrated.isOk()) << migrated.status().toString();
  const auto bornBetween = [&](const std::string& from, const std::string& to) {
    SearchQuery query;
    query.type = "Patient";
    SearchCriterion criterion;
    criterion.param = "birthdate";
    criterion.startFrom = from;  // schema 9 indexed whole dates alone, by their day
    criterion.startTo = to;
    query.criteria.push_back(criterion);
    auto page = (*migrated)->resources().search(query);
    EXPECT_TRUE(page.isOk());
    std::vector<std::string> ids;
    for (const auto& r : page->records) ids.push_back(r.id);
    return ids;
  };
  EXPECT_EQ(bornBetween("1912-12-12", "1912-12-12"), std::vector<std::string>{"p1"});
  // A year alone is not a whole date: not indexed, so not found by a day or a range.
  EXPECT_EQ(bornBetween("1912-01-01", "1913-12-31"), (std::vector<std::string>{"p1", "p3"}));
}

}  // namespace
}  // namespace brygga::store

namespace brygga::store {
namespace {

// Schema 11 adds what a message is: the lines recorded before have no kind and stay listed.
TEST_F(SqliteStoreTest, SchemaElevenKeepsTheMessagesRecordedBeforeWithoutAKind) {
  using namespace Poco::Data::Keywords;
  const std::string path = dir_.file("schema9.db");
  Poco::Data::SQLite::Connector::registerConnector();
  {
    Poco::Data::Session session("SQLite", path);
    ASSERT_TRUE(sqlite::migrate(session, 9).isOk());
    session << kMessageLineBeforeKinds, now;
  }
  SqliteOptions options;
  options.path = path;
  auto migrated = openSqliteStore(options);
  ASSERT_TRUE(migrated.isOk()) << migrated.status().toString();
  checkKindsAfterMigration(**migrated);
}

}  // namespace
}  // namespace brygga::store

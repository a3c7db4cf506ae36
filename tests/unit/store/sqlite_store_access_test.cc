// The facts of access the store keeps (schema 6): one Patient per person number by the key,
// care relationships and blocks written with their resources, the visibility a search applies
// in SQL, held outbox entries, and the migration of a schema-5 database.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>

#include "gateway/store/sqlite_schema.h"
#include "tests/unit/store/sqlite_store_fixture.h"

namespace brygga::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr int64_t kDay = 24LL * 60 * 60 * 1000;
constexpr int64_t kNow = 100 * kDay;

std::vector<std::string> idsOf(const SearchPage& page) {
  std::vector<std::string> ids;
  for (const ResourceRecord& r : page.records) ids.push_back(r.id);
  return ids;
}

class SqliteStoreAccessTest : public SqliteStoreTest {
 protected:
  core::Status putPatient(const std::string& id, std::vector<PersonIdentity> identities,
                          int64_t version = 1) {
    ResourceWrite w = resource("Patient", id, version, 1000 * version);
    w.record.patientId = id;
    w.identities = std::move(identities);
    return put(w);
  }

  core::Status putEpisode(const std::string& id, const std::string& patient,
                          const std::string& tenant, bool active, int64_t endedMs,
                          int64_t version = 1) {
    ResourceWrite w = resource("EpisodeOfCare", id, version, 1000 * version,
                               {{"patient", "", "Patient/" + patient}}, tenant);
    w.record.patientId = patient;
    w.relationship = CareRelationship{id, patient, tenant, active, endedMs};
    return put(w);
  }

  core::Status putConsent(const std::string& id, const std::string& patient,
                          std::vector<PatientBlock> blocks, int64_t version = 1) {
    ResourceWrite w = resource("Consent", id, version, 1000 * version, {}, "varberg");
    w.record.patientId = patient;
    for (auto& b : blocks) {
      b.consentId = id;
      b.patientId = patient;
    }
    w.blocks = std::move(blocks);
    return put(w);
  }

  core::Status putCondition(const std::string& id, const std::string& patient) {
    ResourceWrite w = resource("Condition", id, 1, 5000, {{"patient", "", "Patient/" + patient}});
    w.record.patientId = patient;
    return put(w);
  }

  std::vector<std::string> search(const std::string& type, const Visibility& visibility) {
    SearchQuery q;
    q.type = type;
    q.visibility = visibility;
    auto page = store_->resources().search(q);
    EXPECT_TRUE(page.isOk()) << page.status().toString();
    return page.isOk() ? idsOf(*page) : std::vector<std::string>{};
  }

  static Visibility municipal(const std::string& tenant) {
    Visibility v;
    v.relationshipTenant = tenant;
    v.endedAfterMs = kNow - 30 * kDay;
    v.blockedParty = "tenant:" + tenant;
    v.nowMs = kNow;
    v.owners = std::vector<std::string>{"", tenant};
    return v;
  }
};

const PersonIdentity kTolvanPnr{"pnr", kTolvan};

TEST_F(SqliteStoreAccessTest, APersonNumberBelongsToOnePatientByTheKey) {
  ASSERT_TRUE(putPatient("p1", {kTolvanPnr}).isOk());
  // A second Patient with the number fails on the key, recognisably, and nothing of it is kept.
  core::Status second = putPatient("p2", {kTolvanPnr});
  EXPECT_EQ(second.code(), core::StatusCode::kConflict);
  EXPECT_TRUE(isDuplicatePerson(second)) << second.toString();
  EXPECT_EQ(second.message().find(kTolvan), std::string::npos) << "the number is not echoed";
  auto p2 = store_->resources().read("Patient", "p2");
  ASSERT_TRUE(p2.isOk());
  EXPECT_FALSE(p2->has_value());

  auto holder = store_->resources().patientByNumber("pnr", kTolvan);
  ASSERT_TRUE(holder.isOk());
  EXPECT_EQ(*holder, std::optional<std::string>("p1"));
  // A new version of the holder keeps it; a version without it gives it up.
  ASSERT_TRUE(putPatient("p1", {kTolvanPnr}, 2).isOk());
  ASSERT_TRUE(putPatient("p1", {}, 3).isOk());
  EXPECT_EQ(*store_->resources().patientByNumber("pnr", kTolvan), std::nullopt);
  EXPECT_TRUE(putPatient("p2", {kTolvanPnr}).isOk());
  EXPECT_FALSE(isDuplicatePerson(core::conflict("version conflict")));
}

TEST_F(SqliteStoreAccessTest, RelationshipsAndBlocksAreWrittenWithTheirResources) {
  ASSERT_TRUE(putPatient("p1", {kTolvanPnr}).isOk());
  ASSERT_TRUE(putEpisode("e1", "p1", "varberg", true, 0).isOk());
  ASSERT_TRUE(putEpisode("e2", "p1", "falkenberg", false, kNow - kDay).isOk());
  ASSERT_TRUE(putConsent("c1", "p1", {{"", "", "region", true, 0, 0}}).isOk());

  auto facts = store_->resources().accessFacts("p1");
  ASSERT_TRUE(facts.isOk()) << facts.status().toString();
  ASSERT_EQ(facts->relationships.size(), 2u);
  EXPECT_EQ(facts->relationships[0].tenant, "varberg");
  EXPECT_TRUE(facts->relationships[0].active);
  EXPECT_EQ(facts->relationships[1].tenant, "falkenberg");
  EXPECT_EQ(facts->relationships[1].endedMs, kNow - kDay);
  ASSERT_EQ(facts->blocks.size(), 1u);
  EXPECT_EQ(facts->blocks[0].party, "region");

  // A new version replaces: the episode is no municipality's any more, the block lifted.
  ResourceWrite regional = resource("EpisodeOfCare", "e1", 2, 2000);
  regional.record.patientId = "p1";
  ASSERT_TRUE(put(regional).isOk());
  ASSERT_TRUE(putConsent("c1", "p1", {{"", "", "region", false, 0, 0}}, 2).isOk());
  facts = store_->resources().accessFacts("p1");
  ASSERT_TRUE(facts.isOk());
  ASSERT_EQ(facts->relationships.size(), 1u);
  EXPECT_EQ(facts->relationships[0].episodeId, "e2");
  ASSERT_EQ(facts->blocks.size(), 1u);
  EXPECT_FALSE(facts->blocks[0].active);

  // Inside a unit, the unit's own writes count.
  core::Status s = store_->write([&](StoreTransaction& txn) -> core::Status {
    ResourceWrite w = resource("EpisodeOfCare", "e3", 1, 3000, {}, "halmstad");
    w.record.patientId = "p1";
    w.relationship = CareRelationship{"e3", "p1", "halmstad", true, 0};
    BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(w));
    BRYGGA_ASSIGN_OR_RETURN(PatientAccessFacts inUnit, txn.resources().accessFacts("p1"));
    EXPECT_EQ(inUnit.relationships.size(), 2u);
    BRYGGA_ASSIGN_OR_RETURN(auto holder, txn.resources().patientByNumber("pnr", kTolvan));
    EXPECT_EQ(holder, std::optional<std::string>("p1"));
    return core::Status::ok();
  });
  EXPECT_TRUE(s.isOk()) << s.toString();
}

TEST_F(SqliteStoreAccessTest, ASearchCountsOnlyWhatTheCallerMaySee) {
  for (const char* p : {"active", "grace", "past", "blocked", "other", "none"}) {
    ASSERT_TRUE(putPatient(p, {}).isOk());
    ASSERT_TRUE(putCondition(std::string("cond-") + p, p).isOk());
  }
  ASSERT_TRUE(putEpisode("e-active", "active", "varberg", true, 0).isOk());
  ASSERT_TRUE(putEpisode("e-grace", "grace", "varberg", false, kNow - 10 * kDay).isOk());
  ASSERT_TRUE(putEpisode("e-past", "past", "varberg", false, kNow - 31 * kDay).isOk());
  ASSERT_TRUE(putEpisode("e-blocked", "blocked", "varberg", true, 0).isOk());
  ASSERT_TRUE(putConsent("c", "blocked", {{"", "", "tenant:varberg", true, 0, 0}}).isOk());
  ASSERT_TRUE(putEpisode("e-other", "other", "falkenberg", true, 0).isOk());
  // Resources of no patient go by owner.
  ASSERT_TRUE(put(resource("Location", "own", 1, 1000, {}, "varberg")).isOk());
  ASSERT_TRUE(put(resource("Location", "global", 1, 1000, {}, "")).isOk());
  ASSERT_TRUE(put(resource("Location", "theirs", 1, 1000, {}, "falkenberg")).isOk());

  const Visibility varberg = municipal("varberg");
  EXPECT_THAT(search("Patient", varberg), UnorderedElementsAre("active", "grace"));
  EXPECT_THAT(search("Condition", varberg), UnorderedElementsAre("cond-active", "cond-grace"));
  EXPECT_THAT(search("Location", varberg), UnorderedElementsAre("own", "global"));

  // The total counts the same.
  SearchQuery total;
  total.type = "Condition";
  total.visibility = varberg;
  total.count = 0;
  EXPECT_EQ(store_->resources().search(total)->total, 2);

  // A unit that establishes a relationship sees its patient.
  Visibility establishing = varberg;
  establishing.alsoPatients = {"none"};
  EXPECT_THAT(search("Condition", establishing),
              UnorderedElementsAre("cond-active", "cond-grace", "cond-none"));

  // The region: any municipality's relationship, unless blocked for the region.
  Visibility region;
  region.endedAfterMs = kNow - 30 * kDay;
  region.blockedParty = "region";
  region.nowMs = kNow;
  region.owners = std::nullopt;
  EXPECT_THAT(search("Patient", region),
              UnorderedElementsAre("active", "grace", "blocked", "other"));
  ASSERT_TRUE(putConsent("c-region", "other", {{"", "", "region", true, 0, 0}}).isOk());
  EXPECT_THAT(search("Patient", region), UnorderedElementsAre("active", "grace", "blocked"));

  // A block's period: not yet begun, and over.
  ASSERT_TRUE(
      putConsent("c", "blocked", {{"", "", "tenant:varberg", true, kNow + kDay, 0}}, 2).isOk());
  EXPECT_THAT(search("Patient", varberg), UnorderedElementsAre("active", "grace", "blocked"));
  ASSERT_TRUE(
      putConsent("c", "blocked", {{"", "", "tenant:varberg", true, 0, kNow - 1}}, 3).isOk());
  EXPECT_THAT(search("Patient", varberg), UnorderedElementsAre("active", "grace", "blocked"));
}

TEST_F(SqliteStoreAccessTest, AHeldEntryIsNeitherDueNorPendingNorInTheWay) {
  OutboxEntry first = outboxEntry("regional", "Patient/p1", 0);
  first.party = "region";
  const int64_t held = enqueueOrFail(first);
  const int64_t later = enqueueOrFail(outboxEntry("regional", "Patient/p1", 0));
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) {
                    return txn.outbox().holdOutbox(held, 5000, "held by a block against region");
                  })
                  .isOk());
  auto entry = store_->outbox().outboxEntry(held);
  ASSERT_TRUE(entry.isOk() && entry->has_value());
  EXPECT_EQ((*entry)->state, OutboxState::kHeld);
  EXPECT_EQ((*entry)->party, "region");
  EXPECT_EQ((*entry)->lastError, "held by a block against region");
  // The patient's later message is not held back by it, and the queue depth counts it no more.
  auto due = store_->outbox().dueOutbox("regional", 10000, 10);
  ASSERT_TRUE(due.isOk());
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(due->front().id, later);
  auto states = store_->outbox().destinationStates();
  ASSERT_TRUE(states.isOk());
  EXPECT_EQ(states->front().pending, 1);
  auto listed = store_->outbox().heldOutbox(std::nullopt, 0, 10);
  ASSERT_TRUE(listed.isOk());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, held);
  EXPECT_THAT(*store_->outbox().heldOutbox(std::string("kungsbacka"), 0, 10), IsEmpty());
  // Only a pending entry can be held.
  EXPECT_EQ(
      store_->write([&](StoreTransaction& txn) { return txn.outbox().holdOutbox(held, 1, "x"); })
          .code(),
      core::StatusCode::kNotFound);
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

// A type's history: every version, newest first, paged with its total, each resource's versions
// visible as its current row is.
TEST_F(SqliteStoreAccessTest, ATypesHistoryHoldsTheVersionsOfWhatTheCallerMaySee) {
  ASSERT_TRUE(putPatient("mine", {}).isOk());
  ASSERT_TRUE(putPatient("mine", {}, 2).isOk());
  ASSERT_TRUE(putEpisode("e-mine", "mine", "varberg", true, 0).isOk());
  ASSERT_TRUE(putPatient("theirs", {}, 1).isOk());
  ASSERT_TRUE(putEpisode("e-theirs", "theirs", "falkenberg", true, 0).isOk());

  const auto versionsOf = [](const SearchPage& page) {
    std::vector<std::string> out;
    for (const ResourceRecord& r : page.records)
      out.push_back(r.id + "/" + std::to_string(r.version));
    return out;
  };
  SearchQuery query;
  query.type = "Patient";
  query.visibility = municipal("varberg");
  query.count = 1;
  auto first = store_->resources().typeHistory(query);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_EQ(first->total, 2);
  EXPECT_THAT(versionsOf(*first), ElementsAre("mine/2"));
  query.offset = 1;
  EXPECT_THAT(versionsOf(*store_->resources().typeHistory(query)), ElementsAre("mine/1"));

  // Everything, newest first; _since as lastUpdatedGeMs.
  query.visibility.reset();
  query.offset = 0;
  query.count = 10;
  auto all = store_->resources().typeHistory(query);
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(all->total, 3);
  EXPECT_THAT(versionsOf(*all), ElementsAre("mine/2", "theirs/1", "mine/1"));
  query.lastUpdatedGeMs = 2000;
  EXPECT_THAT(versionsOf(*store_->resources().typeHistory(query)), ElementsAre("mine/2"));
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
    criterion.from = from;
    criterion.to = to;
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

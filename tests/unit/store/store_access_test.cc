// The facts of access the store keeps (schema 6), on every backend: one Patient per person number
// by the key, care relationships and blocks written with their resources, the visibility a search
// applies in SQL, held outbox entries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/store/store_fixture.h"

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

class AccessStoreTest : public StoreTest {
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

TEST_P(AccessStoreTest, APersonNumberBelongsToOnePatientByTheKey) {
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

TEST_P(AccessStoreTest, RelationshipsAndBlocksAreWrittenWithTheirResources) {
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

TEST_P(AccessStoreTest, ASearchCountsOnlyWhatTheCallerMaySee) {
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

TEST_P(AccessStoreTest, AHeldEntryIsNeitherDueNorPendingNorInTheWay) {
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

// A type's history: every version, newest first, paged with its total, each resource's versions
// visible as its current row is.
TEST_P(AccessStoreTest, ATypesHistoryHoldsTheVersionsOfWhatTheCallerMaySee) {
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

BRYGGA_STORE_CONTRACT(AccessStoreTest);

}  // namespace
}  // namespace brygga::store

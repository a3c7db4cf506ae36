#include <stdexcept>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> idsOf(const SearchPage& page) {
  std::vector<std::string> ids;
  for (const ResourceRecord& r : page.records) ids.push_back(r.id);
  return ids;
}

TEST_P(StoreTest, CreatedResourceCanBeReadVreadAndListedInHistory) {
  ResourceWrite v1 = resource("Patient", "p1", 1, 1000, {}, "kungsbacka");
  ASSERT_TRUE(put(v1).isOk());
  ResourceWrite v2 = resource("Patient", "p1", 2, 2000, {}, "kungsbacka");
  ASSERT_TRUE(put(v2).isOk());

  auto current = store_->resources().read("Patient", "p1");
  ASSERT_TRUE(current.isOk()) << current.status().toString();
  ASSERT_TRUE(current->has_value());
  EXPECT_EQ((*current)->version, 2);
  EXPECT_EQ((*current)->lastUpdatedMs, 2000);
  EXPECT_EQ((*current)->tenant, "kungsbacka");
  EXPECT_EQ((*current)->json, v2.record.json);
  EXPECT_FALSE((*current)->deleted);

  auto first = store_->resources().read("Patient", "p1", 1);
  ASSERT_TRUE(first.isOk());
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ((*first)->version, 1);
  EXPECT_EQ((*first)->json, v1.record.json);

  auto missingVersion = store_->resources().read("Patient", "p1", 3);
  ASSERT_TRUE(missingVersion.isOk());
  EXPECT_FALSE(missingVersion->has_value());
  auto missing = store_->resources().read("Patient", "nope");
  ASSERT_TRUE(missing.isOk());
  EXPECT_FALSE(missing->has_value());
  auto otherType = store_->resources().read("Observation", "p1");
  ASSERT_TRUE(otherType.isOk());
  EXPECT_FALSE(otherType->has_value());

  auto history = store_->resources().history("Patient", "p1");
  ASSERT_TRUE(history.isOk());
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version, 2);
  EXPECT_EQ((*history)[1].version, 1);
  auto noHistory = store_->resources().history("Patient", "nope");
  ASSERT_TRUE(noHistory.isOk());
  EXPECT_THAT(*noHistory, IsEmpty());
}

TEST_P(StoreTest, PutWithStaleOrSkippedVersionConflicts) {
  ASSERT_TRUE(put(resource("Patient", "p1", 1, 1000)).isOk());
  ASSERT_TRUE(put(resource("Patient", "p1", 2, 2000)).isOk());

  core::Status stale = put(resource("Patient", "p1", 2, 3000));
  EXPECT_EQ(stale.code(), core::StatusCode::kConflict);
  EXPECT_THAT(stale.message(), HasSubstr("version 2"));
  EXPECT_EQ(put(resource("Patient", "p1", 4, 3000)).code(), core::StatusCode::kConflict);
  EXPECT_EQ(put(resource("Patient", "p2", 2, 3000)).code(), core::StatusCode::kConflict);
  EXPECT_EQ(put(resource("Patient", "p2", 0, 3000)).code(), core::StatusCode::kConflict);

  auto current = store_->resources().read("Patient", "p1");
  ASSERT_TRUE(current.isOk() && current->has_value());
  EXPECT_EQ((*current)->version, 2);
  EXPECT_EQ((*current)->lastUpdatedMs, 2000);
  EXPECT_FALSE(store_->resources().read("Patient", "p2")->has_value());
}

TEST_P(StoreTest, ResourceWithoutTypeOrIdIsRejected) {
  EXPECT_EQ(put(resource("Patient", "", 1, 1000)).code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(put(resource("", "p1", 1, 1000)).code(), core::StatusCode::kInvalidArgument);
}

// Everything a write unit can touch, so the rollback tests can check that none of it stayed.
core::Status writeEverything(StoreTransaction& txn) {
  ResourceWrite w;
  w.record = {"Patient", "p1", 1, 1000, false, "kungsbacka", R"({"resourceType":"Patient"})"};
  w.index = {{"identifier", kPersonnummerSystem, kTolvan}};
  BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(w));
  OutboxEntry entry;
  entry.destination = "regional";
  entry.orderingKey = "Patient/p1";
  auto outboxId = txn.outbox().enqueue(entry);
  if (!outboxId.isOk()) return outboxId.status();
  ExchangeRecord exchange;
  exchange.id = "ex-1";
  exchange.direction = "inbound";
  BRYGGA_RETURN_IF_ERROR(txn.exchangeLog().recordExchange(exchange));
  AuditRecord audit;
  audit.seq = 1;
  audit.prevHash = std::string(64, '0');
  audit.hash = std::string(64, 'a');
  BRYGGA_RETURN_IF_ERROR(txn.auditLog().appendAudit(audit));
  return core::Status::ok();
}

class RollbackTest : public StoreTest {
 protected:
  void expectNothingStored() {
    EXPECT_FALSE(store_->resources().read("Patient", "p1")->has_value());
    EXPECT_THAT(*store_->resources().history("Patient", "p1"), IsEmpty());
    SearchQuery q;
    q.type = "Patient";
    q.criteria = {{"identifier", kPersonnummerSystem, {kTolvan}}};
    EXPECT_EQ(store_->resources().search(q)->total, 0);
    EXPECT_THAT(*store_->outbox().entries("regional", std::nullopt, 10), IsEmpty());
    EXPECT_THAT(*store_->exchangeLog().exchanges({}), IsEmpty());
    EXPECT_THAT(*store_->auditLog().auditRecords(1, 10), IsEmpty());
    // The store is still usable, and the audit log still starts at 1.
    EXPECT_TRUE(store_->write(writeEverything).isOk());
    EXPECT_EQ(store_->auditLog().auditRecords(1, 10)->size(), 1u);
  }
};

TEST_P(RollbackTest, NonOkStatusFromWorkKeepsNothing) {
  core::Status s = store_->write([](StoreTransaction& txn) {
    BRYGGA_RETURN_IF_ERROR(writeEverything(txn));
    return core::unprocessable("the mapping failed");
  });
  EXPECT_EQ(s.code(), core::StatusCode::kUnprocessable);
  EXPECT_EQ(s.message(), "the mapping failed");
  expectNothingStored();
}

TEST_P(RollbackTest, ExceptionFromWorkKeepsNothingAndBecomesInternal) {
  core::Status s = store_->write([](StoreTransaction& txn) -> core::Status {
    BRYGGA_RETURN_IF_ERROR(writeEverything(txn));
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(s.code(), core::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("boom"));
  expectNothingStored();
}

TEST_P(RollbackTest, ConflictLaterInTheUnitUndoesEarlierWrites) {
  core::Status s = store_->write([](StoreTransaction& txn) {
    BRYGGA_RETURN_IF_ERROR(writeEverything(txn));
    ResourceWrite skipped;
    skipped.record = {"Patient", "p2", 5, 1000, false, "", "{}"};
    return txn.resources().putResource(skipped);
  });
  EXPECT_EQ(s.code(), core::StatusCode::kConflict);
  expectNothingStored();
}

TEST_P(RollbackTest, DatabaseErrorDoomsTheUnitEvenWhenTheWorkIgnoresIt) {
  core::Status s = store_->write([](StoreTransaction& txn) {
    BRYGGA_RETURN_IF_ERROR(writeEverything(txn));
    ExchangeRecord duplicate;
    duplicate.id = "ex-1";  // unique: the insert fails inside SQLite
    core::Status ignored = txn.exchangeLog().recordExchange(duplicate);
    EXPECT_FALSE(ignored.isOk());
    // Later calls report the same failure instead of writing outside the transaction.
    EXPECT_FALSE(txn.resources().readCurrent("Patient", "p1").isOk());
    return core::Status::ok();
  });
  EXPECT_EQ(s.code(), core::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("recordExchange"));
  expectNothingStored();
}

TEST_P(StoreTest, TransactionSeesItsOwnUncommittedWrites) {
  core::Status s = store_->write([](StoreTransaction& txn) {
    ResourceWrite w;
    w.record = {"Patient", "p1", 1, 1000, false, "", "{}"};
    w.index = {{"identifier", kPersonnummerSystem, kTolvan}};
    BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(w));
    auto current = txn.resources().readCurrent("Patient", "p1");
    EXPECT_TRUE(current.isOk() && current->has_value());
    auto ids = txn.resources().findByIdentifier("Patient", kPersonnummerSystem, kTolvan);
    EXPECT_TRUE(ids.isOk());
    if (ids.isOk()) {
      EXPECT_THAT(*ids, ElementsAre("p1"));
    }
    SearchQuery q;
    q.type = "Patient";
    q.criteria = {{"identifier", std::nullopt, {kTolvan}}};
    auto page = txn.resources().search(q);
    EXPECT_TRUE(page.isOk());
    if (page.isOk()) {
      EXPECT_EQ(page->total, 1);
    }
    return core::Status::ok();
  });
  EXPECT_TRUE(s.isOk()) << s.toString();
}

TEST_P(StoreTest, WriteInsideAWriteUnitFailsInsteadOfDeadlocking) {
  core::Status nested = store_->write([&](StoreTransaction&) {
    return store_->write([](StoreTransaction&) { return core::Status::ok(); });
  });
  EXPECT_EQ(nested.code(), core::StatusCode::kInternal);
  EXPECT_TRUE(put(resource("Patient", "p1", 1, 1000)).isOk());
}

class SearchTest : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    // p1..p4 in Kungsbacka/Varberg with identifiers; observations about them.
    ASSERT_TRUE(put(resource("Patient", "p1", 1, 1000,
                             {{"identifier", kPersonnummerSystem, kTolvan},
                              {"identifier", "urn:local", "A-1"}},
                             "kungsbacka"))
                    .isOk());
    ASSERT_TRUE(
        put(resource("Patient", "p2", 1, 2000, {{"identifier", "urn:local", "A-2"}}, "varberg"))
            .isOk());
    ASSERT_TRUE(
        put(resource("Patient", "p3", 1, 2000, {{"identifier", "urn:other", "A-1"}}, "kungsbacka"))
            .isOk());
    ASSERT_TRUE(put(resource("Patient", "p4", 1, 3000, {}, "kungsbacka")).isOk());
    for (int i = 0; i < 5; ++i) {
      std::string status = i % 2 == 0 ? "final" : "preliminary";
      ASSERT_TRUE(put(resource("Observation", "o" + std::to_string(i), 1, 10000 + i,
                               {{"patient", "", i < 3 ? "Patient/p1" : "Patient/p2"},
                                {"status", "", status}},
                               i < 3 ? "kungsbacka" : "varberg"))
                      .isOk());
    }
  }

  SearchPage search(SearchQuery q) {
    auto page = store_->resources().search(q);
    EXPECT_TRUE(page.isOk()) << page.status().toString();
    return page.isOk() ? *page : SearchPage{};
  }
};

TEST_P(SearchTest, ByIdentifierWithAndWithoutSystem) {
  SearchQuery q;
  q.type = "Patient";
  q.criteria = {{"identifier", kPersonnummerSystem, {kTolvan}}};
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p1"));

  q.criteria = {{"identifier", std::nullopt, {"A-1"}}};
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p1", "p3"));
  q.criteria = {{"identifier", std::string("urn:other"), {"A-1"}}};
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p3"));
  q.criteria = {{"identifier", std::string("urn:local"), {"A-1", "A-2"}}};  // OR of values
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p1", "p2"));
  q.criteria = {{"identifier", std::string(""), {"A-1"}}};  // "|A-1": no system
  EXPECT_THAT(idsOf(search(q)), IsEmpty());
  q.criteria = {{"identifier", std::nullopt, {}}};
  EXPECT_THAT(idsOf(search(q)), IsEmpty());

  auto ids = store_->write([](StoreTransaction& txn) {
    auto found = txn.resources().findByIdentifier("Patient", "urn:local", "A-1");
    EXPECT_TRUE(found.isOk());
    if (found.isOk()) {
      EXPECT_THAT(*found, ElementsAre("p1"));
    }
    auto none = txn.resources().findByIdentifier("Observation", "urn:local", "A-1");
    EXPECT_TRUE(none.isOk() && none->empty());
    return core::Status::ok();
  });
  EXPECT_TRUE(ids.isOk());
}

TEST_P(SearchTest, StringsMatchByPrefixContainedOrExactlyAndLikeSignsAreLiteral) {
  using Match = SearchCriterion::Match;
  // As fhir::extractIndex writes strings: the text as written in system, folded in value.
  ASSERT_TRUE(put(resource("Practitioner", "n1", 1, 1000,
                           {{"family", "Öberg", "oberg"}, {"family", "50%_rabatt", "50%_rabatt"}}))
                  .isOk());
  ASSERT_TRUE(put(resource("Practitioner", "n2", 1, 1000,
                           {{"family", "Lindberg", "lindberg"}, {"family", "500x", "500x"}}))
                  .isOk());
  SearchQuery q;
  q.type = "Practitioner";
  const auto with = [&](Match match, std::vector<std::string> values) {
    SearchCriterion c{"family", std::nullopt, std::move(values)};
    c.match = match;
    q.criteria = {c};
    return idsOf(search(q));
  };
  EXPECT_THAT(with(Match::kStartsWith, {"ob"}), ElementsAre("n1"));
  EXPECT_THAT(with(Match::kStartsWith, {"berg"}), IsEmpty());
  EXPECT_THAT(with(Match::kStartsWith, {"ob", "lind"}), ElementsAre("n1", "n2"));
  EXPECT_THAT(with(Match::kStartsWith, {"oberg"}), ElementsAre("n1"));  // the whole value too
  EXPECT_THAT(with(Match::kContains, {"berg"}), ElementsAre("n1", "n2"));
  EXPECT_THAT(with(Match::kContains, {"0%_"}), ElementsAre("n1"));
  EXPECT_THAT(with(Match::kContains, {"0_"}), IsEmpty());  // _ is no wildcard
  EXPECT_THAT(with(Match::kContains, {"%"}), ElementsAre("n1"));
  EXPECT_THAT(with(Match::kExact, {"Öberg"}), ElementsAre("n1"));
  EXPECT_THAT(with(Match::kExact, {"oberg"}), IsEmpty());
}

TEST_P(SearchTest, ACriterionMatchesItsAlsoParamsRowsToo) {
  using Match = SearchCriterion::Match;
  // As fhir::extractIndex writes a HumanName: family and given under their own parameters, the
  // text, prefix and suffix under name.
  ASSERT_TRUE(put(resource("Practitioner", "n1", 1, 1000,
                           {{"family", "Öberg", "oberg"}, {"given", "Åsa", "asa"}}))
                  .isOk());
  ASSERT_TRUE(put(resource("Practitioner", "n2", 1, 1000, {{"name", "Dr", "dr"}})).isOk());
  ASSERT_TRUE(put(resource("Practitioner", "n3", 1, 1000, {{"status", "", "asa"}})).isOk());
  SearchQuery q;
  q.type = "Practitioner";
  const auto names = [&](Match match, std::vector<std::string> values) {
    SearchCriterion c{"name", std::nullopt, std::move(values), {"family", "given"}};
    c.match = match;
    q.criteria = {c};
    return idsOf(search(q));
  };
  EXPECT_THAT(names(Match::kStartsWith, {"ob"}), ElementsAre("n1"));
  EXPECT_THAT(names(Match::kStartsWith, {"as"}), ElementsAre("n1"));  // not n3's status
  EXPECT_THAT(names(Match::kStartsWith, {"dr", "asa"}), ElementsAre("n1", "n2"));
  EXPECT_THAT(names(Match::kContains, {"ber"}), ElementsAre("n1"));
  EXPECT_THAT(names(Match::kExact, {"Åsa"}), ElementsAre("n1"));
  // Without them, the parameter's own rows only.
  q.criteria = {{"name", std::nullopt, {"ob"}}};
  q.criteria[0].match = Match::kStartsWith;
  EXPECT_THAT(idsOf(search(q)), IsEmpty());
}

TEST_P(SearchTest, SortsBySearchParametersWithoutAValueLastAscendingAndFirstDescending) {
  // s1..s5: family values (s2 has two; its lowest sorts it ascending, its highest descending),
  // birth dates as first..last day; s5 has neither.
  const auto practitioner = [&](const std::string& id, int64_t ms, std::vector<IndexEntry> index) {
    ASSERT_TRUE(put(resource("Practitioner", id, 1, ms, std::move(index))).isOk());
  };
  practitioner("s1", 1000, {{"family", "Berg", "berg"}, {"birthdate", "1950-12-31", "1950-01-01"}});
  practitioner("s2", 2000,
               {{"family", "Öberg", "oberg"},
                {"family", "Al", "al"},
                {"birthdate", "1940-05-05", "1940-05-05"}});
  practitioner("s3", 3000, {{"family", "Berg", "berg"}, {"given", "Åsa", "asa"}});
  practitioner("s4", 4000, {{"family", "Carlsson", "carlsson"}});
  practitioner("s5", 5000, {});
  SearchQuery q;
  q.type = "Practitioner";
  const auto sorted = [&](std::vector<SearchQuery::SortKey> keys) {
    q.sort = std::move(keys);
    return idsOf(search(q));
  };
  // Equal values (s1, s3: berg) go by id; no value (s5) last, and first descending.
  EXPECT_THAT(sorted({{"family", false}}), ElementsAre("s2", "s1", "s3", "s4", "s5"));
  EXPECT_THAT(sorted({{"family", true}}), ElementsAre("s5", "s2", "s4", "s1", "s3"));
  EXPECT_THAT(sorted({{"birthdate", false}}), ElementsAre("s2", "s1", "s3", "s4", "s5"));
  EXPECT_THAT(sorted({{"birthdate", true}}), ElementsAre("s3", "s4", "s5", "s1", "s2"));
  // Several keys in order; then the id, descending or not.
  EXPECT_THAT(sorted({{"family", false}, {"_lastUpdated", true}}),
              ElementsAre("s2", "s3", "s1", "s4", "s5"));
  EXPECT_THAT(sorted({{"birthdate", false}, {"family", true}}),
              ElementsAre("s2", "s1", "s5", "s4", "s3"));
  // With alsoParams the lowest of all their values: s3's given "asa" before "berg".
  EXPECT_THAT(sorted({{"name", false, {"family", "given"}}}),
              ElementsAre("s2", "s3", "s1", "s4", "s5"));
  // Pages of a sorted search hold each match once, in that order.
  q.sort = {{"family", true}};
  q.count = 2;
  std::vector<std::string> paged;
  for (q.offset = 0; q.offset < 6; q.offset += 2) {
    SearchPage page = search(q);
    EXPECT_EQ(page.total, 5);
    for (const auto& id : idsOf(page)) paged.push_back(id);
  }
  EXPECT_THAT(paged, ElementsAre("s5", "s2", "s4", "s1", "s3"));
  // With a criterion too.
  q.count = 50;
  q.offset = 0;
  q.criteria = {{"family", std::nullopt, {"berg", "carlsson"}}};
  q.sort = {{"family", true}};
  EXPECT_THAT(idsOf(search(q)), ElementsAre("s4", "s1", "s3"));
}

TEST_P(SearchTest, AReplacedIndexIsWhatIsFoundAndTheIndexVersionIsKept) {
  core::Status s = store_->write([](StoreTransaction& txn) {
    auto version = txn.resources().searchIndexVersion();
    EXPECT_TRUE(version.isOk());
    EXPECT_EQ(version.isOk() ? *version : -1, 0);  // a new store: never rebuilt
    BRYGGA_RETURN_IF_ERROR(
        txn.resources().replaceIndex("Patient", "p4", {{"identifier", "urn:local", "A-4"}}));
    BRYGGA_RETURN_IF_ERROR(txn.resources().replaceIndex("Patient", "p1", {}));
    return txn.resources().setSearchIndexVersion(7);
  });
  ASSERT_TRUE(s.isOk()) << s.toString();
  SearchQuery q;
  q.type = "Patient";
  q.criteria = {{"identifier", std::nullopt, {"A-1", "A-4"}}};
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p3", "p4"));
  auto version = store_->write([](StoreTransaction& txn) {
    auto v = txn.resources().searchIndexVersion();
    EXPECT_TRUE(v.isOk() && *v == 7);
    return core::Status::ok();
  });
  EXPECT_TRUE(version.isOk());
}

TEST_P(SearchTest, ByPatientAndStatusCombineWithAnd) {
  SearchQuery q;
  q.type = "Observation";
  q.criteria = {{"patient", std::nullopt, {"Patient/p1"}}};
  EXPECT_THAT(idsOf(search(q)), ElementsAre("o0", "o1", "o2"));
  q.criteria.push_back({"status", std::nullopt, {"final"}});
  EXPECT_THAT(idsOf(search(q)), ElementsAre("o0", "o2"));
  q.criteria = {{"status", std::nullopt, {"final", "preliminary"}}};
  EXPECT_EQ(search(q).total, 5);
  q.criteria = {{"status", std::nullopt, {"amended"}}};
  EXPECT_EQ(search(q).total, 0);
}

TEST_P(SearchTest, LastUpdatedRangesAreInclusive) {
  SearchQuery q;
  q.type = "Patient";
  q.lastUpdatedGeMs = 2000;
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p2", "p3", "p4"));
  q.lastUpdatedLeMs = 2000;
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p2", "p3"));
  q.lastUpdatedGeMs.reset();
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p1", "p2", "p3"));
  q.lastUpdatedLeMs = 999;
  EXPECT_THAT(idsOf(search(q)), IsEmpty());
}

TEST_P(SearchTest, TenantRestrictsToThatTenantOnly) {
  SearchQuery q;
  q.type = "Patient";
  q.tenant = "kungsbacka";
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p1", "p3", "p4"));
  q.tenant = "varberg";
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p2"));
  q.tenant = "falkenberg";
  EXPECT_EQ(search(q).total, 0);
}

TEST_P(SearchTest, PagingKeepsTheTotalAndTheOrder) {
  SearchQuery q;
  q.type = "Patient";
  q.count = 2;
  SearchPage first = search(q);
  EXPECT_EQ(first.total, 4);
  EXPECT_THAT(idsOf(first), ElementsAre("p1", "p2"));  // lastUpdated, then id
  q.offset = 2;
  SearchPage second = search(q);
  EXPECT_EQ(second.total, 4);
  EXPECT_THAT(idsOf(second), ElementsAre("p3", "p4"));
  q.offset = 4;
  SearchPage beyond = search(q);
  EXPECT_EQ(beyond.total, 4);
  EXPECT_THAT(idsOf(beyond), IsEmpty());
  q.offset = 0;
  q.count = 0;
  SearchPage countOnly = search(q);
  EXPECT_EQ(countOnly.total, 4);
  EXPECT_THAT(idsOf(countOnly), IsEmpty());
}

TEST_P(SearchTest, IndexIsReplacedWhenTheResourceChanges) {
  ASSERT_TRUE(put(resource("Observation", "o0", 2, 20000,
                           {{"patient", "", "Patient/p2"}, {"status", "", "amended"}}))
                  .isOk());
  SearchQuery q;
  q.type = "Observation";
  q.criteria = {{"status", std::nullopt, {"final"}}};
  EXPECT_THAT(idsOf(search(q)), ElementsAre("o2", "o4"));
  q.criteria = {{"status", std::nullopt, {"amended"}}};
  SearchPage amended = search(q);
  ASSERT_THAT(idsOf(amended), ElementsAre("o0"));
  EXPECT_EQ(amended.records[0].version, 2);
  q.criteria = {{"patient", std::nullopt, {"Patient/p1"}}};
  EXPECT_THAT(idsOf(search(q)), ElementsAre("o1", "o2"));
}

TEST_P(SearchTest, DeletedResourcesAreExcludedButReadable) {
  ResourceWrite tombstone = resource("Patient", "p1", 2, 5000);
  tombstone.record.deleted = true;
  ASSERT_TRUE(put(tombstone).isOk());

  SearchQuery q;
  q.type = "Patient";
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p2", "p3", "p4"));
  q.criteria = {{"identifier", std::nullopt, {"A-1"}}};
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p3"));
  ASSERT_TRUE(store_
                  ->write([](StoreTransaction& txn) {
                    auto found =
                        txn.resources().findByIdentifier("Patient", kPersonnummerSystem, kTolvan);
                    EXPECT_TRUE(found.isOk() && found->empty());
                    return core::Status::ok();
                  })
                  .isOk());

  auto current = store_->resources().read("Patient", "p1");
  ASSERT_TRUE(current.isOk() && current->has_value());
  EXPECT_TRUE((*current)->deleted);
  EXPECT_EQ((*current)->version, 2);
  EXPECT_EQ(store_->resources().history("Patient", "p1")->size(), 2u);

  // Re-created after the delete: found again, at version 3.
  ASSERT_TRUE(
      put(resource("Patient", "p1", 3, 6000, {{"identifier", kPersonnummerSystem, kTolvan}}))
          .isOk());
  q.criteria = {{"identifier", kPersonnummerSystem, {kTolvan}}};
  EXPECT_THAT(idsOf(search(q)), ElementsAre("p1"));
}

BRYGGA_STORE_CONTRACT(RollbackTest);
BRYGGA_STORE_CONTRACT(SearchTest);

}  // namespace
}  // namespace brygga::store

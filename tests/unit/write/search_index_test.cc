// The rebuild of the stored search index when what is indexed changes: resources written before a
// search parameter existed are found by it afterwards, once, and a store already rebuilt is left
// alone.
#include "gateway/write/search_index.h"

#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "tests/support/test_store.h"

namespace brygga::write {
namespace {

using testing::TestStore;

constexpr const char* kPatient =
    R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"1"},)"
    R"("name":[{"family":"Öberg","given":["Åsa"]}],"address":[{"city":"Varberg"}]})";

// Stores `json` as an older build did: with no index entries at all.
void putUnindexed(TestStore& store, const std::string& type, const std::string& id,
                  const std::string& json) {
  ASSERT_TRUE(store
                  .write([&](store::StoreTransaction& txn) {
                    store::ResourceWrite w;
                    w.record.type = type;
                    w.record.id = id;
                    w.record.version = 1;
                    w.record.lastUpdatedMs = 1;
                    w.record.json = json;
                    return txn.resources().putResource(w);
                  })
                  .isOk());
}

std::vector<std::string> foundBy(TestStore& store, const std::string& param,
                                 const std::string& value,
                                 std::vector<std::string> alsoParams = {}) {
  store::SearchQuery query;
  query.type = "Patient";
  store::SearchCriterion c;
  c.param = param;
  c.alsoParams = std::move(alsoParams);
  c.match = store::SearchCriterion::Match::kStartsWith;
  c.values = {value};
  query.criteria.push_back(c);
  auto page = store.resources().search(query);
  EXPECT_TRUE(page.isOk()) << page.status().message();
  std::vector<std::string> ids;
  if (page.isOk()) {
    for (const auto& r : page->records) ids.push_back(r.id);
  }
  return ids;
}

TEST(SearchIndex, WhatAnOlderBuildStoredIsReindexedOnceAndThenFound) {
  TestStore store;
  putUnindexed(store, "Patient", "p1", kPatient);
  EXPECT_TRUE(foundBy(store, "family", "oberg").empty());

  auto first = reindexIfBehind(store);
  ASSERT_TRUE(first.isOk()) << first.status().message();
  EXPECT_EQ(*first, 1);
  EXPECT_EQ(foundBy(store, "family", "oberg"), std::vector<std::string>{"p1"});
  EXPECT_EQ(foundBy(store, "given", "asa"), std::vector<std::string>{"p1"});
  EXPECT_EQ(foundBy(store, "address-city", "varb"), std::vector<std::string>{"p1"});

  // Rebuilt: a second start leaves the index alone (this one written unindexed stays so).
  putUnindexed(store, "Patient", "p2", kPatient);
  auto second = reindexIfBehind(store);
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(*second, 0);
  EXPECT_EQ(foundBy(store, "family", "oberg"), std::vector<std::string>{"p1"});
}

TEST(SearchIndex, AStoreIndexedWithNamePartsTwiceIsRebuiltWithEachOnceAndFoundByName) {
  TestStore store;
  // As index version 2 wrote it: family and given under name as well as under their own.
  ASSERT_TRUE(store
                  .write([&](store::StoreTransaction& txn) -> core::Status {
                    store::ResourceWrite w;
                    w.record.type = "Patient";
                    w.record.id = "p1";
                    w.record.version = 1;
                    w.record.lastUpdatedMs = 1;
                    w.record.json = kPatient;
                    w.index = {{"name", "Öberg", "oberg"},
                               {"family", "Öberg", "oberg"},
                               {"name", "Åsa", "asa"},
                               {"given", "Åsa", "asa"}};
                    BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(w));
                    return txn.resources().setSearchIndexVersion(2);
                  })
                  .isOk());
  EXPECT_EQ(foundBy(store, "name", "oberg"), std::vector<std::string>{"p1"});

  auto rebuilt = reindexIfBehind(store);
  ASSERT_TRUE(rebuilt.isOk()) << rebuilt.status().message();
  EXPECT_EQ(*rebuilt, 1);
  // The name rows are gone; a name search finds the Patient by its family and given rows.
  EXPECT_TRUE(foundBy(store, "name", "oberg").empty());
  EXPECT_TRUE(foundBy(store, "name", "asa").empty());
  EXPECT_EQ(foundBy(store, "name", "oberg", {"family", "given"}), std::vector<std::string>{"p1"});
  EXPECT_EQ(foundBy(store, "name", "asa", {"family", "given"}), std::vector<std::string>{"p1"});
  EXPECT_EQ(foundBy(store, "family", "oberg"), std::vector<std::string>{"p1"});
}

TEST(SearchIndex, AProtectedIdentitysCityIsNotIndexedItsNameIs) {
  rapidjson::Document doc;
  doc.Parse(R"({"resourceType":"Patient","meta":{"security":[{"system":)"
            R"("http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"V"}]},)"
            R"("name":[{"family":"Öberg"}],"address":[{"city":"Varberg"}]})");
  bool city = false, family = false;
  for (const auto& e : searchIndexOf(doc)) {
    city |= e.param == "address-city";
    family |= e.param == "family" && e.value == "oberg" && e.system == "Öberg";
  }
  EXPECT_FALSE(city);
  EXPECT_TRUE(family);
}

}  // namespace
}  // namespace brygga::write

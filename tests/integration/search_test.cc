// Search over real HTTP on each backend (issue 14): _sort by any of a type's search parameters
// (strings folded, dates by their start, no value last ascending and first descending, paging
// stable), Patient `name` matching any part of a HumanName, and an older store's index rebuilt
// at start so that its Patients are found by name. SQLite always; PostgreSQL when installed.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/app/store_opening.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/postgres_server.h"
#include "tests/support/test_personnummer.h"

namespace brygga::testing {
namespace {

class SearchOverHttp : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<GatewayHarness>(&peer_);
    if (GetParam() == "postgresql") {
      if (!PostgresServer::available()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
      server_ = std::make_unique<PostgresServer>();
      auto& storage = harness_->config().storage;
      storage.backend = "postgresql";
      storage.postgresql.url = server_->createDatabase("brygga");
      storage.postgresql.passwordFile = server_->passwordFile();
    }
    harness_->start();
  }

  void TearDown() override { harness_.reset(); }  // the gateway before its database

  HttpAnswer call(const std::string& client, const std::string& method, const std::string& path,
                  const std::string& body = {}, std::map<std::string, std::string> headers = {}) {
    return harness_->call(client, method, path, body, std::move(headers));
  }

  // Enrolls the n-th test person with `client` under this HumanName (JSON), birth date and
  // address (JSON, or empty for none); returns the Patient's id.
  std::string enroll(const std::string& client, int n, const std::string& humanName,
                     const std::string& born, const std::string& address) {
    std::string bundle = enrollmentBundle(testPersonnummer(n), "S-" + std::to_string(n));
    const std::string name = R"("name":[{"family":"Tolvansson","given":["Tolvan"]}])";
    bundle.replace(bundle.find(name), name.size(),
                   R"("name":[)" + humanName + "]" +
                       (address.empty() ? "" : R"(,"address":[)" + address + "]"));
    bundle.replace(bundle.find("1912-12-12"), 10, born);
    auto r = call(client, "POST", "/", bundle);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? std::string(parse(r.body)["entry"][0]["resource"]["id"].GetString())
                           : std::string();
  }

  // The ids of a Patient search's matches in the order answered, following its next links.
  std::vector<std::string> idsOf(const std::string& query, int* total = nullptr) {
    std::vector<std::string> ids;
    std::string url = harness_->base() + "/Patient?" + query;
    for (int pages = 0; !url.empty() && pages < 10; ++pages) {
      auto answer =
          httpCall("GET", url, "", {{"Authorization", "Bearer " + tokenOf("kungsbacka")}});
      EXPECT_EQ(answer.status, 200) << query << ": " << answer.body;
      if (answer.status != 200) break;
      auto page = parse(answer.body);
      if (total != nullptr) *total = page["total"].GetInt();
      if (page.HasMember("entry")) {
        for (const auto& e : page["entry"].GetArray())
          ids.push_back(e["resource"]["id"].GetString());
      }
      url.clear();
      for (const auto& link : page["link"].GetArray()) {
        if (std::string(link["relation"].GetString()) == "next") url = link["url"].GetString();
      }
    }
    return ids;
  }

  TestPeer peer_;
  std::unique_ptr<PostgresServer> server_;
  std::unique_ptr<GatewayHarness> harness_;
};

TEST_P(SearchOverHttp, SortsByAnyOfTheTypesParametersStablyAcrossPages) {
  const std::string oberg = enroll("kungsbacka", 40, R"({"family":"Öberg","given":["Åsa"]})",
                                   "1950-03-01", R"({"city":"Varberg"})");
  const std::string tolvan = enroll("kungsbacka", 41, R"({"family":"Lind","given":["Tolvan"]})",
                                    "1912-12-12", R"({"city":"Kungsbacka"})");
  const std::string aberg =
      enroll("kungsbacka", 42, R"({"family":"Åberg","given":["Elsa"]})", "1980", "");
  const std::string anna =
      enroll("kungsbacka", 43, R"({"family":"Lind","given":["Anna"],"prefix":["Dr"]})",
             "1912-12-12", R"({"city":"Kungsbacka"})");
  // Falkenberg's: sorted first by family, but not Kungsbacka's to see.
  enroll("falkenberg", 44, R"({"family":"Aaby","given":["Bo"]})", "1901", R"({"city":"A"})");
  using Ids = std::vector<std::string>;

  // Folded for case and accent: Åberg (aberg) < Lind < Öberg (oberg); given breaks the tie.
  EXPECT_EQ(idsOf("_sort=family,given"), (Ids{aberg, anna, tolvan, oberg}));
  EXPECT_EQ(idsOf("_sort=-family,given"), (Ids{oberg, anna, tolvan, aberg}));
  // Dates by their start: 1980 is 1980-01-01.
  EXPECT_EQ(idsOf("_sort=birthdate,-given"), (Ids{tolvan, anna, oberg, aberg}));
  EXPECT_EQ(idsOf("_sort=-birthdate,given"), (Ids{aberg, oberg, anna, tolvan}));
  // Without a city: last ascending, first descending.
  EXPECT_EQ(idsOf("_sort=address-city,given"), (Ids{anna, tolvan, oberg, aberg}));
  EXPECT_EQ(idsOf("_sort=-address-city,given"), (Ids{aberg, oberg, anna, tolvan}));
  // name: the first of any part of the name (aberg, anna, asa, lind).
  EXPECT_EQ(idsOf("_sort=name"), (Ids{aberg, anna, oberg, tolvan}));
  // Page by page through the next links, each match once, in order, with the total.
  int total = 0;
  EXPECT_EQ(idsOf("_sort=-family,given&_count=1", &total), (Ids{oberg, anna, tolvan, aberg}));
  EXPECT_EQ(total, 4);
  // With a criterion.
  EXPECT_EQ(idsOf("address-city=kungsbacka&_sort=-given"), (Ids{tolvan, anna}));

  // A key the type does not sort by: 400 not-supported naming the ones it does.
  auto refused = call("kungsbacka", "GET", "/Patient?_sort=status");
  EXPECT_EQ(refused.status, 400);
  auto outcome = parse(refused.body);
  EXPECT_STREQ(outcome["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(outcome["issue"][0]["code"].GetString(), "not-supported");
  EXPECT_NE(refused.body.find("Patient sorts by _id, identifier, birthdate, name, family, given, "
                              "address-city, _lastUpdated"),
            std::string::npos)
      << refused.body;
  // Lenient: left out, and the self link says what was sorted by.
  auto lenient = call("kungsbacka", "GET", "/Patient?_sort=status,-family,given", "",
                      {{"Prefer", "handling=lenient"}});
  ASSERT_EQ(lenient.status, 200) << lenient.body;
  auto page = parse(lenient.body);
  Ids ids;
  for (const auto& e : page["entry"].GetArray()) ids.push_back(e["resource"]["id"].GetString());
  EXPECT_EQ(ids, (Ids{oberg, anna, tolvan, aberg}));
  const std::string self = page["link"][0]["url"].GetString();
  EXPECT_NE(self.find("_sort=-family%2Cgiven"), std::string::npos) << self;
  EXPECT_EQ(self.find("status"), std::string::npos) << self;
}

TEST_P(SearchOverHttp, NameMatchesAnyPartOfAHumanName) {
  const std::string oberg =
      enroll("kungsbacka", 50, R"({"family":"Öberg","given":["Åsa"]})", "1950-03-01", "");
  const std::string anna = enroll(
      "kungsbacka", 51,
      R"({"text":"Anna Lind-Berg","family":"Lind","given":["Anna","Maria"],"prefix":["Dr"]})",
      "1912-12-12", "");
  enroll("falkenberg", 52, R"({"family":"Öberg","given":["Åsa"]})", "1950-03-01", "");
  const auto found = [&](const std::string& query) {
    std::vector<std::string> ids = idsOf(query + "&_sort=_id");
    return ids;
  };
  const auto both = [&] {
    std::vector<std::string> ids = {oberg, anna};
    std::sort(ids.begin(), ids.end());
    return ids;
  }();
  using Ids = std::vector<std::string>;
  EXPECT_EQ(found("name=ober"), Ids{oberg});        // family
  EXPECT_EQ(found("name=asa"), Ids{oberg});         // given
  EXPECT_EQ(found("name=mari"), Ids{anna});         // a second given
  EXPECT_EQ(found("name=dr"), Ids{anna});           // prefix
  EXPECT_EQ(found("name=anna%20lind"), Ids{anna});  // text
  EXPECT_EQ(found("name=ober,mar"), both);
  EXPECT_EQ(found("name:contains=BER"), both);          // Öberg; Lind-Berg
  EXPECT_EQ(found("name:exact=%C3%85sa"), Ids{oberg});  // "Åsa"
  EXPECT_EQ(found("name:exact=asa"), Ids{});
  // family and given stay their own part only.
  EXPECT_EQ(found("family=dr"), Ids{});
  EXPECT_EQ(found("given=lind"), Ids{});
  EXPECT_EQ(found("family=lind&name=dr"), Ids{anna});
}

TEST_P(SearchOverHttp, AnOlderStoresPatientsAreFoundByNameAfterTheReindexAtStart) {
  const std::string id =
      enroll("kungsbacka", 60, R"({"family":"Öberg","given":["Åsa"]})", "1950-03-01", "");
  auto read = call("kungsbacka", "GET", "/Patient/" + id);
  ASSERT_EQ(read.status, 200);
  harness_->stop();

  // The index as version 2 wrote it (family and given under name as well), at version 2.
  const auto searchName = [&](store::Store& store, const std::string& value) {
    store::SearchQuery query;
    query.type = "Patient";
    store::SearchCriterion c{"name", std::nullopt, {value}};
    c.match = store::SearchCriterion::Match::kStartsWith;
    query.criteria.push_back(c);
    auto page = store.resources().search(query);
    EXPECT_TRUE(page.isOk()) << page.status().toString();
    return page.isOk() ? page->total : -1;
  };
  {
    auto older = app::openConfiguredStore(harness_->config(), app::StoreUse::kExisting);
    ASSERT_TRUE(older.isOk()) << older.status().toString();
    std::string number = testPersonnummer(60);
    number.erase(number.find('-'), 1);
    const std::vector<store::IndexEntry> index = {
        {"identifier", "http://electronichealth.se/identifier/personnummer", number},
        {"birthdate", "1950-03-01", "1950-03-01"},
        {"name", "Öberg", "oberg"},
        {"family", "Öberg", "oberg"},
        {"name", "Åsa", "asa"},
        {"given", "Åsa", "asa"},
        {"patient", "", "Patient/" + id}};
    ASSERT_TRUE((*older)
                    ->write([&](store::StoreTransaction& txn) -> core::Status {
                      BRYGGA_RETURN_IF_ERROR(txn.resources().replaceIndex("Patient", id, index));
                      return txn.resources().setSearchIndexVersion(2);
                    })
                    .isOk());
    EXPECT_EQ(searchName(**older, "asa"), 1);
  }

  harness_->start();
  EXPECT_EQ(idsOf("name=asa"), std::vector<std::string>{id});
  EXPECT_EQ(idsOf("name=ober"), std::vector<std::string>{id});
  EXPECT_EQ(idsOf("family=oberg&given=asa&birthdate=1950"), std::vector<std::string>{id});
  harness_->stop();
  EXPECT_NE(harness_->logText().find("store.reindexed"), std::string::npos);
  // Rebuilt: each part once, under family and given only.
  auto rebuilt = app::openConfiguredStore(harness_->config(), app::StoreUse::kExisting);
  ASSERT_TRUE(rebuilt.isOk()) << rebuilt.status().toString();
  EXPECT_EQ(searchName(**rebuilt, "asa"), 0);
  EXPECT_EQ(searchName(**rebuilt, "oberg"), 0);
  auto version = (*rebuilt)->write([&](store::StoreTransaction& txn) -> core::Status {
    auto v = txn.resources().searchIndexVersion();
    if (!v.isOk()) return v.status();
    EXPECT_GE(*v, 3);  // write::kSearchIndexVersion
    return core::Status::ok();
  });
  EXPECT_TRUE(version.isOk());
}

INSTANTIATE_TEST_SUITE_P(Backends, SearchOverHttp, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace brygga::testing

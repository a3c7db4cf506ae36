// Search over real HTTP on each backend (issue 14): _sort by any of a type's search parameters
// (strings folded, dates by their start, no value last ascending and first descending, paging
// stable). SQLite always; PostgreSQL when installed.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <rapidjson/document.h>

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

INSTANTIATE_TEST_SUITE_P(Backends, SearchOverHttp, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& param) { return param.param; });

}  // namespace
}  // namespace brygga::testing

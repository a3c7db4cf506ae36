// The FHIR API's HTTP semantics over real HTTP, as a third-party client meets them: status lines,
// content negotiation, POST search, Prefer, history paging and batch entries.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/test_personnummer.h"

namespace brygga::testing {
namespace {

class HttpSemanticsTest : public GatewayTest {
 protected:
  static constexpr const char* kForm = "application/x-www-form-urlencoded";

  static std::vector<std::string> idsOf(const rapidjson::Document& bundle) {
    std::vector<std::string> ids;
    if (!bundle.HasMember("entry")) return ids;
    for (const auto& e : bundle["entry"].GetArray()) ids.push_back(e["resource"]["id"].GetString());
    return ids;
  }

  static std::string linkOf(const rapidjson::Document& bundle, const std::string& relation) {
    for (const auto& l : bundle["link"].GetArray()) {
      if (l["relation"].GetString() == relation) return l["url"].GetString();
    }
    return {};
  }

  // The part of a link below the FHIR base, as call() takes it.
  std::string pathOf(const std::string& url) const { return url.substr(harness_->base().size()); }
};

TEST_F(HttpSemanticsTest, EveryStatusLineCarriesItsOwnReasonPhrase) {
  auto metadata = call("", "GET", "/metadata");
  EXPECT_EQ(metadata.status, 200);
  EXPECT_EQ(metadata.reason, "OK");

  auto created = call("kungsbacka", "POST", "/Organization",
                      R"({"resourceType":"Organization","name":"Hemsjukvård Väst"})");
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.reason, "Created");

  auto anonymous = call("", "GET", "/Patient");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.reason, "Unauthorized");

  auto missing = call("kungsbacka", "GET", "/Patient/does-not-exist");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.reason, "Not Found");

  auto wrongMethod = call("kungsbacka", "PUT", "/metadata");
  EXPECT_EQ(wrongMethod.status, 405);
  EXPECT_EQ(wrongMethod.reason, "Method Not Allowed");

  auto notJson = call("kungsbacka", "POST", "/Organization", "<Organization/>",
                      {{"Content-Type", "application/fhir+xml"}});
  EXPECT_EQ(notJson.status, 415);
  EXPECT_EQ(notJson.reason, "Unsupported Media Type");

  auto invalid = call("kungsbacka", "POST", "/Organization",
                      R"({"resourceType":"Organization","active":"yes"})");
  EXPECT_EQ(invalid.status, 422);
  EXPECT_EQ(invalid.reason, "Unprocessable Content");
}

// Accept and _format are about the answer (406 when we cannot give one in JSON); Content-Type is
// about the request body (415 when we cannot read it).
TEST_F(HttpSemanticsTest, AnAnswerOnlyInXmlIsNotAcceptableAndAnXmlBodyIsUnsupported) {
  const auto expectNotAcceptable = [](const HttpAnswer& r) {
    EXPECT_EQ(r.status, 406) << r.body;
    EXPECT_EQ(r.reason, "Not Acceptable");
    auto outcome = parse(r.body);
    ASSERT_TRUE(outcome.IsObject()) << r.body;
    EXPECT_STREQ(outcome["resourceType"].GetString(), "OperationOutcome");
    EXPECT_STREQ(outcome["issue"][0]["code"].GetString(), "not-supported");
  };
  expectNotAcceptable(
      call("kungsbacka", "GET", "/Patient", "", {{"Accept", "application/fhir+xml"}}));
  expectNotAcceptable(call("kungsbacka", "GET", "/Patient", "",
                           {{"Accept", "application/xml, text/turtle;q=0.5"}}));
  expectNotAcceptable(call("kungsbacka", "GET", "/Patient?_format=xml"));
  expectNotAcceptable(call("", "GET", "/metadata", "", {{"Accept", "application/fhir+xml"}}));

  // JSON among the acceptable types, or anything at all, is served.
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient", "",
                 {{"Accept", "application/fhir+xml;q=0.9, application/fhir+json"}})
                .status,
            200);
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient", "", {{"Accept", "*/*"}}).status, 200);
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient?_format=json").status, 200);

  auto xmlBody = call("kungsbacka", "POST", "/Organization", "<Organization/>",
                      {{"Content-Type", "application/fhir+xml"}});
  EXPECT_EQ(xmlBody.status, 415) << xmlBody.body;
  EXPECT_NE(xmlBody.body.find("OperationOutcome"), std::string::npos);
}

// R4 3.1.1.2: a server that supports search supports it by POST, the parameters in a form body.
TEST_F(HttpSemanticsTest, PostSearchAnswersAsTheSameGetSearch) {
  const std::string mine = harness_->enroll("kungsbacka", "19121212-1212");
  const std::string other = harness_->enroll("kungsbacka", testPersonnummer(1), "E-1002");
  ASSERT_FALSE(mine.empty());
  ASSERT_FALSE(other.empty());

  const std::string criteria = personnummerQuery("19121212-1212");
  auto get = call("kungsbacka", "GET", "/Patient?" + criteria);
  ASSERT_EQ(get.status, 200) << get.body;
  auto post = call("kungsbacka", "POST", "/Patient/_search", criteria, {{"Content-Type", kForm}});
  ASSERT_EQ(post.status, 200) << post.body;
  auto bundle = parse(post.body);
  EXPECT_STREQ(bundle["type"].GetString(), "searchset");
  EXPECT_EQ(idsOf(bundle), std::vector<std::string>{mine});
  EXPECT_EQ(idsOf(bundle), idsOf(parse(get.body)));

  // Parameters from the URL and the body together; the next link is a GET that works.
  auto paged = call("kungsbacka", "POST", "/Patient/_search?_count=1", "_lastUpdated=ge2020-01-01",
                    {{"Content-Type", kForm}});
  ASSERT_EQ(paged.status, 200) << paged.body;
  auto first = parse(paged.body);
  EXPECT_EQ(first["total"].GetInt(), 2);
  ASSERT_EQ(idsOf(first).size(), 1u);
  const std::string next = linkOf(first, "next");
  ASSERT_FALSE(next.empty());
  auto second = call("kungsbacka", "GET", pathOf(next));
  ASSERT_EQ(second.status, 200) << second.body;
  ASSERT_EQ(idsOf(parse(second.body)).size(), 1u);
  EXPECT_NE(idsOf(parse(second.body)), idsOf(first));

  // Access as for GET: another municipality finds nothing.
  auto theirs = call("varberg", "POST", "/Patient/_search", criteria, {{"Content-Type", kForm}});
  ASSERT_EQ(theirs.status, 200) << theirs.body;
  EXPECT_EQ(parse(theirs.body)["total"].GetInt(), 0);

  // A body that is not a form is not read as one.
  EXPECT_EQ(call("kungsbacka", "POST", "/Patient/_search", "{}").status, 415);
}

TEST_F(HttpSemanticsTest, LenientHandlingIgnoresUnknownParametersAndStrictNamesTheSupported) {
  const std::string id = harness_->enroll("kungsbacka", "19121212-1212");
  ASSERT_FALSE(id.empty());
  const std::string path = "/Patient?shoe-size=42&" + personnummerQuery("19121212-1212");

  auto strict = call("kungsbacka", "GET", path);
  EXPECT_EQ(strict.status, 400);
  auto outcome = parse(strict.body);
  EXPECT_STREQ(outcome["issue"][0]["code"].GetString(), "not-supported");
  const std::string diagnostics = outcome["issue"][0]["diagnostics"].GetString();
  EXPECT_NE(diagnostics.find("shoe-size"), std::string::npos) << diagnostics;
  EXPECT_NE(diagnostics.find("identifier"), std::string::npos) << diagnostics;
  EXPECT_NE(diagnostics.find("_lastUpdated"), std::string::npos) << diagnostics;
  EXPECT_EQ(call("kungsbacka", "GET", path, "", {{"Prefer", "handling=strict"}}).status, 400);

  auto lenient = call("kungsbacka", "GET", path, "", {{"Prefer", "handling=lenient"}});
  ASSERT_EQ(lenient.status, 200) << lenient.body;
  auto bundle = parse(lenient.body);
  EXPECT_EQ(idsOf(bundle), std::vector<std::string>{id});
  const std::string self = linkOf(bundle, "self");
  EXPECT_EQ(self.find("shoe-size"), std::string::npos) << self;
  EXPECT_NE(self.find("identifier="), std::string::npos) << self;

  // Lenient leaves out what is unknown, not what is known but wrong.
  EXPECT_EQ(
      call("kungsbacka", "GET", "/Patient?_lastUpdated=soon", "", {{"Prefer", "handling=lenient"}})
          .status,
      400);
}

TEST_F(HttpSemanticsTest, ReturnOperationOutcomeAnswersAWriteWithAnOutcome) {
  const std::string organization = R"({"resourceType":"Organization","name":"Hemsjukvård Väst"})";
  auto created = call("kungsbacka", "POST", "/Organization", organization,
                      {{"Prefer", "return=OperationOutcome"}});
  ASSERT_EQ(created.status, 201) << created.body;
  auto outcome = parse(created.body);
  EXPECT_STREQ(outcome["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(outcome["issue"][0]["severity"].GetString(), "information");
  EXPECT_STREQ(outcome["issue"][0]["code"].GetString(), "informational");
  const std::string location = created.headers["location"];
  ASSERT_NE(location.find("/Organization/"), std::string::npos);
  const std::string id =
      location.substr(location.find("/Organization/") + 14,
                      location.find("/_history") - location.find("/Organization/") - 14);

  auto updated =
      call("kungsbacka", "PUT", "/Organization/" + id,
           R"({"resourceType":"Organization","id":")" + id + R"(","name":"Hemsjukvård Syd"})",
           {{"Prefer", "return=OperationOutcome"}});
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_STREQ(parse(updated.body)["resourceType"].GetString(), "OperationOutcome");
  EXPECT_EQ(updated.headers["etag"], "W/\"2\"");

  auto minimal =
      call("kungsbacka", "POST", "/Organization", organization, {{"Prefer", "return=minimal"}});
  EXPECT_EQ(minimal.status, 201);
  EXPECT_TRUE(minimal.body.empty()) << minimal.body;
  auto representation = call("kungsbacka", "POST", "/Organization", organization);
  EXPECT_EQ(representation.status, 201);
  EXPECT_STREQ(parse(representation.body)["resourceType"].GetString(), "Organization");
}

TEST_F(HttpSemanticsTest, ABadDateIsQuotedWhole) {
  auto r = call("kungsbacka", "GET", "/Patient?_lastUpdated=yesterday");
  EXPECT_EQ(r.status, 400);
  const std::string diagnostics = parse(r.body)["issue"][0]["diagnostics"].GetString();
  EXPECT_NE(diagnostics.find("'yesterday' is not a FHIR date"), std::string::npos) << diagnostics;
  auto prefixed = call("kungsbacka", "GET", "/Patient?_lastUpdated=ge2026-13-45");
  EXPECT_EQ(prefixed.status, 400);
  EXPECT_NE(prefixed.body.find("'ge2026-13-45'"), std::string::npos) << prefixed.body;
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient?_lastUpdated=ge2026-01-01").status, 200);
}

// Instance and type history page as a search does; the type's history holds only what the caller
// may read.
TEST_F(HttpSemanticsTest, HistoryPagesAtInstanceAndTypeLevelWithinTheCallersAccess) {
  const std::string mine = harness_->enroll("kungsbacka", "19121212-1212");
  ASSERT_FALSE(mine.empty());
  for (int i = 0; i < 2; ++i) {
    auto put = call("kungsbacka", "PUT", "/Patient/" + mine, patientJson("19121212-1212", mine));
    ASSERT_EQ(put.status, 200) << put.body;
  }
  const std::string theirs = harness_->enroll("varberg", testPersonnummer(2));
  ASSERT_FALSE(theirs.empty());

  // Follows the next links from `path`; the versions seen, page by page.
  const auto walk = [&](const std::string& client, std::string path) {
    std::vector<std::string> seen;
    for (int pages = 0; !path.empty() && pages < 10; ++pages) {
      auto r = call(client, "GET", path);
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) break;
      auto bundle = parse(r.body);
      EXPECT_STREQ(bundle["type"].GetString(), "history");
      EXPECT_LE(bundle["entry"].Size(), 1u);
      for (const auto& e : bundle["entry"].GetArray()) {
        seen.push_back(std::string(e["resource"]["id"].GetString()) + "/" +
                       e["resource"]["meta"]["versionId"].GetString());
      }
      const std::string next = linkOf(bundle, "next");
      path = next.empty() ? std::string() : pathOf(next);
    }
    return seen;
  };

  auto first = call("kungsbacka", "GET", "/Patient/" + mine + "/_history?_count=1");
  ASSERT_EQ(first.status, 200) << first.body;
  auto page = parse(first.body);
  EXPECT_EQ(page["total"].GetInt(), 3);
  EXPECT_EQ(page["entry"].Size(), 1u);
  EXPECT_FALSE(linkOf(page, "next").empty());
  EXPECT_EQ(walk("kungsbacka", "/Patient/" + mine + "/_history?_count=1"),
            (std::vector<std::string>{mine + "/3", mine + "/2", mine + "/1"}));

  // The type's history: each municipality its own patient's versions, newest first.
  EXPECT_EQ(walk("kungsbacka", "/Patient/_history?_count=1"),
            (std::vector<std::string>{mine + "/3", mine + "/2", mine + "/1"}));
  EXPECT_EQ(walk("varberg", "/Patient/_history?_count=1"),
            (std::vector<std::string>{theirs + "/1"}));
  auto all = call("varberg", "GET", "/Patient/_history");
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(parse(all.body)["total"].GetInt(), 1);

  // Another's patient's history does not exist for the caller.
  EXPECT_EQ(call("varberg", "GET", "/Patient/" + mine + "/_history").status, 404);
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient/_history?_elements=id").status, 400);
}

// A batch's entries succeed or fail each on its own, an invalid resource included; a transaction
// with the same entries fails whole.
TEST_F(HttpSemanticsTest, BatchEntriesStandAloneAndATransactionFallsWhole) {
  const std::string entries = R"([
    {"resource":{"resourceType":"Organization","name":"Hemsjukvård Väst"},
     "request":{"method":"POST","url":"Organization"}},
    {"resource":{"resourceType":"Organization","active":"yes"},
     "request":{"method":"POST","url":"Organization"}},
    {"resource":{"resourceType":"Organization","id":"o9","name":"Hemsjukvård Syd"},
     "request":{"method":"PUT","url":"Organization/o9","ifMatch":"W/\"4\""}}])";
  const auto bundle = [&](const std::string& type) {
    return R"({"resourceType":"Bundle","type":")" + type + R"(","entry":)" + entries + "}";
  };
  const auto organizations = [&] {
    return parse(call("kungsbacka", "GET", "/Organization").body)["total"].GetInt();
  };

  auto transaction = call("kungsbacka", "POST", "/", bundle("transaction"));
  EXPECT_EQ(transaction.status, 422) << transaction.body;
  EXPECT_EQ(organizations(), 0);

  auto batch = call("kungsbacka", "POST", "/", bundle("batch"));
  ASSERT_EQ(batch.status, 200) << batch.body;
  auto response = parse(batch.body);
  EXPECT_STREQ(response["type"].GetString(), "batch-response");
  ASSERT_EQ(response["entry"].Size(), 3u);
  EXPECT_STREQ(response["entry"][0]["response"]["status"].GetString(), "201 Created");
  EXPECT_STREQ(response["entry"][1]["response"]["status"].GetString(), "422 Unprocessable Content");
  EXPECT_STREQ(response["entry"][1]["response"]["outcome"]["resourceType"].GetString(),
               "OperationOutcome");
  EXPECT_STREQ(response["entry"][2]["response"]["status"].GetString(), "412 Precondition Failed");
  EXPECT_EQ(organizations(), 1);
}

// What the CapabilityStatement claims works: every searchParam of every type is searched by,
// every sort key it lists sorts both ways, the history of each type is read, and the system
// interactions are transaction, batch and history.
TEST_F(HttpSemanticsTest, TheCapabilityStatementClaimsWhatWorks) {
  auto metadata = call("", "GET", "/metadata");
  ASSERT_EQ(metadata.status, 200);
  auto capability = parse(metadata.body);
  const auto& rest = capability["rest"][0];
  std::set<std::string> system;
  for (const auto& i : rest["interaction"].GetArray()) system.insert(i["code"].GetString());
  EXPECT_EQ(system, (std::set<std::string>{"transaction", "batch", "history-system"}));
  EXPECT_EQ(call("integration", "GET", "/_history?_count=1").status, 200);
  EXPECT_NE(std::string(rest["documentation"].GetString()).find("handling=lenient"),
            std::string::npos);

  const std::map<std::string, std::string> sample = {{"token", "x"},
                                                     {"reference", "Patient/x"},
                                                     {"date", "ge2026-01-01"},
                                                     {"string", "x"},
                                                     {"uri", "https://x.test/x"}};
  int searched = 0, sorted = 0;
  for (const auto& resource : rest["resource"].GetArray()) {
    const std::string type = resource["type"].GetString();
    std::set<std::string> interactions;
    for (const auto& i : resource["interaction"].GetArray()) {
      interactions.insert(i["code"].GetString());
    }
    EXPECT_TRUE(interactions.count("search-type")) << type;
    for (const auto& param : resource["searchParam"].GetArray()) {
      const std::string path =
          "/" + type + "?" + param["name"].GetString() + "=" + sample.at(param["type"].GetString());
      for (const char* method : {"GET", "POST"}) {
        auto r = std::string(method) == "GET"
                     ? call("integration", "GET", path)
                     : call("integration", "POST", "/" + type + "/_search",
                            path.substr(path.find('?') + 1), {{"Content-Type", kForm}});
        EXPECT_EQ(r.status, 200) << method << " " << path << ": " << r.body;
        ++searched;
      }
    }
    // The sort keys its documentation lists, each both ways.
    const std::string sorts =
        resource.HasMember("documentation") ? resource["documentation"].GetString() : "";
    const std::string lead = "Sorts (_sort) by ";
    if (sorts.rfind(lead, 0) == 0) {
      std::string keys = sorts.substr(lead.size(), sorts.find(';') - lead.size());
      for (size_t start = 0; start < keys.size();) {
        const size_t comma = keys.find(", ", start);
        const std::string key = keys.substr(start, comma - start);
        for (const std::string& sort : {key, "-" + key}) {
          auto r = call("integration", "GET", "/" + type + "?_sort=" + sort);
          EXPECT_EQ(r.status, 200) << type << " _sort=" << sort << ": " << r.body;
          ++sorted;
        }
        start = comma == std::string::npos ? keys.size() : comma + 2;
      }
    } else {
      // A type that lists no sort keys refuses a sort rather than ignore it.
      EXPECT_TRUE(type == "AuditEvent" || type == "Measure" || type == "MeasureReport")
          << type << ": no sort keys listed";
      EXPECT_EQ(call("integration", "GET", "/" + type + "?_sort=_id").status, 400) << type;
    }
    if (interactions.count("history-type")) {
      auto history = call("integration", "GET", "/" + type + "/_history?_count=1");
      EXPECT_EQ(history.status, 200) << type << ": " << history.body;
      EXPECT_TRUE(interactions.count("history-instance")) << type;
    }
  }
  EXPECT_GT(searched, 20);
  EXPECT_GT(sorted, 60);
}

}  // namespace
}  // namespace brygga::testing

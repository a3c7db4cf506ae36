// FHIR REST behaviour over real HTTP: the interactions, their errors, and tenant isolation.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <set>
#include <thread>

#include "gateway/audit/audit_trail.h"

#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"

namespace brygga::testing {
namespace {

class RestApiTest : public GatewayTest {
 protected:
  // Enrolls the person with `client`'s municipality and returns the Patient's id.
  std::string createPatient(const std::string& client, const std::string& pnr) {
    return harness_->enroll(client, pnr);
  }
};

TEST_F(RestApiTest, MetadataAnswersWithoutCredentialsAndListsTheTypes) {
  auto r = call("", "GET", "/metadata");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.headers["content-type"].find("application/fhir+json"), std::string::npos);
  auto doc = parse(r.body);
  EXPECT_STREQ(doc["resourceType"].GetString(), "CapabilityStatement");
  EXPECT_STREQ(doc["fhirVersion"].GetString(), "4.0.1");
  std::set<std::string> types;
  for (const auto& res : doc["rest"][0]["resource"].GetArray())
    types.insert(res["type"].GetString());
  for (const char* t :
       {"Patient", "EpisodeOfCare", "Encounter", "CarePlan", "Task", "DocumentReference",
        "Composition", "Condition", "Organization", "Practitioner", "PractitionerRole", "Location",
        "Provenance", "AuditEvent"}) {
    EXPECT_TRUE(types.count(t)) << t;
  }
}

TEST_F(RestApiTest, EverythingElseNeedsAnIdentity) {
  auto none = call("", "GET", "/Patient");
  EXPECT_EQ(none.status, 401);
  EXPECT_NE(none.body.find("OperationOutcome"), std::string::npos);
  auto wrong = httpCall("GET", harness_->base() + "/Patient", "",
                        {{"Authorization", "Bearer not-a-configured-token"}});
  EXPECT_EQ(wrong.status, 401);
}

TEST_F(RestApiTest, CreateReadVreadUpdateAndHistory) {
  std::string id = createPatient("kungsbacka", "191212121212");
  ASSERT_FALSE(id.empty());
  auto read = call("kungsbacka", "GET", "/Patient/" + id);
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(read.headers["etag"], "W/\"1\"");
  auto doc = parse(read.body);
  EXPECT_STREQ(doc["meta"]["versionId"].GetString(), "1");
  EXPECT_TRUE(doc["meta"].HasMember("lastUpdated"));

  std::string updated = patientJson("191212121212", id);
  auto upd = call("kungsbacka", "PUT", "/Patient/" + id, updated, {{"If-Match", "W/\"1\""}});
  ASSERT_EQ(upd.status, 200) << upd.body;
  EXPECT_EQ(upd.headers["etag"], "W/\"2\"");

  // A second writer still holding version 1 is refused.
  auto stale = call("kungsbacka", "PUT", "/Patient/" + id, updated, {{"If-Match", "W/\"1\""}});
  EXPECT_EQ(stale.status, 412);
  EXPECT_NE(stale.body.find("OperationOutcome"), std::string::npos);

  auto v1 = call("kungsbacka", "GET", "/Patient/" + id + "/_history/1");
  ASSERT_EQ(v1.status, 200);
  EXPECT_STREQ(parse(v1.body)["meta"]["versionId"].GetString(), "1");
  auto history = call("kungsbacka", "GET", "/Patient/" + id + "/_history");
  ASSERT_EQ(history.status, 200);
  auto h = parse(history.body);
  EXPECT_STREQ(h["type"].GetString(), "history");
  EXPECT_EQ(h["entry"].Size(), 2u);
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient/" + id + "/_history/9").status, 404);
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient/does-not-exist").status, 404);
}

TEST_F(RestApiTest, ConditionalCreateAndConditionalUpdateByIdentifier) {
  const std::string id = createPatient("kungsbacka", "191212121212");
  std::string body = patientJson("191212121212");
  std::map<std::string, std::string> cond = {{"If-None-Exist", personnummerQuery("191212121212")}};
  auto second = call("kungsbacka", "POST", "/Patient", body, cond);
  EXPECT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(parse(second.body)["id"].GetString(), id);
  // One person, one Patient: a plain create of the same person answers as the conditional one.
  auto plain = call("kungsbacka", "POST", "/Patient", body);
  EXPECT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(parse(plain.body)["id"].GetString(), id);

  auto put = call(
      "kungsbacka", "PUT", "/Patient?" + personnummerQuery("19121212-1212"),
      R"({"resourceType":"Patient","identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":"191212121212"}],"gender":"male"})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(parse(put.body)["id"].GetString(), id);
  EXPECT_STREQ(parse(put.body)["meta"]["versionId"].GetString(), "2");
}

TEST_F(RestApiTest, ParallelConditionalCreatesMakeOneResource) {
  const int kThreads = 8;
  std::atomic<int> created{0}, matched{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&] {
      auto r = call("kungsbacka", "POST", "/", enrollmentBundle("19121212-1212"));
      if (r.status != 200) {
        other++;
        return;
      }
      const std::string status = parse(r.body)["entry"][0]["response"]["status"].GetString();
      (status == "201 Created" ? created : status == "200 OK" ? matched : other)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(matched.load(), kThreads - 1);
  EXPECT_EQ(other.load(), 0);
  auto search = call("kungsbacka", "GET", "/Patient?" + personnummerQuery("191212121212"));
  EXPECT_EQ(parse(search.body)["total"].GetInt(), 1);
}

TEST_F(RestApiTest, SearchByIdentifierStatusPatientLastUpdatedWithPaging) {
  for (int i = 0; i < 3; ++i) {
    auto r = call("kungsbacka", "POST", "/",
                  enrollmentBundle("19121212-1212", "E-" + std::to_string(i),
                                   i == 2 ? "finished" : "active"));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  auto active = call("kungsbacka", "GET", "/EpisodeOfCare?status=active");
  ASSERT_EQ(active.status, 200) << active.body;
  EXPECT_EQ(parse(active.body)["total"].GetInt(), 2);

  auto patients = call("kungsbacka", "GET", "/Patient?" + personnummerQuery("191212121212"));
  auto p = parse(patients.body);
  ASSERT_EQ(p["total"].GetInt(), 1);
  std::string pid = p["entry"][0]["resource"]["id"].GetString();

  auto page1 = call("kungsbacka", "GET", "/EpisodeOfCare?patient=Patient/" + pid + "&_count=2");
  auto d1 = parse(page1.body);
  EXPECT_EQ(d1["total"].GetInt(), 3);
  EXPECT_EQ(d1["entry"].Size(), 2u);
  std::string next;
  for (const auto& link : d1["link"].GetArray()) {
    if (std::string(link["relation"].GetString()) == "next") next = link["url"].GetString();
  }
  ASSERT_FALSE(next.empty());
  auto page2 = httpCall("GET", next, "", {{"Authorization", "Bearer " + tokenOf("kungsbacka")}});
  auto d2 = parse(page2.body);
  EXPECT_EQ(d2["entry"].Size(), 1u);
  for (const auto& link : d2["link"].GetArray()) {
    EXPECT_STRNE(link["relation"].GetString(), "next");
  }

  auto subject = call("kungsbacka", "GET", "/EpisodeOfCare?patient=" + pid);
  EXPECT_EQ(parse(subject.body)["total"].GetInt(), 3);
  EXPECT_EQ(
      parse(call("kungsbacka", "GET", "/EpisodeOfCare?_lastUpdated=ge2000-01-01").body)["total"]
          .GetInt(),
      3);
  EXPECT_EQ(
      parse(call("kungsbacka", "GET", "/EpisodeOfCare?_lastUpdated=le2000-01-01").body)["total"]
          .GetInt(),
      0);
  EXPECT_EQ(call("kungsbacka", "GET", "/EpisodeOfCare?colour=blue").status, 400);
}

TEST_F(RestApiTest, MunicipalitiesSeeOnlyTheirOwnPatients) {
  std::string id = createPatient("kungsbacka", "191212121212");
  // Another municipality gets what a patient Brygga does not hold gets.
  auto refused = call("varberg", "GET", "/Patient/" + id);
  auto unknown = call("varberg", "GET", "/Patient/no-such-patient");
  EXPECT_EQ(refused.status, 404);
  EXPECT_EQ(call("varberg", "GET", "/Patient/" + id + "/_history").status, 404);
  EXPECT_EQ(call("varberg", "GET", "/Patient/" + id + "/_history/1").status, 404);
  EXPECT_EQ(call("region", "GET", "/Patient/" + id).status, 200);
  auto search = call("varberg", "GET", "/Patient?" + personnummerQuery("191212121212"));
  EXPECT_EQ(parse(search.body)["total"].GetInt(), 0);
  EXPECT_EQ(parse(call("varberg", "GET", "/EpisodeOfCare").body)["total"].GetInt(), 0);
  // Nor may they write for another municipality's patient: the same answer as for none.
  const auto episodeFor = [](const std::string& patient) {
    return R"({"resourceType":"EpisodeOfCare","status":"finished",
    "identifier":[{"system":"https://varberg.se/hemsjukvard/inskrivning","value":"E-77"}],
    "patient":{"reference":"Patient/)" +
           patient + R"("}})";
  };
  auto theirs = call("varberg", "POST", "/EpisodeOfCare", episodeFor(id));
  auto none = call("varberg", "POST", "/EpisodeOfCare", episodeFor("no-such-patient"));
  EXPECT_EQ(theirs.status, 422) << theirs.body;
  EXPECT_EQ(theirs.status, none.status);
  EXPECT_EQ(theirs.body, none.body);
  EXPECT_EQ(call("kungsbacka", "POST", "/EpisodeOfCare", episodeFor(id)).status, 201);
}

TEST_F(RestApiTest, ErrorsAreOperationOutcomesWithTheRightStatus) {
  auto expectOutcome = [](const HttpAnswer& r, int status) {
    EXPECT_EQ(r.status, status) << r.body;
    EXPECT_NE(r.body.find("\"OperationOutcome\""), std::string::npos) << r.body;
  };
  expectOutcome(call("kungsbacka", "POST", "/Patient", "{not json"), 400);
  expectOutcome(call("kungsbacka", "POST", "/Patient",
                     R"({"resourceType":"Patient","gender":"male","gender":"female"})"),
                400);
  expectOutcome(
      call("kungsbacka", "POST", "/Patient", "{\"resourceType\":\"Patient\",\"x\":\"\xC3\x28\"}"),
      400);
  expectOutcome(call("kungsbacka", "POST", "/Patient", "<Patient/>",
                     {{"Content-Type", "application/fhir+xml"}}),
                415);
  expectOutcome(call("kungsbacka", "GET", "/Patient", "", {{"Accept", "application/fhir+xml"}}),
                406);
  expectOutcome(call("kungsbacka", "POST", "/Patient", std::string(300 * 1024, ' ')), 413);
  expectOutcome(call("kungsbacka", "POST", "/Patient", patientJson("191212121213")), 422);
  expectOutcome(call("kungsbacka", "GET", "/Spaceship/1"), 404);
  expectOutcome(call("kungsbacka", "POST", "/AuditEvent", R"({"resourceType":"AuditEvent"})"), 405);
  std::string deep(100, '[');
  expectOutcome(call("kungsbacka", "POST", "/Patient", deep + std::string(100, ']')), 400);
}

TEST_F(RestApiTest, TransactionIsAtomicAndRewritesReferences) {
  auto ok = call("kungsbacka", "POST", "/", enrollmentBundle());
  ASSERT_EQ(ok.status, 200) << ok.body;
  auto resp = parse(ok.body);
  EXPECT_STREQ(resp["type"].GetString(), "transaction-response");
  ASSERT_EQ(resp["entry"].Size(), 2u);
  std::string patientId = resp["entry"][0]["resource"]["id"].GetString();
  EXPECT_EQ(std::string(resp["entry"][1]["resource"]["patient"]["reference"].GetString()),
            "Patient/" + patientId);
  EXPECT_STREQ(resp["entry"][0]["response"]["status"].GetString(), "201 Created");

  // A transaction whose second entry fails leaves nothing behind.
  std::string broken = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":{"resourceType":"Location","name":"Bostad"},
     "request":{"method":"POST","url":"Location"}},
    {"resource":{"resourceType":"Location","id":"l2","name":"Bostad"},
     "request":{"method":"PUT","url":"Location/l2","ifMatch":"W/\"7\""}}]})";
  auto failed = call("kungsbacka", "POST", "/", broken);
  EXPECT_EQ(failed.status, 412) << failed.body;
  auto none = call("kungsbacka", "GET", "/Location");
  EXPECT_EQ(parse(none.body)["total"].GetInt(), 0);
}

// A transaction of `n` new Locations (a municipality's own records; a Patient enters through an
// enrollment).
std::string locationsTransaction(int n) {
  std::string out = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
  for (int i = 0; i < n; ++i) {
    char fullUrl[64];
    std::snprintf(fullUrl, sizeof fullUrl, "urn:uuid:7f1c2d3e-0000-4000-8000-%012d", i);
    out += std::string(i > 0 ? "," : "") + R"({"fullUrl":")" + fullUrl +
           R"(","resource":{"resourceType":"Location","name":"Bostad"},)" +
           R"("request":{"method":"POST","url":"Location"}})";
  }
  return out + "]}";
}

TEST_F(RestApiTest, ABundleOfMoreThanMaxBundleEntriesIsRefusedWhole) {
  ASSERT_EQ(harness_->config().server.limits.maxBundleEntries, 1000);  // the default
  auto refused = call("kungsbacka", "POST", "/", locationsTransaction(1001));
  EXPECT_EQ(refused.status, 413) << refused.body.substr(0, 500);
  EXPECT_NE(refused.body.find("\"too-long\""), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("1001 entries"), std::string::npos) << refused.body;
  EXPECT_EQ(parse(call("kungsbacka", "GET", "/Location?_count=0").body)["total"].GetInt(), 0);
  // Nor is it validated: $validate refuses it the same way.
  EXPECT_EQ(call("kungsbacka", "POST", "/$validate", locationsTransaction(1001)).status, 413);

  auto accepted = call("kungsbacka", "POST", "/", locationsTransaction(1000));
  ASSERT_EQ(accepted.status, 200) << accepted.body.substr(0, 500);
  EXPECT_EQ(parse(call("kungsbacka", "GET", "/Location?_count=0").body)["total"].GetInt(), 1000);
}

TEST_F(RestApiTest, BatchEntriesSucceedOrFailOnTheirOwn) {
  std::string batch = R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Location","name":"Bostad"},"request":{"method":"POST","url":"Location"}},
    {"resource":{"resourceType":"Location","id":"l9","name":"Bostad"},"request":{"method":"PUT","url":"Location/l9","ifMatch":"W/\"4\""}}]})";
  auto r = call("kungsbacka", "POST", "/", batch);
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = parse(r.body);
  EXPECT_STREQ(doc["type"].GetString(), "batch-response");
  EXPECT_STREQ(doc["entry"][0]["response"]["status"].GetString(), "201 Created");
  EXPECT_STREQ(doc["entry"][1]["response"]["status"].GetString(), "412 Precondition Failed");
  EXPECT_EQ(parse(call("kungsbacka", "GET", "/Location").body)["total"].GetInt(), 1);
}

TEST_F(RestApiTest, AuditEventsRecordEveryExchangeForTheIntegrationTeamOnly) {
  std::string id = createPatient("kungsbacka", "191212121212");
  call("varberg", "GET", "/Patient/" + id);  // refused as not found (404), audited too
  EXPECT_EQ(call("kungsbacka", "GET", "/AuditEvent").status, 403);
  auto list = call("integration", "GET", "/AuditEvent?patient=Patient/" + id);
  ASSERT_EQ(list.status, 200) << list.body;
  auto doc = parse(list.body);
  ASSERT_GE(doc["entry"].Size(), 2u);
  bool sawCreate = false, sawRefusal = false;
  for (const auto& e : doc["entry"].GetArray()) {
    const auto& ev = e["resource"];
    std::string subtype = ev["subtype"][0]["code"].GetString();
    std::string outcome = ev["outcome"].GetString();
    if (subtype == "transaction" && outcome == "0") sawCreate = true;
    if (subtype == "read" && outcome == "4") sawRefusal = true;
  }
  EXPECT_TRUE(sawCreate);
  EXPECT_TRUE(sawRefusal);
  auto first = call("integration", "GET", "/AuditEvent/1");
  EXPECT_EQ(first.status, 200);
  auto verified = audit::AuditTrail::verify(harness_->gateway().store());
  ASSERT_TRUE(verified.isOk());
  EXPECT_EQ(verified->firstBadSeq, 0);
  EXPECT_GE(verified->recordsChecked, 3);
}

}  // namespace
}  // namespace brygga::testing

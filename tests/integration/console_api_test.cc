// The web console's JSON API (issue 7) against a running gateway: who may use it, the message
// search by personnummer, a message's steps, replay, and the audit record of viewing content.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "gateway/core/base64.h"
#include "gateway/fhir/json.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/raw_connection.h"
#include "tests/support/simulated_time_system.h"

namespace brygga::testing {
namespace {

constexpr const char* kRefused = "19120304-9901";  // valid Luhn, test range
constexpr const char* kRefusedTwelve = "191203049901";

HttpAnswer console(GatewayHarness& h, const std::string& client, const std::string& method,
                   const std::string& path) {
  return h.consoleCall(client, method, "/console/api" + path);
}

// The regional EHR: refuses the kRefused patient's Bundles (422, a dead letter at once) while
// `refuse` is set, accepts everything else.
struct RefusingPeer {
  TestPeer peer;
  std::atomic<bool> refuse{true};
  RefusingPeer() {
    peer.setHandler([this](const TestPeer::Request& request) {
      TestPeer::Response r;
      if (refuse && request.body.find(kRefusedTwelve) != std::string::npos) {
        r.status = 422;
        r.body = R"({"resourceType":"OperationOutcome","issue":[{"severity":"error",)"
                 R"("code":"business-rule","diagnostics":"no care unit for this enrollment"}]})";
        return r;
      }
      r.body = R"({"resourceType":"Bundle","type":"transaction-response","entry":[]})";
      return r;
    });
  }
};

class ConsoleApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_ = std::make_unique<GatewayHarness>(&peer_.peer);
    h_->config().destinations["regional"].retryBaseMs = 50;
    h_->start();
  }

  // Posts the two enrollments and waits until the refused one is a dead letter.
  void sendBoth() {
    ASSERT_EQ(h_->call("kungsbacka", "POST", "/", enrollmentBundle("19121212-1212", "E-1")).status,
              200);
    ASSERT_EQ(h_->call("kungsbacka", "POST", "/", enrollmentBundle(kRefused, "E-2")).status, 200);
    ASSERT_TRUE(waitUntil([&] {
      auto r = console(*h_, "integration", "GET", "/messages?status=dead");
      return r.status == 200 && r.body.find("\"seq\"") != std::string::npos;
    }));
  }

  rapidjson::Document refusedMessages() {
    auto r = console(*h_, "integration", "GET", std::string("/messages?patient=") + kRefused);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse(r.body);
  }

  RefusingPeer peer_;
  std::unique_ptr<GatewayHarness> h_;
};

TEST_F(ConsoleApiTest, IsForTheIntegrationTeamOnlyWithOperationOutcomes) {
  for (const auto& [client, expected] :
       std::vector<std::pair<std::string, int>>{{"", 401}, {"kungsbacka", 403}, {"region", 403}}) {
    for (const char* path : {"/summary", "/messages", "/messages/1", "/audit"}) {
      auto r = console(*h_, client, "GET", path);
      EXPECT_EQ(r.status, expected) << client << " " << path;
      EXPECT_NE(r.body.find("\"OperationOutcome\""), std::string::npos) << r.body;
    }
    EXPECT_EQ(console(*h_, client, "POST", "/dead-letters/1/replay").status, expected);
  }
  EXPECT_EQ(console(*h_, "integration", "GET", "/nothing").status, 404);
  EXPECT_EQ(console(*h_, "integration", "GET", "/messages?status=lost").status, 400);
  EXPECT_EQ(console(*h_, "integration", "GET", "/messages?patient=not%20a%20patient").status, 400);
  EXPECT_EQ(console(*h_, "integration", "GET", "/messages/999").status, 404);
  auto ok = console(*h_, "integration", "GET", "/session");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.headers["content-type"], "application/json");
}

TEST_F(ConsoleApiTest, SearchByPersonnummerFindsTheMessageWithoutKeepingTheNumber) {
  sendBoth();
  auto found = refusedMessages();
  ASSERT_TRUE(found["messages"].IsArray());
  ASSERT_EQ(found["messages"].Size(), 1u);
  const auto& m = found["messages"][0];
  EXPECT_STREQ(m["status"].GetString(), "dead");
  EXPECT_STREQ(m["tenant"].GetString(), "kungsbacka");
  const std::string patient = m["patient"].GetString();
  EXPECT_EQ(patient.rfind("Patient/", 0), 0u);
  // Other forms of the number find the same patient; an unknown one finds nothing.
  auto twelve =
      console(*h_, "integration", "GET", std::string("/messages?patient=") + kRefusedTwelve);
  EXPECT_NE(twelve.body.find(patient), std::string::npos);
  auto other = parse(console(*h_, "integration", "GET", "/messages?patient=19121212-1212").body);
  ASSERT_EQ(other["messages"].Size(), 1u);
  EXPECT_NE(other["messages"][0]["patient"].GetString(), patient);
  auto unknown = parse(console(*h_, "integration", "GET", "/messages?patient=19000101-0008").body);
  EXPECT_EQ(unknown["messages"].Size(), 0u);

  // The number is in no exchange line and no audit record (the search is recorded with the
  // Patient reference it resolved to).
  store::ExchangeQuery all;
  all.limit = 1000;
  auto lines = h_->gateway().store().exchangeLog().exchanges(all);
  ASSERT_TRUE(lines.isOk());
  for (const auto& line : *lines) {
    EXPECT_EQ(line.detail.find("19120304"), std::string::npos);
  }
  auto records = h_->gateway().store().auditLog().auditRecords(1, 10000);
  ASSERT_TRUE(records.isOk());
  bool sawSearch = false;
  for (const auto& record : *records) {
    EXPECT_EQ(record.json.find("19120304"), std::string::npos);
    const auto doc = parse(record.json);
    if (!doc.HasMember("entity")) continue;
    for (const auto& entity : doc["entity"].GetArray()) {
      if (!entity.HasMember("query")) continue;
      auto query = core::base64Decode(entity["query"].GetString());
      ASSERT_TRUE(query.isOk()) << query.status().toString();
      EXPECT_EQ(query->find("19120304"), std::string::npos) << *query;
      EXPECT_EQ(query->find(kRefusedTwelve), std::string::npos) << *query;
      if (query->find("patient=" + patient) != std::string::npos) sawSearch = true;
    }
  }
  EXPECT_TRUE(sawSearch) << "the console search was not recorded with its Patient reference";
}

TEST_F(ConsoleApiTest, DetailShowsTheAttemptsThePeersAnswerAndTheAuditRecords) {
  sendBoth();
  auto found = refusedMessages();
  ASSERT_EQ(found["messages"].Size(), 1u);
  const int64_t seq = found["messages"][0]["seq"].GetInt64();
  auto r = console(*h_, "integration", "GET", "/messages/" + std::to_string(seq));
  ASSERT_EQ(r.status, 200) << r.body;
  auto m = parse(r.body);
  EXPECT_STREQ(m["status"].GetString(), "dead");
  EXPECT_STRNE(m["mappingVersion"].GetString(), "");
  ASSERT_EQ(m["outbox"].Size(), 1u);
  EXPECT_STREQ(m["outbox"][0]["state"].GetString(), "dead");
  EXPECT_NE(std::string(m["outbox"][0]["lastError"].GetString()).find("no care unit"),
            std::string::npos);
  // The inbound line and the refused attempt, with the peer's status.
  ASSERT_GE(m["steps"].Size(), 2u);
  EXPECT_STREQ(m["steps"][0]["direction"].GetString(), "inbound");
  EXPECT_STREQ(m["steps"][1]["direction"].GetString(), "outbound");
  EXPECT_EQ(m["steps"][1]["httpStatus"].GetInt(), 422);
  // Their AuditEvents (the write's and the delivery attempt's), naming the request.
  ASSERT_EQ(m["audit"].Size(), 2u);
  for (const auto& a : m["audit"].GetArray()) {
    EXPECT_STREQ(a["event"]["resourceType"].GetString(), "AuditEvent");
  }
  // No patient content without asking for it.
  EXPECT_EQ(r.body.find(kRefusedTwelve), std::string::npos);
}

TEST_F(ConsoleApiTest, ReplayGoesThroughTheAdminSemantics) {
  sendBoth();
  auto found = refusedMessages();
  const int64_t seq = found["messages"][0]["seq"].GetInt64();
  const int64_t outboxId = found["messages"][0]["entries"][0]["id"].GetInt64();
  peer_.refuse = false;
  const size_t before = peer_.peer.requestCount();
  auto replayed =
      console(*h_, "integration", "POST", "/dead-letters/" + std::to_string(outboxId) + "/replay");
  ASSERT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_GT(peer_.peer.waitForRequests(before + 1, 10000), before);
  EXPECT_TRUE(waitUntil([&] {
    auto r = console(*h_, "integration", "GET", "/messages/" + std::to_string(seq));
    return r.body.find("\"status\":\"delivered\"") != std::string::npos;
  }));
  // Not dead any more: AdminApi's 409, as an OperationOutcome.
  auto again =
      console(*h_, "integration", "POST", "/dead-letters/" + std::to_string(outboxId) + "/replay");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.body.find("OperationOutcome"), std::string::npos);
  // Pause and resume reach the destinations too.
  EXPECT_EQ(console(*h_, "integration", "POST", "/destinations/regional/pause").status, 200);
  EXPECT_NE(console(*h_, "integration", "GET", "/destinations").body.find("\"paused\":true"),
            std::string::npos);
  EXPECT_EQ(console(*h_, "integration", "POST", "/destinations/regional/resume").status, 200);
}

TEST_F(ConsoleApiTest, ViewingThePayloadIsAudited) {
  sendBoth();
  auto found = refusedMessages();
  const int64_t seq = found["messages"][0]["seq"].GetInt64();
  const std::string patient = found["messages"][0]["patient"].GetString();
  const int64_t sizeBefore = *h_->gateway().store().auditLog().auditSize();
  auto r = console(*h_, "integration", "GET", "/messages/" + std::to_string(seq) + "/payload");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(kRefusedTwelve), std::string::npos);  // the forwarded Bundle
  EXPECT_GT(*h_->gateway().store().auditLog().auditSize(), sizeBefore);
  auto records = h_->gateway().store().auditLog().auditRecordsForPatient(patient, 1000);
  ASSERT_TRUE(records.isOk());
  const std::string requestId = r.headers["x-request-id"];
  bool recorded = false;
  for (const auto& record : *records) {
    if (record.json.find(requestId) != std::string::npos &&
        record.json.find("integration") != std::string::npos) {
      recorded = true;
    }
  }
  EXPECT_TRUE(recorded) << "no AuditEvent names the patient and the payload request";
}

TEST_F(ConsoleApiTest, FiltersAndKeysetPaging) {
  sendBoth();
  // A refused write is a message too.
  ASSERT_EQ(h_->call("kungsbacka", "POST", "/",
                     R"({"resourceType":"Bundle","type":"transaction",)"
                     R"("entry":[{"resource":{"resourceType":"Patient",)"
                     R"("gender":"nope"},"request":{"method":"POST",)"
                     R"("url":"Patient"}}]})")
                .status,
            422);
  auto rejected = parse(console(*h_, "integration", "GET", "/messages?status=rejected").body);
  ASSERT_EQ(rejected["messages"].Size(), 1u);
  EXPECT_EQ(rejected["messages"][0]["httpStatus"].GetInt(), 422);
  // Why it was refused, in the list itself.
  EXPECT_NE(std::string(rejected["messages"][0]["reason"].GetString()).find("gender"),
            std::string::npos)
      << fhir::toJson(rejected["messages"][0]);
  EXPECT_EQ(
      parse(console(*h_, "integration", "GET", "/messages?tenant=varberg").body)["messages"].Size(),
      0u);
  EXPECT_EQ(
      parse(console(*h_, "integration", "GET", "/messages?tenant=kungsbacka&type=EpisodeOfCare")
                .body)["messages"]
          .Size(),
      2u);
  // What each message is, as the flows named it at intake, and the search by it.
  auto enrollments = parse(console(*h_, "integration", "GET", "/messages?kind=enrollment").body);
  ASSERT_EQ(enrollments["messages"].Size(), 2u);
  for (const auto& m : enrollments["messages"].GetArray()) {
    EXPECT_STREQ(m["kind"].GetString(), "enrollment");
  }
  EXPECT_STREQ(rejected["messages"][0]["kind"].GetString(), "");  // a Patient alone: no kind
  EXPECT_EQ(
      parse(console(*h_, "integration", "GET", "/messages?kind=visit%20note").body)["messages"]
          .Size(),
      0u);
  EXPECT_EQ(console(*h_, "integration", "GET", "/messages?kind=letter").status, 400);
  EXPECT_EQ(parse(console(*h_, "integration", "GET", "/messages?from=2000-01-01&to=2000-01-02")
                      .body)["messages"]
                .Size(),
            0u);
  // One at a time, newest first, each page going on where the last stopped.
  std::vector<int64_t> seqs;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto p = parse(console(*h_, "integration", "GET",
                           "/messages?limit=1" + (cursor.empty() ? "" : "&cursor=" + cursor))
                       .body);
    for (const auto& m : p["messages"].GetArray()) seqs.push_back(m["seq"].GetInt64());
    if (p["next"].IsNull()) break;
    cursor = p["next"].GetString();
  }
  ASSERT_EQ(seqs.size(), 3u);
  EXPECT_GT(seqs[0], seqs[1]);
  EXPECT_GT(seqs[1], seqs[2]);
  // By request id.
  auto one = parse(console(*h_, "integration", "GET",
                           "/messages?requestId=" +
                               std::string(rejected["messages"][0]["requestId"].GetString()))
                       .body);
  EXPECT_EQ(one["messages"].Size(), 1u);
  // The summary counts them per tenant and destination.
  auto summary = parse(console(*h_, "integration", "GET", "/summary?window=300").body);
  ASSERT_TRUE(summary["tenants"].IsArray());
  ASSERT_EQ(summary["tenants"].Size(), 6u);  // every municipality, kungsbacka first
  EXPECT_STREQ(summary["tenants"][0]["name"].GetString(), "kungsbacka");
  EXPECT_EQ(summary["tenants"][0]["received"].GetInt(), 3);
  EXPECT_EQ(summary["tenants"][0]["rejected"].GetInt(), 1);
  ASSERT_EQ(summary["destinations"].Size(), 1u);
  EXPECT_EQ(summary["destinations"][0]["deadLetters"].GetInt(), 1);
  EXPECT_GE(summary["destinations"][0]["delivered"].GetInt(), 1);
}

// The charts' series over the window: messages per minute per municipality, the delivery time
// (received to acknowledged) p50/p95, the queue depth per destination; at most 60 points.
TEST_F(ConsoleApiTest, TheSummaryCarriesTheChartsSeriesOverTheWindow) {
  sendBoth();
  ASSERT_TRUE(waitUntil([&] {
    auto s = parse(console(*h_, "integration", "GET", "/summary?window=300").body);
    return s["destinations"][0]["delivered"].GetInt() >= 1;
  }));
  auto s = parse(console(*h_, "integration", "GET", "/summary?window=300").body);
  const auto& series = s["series"];
  EXPECT_EQ(series["stepSeconds"].GetInt(), 60);
  ASSERT_EQ(series["times"].Size(), 5u);
  ASSERT_TRUE(series["receivedPerMinute"].HasMember("hylte"));  // every municipality
  double received = 0;
  for (const auto& v : series["receivedPerMinute"]["kungsbacka"].GetArray()) {
    received += v.GetDouble();
  }
  EXPECT_EQ(received, 2);
  ASSERT_EQ(series["deliveryMsP50"].Size(), 5u);
  int delivered = 0;
  for (size_t i = 0; i < 5; ++i) {
    if (series["deliveryMsP50"][i].IsNull()) continue;
    ++delivered;
    EXPECT_GE(series["deliveryMsP95"][i].GetDouble(), series["deliveryMsP50"][i].GetDouble());
  }
  EXPECT_GE(delivered, 1);
  ASSERT_TRUE(series["queueDepth"].HasMember("regional"));
  EXPECT_FALSE(series["queueDepth"]["regional"][4].IsNull());  // sampled now
  auto day = parse(console(*h_, "integration", "GET", "/summary?window=86400").body);
  EXPECT_EQ(day["series"]["stepSeconds"].GetInt(), 1440);
  EXPECT_EQ(day["series"]["times"].Size(), 60u);
}

// The charts' figures are kept while no console is open: a console opened later draws the queue
// that built up before it, minute by minute, not only the moment it opened.
TEST(ConsoleCharts, TheQueueDepthIsSampledWhileNoConsoleIsOpen) {
  TestPeer peer;
  SimulatedTimeSystem time;  // outlives the gateway
  GatewayHarness h(&peer);
  h.setTimeSystem(&time);
  h.start();
  ASSERT_EQ(h.consoleCall("integration", "POST", "/admin/destinations/regional/pause").status, 200);
  ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentBundle("19121212-1212", "E-1")).status,
            200);
  // Ten minutes pass with nobody looking.
  time.advanceTimeWait(std::chrono::minutes(10), std::chrono::seconds(15));

  auto r = console(h, "integration", "GET", "/summary?window=3600");
  ASSERT_EQ(r.status, 200) << r.body;
  auto s = parse(r.body);
  const auto& depth = s["series"]["queueDepth"]["regional"];
  ASSERT_EQ(depth.Size(), 60u);
  int waitingMinutes = 0;
  for (const auto& v : depth.GetArray()) {
    if (v.IsNull()) continue;
    EXPECT_LE(v.GetDouble(), 1);
    waitingMinutes += v.GetDouble() == 1 ? 1 : 0;
  }
  EXPECT_GE(waitingMinutes, 10) << r.body;  // every minute since the message arrived
  EXPECT_TRUE(depth[59].GetDouble() == 1);
  EXPECT_TRUE(depth[0].IsNull());  // before the gateway started: nothing sampled, nothing drawn
  double received = 0;
  for (const auto& v : s["series"]["receivedPerMinute"]["kungsbacka"].GetArray()) {
    received += v.GetDouble();
  }
  EXPECT_EQ(received, 1);
}

// The overview's live summaries: Server-Sent Events that follow what arrives, without a worker
// held, at most 16 clients at a time.
TEST_F(ConsoleApiTest, TheSummaryStreamsAsServerSentEventsToABoundedNumberOfClients) {
  // Two workers: sixteen open streams holding one each would leave none to answer.
  h_->stop();
  h_->config().server.threads = 2;
  h_->start();
  const auto openStream = [&](const std::string& window) {
    auto c = RawConnection::open(h_->gateway().httpPort());
    EXPECT_NE(c, nullptr);
    c->send("GET /console/api/events?window=" + window +
            " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tokenOf("integration") + "\r\n\r\n");
    return c;
  };
  const auto summaryOf = [](const std::string& event) {
    EXPECT_EQ(event.rfind("event: summary\ndata: ", 0), 0u) << event;
    return parse(event.substr(event.find("data: ") + 6));
  };
  auto stream = openStream("300");
  auto head = stream->readResponse();
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.headers["content-type"], "text/event-stream");
  EXPECT_EQ(head.headers.count("content-length"), 0u) << head.body;
  auto first = summaryOf(stream->readUntil("\n\n"));
  EXPECT_EQ(first["windowSeconds"].GetInt(), 300);
  EXPECT_EQ(first["tenants"][0]["received"].GetInt(), 0);
  // A message arrives: a later event counts it.
  ASSERT_EQ(h_->call("kungsbacka", "POST", "/", enrollmentBundle("19121212-1212", "E-1")).status,
            200);
  bool counted = false;
  for (int i = 0; i < 10 && !counted; ++i) {
    auto next = summaryOf(stream->readUntil("\n\n"));
    counted = next["tenants"][0]["received"].GetInt() == 1;
  }
  EXPECT_TRUE(counted) << "no event counted the message";
  // Streams hold no worker: with two workers the gateway answers other requests while 16 are
  // open, and refuses
  // a 17th live console (503) until one closes.
  std::vector<std::unique_ptr<RawConnection>> more;
  for (int i = 1; i < 16; ++i) {
    more.push_back(openStream("3600"));
    ASSERT_EQ(more.back()->readResponse().status, 200) << i;
  }
  for (auto& c : more) EXPECT_NE(c->readUntil("\n\n").find("event: summary"), std::string::npos);
  EXPECT_EQ(console(*h_, "integration", "GET", "/session").status, 200);
  EXPECT_EQ(console(*h_, "integration", "GET", "/events").status, 503);
  stream.reset();  // the client leaves
  EXPECT_TRUE(waitUntil([&] {
    auto again = openStream("3600");
    return again->readResponse().status == 200;
  }));
  EXPECT_EQ(console(*h_, "kungsbacka", "GET", "/events").status, 403);
}

// The six municipalities are always listed, each with how long it has been silent: null for one
// that never sent anything; from the store, so a restarted gateway still knows.
TEST_F(ConsoleApiTest, EveryMunicipalityIsListedWithHowLongItHasBeenSilent) {
  const auto tenantsOf = [&] {
    auto r = console(*h_, "integration", "GET", "/summary?window=300");
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, std::pair<std::string, int64_t>> out;  // last received, silent ms
    auto doc = parse(r.body);
    for (const auto& t : doc["tenants"].GetArray()) {
      out[t["name"].GetString()] = {
          t["lastReceived"].IsString() ? t["lastReceived"].GetString() : "",
          t["silentMs"].IsInt64() ? t["silentMs"].GetInt64() : -1};
      EXPECT_STRNE(t["displayName"].GetString(), "") << t["name"].GetString();
    }
    return out;
  };
  const std::set<std::string> six = {"kungsbacka", "varberg", "falkenberg",
                                     "halmstad",   "laholm",  "hylte"};
  auto before = tenantsOf();
  ASSERT_EQ(before.size(), 6u);
  for (const auto& [name, last] : before) {
    EXPECT_TRUE(six.count(name)) << name;
    EXPECT_EQ(last.first, "") << name;
    EXPECT_EQ(last.second, -1) << name << " never sent anything";
  }
  ASSERT_EQ(h_->call("kungsbacka", "POST", "/", enrollmentBundle("19121212-1212", "E-1")).status,
            200);
  auto after = tenantsOf();
  EXPECT_NE(after["kungsbacka"].first, "");
  EXPECT_GE(after["kungsbacka"].second, 0);
  EXPECT_LT(after["kungsbacka"].second, 60000);
  EXPECT_EQ(after["varberg"].second, -1);
  // A gateway started again on the same data reads the last message from the store.
  h_->stop();
  h_->start();
  auto restarted = tenantsOf();
  EXPECT_EQ(restarted["kungsbacka"].first, after["kungsbacka"].first);
  EXPECT_EQ(restarted["varberg"].second, -1);
}

// What the HTTP layer refuses before an endpoint sees it is listed with the sender, the status
// and the reason, from memory: an anonymous refusal writes nothing durable (issue 18).
TEST_F(ConsoleApiTest, RefusalsBeforeRoutingAreListedWithTheSenderAndKeptInMemoryOnly) {
  store::ExchangeQuery all;
  all.limit = 100000;
  const size_t linesBefore = h_->gateway().store().exchangeLog().exchanges(all)->size();
  const int64_t auditBefore = *h_->gateway().store().auditLog().auditSize();
  EXPECT_EQ(h_->consoleCall("", "GET", "/nothing/here?patient=19121212-1212").status, 404);
  EXPECT_EQ(h_->consoleCall("", "DELETE", "/metrics").status, 405);
  EXPECT_EQ(h_->call("", "GET", "/Patient").status, 401);
  EXPECT_EQ(h_->call("kungsbacka", "POST", "/", std::string(300 * 1024, ' ')).status, 413);
  // Nothing durable of the anonymous ones (the refused login is counted for a later record).
  EXPECT_EQ(h_->gateway().store().exchangeLog().exchanges(all)->size(), linesBefore);
  EXPECT_EQ(*h_->gateway().store().auditLog().auditSize(), auditBefore);

  auto r = console(*h_, "integration", "GET", "/refusals");
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = parse(r.body);
  ASSERT_EQ(doc["refusals"].Size(), 4u) << r.body;
  EXPECT_EQ(doc["total"].GetInt64(), 4);
  const auto& big = doc["refusals"][0];  // newest first
  EXPECT_EQ(big["status"].GetInt(), 413);
  EXPECT_STREQ(big["client"].GetString(), "kungsbacka");
  EXPECT_STREQ(big["tenant"].GetString(), "kungsbacka");
  EXPECT_EQ(std::string(big["route"].GetString()).rfind("/fhir", 0), 0u);
  EXPECT_STRNE(big["reason"].GetString(), "");
  EXPECT_STREQ(big["source"].GetString(), "127.0.0.1");
  EXPECT_EQ(doc["refusals"][1]["status"].GetInt(), 401);
  EXPECT_STREQ(doc["refusals"][1]["client"].GetString(), "");
  EXPECT_EQ(doc["refusals"][2]["status"].GetInt(), 405);
  EXPECT_STREQ(doc["refusals"][2]["method"].GetString(), "DELETE");
  EXPECT_EQ(doc["refusals"][3]["status"].GetInt(), 404);
  EXPECT_NE(std::string(doc["refusals"][3]["reason"].GetString()).find("no such endpoint"),
            std::string::npos);
  // No query, so nothing a client put in it, is kept.
  EXPECT_EQ(r.body.find("19121212"), std::string::npos);
  // The request log names who sent the body over the limit.
  std::istringstream log(h_->logText());
  bool logged = false;
  for (std::string line; std::getline(log, line);) {
    if (line.find(R"("status":"413")") == std::string::npos) continue;
    logged = true;
    EXPECT_NE(line.find(R"("client":"kungsbacka","tenant":"kungsbacka")"), std::string::npos)
        << line;
  }
  EXPECT_TRUE(logged) << h_->logText();
  // For the integration team only, like the rest of the console.
  EXPECT_EQ(console(*h_, "kungsbacka", "GET", "/refusals").status, 403);
}

}  // namespace
}  // namespace brygga::testing

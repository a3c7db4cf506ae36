// Operating delivery (issue 5) as the integration team does: the /admin API and the `brygga`
// commands for destinations and dead letters, back-pressure, retention.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <regex>

#include "gateway/app/config_loader.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/fhir/json.h"
#include "tests/integration/delivery_peer.h"
#include "tests/integration/harness.h"
#include "tests/integration/process.h"

namespace brygga::testing {
namespace {

constexpr std::chrono::milliseconds kPollInterval{20};  // the harness's delivery.pollIntervalMs

HttpAnswer admin(GatewayHarness& h, const std::string& client, const std::string& method,
                 const std::string& path) {
  return h.consoleCall(client, method, "/admin" + path);
}

const rapidjson::Value* destination(const rapidjson::Document& doc, const std::string& name) {
  if (!doc.HasMember("destinations") || !doc["destinations"].IsArray()) return nullptr;
  for (const auto& d : doc["destinations"].GetArray()) {
    if (d["name"].GetString() == name) return &d;
  }
  return nullptr;
}

std::vector<store::ExchangeRecord> exchangesOf(GatewayHarness& h, const std::string& requestId) {
  store::ExchangeQuery q;
  q.requestId = requestId;
  auto r = h.gateway().store().exchangeLog().exchanges(q);
  return r.isOk() ? *r : std::vector<store::ExchangeRecord>{};
}

TEST(DeliveryAdmin, IsForTheIntegrationRoleOnlyAndRecordsEveryCall) {
  DeliveryPeer peer;
  peer.start();
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.start();
  EXPECT_EQ(admin(h, "", "GET", "/destinations").status, 401);
  EXPECT_EQ(admin(h, "kungsbacka", "GET", "/destinations").status, 403);
  EXPECT_EQ(admin(h, "region", "POST", "/destinations/regional/pause").status, 403);
  EXPECT_EQ(admin(h, "integration", "GET", "/nothing").status, 404);
  EXPECT_EQ(admin(h, "integration", "DELETE", "/destinations").status, 405);
  auto ok = admin(h, "integration", "GET", "/destinations");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.headers["content-type"], "application/json");
  // Each call of a known client left an exchange line and an AuditEvent, the refused ones too.
  // The anonymous one is counted for the aggregated record of refused logins (written when its
  // window closes), and the DELETE no admin path serves was answered 405 by the server's front
  // before any endpoint saw it.
  const auto lines = exchangesOf(h, ok.headers["x-request-id"]);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].clientId, "integration");
  EXPECT_EQ(lines[0].httpStatus, 200);
  store::ExchangeQuery all;
  all.direction = "inbound";
  EXPECT_EQ(h.gateway().store().exchangeLog().exchanges(all)->size(), 4u);
  h.gateway().stop();  // closes the window of refused logins
  EXPECT_EQ(h.gateway().store().exchangeLog().exchanges(all)->size(), 5u);
  auto verified = audit::AuditTrail::verify(h.gateway().store());
  ASSERT_TRUE(verified.isOk());
  EXPECT_EQ(verified->firstBadSeq, 0);
  EXPECT_GE(verified->recordsChecked, 5);
}

TEST(DeliveryAdmin, ACrossSitePostWithTheIntegrationCertificateChangesNothing) {
  DeliveryPeer peer;
  peer.start();
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.start();
  std::string root = h.httpsBase();
  root.resize(root.size() - 5);  // https://localhost:PORT
  // What a page on another site makes the browser of the integration team send: a form POST,
  // with the client certificate the browser presents to the gateway.
  const TlsClient browser{certsDir() + "/ca.crt", certsDir() + "/integration.crt",
                          certsDir() + "/integration.key"};
  auto forged = [&](const std::string& path, std::map<std::string, std::string> headers) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    return httpCall("POST", root + path, "force=true", headers, browser);
  };
  for (const std::string path :
       {"/admin/destinations/regional/pause", "/console/api/destinations/regional/pause",
        "/admin/dead-letters/1/replay", "/admin/mappings/reload"}) {
    auto refused = forged(path, {{"Origin", "https://evil.example"}});
    EXPECT_EQ(refused.status, 403) << path << ": " << refused.body;
    EXPECT_NE(refused.body.find("X-Brygga-Console"), std::string::npos) << refused.body;
    // The refusal is on record like any other.
    const auto lines = exchangesOf(h, refused.headers["x-request-id"]);
    ASSERT_EQ(lines.size(), 1u) << path;
    EXPECT_EQ(lines[0].httpStatus, 403);
  }
  EXPECT_EQ(forged("/admin/destinations/regional/pause", {{"Origin", "null"}}).status, 403);
  EXPECT_EQ(forged("/admin/destinations/regional/pause", {}).status, 403);
  EXPECT_EQ(forged("/admin/destinations/regional/pause", {{"X-Brygga-Console", "yes"}}).status,
            403);
  auto states = parse(admin(h, "integration", "GET", "/destinations").body);
  EXPECT_FALSE((*destination(states, "regional"))["paused"].GetBool());

  // From the gateway's own origin (the console's page), or with the console's header: done.
  // The gateway's own origin is its listener's address (or server.publicBaseUrl), never the Host
  // a request names.
  const std::string own = "https://127.0.0.1:" + std::to_string(h.gateway().httpsPort());
  EXPECT_EQ(forged("/admin/destinations/regional/pause", {{"Origin", own}}).status, 200);
  states = parse(admin(h, "integration", "GET", "/destinations").body);
  EXPECT_TRUE((*destination(states, "regional"))["paused"].GetBool());
  EXPECT_EQ(forged("/console/api/destinations/regional/resume", {{"X-Brygga-Console", "1"}}).status,
            200);
  states = parse(admin(h, "integration", "GET", "/destinations").body);
  EXPECT_FALSE((*destination(states, "regional"))["paused"].GetBool());
}

TEST(DeliveryAdmin, APausedDestinationSendsNothingUntilResumedThenDeliversInOrder) {
  DeliveryPeer peer;
  peer.start();
  SimulatedTimeSystem time;  // outlives the gateway
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.setTimeSystem(&time);
  h.start();
  auto paused = admin(h, "integration", "POST", "/destinations/regional/pause");
  ASSERT_EQ(paused.status, 200) << paused.body;
  for (int n = 0; n < 3; ++n) {
    ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentOf(1, n)).status, 200);
  }
  time.advanceTimeWait(std::chrono::milliseconds(400), kPollInterval);  // 20 passes
  EXPECT_TRUE(peer.received().empty());

  auto states = parse(admin(h, "integration", "GET", "/destinations").body);
  const rapidjson::Value* regional = destination(states, "regional");
  ASSERT_NE(regional, nullptr);
  EXPECT_TRUE((*regional)["paused"].GetBool());
  EXPECT_STREQ((*regional)["pausedChangedBy"].GetString(), "integration");
  EXPECT_EQ((*regional)["pending"].GetInt(), 3);
  EXPECT_EQ((*regional)["maxQueueDepth"].GetInt(), 100000);
  EXPECT_GE((*regional)["oldestPendingAgeMs"].GetInt64(), 300);
  EXPECT_TRUE((*regional)["oldestPending"].IsString());

  ASSERT_EQ(admin(h, "integration", "POST", "/destinations/regional/resume").status, 200);
  ASSERT_TRUE(peer.waitForAccepted({episodeOf(1, 0), episodeOf(1, 1), episodeOf(1, 2)}, 10000));
  const auto got = peer.received();
  ASSERT_EQ(got.size(), 3u);
  for (int n = 0; n < 3; ++n) EXPECT_EQ(got[static_cast<size_t>(n)].n, n);
  ASSERT_TRUE(waitUntil([&] {  // the last acceptance recorded
    auto pending =
        h.gateway().store().outbox().entries("regional", store::OutboxState::kPending, 1);
    return pending.isOk() && pending->empty();
  }));
  states = parse(admin(h, "integration", "GET", "/destinations").body);
  EXPECT_FALSE((*destination(states, "regional"))["paused"].GetBool());
  EXPECT_TRUE((*destination(states, "regional"))["oldestPending"].IsNull());
  EXPECT_EQ(admin(h, "integration", "POST", "/destinations/nowhere/pause").status, 404);
}

TEST(DeliveryAdmin, ADeadLetterCanBeListedInspectedAndReplayed) {
  DeliveryPeer peer;
  peer.refusePatient(3);
  peer.start();
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.start();
  ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentOf(3, 0)).status, 200);
  std::string list;
  ASSERT_TRUE(waitUntil(
      [&] {
        list = admin(h, "integration", "GET", "/dead-letters?destination=regional").body;
        return list.find("\"id\"") != std::string::npos;
      },
      10000));
  auto doc = parse(list);
  ASSERT_EQ(doc["deadLetters"].Size(), 1u);
  const auto& dead = doc["deadLetters"][0];
  const int64_t id = dead["id"].GetInt64();
  EXPECT_STREQ(dead["state"].GetString(), "dead");
  EXPECT_EQ(dead["attempts"].GetInt(), 1);
  EXPECT_NE(std::string(dead["reason"].GetString()).find("HTTP 400"), std::string::npos);
  EXPECT_FALSE(dead.HasMember("payload"));  // the list carries no patient data

  auto shown = admin(h, "integration", "GET", "/dead-letters/" + std::to_string(id));
  ASSERT_EQ(shown.status, 200);
  auto entry = parse(shown.body);
  // The peer's answer and exactly what was sent.
  EXPECT_NE(std::string(entry["lastError"].GetString()).find("unknown care unit"),
            std::string::npos);
  EXPECT_STREQ(entry["payload"]["resourceType"].GetString(), "Bundle");
  EXPECT_NE(shown.body.find(episodeOf(3, 0)), std::string::npos);
  EXPECT_STREQ(entry["patient"].GetString(), dead["patient"].GetString());

  // The peer is fixed; the replay goes out with the same Idempotency-Key.
  peer.refusePatient(-1);
  auto replayed =
      admin(h, "integration", "POST", "/dead-letters/" + std::to_string(id) + "/replay");
  ASSERT_EQ(replayed.status, 200) << replayed.body;
  EXPECT_STREQ(parse(replayed.body)["state"].GetString(), "pending");
  ASSERT_TRUE(peer.waitForAccepted({episodeOf(3, 0)}, 10000));
  const auto got = peer.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].key, got[1].key);
  ASSERT_TRUE(waitUntil(
      [&] {
        auto e = h.gateway().store().outbox().outboxEntry(id);
        return e.isOk() && e->has_value() && (*e)->state == store::OutboxState::kDelivered;
      },
      5000));
  EXPECT_EQ((*h.gateway().store().outbox().outboxEntry(id))->attempts, 1);  // counted afresh

  // The replay was recorded in the same unit: exchange line "replayed" and an AuditEvent about
  // the patient.
  const auto lines = exchangesOf(h, replayed.headers["x-request-id"]);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].detail, "replayed");
  auto patientLog =
      h.gateway().store().auditLog().auditRecordsForPatient(entry["patient"].GetString(), 100);
  ASSERT_TRUE(patientLog.isOk());
  EXPECT_TRUE(std::any_of(patientLog->begin(), patientLog->end(), [](const auto& r) {
    return r.json.find("replayed") != std::string::npos;
  }));
  // Only dead letters can be replayed; unknown ids are 404.
  EXPECT_EQ(
      admin(h, "integration", "POST", "/dead-letters/" + std::to_string(id) + "/replay").status,
      409);
  EXPECT_EQ(admin(h, "integration", "POST", "/dead-letters/999999/replay").status, 404);
  EXPECT_EQ(admin(h, "integration", "GET", "/dead-letters?after=x").status, 400);
}

// What the console's banner shows: each destination's health at a glance, worst first.
TEST(DeliveryAdmin, EachDestinationShowsItsHealthAtAGlance) {
  const auto health = [](GatewayHarness& h) {
    auto doc = parse(admin(h, "integration", "GET", "/destinations").body);
    const rapidjson::Value* d = destination(doc, "regional");
    return d == nullptr ? std::string("missing") : fhir::toJson((*d)["health"]);
  };
  {
    DeliveryPeer peer;
    peer.refusePatient(7);
    peer.start();
    GatewayHarness h(nullptr);
    h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
    h.start();
    EXPECT_NE(health(h).find(R"("state":"ok")"), std::string::npos) << health(h);
    ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentOf(7, 0)).status, 200);
    ASSERT_TRUE(
        waitUntil([&] { return health(h).find("dead-letters") != std::string::npos; }, 10000))
        << health(h);
    EXPECT_NE(health(h).find("1 dead letter to look at"), std::string::npos) << health(h);
    ASSERT_EQ(admin(h, "integration", "POST", "/destinations/regional/pause").status, 200);
    EXPECT_NE(health(h).find(R"("state":"paused")"), std::string::npos) << health(h);
    EXPECT_NE(health(h).find("paused by integration"), std::string::npos) << health(h);
  }
  {
    GatewayHarness h(nullptr);  // the regional destination points at a closed port
    h.start();
    ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentOf(8, 0)).status, 200);
    ASSERT_TRUE(waitUntil(
        [&] { return health(h).find(R"("state":"failing")") != std::string::npos; }, 10000))
        << health(h);
    const auto doc = parse(health(h));
    EXPECT_TRUE(doc["since"].IsString());
    EXPECT_TRUE(doc["lastStatus"].IsNull());
    EXPECT_NE(std::string(doc["detail"].GetString()).find("unanswered"), std::string::npos);
  }
}

TEST(DeliveryAdmin, ReplayingAMessageOlderThanOneDeliveredIsRefusedUnlessForced) {
  DeliveryPeer peer;
  peer.refusePatient(4);
  peer.start();
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.start();
  ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentOf(4, 0)).status, 200);
  // The refusal is recorded (a dead letter) before the peer changes its mind: a request the peer
  // has received may not have been answered yet.
  const auto deadLetters = [&] {
    return parse(admin(h, "integration", "GET", "/dead-letters").body)["deadLetters"].Size();
  };
  ASSERT_TRUE(waitUntil([&] { return deadLetters() == 1; }, 10000));
  peer.refusePatient(-1);
  ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentOf(4, 1)).status, 200);
  ASSERT_TRUE(peer.waitForAccepted({episodeOf(4, 1)}, 10000));
  auto list = parse(admin(h, "integration", "GET", "/dead-letters").body);
  ASSERT_EQ(list["deadLetters"].Size(), 1u);
  const std::string id = std::to_string(list["deadLetters"][0]["id"].GetInt64());
  auto refused = admin(h, "integration", "POST", "/dead-letters/" + id + "/replay");
  EXPECT_EQ(refused.status, 409);
  EXPECT_NE(refused.body.find("newer"), std::string::npos) << refused.body;
  EXPECT_EQ(admin(h, "integration", "POST", "/dead-letters/" + id + "/replay?force=true").status,
            200);
  ASSERT_TRUE(peer.waitForAccepted({episodeOf(4, 0)}, 10000));
}

TEST(DeliveryAdmin, AFullQueueRefusesNewEnrollmentsWith503AndStoresNothing) {
  DeliveryPeer peer;
  peer.start();
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.config().destinations["regional"].maxQueueDepth = 3;
  h.start();
  ASSERT_EQ(admin(h, "integration", "POST", "/destinations/regional/pause").status, 200);
  for (int p = 0; p < 3; ++p) {
    ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentOf(10 + p, 0)).status, 200);
  }
  auto refused = h.call("kungsbacka", "POST", "/", enrollmentOf(13, 0));
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.headers["retry-after"], "30");
  auto outcome = parse(refused.body);
  EXPECT_STREQ(outcome["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(outcome["issue"][0]["code"].GetString(), "throttled");
  // Nothing of the refused enrollment was kept: not its patient, not an outbox entry.
  auto patients = h.call("kungsbacka", "GET",
                         "/Patient?" + personnummerQuery(testPersonnummer(1013).erase(8, 1)));
  EXPECT_EQ(parse(patients.body)["total"].GetInt(), 0);
  EXPECT_EQ(h.gateway().store().outbox().entries("regional", std::nullopt, 100)->size(), 3u);
  // Writes that enqueue nothing are not held back.
  EXPECT_EQ(
      h.call("kungsbacka", "POST", "/Location", R"({"resourceType":"Location","name":"Bostad"})")
          .status,
      201);

  // Once the queue drains, enrollments are taken again.
  ASSERT_EQ(admin(h, "integration", "POST", "/destinations/regional/resume").status, 200);
  ASSERT_TRUE(peer.waitForAccepted({episodeOf(10, 0), episodeOf(11, 0), episodeOf(12, 0)}, 10000));
  ASSERT_TRUE(waitUntil(
      [&] { return h.call("kungsbacka", "POST", "/", enrollmentOf(13, 0)).status == 200; }, 5000));
}

TEST(DeliveryAdmin, RetentionDeletesDeliveredPayloadsButKeepsDeadLettersAndTheAuditTrail) {
  DeliveryPeer peer;
  peer.refusePatient(21);
  peer.start();
  SimulatedTimeSystem time;  // outlives the gateway
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.setTimeSystem(&time);
  h.config().delivery.retentionMs = 1;
  h.config().delivery.retentionIntervalMs = 3600000;  // the test runs it
  h.start();
  for (int p = 20; p < 23; ++p) {
    ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentOf(p, 0)).status, 200);
  }
  ASSERT_TRUE(peer.waitForAccepted({episodeOf(20, 0), episodeOf(22, 0)}, 10000));
  store::Store& store = h.gateway().store();
  ASSERT_TRUE(waitUntil(
      [&] {
        return store.outbox().entries("regional", store::OutboxState::kDelivered, 10)->size() ==
                   2 &&
               store.outbox().entries("regional", store::OutboxState::kDead, 10)->size() == 1;
      },
      5000));
  const int64_t auditBefore = audit::AuditTrail::verify(store)->recordsChecked;
  time.advance(std::chrono::milliseconds(5));  // past the retention time
  auto purged = h.gateway().retention().runOnce();
  ASSERT_TRUE(purged.isOk()) << purged.status().toString();
  EXPECT_EQ(*purged, 2);
  EXPECT_TRUE(store.outbox().entries("regional", store::OutboxState::kDelivered, 10)->empty());
  EXPECT_EQ(store.outbox().entries("regional", store::OutboxState::kDead, 10)->size(), 1u);
  auto verified = audit::AuditTrail::verify(store);
  EXPECT_EQ(verified->firstBadSeq, 0);
  EXPECT_EQ(verified->recordsChecked, auditBefore);
}

TEST(DeliveryAdmin, TheNewConfigKeysAreReadAndChecked) {
  auto config = app::parseConfig(
      R"({"destinations":{"regional":{"baseUrl":"http://127.0.0.1:9/fhir","maxQueueDepth":500,)"
      R"("maxAgeMs":86400000}},"delivery":{"retentionMs":3600000,"retentionIntervalMs":60000},)"
      R"("storage":{"maxDatabaseBytes":1073741824}})");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->destinations["regional"].maxQueueDepth, 500);
  EXPECT_EQ(config->destinations["regional"].maxAgeMs, 86400000);
  EXPECT_EQ(config->delivery.retentionMs, 3600000);
  EXPECT_EQ(config->storage.maxDatabaseBytes, 1073741824);
  auto bad = app::parseConfig(R"({"storage":{"maxDatabaseBytes":-1}})");
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("storage.maxDatabaseBytes"), std::string::npos);
  auto zero = app::parseConfig(R"({"destinations":{"regional":{"baseUrl":"http://x/",)"
                               R"("maxQueueDepth":0}}})");
  EXPECT_FALSE(zero.isOk());
}

TEST(DeliveryCli, DeadLettersAndPauseWorkOnTheDataDirOfARunningGateway) {
  DeliveryPeer peer;
  peer.refusePatient(30);
  peer.start();
  TempDir data;
  // The command line stamps what it changes with the machine's clock: the gateway's wall clock
  // starts there and is kept in step after each command (as NTP keeps two processes in step).
  const core::RealTimeSystem machine;
  SimulatedTimeSystem time(machine.nowMs());  // outlives the gateway
  GatewayHarness h(nullptr, data.path());
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.setTimeSystem(&time);
  h.start();
  ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentOf(30, 0)).status, 200);
  ASSERT_TRUE(waitUntil(
      [&] { return !h.gateway().store().outbox().deadLetters({}, 0, 10)->empty(); }, 10000));
  const std::string dir = " --data-dir " + data.path();

  auto list = runBrygga("dead-letters list" + dir);
  ASSERT_EQ(list.exitCode, 0) << list.output;
  // One number per message: the console's, never the outbox id.
  auto dead = parse(h.consoleCall("integration", "GET", "/console/api/messages?status=dead").body);
  ASSERT_EQ(dead["messages"].Size(), 1u);
  const std::string seq = std::to_string(dead["messages"][0]["seq"].GetInt64());
  const int64_t id = h.gateway().store().outbox().deadLetters({}, 0, 10)->front().id;
  // For people: aligned columns under a header, the time of death in Stockholm time.
  EXPECT_EQ(list.output.rfind("MESSAGE  DESTINATION  PATIENT", 0), 0u) << list.output;
  EXPECT_TRUE(std::regex_search(list.output, std::regex("\n" + seq + " +regional +Patient/")))
      << list.output;
  EXPECT_NE(list.output.find("HTTP 400"), std::string::npos);
  EXPECT_TRUE(std::regex_search(
      list.output, std::regex(R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0[12]:00  HTTP 400)")))
      << list.output;
  // For scripts: the admin API's JSON, UTC instants, the message number beside the outbox id.
  auto json = runBrygga("dead-letters list --json" + dir);
  ASSERT_EQ(json.exitCode, 0) << json.output;
  auto listed = fhir::parseJson(json.output);
  ASSERT_TRUE(listed.isOk()) << json.output;
  ASSERT_TRUE((*listed)["deadLetters"].IsArray());
  EXPECT_EQ((*listed)["deadLetters"][0]["id"].GetInt64(), id);
  EXPECT_EQ(std::to_string((*listed)["deadLetters"][0]["message"].GetInt64()), seq);
  EXPECT_EQ(std::string((*listed)["deadLetters"][0]["finished"].GetString()).back(), 'Z');

  // Shown by its message number: the facts, the receiver's whole answer, the Bundle sent.
  auto show = runBrygga("dead-letters show " + seq + dir);
  ASSERT_EQ(show.exitCode, 0) << show.output;
  EXPECT_EQ(show.output.rfind("message " + seq + " to regional: dead letter\n", 0), 0u)
      << show.output;
  EXPECT_NE(show.output.find("receiver's answer:\nHTTP 400"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("unknown care unit"), std::string::npos);
  EXPECT_NE(show.output.find(episodeOf(30, 0)), std::string::npos);
  auto showJson = runBrygga("dead-letters show " + seq + " --json" + dir);
  ASSERT_EQ(showJson.exitCode, 0) << showJson.output;
  auto shown = fhir::parseJson(showJson.output);
  ASSERT_TRUE(shown.isOk()) << showJson.output;
  EXPECT_EQ(std::to_string((*shown)["message"].GetInt64()), seq);
  EXPECT_TRUE((*shown)["payload"].IsObject());
  EXPECT_EQ(runBrygga("dead-letters show 999999" + dir).exitCode, 66);
  EXPECT_EQ(runBrygga("dead-letters show " + seq + " --destination elsewhere" + dir).exitCode, 66);
  EXPECT_EQ(runBrygga("dead-letters show not-a-number" + dir).exitCode, 64);
  EXPECT_EQ(runBrygga("dead-letters frobnicate" + dir).exitCode, 64);

  // Paused from the command line: the running gateway stops sending on its next pass.
  auto pause = runBrygga("destination pause regional" + dir);
  ASSERT_EQ(pause.exitCode, 0) << pause.output;
  EXPECT_EQ(pause.output,
            "destination regional paused: nothing is sent to it until it is resumed\n");
  time.advanceTimeWait(kPollInterval);  // the next pass
  peer.refusePatient(-1);
  auto replay = runBrygga("dead-letters replay " + seq + dir);
  ASSERT_EQ(replay.exitCode, 0) << replay.output;
  EXPECT_EQ(replay.output.rfind(
                "message " + seq + " to regional replayed: back in the queue for Patient/", 0),
            0u)
      << replay.output;
  time.setSystemTimeMs(std::max(time.nowMs(), machine.nowMs()));        // the replay is due
  time.advanceTimeWait(std::chrono::milliseconds(400), kPollInterval);  // 20 passes
  EXPECT_EQ(peer.received().size(), 1u);  // still only the refused attempt
  auto destinations = runBrygga("destination list" + dir);
  EXPECT_EQ(destinations.output.rfind("DESTINATION  PAUSED  PENDING  MAX", 0), 0u)
      << destinations.output;
  EXPECT_NE(destinations.output.find("regional     yes     1        "), std::string::npos)
      << destinations.output;
  auto destinationsJson = runBrygga("destination list --json" + dir);
  EXPECT_NE(
      destinationsJson.output.find("\"name\":\"regional\",\"configured\":true,\"paused\":true"),
      std::string::npos)
      << destinationsJson.output;

  auto resume = runBrygga("destination resume regional --json" + dir);
  ASSERT_EQ(resume.exitCode, 0) << resume.output;
  EXPECT_EQ(resume.output, "{\"name\":\"regional\",\"paused\":false}\n");
  ASSERT_TRUE(time.advanceUntil(
      [&] { return peer.acceptedPerEpisode().count(episodeOf(30, 0)) > 0; }, kPollInterval));
  auto again = runBrygga("dead-letters replay " + seq + dir);
  EXPECT_EQ(again.exitCode, 65) << again.output;  // delivered, or deleted after delivery
  EXPECT_NE(again.output.find("message " + seq), std::string::npos) << again.output;

  // The commands were recorded as client "cli".
  store::ExchangeQuery q;
  q.direction = "inbound";
  q.limit = 1000;
  auto lines = h.gateway().store().exchangeLog().exchanges(q);
  ASSERT_TRUE(lines.isOk());
  int byCli = 0;
  for (const auto& l : *lines) byCli += l.clientId == "cli" ? 1 : 0;
  EXPECT_GE(byCli, 7);
  EXPECT_EQ(audit::AuditTrail::verify(h.gateway().store())->firstBadSeq, 0);
}

}  // namespace
}  // namespace brygga::testing

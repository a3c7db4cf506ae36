// Fault tests of store-and-forward delivery (issue 5): the peer down for a while, the peer failing
// at random, the gateway killed with SIGKILL under load, a poison message, a full disk. Loopback
// only; each test is bounded (waits end in at most 30 s) and takes a few seconds.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

#include "gateway/audit/audit_trail.h"
#include "tests/integration/delivery_peer.h"
#include "tests/integration/harness.h"
#include "tests/integration/process.h"

namespace brygga::testing {
namespace {

constexpr int kWaitMs = 30000;

// Sends `messages` enrollments for each of `patients` patients: one thread per patient, each
// patient's messages one after the other (so their acceptance order is known). Returns the
// episodes that were acknowledged with 200.
std::set<std::string> sendAll(GatewayHarness& h, int firstPatient, int patients, int messages) {
  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::vector<std::thread> threads;
  for (int p = firstPatient; p < firstPatient + patients; ++p) {
    threads.emplace_back([&, p] {
      for (int n = 0; n < messages; ++n) {
        const auto r = h.call("kungsbacka", "POST", "/", enrollmentOf(p, n));
        EXPECT_EQ(r.status, 200) << r.body;
        if (r.status == 200) {
          std::lock_guard lock(mutex);
          acknowledged.insert(episodeOf(p, n));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return acknowledged;
}

TEST(DeliveryFaults, ThePeerDownForAWhileThenBackGetsEverythingOnceAndInOrder) {
  const int port = freePort();
  DeliveryPeer peer;  // down: nothing listens on the port yet
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl =
      "http://127.0.0.1:" + std::to_string(port) + "/fhir";
  h.start();
  const std::set<std::string> acknowledged = sendAll(h, 0, 6, 4);
  ASSERT_EQ(acknowledged.size(), 24u);
  // Down until a message has failed twice; all of them wait.
  ASSERT_TRUE(waitUntil([&] {
    auto pending =
        h.gateway().store().outbox().entries("regional", store::OutboxState::kPending, 100);
    return pending.isOk() && std::any_of(pending->begin(), pending->end(),
                                         [](const auto& e) { return e.attempts >= 2; });
  }));
  EXPECT_EQ(
      h.gateway().store().outbox().entries("regional", store::OutboxState::kPending, 100)->size(),
      24u);

  peer.start(port);
  ASSERT_TRUE(peer.waitForAccepted(acknowledged, kWaitMs));
  ASSERT_TRUE(waitForNothingPending(h));  // nothing more can be sent
  const auto received = peer.received();
  EXPECT_EQ(received.size(), 24u);
  expectEachOnceUnderOneKey(received, acknowledged);
  expectInOrderPerPatient(received);
}

TEST(DeliveryFaults, ThePeerAnswering500AtRandomStillGetsEverythingInOrder) {
  DeliveryPeer peer;
  peer.failAtRandom(0.3);
  peer.start();
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.start();
  const std::set<std::string> acknowledged = sendAll(h, 100, 6, 5);
  ASSERT_EQ(acknowledged.size(), 30u);
  ASSERT_TRUE(peer.waitForAccepted(acknowledged, kWaitMs));
  ASSERT_TRUE(waitForNothingPending(h));  // nothing more can be sent
  const auto received = peer.received();
  EXPECT_GT(received.size(), 30u);  // the 500s were retried
  expectEachOnceUnderOneKey(received, acknowledged);
  // A message that failed held back its patient's later ones: even counting the failed
  // attempts, no patient's messages arrived out of order.
  std::map<int, int> highest;
  for (const auto& r : received) {
    auto it = highest.find(r.patient);
    if (it != highest.end()) {
      EXPECT_GE(r.n, it->second) << "patient " << r.patient;
    }
    highest[r.patient] = std::max(r.n, it == highest.end() ? r.n : it->second);
  }
}

TEST(DeliveryFaults, APoisonMessageIsDeadLetteredWhileOtherPatientsFlow) {
  DeliveryPeer peer;
  peer.refusePatient(202);
  peer.start();
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.start();
  // The poison message first, then everyone else's.
  ASSERT_EQ(h.call("kungsbacka", "POST", "/", enrollmentOf(202, 0)).status, 200);
  const std::set<std::string> others = sendAll(h, 200, 2, 3);
  std::set<std::string> more = sendAll(h, 203, 2, 3);
  std::set<std::string> healthy = others;
  healthy.insert(more.begin(), more.end());
  ASSERT_EQ(healthy.size(), 12u);
  ASSERT_TRUE(peer.waitForAccepted(healthy, kWaitMs));

  // Refused once (400 is not retried) and dead, with the peer's answer.
  const auto received = peer.received();
  EXPECT_EQ(std::count_if(received.begin(), received.end(),
                          [](const auto& r) { return r.patient == 202; }),
            1);
  auto dead = h.gateway().store().outbox().deadLetters(std::string("regional"), 0, 10);
  ASSERT_TRUE(dead.isOk());
  ASSERT_EQ(dead->size(), 1u);
  EXPECT_NE(dead->front().payload.find(episodeOf(202, 0)), std::string::npos);
  EXPECT_NE(dead->front().lastError.find("unknown care unit"), std::string::npos);
  expectEachOnceUnderOneKey(received, healthy);
  expectInOrderPerPatient(received);
}

// --- The real binary, killed --------------------------------------------------------------------

TEST(DeliveryFaults, AGatewayKilledUnderLoadDeliversEveryAcknowledgedMessageAfterRestart) {
  DeliveryPeer peer;
  peer.start();
  TempDir dir;
  const std::string config = writeServeConfig(dir, peer.baseUrl());
  ServeProcess first = startServe(config, dir.file("gateway.log"));
  ASSERT_GT(first.port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(first.port) + "/fhir";

  // Six senders, each with its own patients, until the gateway dies under them.
  KeepSending senders(url, 300, 6);
  ASSERT_TRUE(waitUntil([&] { return senders.count() >= 150; }, kWaitMs));
  // Restarted on the same data: every acknowledged message reaches the peer.
  auto [acknowledged, second] = killAndRestart(first, senders, config, dir.file("gateway.log"));
  ASSERT_GT(second.port, 0);
  const bool all = peer.waitForAccepted(acknowledged, kWaitMs);
  // Nothing pending in its database: it has nothing more to send, resent or not.
  Poco::Data::SQLite::Connector::registerConnector();
  const bool drained = waitUntil([&] {
    try {
      Poco::Data::Session session("SQLite", dir.file("data") + "/brygga.db");
      int pending = -1;
      session << "SELECT count(*) FROM outbox WHERE state = 'pending'",
          Poco::Data::Keywords::into(pending), Poco::Data::Keywords::now;
      return pending == 0;
    } catch (const Poco::Exception&) {
      return false;  // busy: the gateway is writing
    }
  });
  EXPECT_TRUE(stopServe(second, SIGTERM));
  ASSERT_TRUE(all) << acknowledged.size() << " acknowledged";
  ASSERT_TRUE(drained);

  // None twice: an episode went out under one Idempotency-Key only (it was stored once), and a
  // key repeats only for what was in flight when the gateway died (sent, not yet recorded: at
  // most one delivery batch), which the conditional Bundle makes harmless at the peer.
  const auto received = peer.received();
  std::map<std::string, std::set<std::string>> keysOf;
  std::map<std::string, int> perKey;
  for (const auto& r : received) {
    keysOf[r.episode].insert(r.key);
    ++perKey[r.key];
  }
  for (const auto& [episode, keys] : keysOf) EXPECT_EQ(keys.size(), 1u) << episode;
  int resent = 0;
  for (const auto& [key, count] : perKey) resent += count - 1;
  EXPECT_LE(resent, 32);
  RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("resentAfterTheCrash", resent);
  expectInOrderPerPatient(received, /*allowResend=*/true);

  // The database is intact and the audit chain verifies.
  Poco::Data::Session session("SQLite", dir.file("data") + "/brygga.db");
  std::string integrity;
  session << "PRAGMA integrity_check", Poco::Data::Keywords::into(integrity),
      Poco::Data::Keywords::now;
  EXPECT_EQ(integrity, "ok");
}

// --- A full disk --------------------------------------------------------------------------------

TEST(DeliveryFaults, AFullDiskIsAClearErrorToTheSenderAndTheGatewayRecoversWhenSpaceReturns) {
  DeliveryPeer peer;
  peer.start();
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  // storage.maxDatabaseBytes stands in for the volume: past it writes fail like on a full disk.
  h.config().storage.maxDatabaseBytes = 2 << 20;
  h.config().delivery.retentionMs = 1;
  h.config().delivery.retentionIntervalMs = 3600000;
  h.start();

  std::set<std::string> acknowledged;
  HttpAnswer refused;
  for (int n = 0; n < 1000 && refused.status == 0; ++n) {
    const auto r = h.call("kungsbacka", "POST", "/", enrollmentOf(400 + n % 50, n));
    if (r.status == 200) {
      acknowledged.insert(episodeOf(400 + n % 50, n));
    } else {
      refused = r;
    }
  }
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.headers["retry-after"], "30");
  auto outcome = parse(refused.body);
  EXPECT_STREQ(outcome["resourceType"].GetString(), "OperationOutcome");
  EXPECT_STREQ(outcome["issue"][0]["code"].GetString(), "transient");
  EXPECT_NE(std::string(outcome["issue"][0]["diagnostics"].GetString()).find("disk is full"),
            std::string::npos);
  EXPECT_GT(acknowledged.size(), 20u);

  // Every acknowledged enrollment is delivered; nothing is corrupt.
  ASSERT_TRUE(peer.waitForAccepted(acknowledged, kWaitMs));
  store::Store& store = h.gateway().store();
  EXPECT_EQ(audit::AuditTrail::verify(store)->firstBadSeq, 0);
  {
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", h.config().dataDir + "/brygga.db");
    std::string integrity;
    session << "PRAGMA integrity_check", Poco::Data::Keywords::into(integrity),
        Poco::Data::Keywords::now;
    EXPECT_EQ(integrity, "ok");
  }

  // Space returns (retention deletes the delivered payloads): enrollments are taken again.
  ASSERT_TRUE(waitUntil(
      [&] {
        auto n = h.gateway().retention().runOnce();
        return n.isOk() && *n > 0;
      },
      kWaitMs));
  ASSERT_TRUE(waitUntil(
      [&] { return h.call("kungsbacka", "POST", "/", enrollmentOf(499, 9999)).status == 200; },
      kWaitMs));
  ASSERT_TRUE(peer.waitForAccepted({episodeOf(499, 9999)}, kWaitMs));
}

}  // namespace
}  // namespace brygga::testing

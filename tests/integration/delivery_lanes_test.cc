// Parallel lanes towards a peer across a WAN (issue 17 item 3): a slow peer is drained with many
// requests in flight, one patient's messages stay in order while hundreds of others interleave,
// and a gateway killed with requests in flight loses nothing and sends nothing under two keys.
// How fast it drains is measured in bench/ (BENCHMARKS.md), not asserted here.
#include <gtest/gtest.h>


#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

#include "tests/integration/delivery_peer.h"
#include "tests/integration/harness.h"
#include "tests/integration/process.h"

namespace brygga::testing {
namespace {

constexpr int kWaitMs = 60000;

HttpAnswer admin(GatewayHarness& h, const std::string& method, const std::string& path) {
  return h.consoleCall("integration", method, "/admin" + path);
}

// Enrollments of `patients` patients (from `first`), `messages` each, sent by `threads` senders;
// a patient's messages are sent one after the other. Returns the acknowledged episodes.
std::set<std::string> send(GatewayHarness& h, int first, int patients, int messages, int threads) {
  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::atomic<int> nextPatient{first};
  std::vector<std::thread> senders;
  for (int t = 0; t < threads; ++t) {
    senders.emplace_back([&] {
      for (int p = nextPatient++; p < first + patients; p = nextPatient++) {
        for (int n = 0; n < messages; ++n) {
          const HttpAnswer r = h.call("kungsbacka", "POST", "/", enrollmentOf(p, n));
          EXPECT_EQ(r.status, 200) << r.body;
          std::lock_guard lock(mutex);
          if (r.status == 200) acknowledged.insert(episodeOf(p, n));
        }
      }
    });
  }
  for (auto& s : senders) s.join();
  return acknowledged;
}

TEST(DeliveryLanes, ABacklogIsDrainedToASlowPeerWithManyRequestsInFlight) {
  DeliveryPeer peer;
  peer.answerAfterMs(100);
  peer.start();
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.start();
  // A night's backlog: queued while the destination was paused.
  ASSERT_EQ(admin(h, "POST", "/destinations/regional/pause").status, 200);
  const std::set<std::string> sent = send(h, 0, 200, 1, 8);
  ASSERT_EQ(sent.size(), 200u);
  ASSERT_EQ(peer.received().size(), 0u);
  ASSERT_EQ(admin(h, "POST", "/destinations/regional/resume").status, 200);
  ASSERT_TRUE(peer.waitForAccepted(sent, kWaitMs));
  // Several lanes were busy at once, never more than maxInFlight (16 by default).
  EXPECT_GE(peer.maxConcurrent(), 8);
  EXPECT_LE(peer.maxConcurrent(), 16);
  expectEachOnceUnderOneKey(peer.received(), sent);
  expectInOrderPerPatient(peer.received());
}

TEST(DeliveryLanes, OnePatientsTwentyMessagesStayInOrderWhileTwoHundredOthersInterleave) {
  DeliveryPeer peer;
  peer.answerAfterMs(5);
  peer.start();
  GatewayHarness h(nullptr);
  h.config().destinations["regional"].peer.baseUrl = peer.baseUrl();
  h.start();
  std::set<std::string> sent;
  std::thread one([&] {
    for (const std::string& e : send(h, 0, 1, 20, 1)) sent.insert(e);
  });
  const std::set<std::string> others = send(h, 1, 200, 1, 8);
  one.join();
  ASSERT_EQ(sent.size(), 20u);
  ASSERT_EQ(others.size(), 200u);
  sent.insert(others.begin(), others.end());
  ASSERT_TRUE(peer.waitForAccepted(sent, kWaitMs));
  const auto received = peer.received();
  expectEachOnceUnderOneKey(received, sent);
  expectInOrderPerPatient(received);
  // Patient 0's messages really were interleaved with the others'.
  int firstOfZero = -1;
  int lastOfZero = -1;
  for (int i = 0; i < static_cast<int>(received.size()); ++i) {
    if (received[i].patient != 0) continue;
    if (firstOfZero < 0) firstOfZero = i;
    lastOfZero = i;
  }
  EXPECT_GT(lastOfZero - firstOfZero, 20);
}

TEST(DeliveryLanes, AGatewayKilledWithRequestsInFlightLosesNothingAndUsesOneKeyPerMessage) {
  DeliveryPeer peer;
  peer.answerAfterMs(50);
  peer.start();
  TempDir dir;
  const std::string config = writeServeConfig(dir, peer.baseUrl());
  ServeProcess first = startServe(config, dir.file("gateway.log"));
  ASSERT_GT(first.port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(first.port) + "/fhir";
  KeepSending senders(url, 500, 24);
  // Killed while the peer holds several requests of the gateway's lanes.
  ASSERT_TRUE(
      waitUntil([&] { return peer.received().size() >= 100 && peer.concurrent() >= 8; }, kWaitMs));
  auto [acknowledged, second] = killAndRestart(first, senders, config, dir.file("gateway.log"));
  ASSERT_GT(second.port, 0);
  const bool all = peer.waitForAccepted(acknowledged, kWaitMs);
  EXPECT_TRUE(stopServe(second, SIGTERM));
  ASSERT_TRUE(all) << acknowledged.size() << " acknowledged";
  // What was in flight may come again, under its own key and in its place; nothing under two.
  const auto received = peer.received();
  expectEachOnceUnderOneKey(received, acknowledged, /*resentInFlight=*/true);
  expectInOrderPerPatient(received, /*allowResend=*/true);
}

}  // namespace
}  // namespace brygga::testing

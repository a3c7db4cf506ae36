// Issue 7: alert rules end to end. The regional EHR is down; a webhook receiver (a TestPeer)
// gets exactly one alert for it, however many deliveries fail, and one "resolved" once it is back.
#include <gtest/gtest.h>

#include <chrono>

#include "tests/integration/delivery_peer.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"

namespace brygga::testing {
namespace {

void onlyDestinationFailing(alerts::AlertsConfig& a, const std::string& url) {
  a.webhookUrl = url;
  a.evaluateIntervalMs = 100;
  a.renotifyIntervalMs = 0;
  a.sendResolved = true;
  a.queueAgeMs = 0;
  a.queueDepth = 0;
  a.deadLetters = false;
  a.checkpointOverdueMs = 0;
  a.destinationFailingMs = 300;
  a.instance = "brygga-test";
}

constexpr std::chrono::milliseconds kRulesInterval{100};  // evaluateIntervalMs above

TEST(Alerts, ADestinationDownRaisesOneAlertAndOneResolved) {
  TestPeer webhook;
  const int port = freePort();
  SimulatedTimeSystem time;  // outlives the gateway
  GatewayHarness harness(nullptr);
  harness.config().destinations["regional"].peer.baseUrl =
      "http://127.0.0.1:" + std::to_string(port) + "/fhir";
  onlyDestinationFailing(harness.config().alerts, webhook.baseUrl() + "/alerts");
  harness.setTimeSystem(&time);
  harness.start();

  ASSERT_EQ(harness.call("kungsbacka", "POST", "/", enrollmentBundle()).status, 200);
  ASSERT_TRUE(time.advanceUntil([&] { return webhook.requestCount() >= 1; }, kRulesInterval));
  // Deliveries go on failing every 50-200 ms and the rules run every 100 ms: still one alert.
  time.advanceTimeWait(std::chrono::milliseconds(1500), kRulesInterval);
  auto requests = webhook.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& alert = requests[0];
  EXPECT_EQ(alert.method, "POST");
  EXPECT_EQ(alert.uri, "/fhir/alerts");
  EXPECT_EQ(alert.headers.at("content-type"), "application/json");
  auto body = parse(alert.body);
  EXPECT_STREQ(body["status"].GetString(), "firing");
  EXPECT_STREQ(body["rule"].GetString(), "destination_failing");
  EXPECT_STREQ(body["subject"].GetString(), "regional");
  EXPECT_STREQ(body["instance"].GetString(), "brygga-test");
  const std::string text = body["text"].GetString();
  EXPECT_NE(text.find("destination regional: every delivery attempt has failed for"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("no answer"), std::string::npos) << text;
  // PHI-free: not the patient, not the payload.
  for (const char* s : {"19121212", "191212121212", "121212-1212", "Tolvan", "Patient"}) {
    EXPECT_EQ(alert.body.find(s), std::string::npos) << s << " in " << alert.body;
  }
  EXPECT_EQ(harness.gateway().alertMonitor().firing().size(), 1u);

  // The EHR comes back: the message is delivered and the alert resolves, once.
  DeliveryPeer ehr;
  ehr.start(port);
  ASSERT_TRUE(time.advanceUntil([&] { return webhook.requestCount() >= 2; }, kRulesInterval));
  time.advanceTimeWait(std::chrono::milliseconds(500), kRulesInterval);
  requests = webhook.requests();
  ASSERT_EQ(requests.size(), 2u);
  auto resolved = parse(requests[1].body);
  EXPECT_STREQ(resolved["status"].GetString(), "resolved");
  EXPECT_STREQ(resolved["rule"].GetString(), "destination_failing");
  EXPECT_TRUE(harness.gateway().alertMonitor().firing().empty());
  harness.stop();
  EXPECT_NE(harness.logText().find("\"event\":\"alert.firing\""), std::string::npos);
}

TEST(Alerts, AWebhookThatFailsIsRetriedAndDoesNotStopDelivery) {
  TestPeer webhook;
  std::atomic<int> calls{0};
  webhook.setHandler([&](const TestPeer::Request&) {
    TestPeer::Response r;
    r.status = ++calls <= 1 ? 503 : 200;  // the first call fails
    return r;
  });
  TestPeer ehr;
  ehr.setHandler([](const TestPeer::Request&) {
    TestPeer::Response r;
    r.status = 400;  // every message refused: dead letters
    r.body = R"({"resourceType":"OperationOutcome"})";
    return r;
  });
  SimulatedTimeSystem time;  // outlives the gateway
  GatewayHarness harness(&ehr);
  auto& a = harness.config().alerts;
  onlyDestinationFailing(a, webhook.baseUrl() + "/alerts");
  a.destinationFailingMs = 0;
  a.deadLetters = true;
  harness.setTimeSystem(&time);
  harness.start();
  ASSERT_EQ(harness.call("kungsbacka", "POST", "/", enrollmentBundle()).status, 200);
  ASSERT_TRUE(time.advanceUntil([&] { return webhook.requestCount() >= 2; }, kRulesInterval));
  time.advanceTimeWait(std::chrono::milliseconds(500), kRulesInterval);
  EXPECT_EQ(webhook.requestCount(), 2u);  // the failed call and its successful retry
  auto body = parse(webhook.requests()[1].body);
  EXPECT_STREQ(body["rule"].GetString(), "dead_letters");
  EXPECT_NE(std::string(body["text"].GetString()).find("1 dead letter"), std::string::npos);
  EXPECT_EQ(harness.gateway().alertMonitor().counters().sent, 1);
  EXPECT_EQ(harness.gateway().alertMonitor().counters().failedAttempts, 1);
}

}  // namespace
}  // namespace brygga::testing

// Issue 7: alert rules end to end. The regional EHR is down; a webhook receiver (a FakePeer)
// gets exactly one alert for it, however many deliveries fail, and one "resolved" once it is back.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

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

TEST(Alerts, ADestinationDownRaisesOneAlertAndOneResolved) {
  FakePeer webhook;
  const int port = freePort();
  GatewayHarness harness(nullptr);
  harness.config().destinations["regional"].peer.baseUrl =
      "http://127.0.0.1:" + std::to_string(port) + "/fhir";
  onlyDestinationFailing(harness.config().alerts, webhook.baseUrl() + "/alerts");
  harness.start();

  ASSERT_EQ(harness.call("kungsbacka", "POST", "/", enrollmentBundle()).status, 200);
  ASSERT_EQ(webhook.waitForRequests(1, 10000), 1u);
  // Deliveries go on failing every 50-200 ms and the rules run every 100 ms: still one alert.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
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
  ASSERT_EQ(webhook.waitForRequests(2, 15000), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
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
  FakePeer webhook;
  std::atomic<int> calls{0};
  webhook.setHandler([&](const FakePeer::Request&) {
    FakePeer::Response r;
    r.status = ++calls <= 1 ? 503 : 200;  // the first call fails
    return r;
  });
  FakePeer ehr;
  ehr.setHandler([](const FakePeer::Request&) {
    FakePeer::Response r;
    r.status = 400;  // every message refused: dead letters
    r.body = R"({"resourceType":"OperationOutcome"})";
    return r;
  });
  GatewayHarness harness(&ehr);
  auto& a = harness.config().alerts;
  onlyDestinationFailing(a, webhook.baseUrl() + "/alerts");
  a.destinationFailingMs = 0;
  a.deadLetters = true;
  harness.start();
  ASSERT_EQ(harness.call("kungsbacka", "POST", "/", enrollmentBundle()).status, 200);
  ASSERT_EQ(webhook.waitForRequests(2, 10000), 2u);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(webhook.requestCount(), 2u);  // the failed call and its successful retry
  auto body = parse(webhook.requests()[1].body);
  EXPECT_STREQ(body["rule"].GetString(), "dead_letters");
  EXPECT_NE(std::string(body["text"].GetString()).find("1 dead letter"), std::string::npos);
  EXPECT_EQ(harness.gateway().alertMonitor().counters().sent, 1);
  EXPECT_EQ(harness.gateway().alertMonitor().counters().failedAttempts, 1);
}

}  // namespace
}  // namespace brygga::testing

// Topic-based Subscriptions (issue 14, R4 Subscriptions Backport IG), end to end over HTTP: a
// subscriber on port 0 registers, gets its handshake, events and heartbeats through the outbox,
// and hears only of what it may read.
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/test_personnummer.h"

namespace brygga::testing {
namespace {

constexpr const char* kEnrollmentTopic = "https://brygga.se/fhir/SubscriptionTopic/enrollment";
constexpr const char* kFilterUrl =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-filter-criteria";
constexpr const char* kContentUrl =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-payload-content";
constexpr const char* kHeartbeatUrl =
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-heartbeat-period";

struct SubscriptionSpec {
  std::string topic = kEnrollmentTopic;
  std::string endpoint;
  std::string filter;  // a backport-filter-criteria value; empty: none
  std::string content = "id-only";
  int heartbeatSeconds = 0;
  std::string channelType = "rest-hook";
  std::string header;  // one channel.header; empty: none
  std::string status = "requested";
};

std::string subscriptionJson(const SubscriptionSpec& s) {
  std::string json = R"({"resourceType":"Subscription","status":")" + s.status +
                     R"(","reason":"Hemsjukvårdens verksamhetssystem","criteria":")" + s.topic +
                     "\"";
  if (!s.filter.empty()) {
    json += R"(,"_criteria":{"extension":[{"url":")" + std::string(kFilterUrl) +
            R"(","valueString":")" + s.filter + R"("}]})";
  }
  json += R"(,"channel":{"type":")" + s.channelType + R"(","endpoint":")" + s.endpoint +
          R"(","payload":"application/fhir+json","_payload":{"extension":[{"url":")" + kContentUrl +
          R"(","valueCode":")" + s.content + R"("}]})";
  if (s.heartbeatSeconds > 0) {
    json += R"(,"extension":[{"url":")" + std::string(kHeartbeatUrl) + R"(","valueUnsignedInt":)" +
            std::to_string(s.heartbeatSeconds) + "}]";
  }
  if (!s.header.empty()) json += R"(,"header":[")" + s.header + R"("])";
  json += "}}";
  return json;
}

// The status Parameters of a notification Bundle: parameter name -> value (strings and codes).
struct NoteStatus {
  std::string type;
  std::string status;
  std::string eventsSinceStart;
  std::string subscription;
  std::string topic;
  std::vector<std::string> eventNumbers;
  std::vector<std::string> focus;
  std::vector<std::string> additionalContext;
};

NoteStatus statusOf(const rapidjson::Value& parameters) {
  NoteStatus s;
  for (const auto& p : parameters["parameter"].GetArray()) {
    const std::string name = p["name"].GetString();
    if (name == "type") s.type = p["valueCode"].GetString();
    if (name == "status") s.status = p["valueCode"].GetString();
    if (name == "events-since-subscription-start")
      s.eventsSinceStart = p["valueString"].GetString();
    if (name == "subscription") s.subscription = p["valueReference"]["reference"].GetString();
    if (name == "topic") s.topic = p["valueCanonical"].GetString();
    if (name == "notification-event") {
      for (const auto& part : p["part"].GetArray()) {
        const std::string partName = part["name"].GetString();
        if (partName == "event-number") s.eventNumbers.push_back(part["valueString"].GetString());
        if (partName == "focus") s.focus.push_back(part["valueReference"]["reference"].GetString());
        if (partName == "additional-context") {
          s.additionalContext.push_back(part["valueReference"]["reference"].GetString());
        }
      }
    }
  }
  return s;
}

NoteStatus notificationStatus(const std::string& body) {
  auto doc = parse(body);
  EXPECT_EQ(std::string(doc["type"].GetString()), "history");
  return statusOf(doc["entry"][0]["resource"]);
}

// Waits until `condition` holds, checking every 10 ms, at most `timeoutMs`.
bool eventually(const std::function<bool()>& condition, int timeoutMs = 10000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

class SubscriptionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<GatewayHarness>(&ehr_);
    auto& s = harness_->config().subscriptions;
    s.allowedEndpoints["kungsbacka"] = {subscriber_.baseUrl() + "/"};
    s.allowedEndpoints["varberg"] = {subscriber_.baseUrl() + "/"};
    s.allowedEndpoints["region"] = {subscriber_.baseUrl() + "/"};
    s.delivery.retryBaseMs = 20;
    s.delivery.retryMaxMs = 100;
    s.delivery.peer.timeoutMs = 5000;
    harness_->start();
  }

  HttpAnswer call(const std::string& client, const std::string& method, const std::string& path,
                  const std::string& body = {}, std::map<std::string, std::string> headers = {}) {
    return harness_->call(client, method, path, body, std::move(headers));
  }

  // Registers a subscription for `client` and returns its id.
  std::string subscribe(const std::string& client, SubscriptionSpec spec) {
    if (spec.endpoint.empty()) spec.endpoint = subscriber_.baseUrl() + "/" + client;
    auto r = call(client, "POST", "/Subscription", subscriptionJson(spec));
    EXPECT_EQ(r.status, 201) << r.body;
    if (r.status != 201) return {};
    return parse(r.body)["id"].GetString();
  }

  // What arrived at the subscriber for `path` ("/kungsbacka"), in arrival order.
  std::vector<TestPeer::Request> receivedAt(const std::string& path) const {
    std::vector<TestPeer::Request> out;
    for (const auto& r : subscriber_.requests()) {
      if (r.uri == "/fhir/" + path.substr(1) || r.uri == "/fhir" + path) out.push_back(r);
    }
    return out;
  }

  // The notifications of `type` that arrived at `path`.
  std::vector<NoteStatus> notificationsAt(const std::string& path, const std::string& type) const {
    std::vector<NoteStatus> out;
    for (const auto& r : receivedAt(path)) {
      NoteStatus s = notificationStatus(r.body);
      if (s.type == type) out.push_back(s);
    }
    return out;
  }

  std::string statusOfSubscription(const std::string& client, const std::string& id) {
    auto r = call(client, "GET", "/Subscription/" + id);
    if (r.status != 200) return "http " + std::to_string(r.status);
    return parse(r.body)["status"].GetString();
  }

  TestPeer ehr_;
  TestPeer subscriber_;
  std::unique_ptr<GatewayHarness> harness_;
};

TEST_F(SubscriptionsTest, HandshakeMakesTheSubscriptionActive) {
  auto r = call("kungsbacka", "POST", "/Subscription",
                subscriptionJson({.endpoint = subscriber_.baseUrl() + "/kungsbacka"}));
  ASSERT_EQ(r.status, 201) << r.body;
  auto created = parse(r.body);
  const std::string id = created["id"].GetString();
  EXPECT_EQ(std::string(created["status"].GetString()), "requested");

  ASSERT_TRUE(subscriber_.waitFor([&] { return !receivedAt("/kungsbacka").empty(); }));
  const auto first = receivedAt("/kungsbacka").front();
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.headers.at("content-type"), "application/fhir+json");
  NoteStatus handshake = notificationStatus(first.body);
  EXPECT_EQ(handshake.type, "handshake");
  EXPECT_EQ(handshake.status, "requested");
  EXPECT_EQ(handshake.eventsSinceStart, "0");
  EXPECT_EQ(handshake.topic, kEnrollmentTopic);
  EXPECT_EQ(handshake.subscription, "Subscription/" + id);

  EXPECT_TRUE(eventually([&] { return statusOfSubscription("kungsbacka", id) == "active"; }));
}

TEST_F(SubscriptionsTest, AnEnrollmentNotifiesWithTheFocusAndNumbersEvents) {
  const std::string idOnly = subscribe("kungsbacka", {.filter = "municipality=kungsbacka"});
  const std::string full = subscribe(
      "kungsbacka", {.endpoint = subscriber_.baseUrl() + "/full", .content = "full-resource"});
  ASSERT_TRUE(eventually([&] { return statusOfSubscription("kungsbacka", idOnly) == "active"; }));

  const std::string patient = harness_->enroll("kungsbacka", testPersonnummer(1), "E-1");
  harness_->enroll("kungsbacka", testPersonnummer(2), "E-2");
  ASSERT_TRUE(eventually([&] {
    return notificationsAt("/kungsbacka", "event-notification").size() == 2 &&
           notificationsAt("/full", "event-notification").size() == 2;
  }));
  auto events = notificationsAt("/kungsbacka", "event-notification");
  EXPECT_EQ(events[0].eventNumbers, std::vector<std::string>{"1"});
  EXPECT_EQ(events[1].eventNumbers, std::vector<std::string>{"2"});
  EXPECT_EQ(events[1].eventsSinceStart, "2");
  ASSERT_EQ(events[0].focus.size(), 1u);
  EXPECT_EQ(events[0].focus[0].rfind("EpisodeOfCare/", 0), 0u);
  EXPECT_EQ(events[0].additionalContext, std::vector<std::string>{"Patient/" + patient});

  // id-only: an entry naming the focus without the resource; full-resource: with it.
  auto idOnlyBundle = parse(receivedAt("/kungsbacka")[1].body);
  ASSERT_EQ(idOnlyBundle["entry"].Size(), 2u);
  EXPECT_FALSE(idOnlyBundle["entry"][1].HasMember("resource"));
  EXPECT_EQ(std::string(idOnlyBundle["entry"][1]["fullUrl"].GetString()), events[0].focus[0]);
  const auto fullEvents = receivedAt("/full");
  auto fullBundle = parse(fullEvents.back().body);
  ASSERT_TRUE(fullBundle["entry"][1].HasMember("resource"));
  EXPECT_EQ(std::string(fullBundle["entry"][1]["resource"]["resourceType"].GetString()),
            "EpisodeOfCare");

  // $status counts the same events.
  auto status = call("kungsbacka", "GET", "/Subscription/" + idOnly + "/$status");
  ASSERT_EQ(status.status, 200) << status.body;
  auto statusBundle = parse(status.body);
  EXPECT_EQ(std::string(statusBundle["type"].GetString()), "searchset");
  NoteStatus s = statusOf(statusBundle["entry"][0]["resource"]);
  EXPECT_EQ(s.type, "query-status");
  EXPECT_EQ(s.eventsSinceStart, "2");
  EXPECT_EQ(s.status, "active");
}

TEST_F(SubscriptionsTest, ASubscriberHearsOnlyOfPatientsItMayRead) {
  // Varberg subscribes to every enrollment, without a filter: it must still hear only of its own.
  const std::string varberg = subscribe("varberg", {});
  ASSERT_TRUE(eventually([&] { return statusOfSubscription("varberg", varberg) == "active"; }));
  harness_->enroll("kungsbacka", testPersonnummer(3), "E-3");
  harness_->enroll("varberg", testPersonnummer(4), "E-4");
  ASSERT_TRUE(
      eventually([&] { return !notificationsAt("/varberg", "event-notification").empty(); }));
  // Every enrollment has been routed before Varberg's own was answered; one more round trip
  // through the same ordered queue shows nothing else is on its way.
  auto events = notificationsAt("/varberg", "event-notification");
  ASSERT_EQ(events.size(), 1u);
  // Kungsbacka's patient took no event number of Varberg's either.
  EXPECT_EQ(events[0].eventNumbers, std::vector<std::string>{"1"});
  auto status = call("varberg", "GET", "/Subscription/" + varberg + "/$status");
  ASSERT_EQ(status.status, 200);
  EXPECT_EQ(statusOf(parse(status.body)["entry"][0]["resource"]).eventsSinceStart, "1");
}

TEST_F(SubscriptionsTest, FiltersNarrowTheTopic) {
  const std::string patientA = harness_->enroll("kungsbacka", testPersonnummer(5), "E-5");
  const std::string byPatient =
      subscribe("kungsbacka", {.filter = "EpisodeOfCare?patient=Patient/" + patientA});
  const std::string otherTown = subscribe(
      "kungsbacka", {.endpoint = subscriber_.baseUrl() + "/other", .filter = "municipality=hylte"});
  ASSERT_TRUE(eventually([&] {
    return statusOfSubscription("kungsbacka", byPatient) == "active" &&
           statusOfSubscription("kungsbacka", otherTown) == "active";
  }));
  harness_->enroll("kungsbacka", testPersonnummer(6), "E-6");   // another patient
  harness_->enroll("kungsbacka", testPersonnummer(5), "E-5b");  // patient A again
  ASSERT_TRUE(
      eventually([&] { return !notificationsAt("/kungsbacka", "event-notification").empty(); }));
  auto events = notificationsAt("/kungsbacka", "event-notification");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].additionalContext, std::vector<std::string>{"Patient/" + patientA});
  auto other = call("kungsbacka", "GET", "/Subscription/" + otherTown + "/$status");
  EXPECT_EQ(statusOf(parse(other.body)["entry"][0]["resource"]).eventsSinceStart, "0");
  EXPECT_TRUE(notificationsAt("/other", "event-notification").empty());
}

TEST_F(SubscriptionsTest, WhatCannotBeServedIsRefusedNamingWhy) {
  // An endpoint the operator did not allow this client: a hostile client cannot point Brygga's
  // notifications at an address of its choosing.
  auto r = call("kungsbacka", "POST", "/Subscription",
                subscriptionJson({.endpoint = "http://127.0.0.1:1/elsewhere"}));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_NE(r.body.find("Subscription.channel.endpoint"), std::string::npos);
  // Another client's allowed prefix is not this client's.
  r = call("falkenberg", "POST", "/Subscription",
           subscriptionJson({.endpoint = subscriber_.baseUrl() + "/falkenberg"}));
  EXPECT_EQ(r.status, 403) << r.body;
  // A lookalike host does not pass a prefix that ends with a path.
  r = call("kungsbacka", "POST", "/Subscription",
           subscriptionJson({.endpoint = subscriber_.baseUrl() + ".evil.example/x"}));
  EXPECT_EQ(r.status, 403) << r.body;

  r = call("kungsbacka", "POST", "/Subscription",
           subscriptionJson({.topic = "https://brygga.se/fhir/SubscriptionTopic/everything",
                             .endpoint = subscriber_.baseUrl() + "/k"}));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("Subscription.criteria"), std::string::npos);
  EXPECT_NE(r.body.find("SubscriptionTopic/visit"), std::string::npos);  // names the topics

  r = call("kungsbacka", "POST", "/Subscription",
           subscriptionJson({.endpoint = subscriber_.baseUrl() + "/k", .channelType = "email"}));
  EXPECT_EQ(r.status, 422) << r.body;
  r = call("kungsbacka", "POST", "/Subscription",
           subscriptionJson({.endpoint = subscriber_.baseUrl() + "/k", .filter = "name=Tolvan"}));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("municipality"), std::string::npos);
  r = call("kungsbacka", "POST", "/Subscription",
           subscriptionJson(
               {.endpoint = subscriber_.baseUrl() + "/k", .header = "Idempotency-Key: mine"}));
  EXPECT_EQ(r.status, 422) << r.body;
  r = call("kungsbacka", "POST", "/Subscription",
           subscriptionJson({.endpoint = subscriber_.baseUrl() + "/k", .content = "everything"}));
  EXPECT_EQ(r.status, 422) << r.body;
  // The integration role reads and operates; it registers nothing.
  r = call("integration", "POST", "/Subscription",
           subscriptionJson({.endpoint = subscriber_.baseUrl() + "/k"}));
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(subscriber_.requestCount(), 0u);
}

TEST_F(SubscriptionsTest, ASubscriptionIsItsOwnersAlone) {
  const std::string id =
      subscribe("kungsbacka", {.endpoint = subscriber_.baseUrl() + "/kungsbacka",
                               .header = "Authorization: Bearer kungsbacka-secret"});
  // Another municipality neither reads, changes, searches nor asks the status of it.
  EXPECT_EQ(call("varberg", "GET", "/Subscription/" + id).status, 404);
  EXPECT_EQ(call("varberg", "GET", "/Subscription/" + id + "/$status").status, 404);
  auto search = call("varberg", "GET", "/Subscription");
  ASSERT_EQ(search.status, 200);
  EXPECT_EQ(search.body.find(id), std::string::npos);
  auto put = call("varberg", "PUT", "/Subscription/" + id,
                  subscriptionJson({.endpoint = subscriber_.baseUrl() + "/varberg"})
                      .insert(1, "\"id\":\"" + id + "\","));
  EXPECT_NE(put.status, 200);
  EXPECT_NE(put.status, 201);
  // The region reads it (as it reads every owned record) but not the credentials in its headers.
  auto region = call("region", "GET", "/Subscription/" + id);
  ASSERT_EQ(region.status, 200);
  EXPECT_EQ(region.body.find("kungsbacka-secret"), std::string::npos);
  auto own = call("kungsbacka", "GET", "/Subscription/" + id);
  EXPECT_NE(own.body.find("kungsbacka-secret"), std::string::npos);
  // The subscriber's endpoint got its header.
  ASSERT_TRUE(subscriber_.waitFor([&] { return !receivedAt("/kungsbacka").empty(); }));
  EXPECT_EQ(receivedAt("/kungsbacka").front().headers.at("authorization"),
            "Bearer kungsbacka-secret");
}

TEST_F(SubscriptionsTest, NothingIsLostThroughTheSubscribersOutage) {
  const std::string id =
      subscribe("kungsbacka", {.filter = "municipality=kungsbacka", .heartbeatSeconds = 1});
  ASSERT_TRUE(eventually([&] { return statusOfSubscription("kungsbacka", id) == "active"; }));
  // A heartbeat while nothing happens.
  ASSERT_TRUE(
      eventually([&] { return !notificationsAt("/kungsbacka", "heartbeat").empty(); }, 15000));

  // The subscriber goes away; events keep coming.
  subscriber_.stop();
  constexpr int kDuringOutage = 5;
  for (int i = 0; i < kDuringOutage; ++i) {
    harness_->enroll("kungsbacka", testPersonnummer(10 + i), "E-out-" + std::to_string(i));
  }
  // Delivery is being retried meanwhile (the outbox holds them).
  auto admin = harness_->consoleCall("integration", "GET", "/admin/destinations");
  EXPECT_NE(admin.body.find("subscriptions"), std::string::npos) << admin.body;
  subscriber_.start();
  harness_->enroll("kungsbacka", testPersonnummer(20), "E-after");

  ASSERT_TRUE(eventually(
      [&] {
        return notificationsAt("/kungsbacka", "event-notification").size() >= kDuringOutage + 1;
      },
      20000));
  // Every event once, in order, numbered without a gap.
  std::vector<std::string> numbers;
  for (const NoteStatus& s : notificationsAt("/kungsbacka", "event-notification")) {
    for (const auto& n : s.eventNumbers) {
      if (numbers.empty() || numbers.back() != n) numbers.push_back(n);
    }
  }
  std::vector<std::string> expected;
  for (int i = 1; i <= kDuringOutage + 1; ++i) expected.push_back(std::to_string(i));
  EXPECT_EQ(numbers, expected);
  // Heartbeats go on after the outage, and say how many events there have been.
  const size_t heartbeatsBefore = notificationsAt("/kungsbacka", "heartbeat").size();
  ASSERT_TRUE(eventually(
      [&] { return notificationsAt("/kungsbacka", "heartbeat").size() > heartbeatsBefore; },
      15000));
  EXPECT_EQ(notificationsAt("/kungsbacka", "heartbeat").back().eventsSinceStart,
            std::to_string(kDuringOutage + 1));
}

TEST_F(SubscriptionsTest, SwitchedOffItHearsNothingMore) {
  const std::string id = subscribe("kungsbacka", {});
  ASSERT_TRUE(eventually([&] { return statusOfSubscription("kungsbacka", id) == "active"; }));
  std::string body =
      subscriptionJson({.endpoint = subscriber_.baseUrl() + "/kungsbacka", .status = "off"});
  body.insert(1, "\"id\":\"" + id + "\",");
  auto off = call("kungsbacka", "PUT", "/Subscription/" + id, body);
  ASSERT_EQ(off.status, 200) << off.body;
  EXPECT_EQ(std::string(parse(off.body)["status"].GetString()), "off");
  harness_->enroll("kungsbacka", testPersonnummer(30), "E-30");
  auto status = call("kungsbacka", "GET", "/Subscription/" + id + "/$status");
  EXPECT_EQ(statusOf(parse(status.body)["entry"][0]["resource"]).eventsSinceStart, "0");
  EXPECT_TRUE(notificationsAt("/kungsbacka", "event-notification").empty());
}

TEST_F(SubscriptionsTest, TheCapabilityStatementNamesTheTopics) {
  auto r = call("", "GET", "/metadata");
  ASSERT_EQ(r.status, 200);
  for (const char* topic : {"enrollment", "visit", "careplan", "consultation"}) {
    EXPECT_NE(r.body.find(std::string("https://brygga.se/fhir/SubscriptionTopic/") + topic),
              std::string::npos)
        << topic;
  }
  EXPECT_NE(r.body.find("backport-subscription-status"), std::string::npos);
}

}  // namespace
}  // namespace brygga::testing

// Issue 7: /metrics after a known load, /readyz and its checks, and the request log.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "gateway/core/text.h"
#include "tests/integration/delivery_peer.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/exposition_parser.h"
#include "tests/support/test_personnummer.h"

namespace brygga::testing {
namespace {

constexpr int kEnrollments = 6;
constexpr int kInvalid = 4;

std::string metricsUrl(GatewayHarness& h) {
  return "http://127.0.0.1:" + std::to_string(h.gateway().httpPort()) + "/metrics";
}

HttpAnswer scrape(GatewayHarness& h, const std::string& client = "integration") {
  std::map<std::string, std::string> headers;
  if (!client.empty()) headers["Authorization"] = "Bearer " + tokenOf(client);
  return httpCall("GET", metricsUrl(h), {}, headers);
}

// Every way a personnummer of the load may be written: with and without the dash, 10 digits.
std::vector<std::string> spellings(const std::string& pnr) {
  std::string digits;
  for (char c : pnr) {
    if (core::isAsciiDigit(c)) digits += c;
  }
  return {pnr, digits, digits.substr(2), pnr.substr(2)};
}

// A Patient the validator refuses (gender is bound to a required ValueSet).
const char* kInvalidPatient = R"({"resourceType":"Patient","gender":"robot"})";

TEST(Metrics, AKnownLoadIsCountedInTheExposition) {
  TestPeer peer;
  GatewayHarness harness(&peer);
  harness.start();

  for (int i = 0; i < kEnrollments; ++i) {
    auto r =
        harness.call("kungsbacka", "POST", "/",
                     enrollmentBundle(testPersonnummer(2000 + i), "EPI-M" + std::to_string(i)));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  for (int i = 0; i < kInvalid; ++i) {
    auto r = harness.call("kungsbacka", "POST", "/Patient", kInvalidPatient);
    ASSERT_EQ(r.status, 422) << r.body;
  }
  // A search by personnummer: its route must not carry the number.
  auto search =
      harness.call("kungsbacka", "GET", "/Patient?" + personnummerQuery(testPersonnummer(2000)));
  ASSERT_EQ(search.status, 200) << search.body;
  ASSERT_EQ(peer.waitForRequests(kEnrollments, 15000), static_cast<size_t>(kEnrollments));

  // Deliveries are counted once their outcomes are recorded: wait for the figures to settle.
  Exposition m;
  ASSERT_TRUE(waitUntil(
      [&] {
        auto r = scrape(harness);
        if (r.status != 200) return false;
        m = parseExposition(r.body);
        return m.ok &&
               m.value("brygga_delivery_attempts_total",
                       {{"destination", "regional"}, {"outcome", "delivered"}}) == kEnrollments &&
               m.value("brygga_delivery_queue_depth", {{"destination", "regional"}}) == 0;
      },
      15000))
      << m.error;

  auto answer = scrape(harness);
  ASSERT_EQ(answer.status, 200);
  EXPECT_EQ(answer.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  m = parseExposition(answer.body);
  ASSERT_TRUE(m.ok) << m.error << "\n" << answer.body;

  EXPECT_EQ(m.types["brygga_http_requests_total"], "counter");
  EXPECT_EQ(m.types["brygga_http_request_duration_seconds"], "histogram");
  EXPECT_EQ(m.value("brygga_http_requests_total",
                    {{"method", "POST"}, {"route", "/fhir"}, {"status", "200"}}),
            kEnrollments);
  EXPECT_EQ(m.value("brygga_http_requests_total",
                    {{"method", "POST"}, {"route", "/fhir/Patient"}, {"status", "422"}}),
            kInvalid);
  EXPECT_EQ(m.value("brygga_http_requests_total",
                    {{"method", "GET"}, {"route", "/fhir/Patient"}, {"status", "200"}}),
            1);
  EXPECT_EQ(m.value("brygga_http_request_duration_seconds_count", {{"route", "/fhir"}}),
            kEnrollments);
  EXPECT_GT(m.value("brygga_http_request_duration_seconds_sum", {{"route", "/fhir"}}), 0);
  EXPECT_EQ(m.value("brygga_validation_failures_total", {{"resource_type", "Patient"}}), kInvalid);
  EXPECT_EQ(m.sum("brygga_validation_failures_total"), kInvalid);

  EXPECT_EQ(m.value("brygga_delivery_attempts_total",
                    {{"destination", "regional"}, {"outcome", "delivered"}}),
            kEnrollments);
  EXPECT_EQ(m.sum("brygga_delivery_attempts_total"), kEnrollments);  // nothing retried
  EXPECT_EQ(m.value("brygga_delivery_duration_seconds_count", {{"destination", "regional"}}),
            kEnrollments);
  EXPECT_EQ(m.value("brygga_delivery_queue_depth", {{"destination", "regional"}}), 0);
  EXPECT_EQ(m.value("brygga_delivery_oldest_pending_age_seconds", {{"destination", "regional"}}),
            0);
  EXPECT_EQ(m.value("brygga_delivery_dead_letters", {{"destination", "regional"}}), 0);
  EXPECT_EQ(m.value("brygga_delivery_failing_seconds", {{"destination", "regional"}}), 0);

  // Each enrollment, refusal, search and delivery wrote an AuditEvent.
  EXPECT_GE(m.value("brygga_audit_records", {}), kEnrollments * 2 + kInvalid + 1);
  EXPECT_EQ(m.value("brygga_audit_uncovered_records", {}),
            m.value("brygga_audit_records", {}) - m.value("brygga_audit_checkpoint_size", {}));
  EXPECT_GT(m.value("brygga_data_dir_free_bytes", {}), 0);
  EXPECT_EQ(m.value("brygga_scrape_store_up", {}), 1);

  // No label value carries an identifier of the load.
  for (int i = 0; i < kEnrollments; ++i) {
    for (const std::string& s : spellings(testPersonnummer(2000 + i))) {
      EXPECT_EQ(answer.body.find(s), std::string::npos) << s;
    }
  }
}

TEST(Metrics, AreForTheIntegrationRoleOnly) {
  TestPeer peer;
  GatewayHarness harness(&peer);
  harness.start();
  EXPECT_EQ(scrape(harness, "").status, 401);
  EXPECT_EQ(scrape(harness, "kungsbacka").status, 403);
  EXPECT_EQ(scrape(harness, "region").status, 403);
  EXPECT_EQ(scrape(harness, "integration").status, 200);
  auto post = httpCall("POST", metricsUrl(harness), "",
                       {{"Authorization", "Bearer " + tokenOf("integration")}});
  EXPECT_EQ(post.status, 405);
}

TEST(Metrics, ADeadPeerShowsAsAQueueWithAnAgeAndFailedAttempts) {
  const int port = freePort();
  SimulatedTimeSystem time;  // outlives the gateway
  GatewayHarness harness(nullptr);
  harness.config().destinations["regional"].peer.baseUrl =
      "http://127.0.0.1:" + std::to_string(port) + "/fhir";
  harness.setTimeSystem(&time);
  harness.start();
  ASSERT_EQ(harness.call("kungsbacka", "POST", "/", enrollmentBundle()).status, 200);
  Exposition m;
  ASSERT_TRUE(time.advanceUntil(
      [&] {
        m = parseExposition(scrape(harness).body);
        return m.ok && m.value("brygga_delivery_attempts_total",
                               {{"destination", "regional"}, {"outcome", "no_answer"}}) >= 2;
      },
      std::chrono::milliseconds(20)))
      << m.error;
  time.advanceTimeWait(std::chrono::milliseconds(100));
  m = parseExposition(scrape(harness).body);
  EXPECT_EQ(m.value("brygga_delivery_queue_depth", {{"destination", "regional"}}), 1);
  EXPECT_GT(m.value("brygga_delivery_oldest_pending_age_seconds", {{"destination", "regional"}}),
            0);
  EXPECT_GT(m.value("brygga_delivery_failing_seconds", {{"destination", "regional"}}), 0);
  EXPECT_EQ(m.value("brygga_delivery_attempts_total",
                    {{"destination", "regional"}, {"outcome", "delivered"}}),
            -1);  // no such series: nothing was delivered
}

TEST(Readiness, NamesTheCheckThatFailed) {
  TestPeer peer;
  {
    GatewayHarness harness(&peer);
    harness.start();
    auto ready = httpCall(
        "GET", "http://127.0.0.1:" + std::to_string(harness.gateway().httpPort()) + "/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
  }
  GatewayHarness harness(&peer);
  harness.config().storage.minFreeDiskBytes = 1LL << 50;  // a floor no test disk reaches
  harness.start();
  auto ready = httpCall(
      "GET", "http://127.0.0.1:" + std::to_string(harness.gateway().httpPort()) + "/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("disk:"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find("storage.minFreeDiskBytes"), std::string::npos) << ready.body;
  EXPECT_EQ(ready.body.find("database:"), std::string::npos) << ready.body;
  EXPECT_EQ(ready.body.find("mappings:"), std::string::npos) << ready.body;
  // Liveness does not depend on it.
  auto live = httpCall(
      "GET", "http://127.0.0.1:" + std::to_string(harness.gateway().httpPort()) + "/healthz");
  EXPECT_EQ(live.status, 200);
}

TEST(RequestLog, OneLinePerRequestWithTheRouteAndNoPersonnummer) {
  TestPeer peer;
  GatewayHarness harness(&peer);
  harness.start();
  const std::string pnr = testPersonnummer(3001);
  ASSERT_EQ(harness
                .call("kungsbacka", "POST", "/", enrollmentBundle(pnr, "EPI-LOG-1"),
                      {{"X-Request-Id", "log-req-1"}})
                .status,
            200);
  auto search = harness.call("kungsbacka", "GET", "/Patient?" + personnummerQuery(pnr), {},
                             {{"X-Request-Id", "log-req-2"}});
  ASSERT_EQ(search.status, 200);
  auto doc = parse(search.body);
  ASSERT_TRUE(doc.HasMember("entry") && doc["entry"].IsArray() && doc["entry"].Size() == 1u)
      << search.body;
  const std::string id = doc["entry"][0]["resource"]["id"].GetString();
  ASSERT_EQ(harness.call("kungsbacka", "GET", "/Patient/" + id, {}, {{"X-Request-Id", "log-req-3"}})
                .status,
            200);
  ASSERT_EQ(harness.call("", "GET", "/Patient/" + id, {}, {{"X-Request-Id", "log-req-4"}}).status,
            401);
  ASSERT_EQ(peer.waitForRequests(1, 10000), 1u);
  harness.stop();

  std::map<std::string, rapidjson::Document> byRequest;
  std::istringstream lines(harness.logText());
  std::string line;
  int requestLines = 0;
  while (std::getline(lines, line)) {
    // Nothing the gateway logged, request lines or other, names the patient.
    for (const std::string& s : spellings(pnr)) {
      EXPECT_EQ(line.find(s), std::string::npos) << line;
    }
    if (line.find("\"event\":\"http.request\"") == std::string::npos) continue;
    ++requestLines;
    EXPECT_EQ(line.find(id), std::string::npos) << "a resource id in " << line;
    EXPECT_EQ(line.find("identifier"), std::string::npos) << "a query in " << line;
    rapidjson::Document d = parse(line);
    ASSERT_TRUE(d.IsObject() && d.HasMember("requestId") && d["requestId"].IsString());
    byRequest[d["requestId"].GetString()] = std::move(d);
  }
  EXPECT_EQ(requestLines, 4);
  ASSERT_EQ(byRequest.count("log-req-1"), 1u);
  const auto& enroll = byRequest["log-req-1"];
  EXPECT_STREQ(enroll["client"].GetString(), "kungsbacka");
  EXPECT_STREQ(enroll["tenant"].GetString(), "kungsbacka");
  EXPECT_STREQ(enroll["method"].GetString(), "POST");
  EXPECT_STREQ(enroll["route"].GetString(), "/fhir");
  EXPECT_STREQ(enroll["status"].GetString(), "200");
  EXPECT_GT(std::stod(enroll["durationMs"].GetString()), 0);
  EXPECT_STREQ(byRequest["log-req-2"]["route"].GetString(), "/fhir/Patient");
  EXPECT_STREQ(byRequest["log-req-3"]["route"].GetString(), "/fhir/Patient/{id}");
  EXPECT_STREQ(byRequest["log-req-4"]["status"].GetString(), "401");
  EXPECT_STREQ(byRequest["log-req-4"]["client"].GetString(), "");
}

}  // namespace
}  // namespace brygga::testing

// Issue 18: the event-driven front. Slow, idle and anonymous clients must not starve the proper
// ones or cost anything durable; every method gets an answer at once.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/raw_connection.h"

namespace brygga::testing {
namespace {

std::vector<store::AuditRecord> auditRecords(store::Store& store) {
  auto records = store.auditLog().auditRecords(1, 1 << 30);
  EXPECT_TRUE(records.isOk());
  return records.isOk() ? *records : std::vector<store::AuditRecord>{};
}

class ServingTest : public ::testing::Test {
 protected:
  void start() {
    harness_ = std::make_unique<GatewayHarness>(nullptr);
    configure(harness_->config());
    harness_->start();
  }
  virtual void configure(app::GatewayConfig&) {}
  int port() { return harness_->gateway().httpPort(); }
  // A connection with a receive timeout far below the 15-31 s the old server took to answer
  // OPTIONS or HEAD: an answer that does not come at once fails the test.
  std::unique_ptr<RawConnection> connect(const std::string& from = {}) {
    auto c = RawConnection::open(port(), from, 3000);
    EXPECT_NE(c, nullptr);
    return c;
  }
  std::unique_ptr<GatewayHarness> harness_;
};

TEST_F(ServingTest, OptionsAndHeadAreAnsweredAtOnce) {
  start();
  auto c = connect();
  ASSERT_TRUE(c->send(getRequest("/fhir/Patient", {}, "OPTIONS")));
  auto options = c->readResponse();
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.headers["allow"], "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");

  ASSERT_TRUE(c->send(getRequest("/fhir/metadata", {}, "HEAD")));
  auto head = c->readResponse(true);
  EXPECT_EQ(head.status, 200);
  EXPECT_GT(std::stoul(head.headers["content-length"]), 1000u);  // as GET would send
  EXPECT_TRUE(head.body.empty());
  // No body bytes were sent after the HEAD: the next answer on the connection parses cleanly.
  ASSERT_TRUE(c->send(getRequest("/healthz")));
  EXPECT_EQ(c->readResponse().status, 200);

  ASSERT_TRUE(c->send("OPTIONS * HTTP/1.1\r\nHost: test\r\n\r\n"));
  EXPECT_EQ(c->readResponse().headers["allow"], "OPTIONS");
}

TEST_F(ServingTest, AMethodAPathDoesNotServeGets405WithAllow) {
  start();
  auto c = connect();
  ASSERT_TRUE(c->send(getRequest("/fhir/Patient/1", {}, "PROPPATCH")));
  auto patch = c->readResponse();
  EXPECT_EQ(patch.status, 405);
  EXPECT_EQ(patch.headers["allow"], "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
  EXPECT_NE(patch.body.find("OperationOutcome"), std::string::npos);
  ASSERT_TRUE(c->send(getRequest("/healthz", {}, "TRACE")));
  auto trace = c->readResponse();
  EXPECT_EQ(trace.status, 405);
  EXPECT_EQ(trace.headers["allow"], "GET, HEAD, OPTIONS");
  // A refused method with a body it will not read closes the connection after the answer.
  ASSERT_TRUE(c->send("PROPFIND /fhir HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"));
  EXPECT_EQ(c->readResponse().status, 405);
  EXPECT_TRUE(c->closedWithin(3000));
}

TEST_F(ServingTest, ExpectContinueIsAnsweredBeforeTheBody) {
  start();
  // A Location: a municipality's own record (a Patient enters through an enrollment).
  const std::string body = R"({"resourceType":"Location","name":"Bostad"})";
  auto c = connect();
  ASSERT_TRUE(c->send("POST /fhir/Location HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                      tokenOf("kungsbacka") +
                      "\r\nContent-Type: application/fhir+json\r\nExpect: 100-continue\r\n"
                      "Content-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n"));
  EXPECT_EQ(c->readResponse().status, 100);
  ASSERT_TRUE(c->send(body));
  EXPECT_EQ(c->readResponse().status, 201);

  // Too large: 413 at once, no 100, and the body is never waited for.
  auto big = connect();
  ASSERT_TRUE(
      big->send("POST /fhir/Patient HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                "Content-Length: 999999999\r\n\r\n"));
  auto refused = big->readResponse();
  EXPECT_EQ(refused.status, 413);
  EXPECT_NE(refused.body.find("too-long"), std::string::npos);
}

TEST_F(ServingTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  auto c = connect();
  ASSERT_TRUE(
      c->send(getRequest("/healthz") + getRequest("/fhir/metadata") + getRequest("/nowhere")));
  EXPECT_EQ(c->readResponse().status, 200);
  auto metadata = c->readResponse();
  EXPECT_EQ(metadata.status, 200);
  EXPECT_NE(metadata.body.find("CapabilityStatement"), std::string::npos);
  EXPECT_EQ(c->readResponse().status, 404);
}

TEST_F(ServingTest, AmbiguousFramingIsRefusedAndTheConnectionClosed) {
  start();
  auto c = connect();
  ASSERT_TRUE(
      c->send("POST /fhir HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
              "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /fhir/Patient HTTP/1.1\r\n"
              "Host: t\r\n\r\n"));
  EXPECT_EQ(c->readResponse().status, 400);
  EXPECT_TRUE(c->closedWithin(3000));
}

// The front answers, writes, drains and closes in one go when the client has already finished
// sending; the read that started it must not touch the closed connection afterwards (a use
// after free that ThreadSanitizer found, scripts/tsan.sh; a sanitizer build fails here).
TEST_F(ServingTest, AClientThatHasFinishedSendingGetsItsRefusalAndTheFrontServesOn) {
  start();
  for (int i = 0; i < 20; ++i) {
    auto c = connect();
    ASSERT_TRUE(
        c->send("POST /fhir HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                "Transfer-Encoding: chunked\r\n\r\n"));
    ASSERT_TRUE(c->finishSending());
    EXPECT_EQ(c->readResponse().status, 400);
    EXPECT_TRUE(c->closedWithin(3000));
  }
  auto proper = connect();
  ASSERT_TRUE(proper->send(getRequest("/healthz")));
  EXPECT_EQ(proper->readResponse().status, 200);
}

class SlowClientTest : public ServingTest {
 protected:
  void configure(app::GatewayConfig& config) override {
    config.server.headerTimeoutMs = timeoutMs_;
    config.server.requestLineTimeoutMs = timeoutMs_;
    config.server.keepAliveTimeoutMs = timeoutMs_;
  }
  int64_t timeoutMs_ = 10000;
};

TEST_F(SlowClientTest, HalfHeadersOnThreeHundredConnectionsDoNotStarveAProperClient) {
  start();
  // 300 connections from three addresses (the per-source cap is 256), each stuck half-way
  // through its header block, as a slowloris attack leaves them.
  std::vector<std::unique_ptr<RawConnection>> slow;
  for (int i = 0; i < 300; ++i) {
    auto c = connect("127.0.0." + std::to_string(2 + i % 3));
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->send("GET /fhir/metadata HTTP/1.1\r\nHost: t\r\nX-Waiting: "));
    slow.push_back(std::move(c));
  }
  // A proper client is answered, request after request, while all of them wait.
  for (int i = 0; i < 20; ++i) {
    auto answer = harness_->call("region", "GET", "/Patient");
    ASSERT_EQ(answer.status, 200) << i;
  }
  auto c = connect();
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(c->send(getRequest("/fhir/metadata")));
    ASSERT_EQ(c->readResponse().status, 200) << i;
  }
}

TEST_F(SlowClientTest, LateHeadersGet408AndIdleConnectionsAreClosed) {
  timeoutMs_ = 300;
  start();
  auto late = connect();
  ASSERT_TRUE(late->send("GET /fhir/metadata HTTP/1.1\r\nHost: t\r\nX-Waiting: "));
  EXPECT_EQ(late->readResponse().status, 408);
  EXPECT_TRUE(late->closedWithin(3000));

  auto idle = connect();
  ASSERT_TRUE(idle->send(getRequest("/healthz")));
  EXPECT_EQ(idle->readResponse().status, 200);
  EXPECT_TRUE(idle->closedWithin(3000));  // keep-alive limit
  auto silent = connect();
  EXPECT_TRUE(silent->closedWithin(3000));  // never sent a byte
}

class CapsTest : public ServingTest {
 protected:
  void configure(app::GatewayConfig& config) override {
    config.server.maxConnectionsPerSource = 4;
    config.server.rateLimit.perSource = {1, 3};
  }
};

TEST_F(CapsTest, ASourceHoldsAtMostItsShareOfConnections) {
  start();
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 4; ++i) held.push_back(connect("127.0.0.5"));
  auto fifth = connect("127.0.0.5");
  EXPECT_TRUE(fifth->closedWithin(3000));
  // Other sources are not affected, and a freed slot can be used again.
  auto other = connect("127.0.0.6");
  ASSERT_TRUE(other->send(getRequest("/healthz")));
  EXPECT_EQ(other->readResponse().status, 200);
  held.pop_back();
  auto again = connect("127.0.0.5");
  ASSERT_TRUE(again->send(getRequest("/healthz")));
  EXPECT_EQ(again->readResponse().status, 200);
}

TEST_F(CapsTest, AnonymousRequestsBeyondTheRateGet429WithRetryAfter) {
  start();
  auto c = connect();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c->send(getRequest("/fhir/metadata")));
    ASSERT_EQ(c->readResponse().status, 200) << i;
  }
  ASSERT_TRUE(c->send(getRequest("/fhir/metadata")));
  auto limited = c->readResponse();
  EXPECT_EQ(limited.status, 429);
  EXPECT_GE(std::stoi(limited.headers["retry-after"]), 1);
  EXPECT_NE(limited.body.find("throttled"), std::string::npos);
  // An identified client has its own bucket.
  EXPECT_EQ(harness_->call("region", "GET", "/Patient").status, 200);
}

class AnonymousTrafficTest : public ServingTest {
 protected:
  void configure(app::GatewayConfig& config) override {
    config.server.rateLimit.perSource = {0, 0};  // every request is served, none limited
  }
};

TEST_F(AnonymousTrafficTest, AThousandAnonymousRequestsWriteOneAuditRecord) {
  start();
  store::Store& store = harness_->gateway().store();
  const size_t before = auditRecords(store).size();
  auto c = connect();
  const std::vector<std::string> requests = {
      getRequest("/fhir/Patient"),
      getRequest("/fhir/Patient", "Authorization: Bearer not-a-real-token\r\n"),
      getRequest("/audit/checkpoint"),
      getRequest("/readyz"),
      getRequest("/fhir/metadata"),
      getRequest("/console/"),
      getRequest("/audit/records/1"),
      getRequest("/admin/destinations", "Authorization: Bearer wrong\r\n")};
  int refused = 0;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(c->send(requests[i % requests.size()]));
    const int status = c->readResponse().status;
    ASSERT_NE(status, 0) << i;
    refused += status == 401 ? 1 : 0;
  }
  EXPECT_EQ(refused, 500);
  harness_->gateway().stop();  // closes the open window of refused logins
  const auto records = auditRecords(store);
  ASSERT_EQ(records.size(), before + 1);
  const std::string& event = records.back().json;
  EXPECT_NE(event.find("500 refused logins from 127.0.0.1"), std::string::npos) << event;
  EXPECT_NE(event.find("\"110122\""), std::string::npos) << event;  // DICOM Login
  EXPECT_NE(event.find("bearer token sha256:"), std::string::npos) << event;
  EXPECT_EQ(event.find("not-a-real-token"), std::string::npos);
}

class PublicBaseUrlTest : public ServingTest {
 protected:
  void configure(app::GatewayConfig& config) override {
    config.server.publicBaseUrl = publicBaseUrl_;
  }
  std::string publicBaseUrl_;
};

TEST_F(PublicBaseUrlTest, LinksNeverComeFromTheHostHeader) {
  for (const std::string& base : {std::string("https://brygga.example.se/"), std::string()}) {
    publicBaseUrl_ = base;
    start();
    auto created = harness_->call("kungsbacka", "POST", "/Location",
                                  R"({"resourceType":"Location","name":"Bostad"})",
                                  {{"Host", "evil.example"}, {"X-Forwarded-Host", "evil.example"}});
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string expected =
        base.empty() ? "http://127.0.0.1:" + std::to_string(port()) + "/fhir/Location/"
                     : "https://brygga.example.se/fhir/Location/";
    EXPECT_EQ(created.headers["location"].rfind(expected, 0), 0u) << created.headers["location"];
    auto search =
        harness_->call("kungsbacka", "GET", "/Location?_count=1", {}, {{"Host", "evil.example"}});
    EXPECT_EQ(search.body.find("evil.example"), std::string::npos);
    EXPECT_NE(search.body.find(expected), std::string::npos) << search.body;
    harness_->stop();
  }
}

TEST_F(ServingTest, PlainHttpListensOnLoopbackOnly) {
  start();
  // 127.0.0.2 is loopback too, but not the address the listener is bound to.
  EXPECT_EQ(RawConnection::open(port(), {}, 1000, "127.0.0.2"), nullptr);
  EXPECT_NE(RawConnection::open(port(), {}, 1000, "127.0.0.1"), nullptr);
}

}  // namespace
}  // namespace brygga::testing

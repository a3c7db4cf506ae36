// Flow 1 end to end: a municipality's enrollment is validated, stored, audited and forwarded
// through the durable outbox to the regional EHR, which may fail for a while.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "gateway/audit/audit_trail.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"

namespace brygga::testing {
namespace {

// No entry waits for the regional EHR: the gateway has nothing (more) to send it.
bool nothingPending(store::Store& s) {
  auto pending = s.outbox().entries("regional", store::OutboxState::kPending, 1);
  return pending.isOk() && pending->empty();
}

std::vector<store::ExchangeRecord> outbound(store::Store& s) {
  store::ExchangeQuery q;
  q.direction = "outbound";
  q.limit = 1000;
  auto r = s.exchangeLog().exchanges(q);
  EXPECT_TRUE(r.isOk());
  return r.isOk() ? *r : std::vector<store::ExchangeRecord>{};
}

TEST(EnrollmentFlow, IsForwardedToTheRegionAsConditionalTransactionOnce) {
  TestPeer peer;
  GatewayHarness harness(&peer);
  harness.start();
  auto r = harness.call("kungsbacka", "POST", "/", enrollmentBundle(),
                        {{"X-Request-Id", "req-enroll-1"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["x-request-id"], "req-enroll-1");
  ASSERT_EQ(peer.waitForRequests(1, 10000), 1u);

  auto sent = peer.requests().front();
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.uri, "/fhir");
  EXPECT_EQ(sent.headers["x-request-id"], "req-enroll-1");
  EXPECT_FALSE(sent.headers["idempotency-key"].empty());
  auto bundle = parse(sent.body);
  EXPECT_STREQ(bundle["type"].GetString(), "transaction");
  // Patient, EpisodeOfCare and the signed Provenance over both (issue 6; provenance_test.cc).
  ASSERT_EQ(bundle["entry"].Size(), 3u);
  EXPECT_STREQ(bundle["entry"][2]["resource"]["resourceType"].GetString(), "Provenance");
  const auto& patientEntry = bundle["entry"][0];
  EXPECT_STREQ(patientEntry["request"]["method"].GetString(), "POST");
  EXPECT_STREQ(patientEntry["request"]["ifNoneExist"].GetString(),
               "identifier=http://electronichealth.se/identifier/personnummer%7C191212121212");
  // The personnummer travels normalised to 12 digits, without Brygga's ids.
  EXPECT_STREQ(patientEntry["resource"]["identifier"][0]["value"].GetString(), "191212121212");
  EXPECT_FALSE(patientEntry["resource"].HasMember("id"));
  const auto& episodeEntry = bundle["entry"][1];
  EXPECT_STREQ(episodeEntry["request"]["method"].GetString(), "PUT");
  EXPECT_EQ(std::string(episodeEntry["resource"]["patient"]["reference"].GetString()),
            std::string(patientEntry["fullUrl"].GetString()));

  // Nothing more is sent: the entry is recorded delivered (nothing is left to send), and the
  // exchange log says so.
  ASSERT_TRUE(waitUntil([&] { return nothingPending(harness.gateway().store()); }));
  EXPECT_EQ(peer.requestCount(), 1u);
  auto out = outbound(harness.gateway().store());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].httpStatus, 200);
  EXPECT_EQ(out[0].requestId, "req-enroll-1");
  EXPECT_EQ(out[0].destination, "regional");
  store::ExchangeQuery in;
  in.direction = "inbound";
  in.requestId = "req-enroll-1";
  auto inbound = harness.gateway().store().exchangeLog().exchanges(in);
  ASSERT_TRUE(inbound.isOk());
  ASSERT_EQ(inbound->size(), 1u);
  EXPECT_EQ((*inbound)[0].clientId, "kungsbacka");
  EXPECT_EQ((*inbound)[0].tenant, "kungsbacka");
  EXPECT_EQ((*inbound)[0].httpStatus, 200);
  EXPECT_FALSE((*inbound)[0].payloadSha256.empty());

  auto verified = audit::AuditTrail::verify(harness.gateway().store());
  ASSERT_TRUE(verified.isOk());
  EXPECT_EQ(verified->firstBadSeq, 0);
}

TEST(EnrollmentFlow, AFailingRegionIsRetriedUntilItAccepts) {
  TestPeer peer;
  std::atomic<int> calls{0};
  peer.setHandler([&](const TestPeer::Request&) {
    TestPeer::Response resp;
    if (++calls <= 2) {
      resp.status = 503;
      resp.body =
          R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient"}]})";
    } else {
      resp.body = R"({"resourceType":"Bundle","type":"transaction-response","entry":[]})";
    }
    return resp;
  });
  GatewayHarness harness(&peer);
  harness.start();
  ASSERT_EQ(harness.call("kungsbacka", "POST", "/", enrollmentBundle()).status, 200);
  ASSERT_TRUE(waitUntil([&] {
    auto out = outbound(harness.gateway().store());
    return !out.empty() &&
           std::any_of(out.begin(), out.end(), [](const auto& e) { return e.httpStatus == 200; });
  }));
  auto out = outbound(harness.gateway().store());
  EXPECT_EQ(out.size(), 3u);
  EXPECT_EQ(peer.requestCount(), 3u);
  // Every attempt carried the same idempotency key, so the peer can tell a retry from new data.
  auto requests = peer.requests();
  EXPECT_EQ(requests[0].headers["idempotency-key"], requests[2].headers["idempotency-key"]);
}

TEST(EnrollmentFlow, AnUndeliveredEnrollmentIsDeliveredAfterARestart) {
  TempDir data;
  TestPeer peer;
  std::atomic<bool> up{false};
  peer.setHandler([&](const TestPeer::Request&) {
    TestPeer::Response resp;
    resp.status = up ? 200 : 503;
    resp.body =
        up ? R"({"resourceType":"Bundle","type":"transaction-response","entry":[]})"
           : R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient"}]})";
    return resp;
  });
  {
    GatewayHarness first(&peer, data.path());
    first.start();
    ASSERT_EQ(first.call("kungsbacka", "POST", "/", enrollmentBundle()).status, 200);
    ASSERT_GE(peer.waitForRequests(1, 10000), 1u);
    first.stop();
  }
  up = true;
  size_t before = peer.requestCount();
  GatewayHarness second(&peer, data.path());
  second.start();
  ASSERT_TRUE(waitUntil([&] {
    auto out = outbound(second.gateway().store());
    return std::any_of(out.begin(), out.end(), [](const auto& e) { return e.httpStatus == 200; });
  }));
  EXPECT_EQ(peer.requestCount(), before + 1);
}

TEST(EnrollmentFlow, ResendingTheSameEnrollmentMakesNoDuplicates) {
  TestPeer peer;
  GatewayHarness harness(&peer);
  harness.start();
  ASSERT_EQ(harness.call("kungsbacka", "POST", "/", enrollmentBundle()).status, 200);
  ASSERT_EQ(harness.call("kungsbacka", "POST", "/", enrollmentBundle()).status, 200);
  auto patients =
      harness.call("kungsbacka", "GET", "/Patient?" + personnummerQuery("191212121212"));
  EXPECT_EQ(parse(patients.body)["total"].GetInt(), 1);
  auto episodes = harness.call("kungsbacka", "GET", "/EpisodeOfCare");
  EXPECT_EQ(parse(episodes.body)["total"].GetInt(), 1);
}

TEST(EnrollmentFlow, AnEpisodeWithoutIdentifierCannotBeForwardedAndIsRefused) {
  TestPeer peer;
  GatewayHarness harness(&peer);
  harness.start();
  std::string bundle = enrollmentBundle();
  std::string ident =
      R"("identifier":[{"system":"https://kungsbacka.se/hemsjukvard/inskrivning","value":"E-1001"}],)";
  bundle.erase(bundle.find(ident), ident.size());
  std::string cond = R"(,
       "ifNoneExist":"identifier=https://kungsbacka.se/hemsjukvard/inskrivning|E-1001")";
  bundle.erase(bundle.find(cond), cond.size());
  auto r = harness.call("kungsbacka", "POST", "/", bundle);
  EXPECT_EQ(r.status, 422) << r.body;
  auto patients =
      harness.call("kungsbacka", "GET", "/Patient?" + personnummerQuery("191212121212"));
  EXPECT_EQ(parse(patients.body)["total"].GetInt(), 0);
  EXPECT_TRUE(nothingPending(harness.gateway().store()));  // nothing will be sent
  EXPECT_EQ(peer.requestCount(), 0u);
}

}  // namespace
}  // namespace brygga::testing

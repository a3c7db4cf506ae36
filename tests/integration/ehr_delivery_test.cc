// Delivering to the real regional EHR (issue 17): OAuth2 client credentials towards a token
// endpoint on port 0 that checks Brygga's client assertion on its own, a peer that accepts only
// that endpoint's tokens, and every Swedish identifier form.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>

#include "tests/integration/delivery_peer.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_personnummer.h"
#include "tests/support/token_endpoint.h"

namespace brygga::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class EhrDelivery : public ::testing::Test {
 protected:
  EhrDelivery() : harness_(&peer_) {}

  // The regional destination authenticates with a SMART client assertion (ES384 or RS384).
  void useSmartBackend(const std::string& alg = "ES384") {
    const std::string pem = alg == "ES384" ? makeEcKeyPem("P-384") : makeRsaKeyPem();
    writeKeyFile(temp_.file("brygga.key"), pem);
    endpoint_.addAssertionClient("brygga", publicKeyPemOf(pem), "brygga-2026", alg);
    auth::DestinationAuthConfig& auth = harness_.config().destinations["regional"].auth;
    auth = smartBackendAuth(endpoint_.url(), temp_.file("brygga.key"), "brygga-2026", alg);
    auth.retryBaseMs = 50;
    auth.retryMaxMs = 200;
  }

  HttpAnswer enroll(const std::string& personnummer, const std::string& episode) {
    return harness_.call("kungsbacka", "POST", "", enrollmentBundle(personnummer, episode),
                         {{"Content-Type", "application/fhir+json"}});
  }

  // The peer takes only the endpoint's unexpired tokens (refusing the first `refuseFirst` of
  // them as revoked) and keeps what it accepted.
  void peerRequiresBearer(int refuseFirst = 0) {
    peer_.setHandler(requireBearer(endpoint_, refuseFirst, [this](const TestPeer::Request& r) {
      {
        std::lock_guard lock(acceptedMutex_);
        accepted_.push_back(r);
      }
      TestPeer::Response ok;
      ok.body = R"({"resourceType":"Bundle","type":"transaction-response","entry":[]})";
      return ok;
    }));
  }

  // Requests the peer accepted, in arrival order.
  std::vector<TestPeer::Request> accepted() {
    std::lock_guard lock(acceptedMutex_);
    return accepted_;
  }

  HttpAnswer destinations() {
    return httpCall(
        "GET",
        "http://127.0.0.1:" + std::to_string(harness_.gateway().httpPort()) + "/admin/destinations",
        "", {{"Authorization", "Bearer " + tokenOf("integration")}});
  }

  TempDir temp_;
  TestTokenEndpoint endpoint_;
  std::mutex acceptedMutex_;
  std::vector<TestPeer::Request> accepted_;
  TestPeer peer_;
  GatewayHarness harness_;
};

TEST_F(EhrDelivery, AnEnrollmentReachesAPeerThatTakesOnlyTokensFromItsEndpoint) {
  useSmartBackend("ES384");
  peerRequiresBearer();
  harness_.start();
  ASSERT_EQ(enroll("19121212-1212", "E-1").status, 200);
  ASSERT_TRUE(waitUntil([&] { return peer_.requestCount() >= 1; }, 10000));
  const auto requests = peer_.requests();
  ASSERT_EQ(requests.size(), 1u);
  // The endpoint verified the assertion (signature, kid, iss/sub, aud, exp, jti) and issued the
  // token the peer accepted; the scope was asked for as configured.
  EXPECT_TRUE(endpoint_.refusals().empty()) << ::testing::PrintToString(endpoint_.refusals());
  EXPECT_EQ(endpoint_.issued(), 1);
  EXPECT_EQ(endpoint_.lastScope(), "system/Patient.cu system/EpisodeOfCare.cu");
  EXPECT_EQ(accepted().size(), 1u);
  // The public key is published for the EHR to register.
  const HttpAnswer jwks =
      httpCall("GET", "http://127.0.0.1:" + std::to_string(harness_.gateway().httpPort()) +
                          "/.well-known/jwks.json");
  EXPECT_THAT(jwks.body, HasSubstr(R"("kid":"brygga-2026")"));
  EXPECT_THAT(jwks.body, HasSubstr(R"("crv":"P-384")"));
  EXPECT_THAT(jwks.body, Not(HasSubstr(R"("d":)")));
  harness_.stop();
  // Neither the token nor the assertion reached the log.
  const std::string token = requests[0].headers.at("authorization").substr(7);
  EXPECT_THAT(harness_.logText(), Not(HasSubstr(token)));
  EXPECT_THAT(harness_.logText(), Not(HasSubstr("eyJ")));
}

TEST_F(EhrDelivery, TokensThatExpireWithinSecondsAreReplacedAndA401IsAnsweredOnce) {
  useSmartBackend("RS384");
  endpoint_.setLifetimeSeconds(2);
  // The peer revokes the first token early: one 401, one refresh, one retry.
  peerRequiresBearer(1);
  harness_.start();
  ASSERT_EQ(enroll("19121212-1212", "E-1").status, 200);
  ASSERT_TRUE(waitUntil([&] { return accepted().size() >= 1; }, 10000));
  EXPECT_EQ(peer_.requestCount(), 2u);
  EXPECT_EQ(endpoint_.issued(), 2);
  const std::string used = accepted()[0].headers.at("authorization").substr(7);
  // Once that token has expired, the next message gets a new one.
  ASSERT_TRUE(waitUntil([&] { return !endpoint_.isValid(used); }, 10000));
  ASSERT_EQ(enroll(testPersonnummer(1), "E-2").status, 200);
  ASSERT_TRUE(waitUntil([&] { return accepted().size() >= 2; }, 10000));
  EXPECT_EQ(peer_.requestCount(), 3u);
  EXPECT_GE(endpoint_.issued(), 3);
  EXPECT_TRUE(endpoint_.refusals().empty()) << ::testing::PrintToString(endpoint_.refusals());
}

TEST_F(EhrDelivery, AFailingTokenEndpointIsRetriedAndShownInTheDestinationsHealth) {
  useSmartBackend();
  peerRequiresBearer();
  endpoint_.failNext(1000, 503);
  harness_.start();
  ASSERT_EQ(enroll("19121212-1212", "E-1").status, 200);
  ASSERT_TRUE(waitUntil([&] { return endpoint_.requests() >= 2; }, 10000));
  EXPECT_EQ(peer_.requestCount(), 0u);  // nothing goes out without a token
  const HttpAnswer listing = destinations();
  ASSERT_EQ(listing.status, 200) << listing.body;
  EXPECT_THAT(listing.body, HasSubstr(R"("token":{"valid":false)"));
  EXPECT_THAT(listing.body, HasSubstr("token endpoint: HTTP 503"));
  EXPECT_THAT(listing.body, Not(HasSubstr(R"("failingSince":null)")));
  // The endpoint comes back: the message is delivered and the health clears.
  endpoint_.failNext(0);
  ASSERT_TRUE(waitUntil([&] { return accepted().size() >= 1; }, 15000));
  ASSERT_TRUE(waitUntil(
      [&] { return destinations().body.find(R"("token":{"valid":true)") != std::string::npos; },
      5000));
  EXPECT_THAT(destinations().body, HasSubstr(R"("consecutiveFailures":0)"));
}

// Every form a municipality may send ends as one person at the peer, in the peer's form.
class IdentifierForms : public ::testing::TestWithParam<std::string> {};

TEST_P(IdentifierForms, EnrollmentsInEveryInputFormReachThePeerInItsOwnForm) {
  const std::string form = GetParam();
  TestPeer peer;
  GatewayHarness harness(&peer);
  harness.config().destinations["regional"].identifierForm = form;
  harness.start();
  const std::string pnrSystems[] = {"http://electronichealth.se/identifier/personnummer",
                                    "urn:oid:1.2.752.129.2.1.3.1"};
  const std::string wanted = form == "hl7se" ? "http://electronichealth.se/identifier/personnummer"
                             : form == "inera" ? "https://terminology.hl7.se/sid/se-personnummer"
                                               : "urn:oid:1.2.752.129.2.1.3.1";
  const std::string hsaWanted =
      form == "oid" ? "urn:oid:1.2.752.129.2.1.4.1" : "urn:oid:1.2.752.29.4.19";
  int n = 0;
  for (const std::string& system : pnrSystems) {
    for (const std::string& value : {std::string("19121212-1212"), std::string("191212121212")}) {
      std::string bundle = enrollmentBundle(value, "E-" + std::to_string(++n));
      size_t at = 0;
      const std::string hl7se = "http://electronichealth.se/identifier/personnummer";
      while ((at = bundle.find(hl7se, at)) != std::string::npos) {
        bundle.replace(at, hl7se.size(), system);
        at += system.size();
      }
      const HttpAnswer answer = harness.call("kungsbacka", "POST", "", bundle,
                                             {{"Content-Type", "application/fhir+json"}});
      ASSERT_EQ(answer.status, 200) << system << " " << value << ": " << answer.body;
    }
  }
  ASSERT_EQ(peer.waitForRequests(4, 10000), 4u);
  for (const auto& request : peer.requests()) {
    const auto doc = parse(request.body);
    const auto& patientEntry = doc["entry"][0];
    ASSERT_EQ(std::string(patientEntry["resource"]["resourceType"].GetString()), "Patient");
    const auto& id = patientEntry["resource"]["identifier"][0];
    EXPECT_EQ(std::string(id["system"].GetString()), wanted);
    EXPECT_EQ(std::string(id["value"].GetString()), "191212121212");  // one person
    EXPECT_EQ(std::string(patientEntry["request"]["ifNoneExist"].GetString()),
              "identifier=" + wanted + "%7C191212121212");
    EXPECT_THAT(request.body, HasSubstr(hsaWanted));
    for (const std::string& other :
         {std::string("http://electronichealth.se/identifier/personnummer"),
          std::string("https://terminology.hl7.se/sid/se-personnummer"),
          std::string("urn:oid:1.2.752.129.2.1.3.1")}) {
      if (other != wanted) {
        EXPECT_THAT(request.body, Not(HasSubstr(other))) << form;
      }
    }
  }
  // Stored once: the four enrollments are one Patient.
  const HttpAnswer found =
      harness.call("region", "GET", "/Patient?" + personnummerQuery("191212121212"));
  ASSERT_EQ(found.status, 200);
  EXPECT_EQ(parse(found.body)["total"].GetInt(), 1);
}

INSTANTIATE_TEST_SUITE_P(EveryForm, IdentifierForms, ::testing::Values("hl7se", "inera", "oid"));

}  // namespace
}  // namespace brygga::testing

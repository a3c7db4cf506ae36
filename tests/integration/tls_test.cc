// The HTTPS listener: mutual TLS identifies clients; a certificate our CA did not sign is
// refused in the handshake.
#include <gtest/gtest.h>

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>

#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"

namespace brygga::testing {
namespace {

struct TlsAnswer {
  int status = 0;
  std::string body;
};

TlsAnswer httpsCall(int port, const std::string& clientCert, const std::string& method,
                    const std::string& path, const std::string& body = {},
                    const std::string& token = {}) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params p;
  p.caLocation = certsDir() + "/ca.crt";
  if (!clientCert.empty()) {
    p.certificateFile = certsDir() + "/" + clientCert + ".crt";
    p.privateKeyFile = certsDir() + "/" + clientCert + ".key";
  }
  p.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
  p.loadDefaultCAs = false;
  Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
  Poco::Net::HTTPSClientSession session("localhost", static_cast<Poco::UInt16>(port), ctx);
  session.setTimeout(Poco::Timespan(10, 0));
  Poco::Net::HTTPRequest req(method, "/fhir" + path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!token.empty()) req.set("Authorization", "Bearer " + token);
  if (!body.empty()) {
    req.setContentType("application/fhir+json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  TlsAnswer a;
  a.status = resp.getStatus();
  Poco::StreamCopier::copyToString(in, a.body);
  return a;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<GatewayHarness>(&peer_);
    harness_->start();
  }
  TestPeer peer_;
  std::unique_ptr<GatewayHarness> harness_;
};

TEST_F(TlsTest, AClientCertificateIdentifiesTheMunicipality) {
  int port = harness_->gateway().httpsPort();
  auto enrolled = httpsCall(port, "kungsbacka", "POST", "/", enrollmentBundle("19121212-1212"));
  ASSERT_EQ(enrolled.status, 200) << enrolled.body;
  std::string id = parse(enrolled.body)["entry"][0]["resource"]["id"].GetString();
  EXPECT_EQ(httpsCall(port, "kungsbacka", "GET", "/Patient/" + id).status, 200);
  // The same patient is out of bounds for another municipality's certificate: not found for it.
  EXPECT_EQ(httpsCall(port, "varberg", "GET", "/Patient/" + id).status, 404);
  store::ExchangeQuery q;
  q.direction = "inbound";
  auto log = harness_->gateway().store().exchangeLog().exchanges(q);
  ASSERT_TRUE(log.isOk());
  bool sawKungsbacka = false;
  for (const auto& e : *log) sawKungsbacka = sawKungsbacka || e.clientId == "kungsbacka";
  EXPECT_TRUE(sawKungsbacka);
}

TEST_F(TlsTest, NoCertificateMeansATokenOrNothing) {
  int port = harness_->gateway().httpsPort();
  EXPECT_EQ(httpsCall(port, "", "GET", "/Patient").status, 401);
  EXPECT_EQ(httpsCall(port, "", "GET", "/Patient", "", tokenOf("region")).status, 200);
  EXPECT_EQ(httpsCall(port, "", "GET", "/metadata").status, 200);
}

TEST_F(TlsTest, ACertificateFromAnotherCaIsRejectedInTheHandshake) {
  int port = harness_->gateway().httpsPort();
  bool refused = false;
  try {
    auto a = httpsCall(port, "untrusted-client", "GET", "/Patient");
    refused = a.status == 0;
  } catch (const Poco::Exception&) {
    refused = true;
  }
  EXPECT_TRUE(refused);
  // The listener is unharmed.
  EXPECT_EQ(httpsCall(port, "kungsbacka", "GET", "/Patient").status, 200);
}

}  // namespace
}  // namespace brygga::testing

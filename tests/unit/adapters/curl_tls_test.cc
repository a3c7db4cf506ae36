#include <Poco/Net/Context.h>
#include <Poco/Net/NetSSL.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "adapters/http_client.h"
#include "tests/support/test_peer.h"

namespace brygga::adapters {
namespace {

using ::testing::IsEmpty;
using ::testing::Not;

// The development PKI from certs/make-dev-certs.sh, made once into the build tree (the script
// keeps an existing complete set).
std::string certs() {
  static const std::string dir = [] {
    const std::string out = std::string(BRYGGA_BINARY_DIR) + "/certs";
    const std::string command =
        std::string(BRYGGA_SOURCE_DIR) + "/certs/make-dev-certs.sh '" + out + "' > /dev/null";
    return std::system(command.c_str()) == 0 ? out : std::string();
  }();
  return dir;
}

// An HTTPS peer on 127.0.0.1 that requires a client certificate from the dev CA, as the regional
// EHR does for mutual TLS.
std::unique_ptr<testing::TestPeer> tlsPeer(const std::string& dir) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params p;
  p.privateKeyFile = dir + "/server.key";
  p.certificateFile = dir + "/server.crt";
  p.caLocation = dir + "/ca.crt";
  p.verificationMode = Poco::Net::Context::VERIFY_STRICT;  // no client certificate: no session
  p.loadDefaultCAs = false;
  testing::TestPeer::Options options;
  options.tls = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, p);
  // OpenSSL refuses a verified client without a session id context.
  options.tls->enableSessionCache(true, "brygga-curl-test");
  // POCO's extended verification would match the client certificate's name against the
  // client's address, which is meaningless for a client certificate.
  options.tls->enableExtendedCertificateVerification(false);
  auto peer = std::make_unique<testing::TestPeer>(options);
  peer->setHandler([](const testing::TestPeer::Request&) {
    testing::TestPeer::Response r;
    r.contentType = "text/plain";
    r.body = "hello tls";
    return r;
  });
  return peer;
}

class CurlTls : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = certs();
    ASSERT_THAT(dir_, Not(IsEmpty())) << "certs/make-dev-certs.sh failed";
    peer_ = tlsPeer(dir_);
    destination_.baseUrl = peer_->baseUrl();
    destination_.timeoutMs = 5000;
    destination_.caFile = dir_ + "/ca.crt";
    destination_.clientCertificateFile = dir_ + "/region.crt";
    destination_.clientKeyFile = dir_ + "/region.key";
  }

  HttpResult get() {
    HttpRequestSpec request;
    request.method = "GET";
    request.url = peer_->baseUrl() + "/metadata";
    return makeCurlHttpClient(destination_)->send(request);
  }

  std::string dir_;
  std::unique_ptr<testing::TestPeer> peer_;
  HttpPeer destination_;
};

TEST_F(CurlTls, MutualTlsWithTheConfiguredCaAndClientCertificate) {
  HttpResult result = get();
  EXPECT_EQ(result.status, 200) << result.error;
  EXPECT_EQ(result.body, "hello tls");
}

TEST_F(CurlTls, PeerNotSignedByATrustedCaIsRefused) {
  destination_.caFile = dir_ + "/untrusted-ca.crt";
  HttpResult result = get();
  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.error, Not(IsEmpty()));
}

TEST_F(CurlTls, PeerIsVerifiedAgainstTheSystemStoreWhenNoCaIsConfigured) {
  destination_.caFile.clear();  // the dev CA is not in the system store
  HttpResult result = get();
  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.error, Not(IsEmpty()));
}

TEST_F(CurlTls, PeerRequiringAClientCertificateRefusesAClientWithout) {
  destination_.clientCertificateFile.clear();
  destination_.clientKeyFile.clear();
  HttpResult result = get();
  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.error, Not(IsEmpty()));
}

}  // namespace
}  // namespace brygga::adapters

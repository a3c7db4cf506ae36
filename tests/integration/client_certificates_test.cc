// Issue 18: client certificates as SITHS function certificates require. Real handshakes against
// the gateway on port 0, with certificates made in the test (tests/support/test_pki.h), a CRL
// file, and an OCSP responder on port 0.
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/harness.h"
#include "tests/integration/process.h"
#include "tests/support/raw_connection.h"
#include "tests/support/test_pki.h"

namespace brygga::testing {
namespace {

constexpr const char* kHsaId = "SE2321000131-F000000000123";

std::string fingerprint(const Issued& issued) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  X509_digest(issued.certificate.get(), EVP_sha256(), digest, &size);
  // As ClientConfig holds it: lower-case hex without separators (the config loader also takes
  // the AB:CD:... form `openssl x509 -fingerprint -sha256` prints).
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kDigits[digest[i] >> 4];
    out += kDigits[digest[i] & 0xf];
  }
  return out;
}

http::ClientConfig client(const std::string& id, const std::string& issuer) {
  http::ClientConfig c;
  c.id = id;
  c.tenant = "kungsbacka";
  c.role = core::ClientRole::kMunicipal;
  c.certificateIssuer = issuer;
  return c;
}

std::vector<store::AuditRecord> auditRecords(store::Store& store) {
  auto records = store.auditLog().auditRecords(1, 1 << 30);
  EXPECT_TRUE(records.isOk());
  return records.isOk() ? *records : std::vector<store::AuditRecord>{};
}

class ClientCertificateTest : public ::testing::Test {
 protected:
  ClientCertificateTest()
      : ca_("Brygga Test", "Brygga Test CA"),
        // Trusted as well, and issuing the same subjects: matching by subject alone would let it
        // speak for our clients.
        otherCa_("Brygga Test", "Brygga Test CA Two"),
        unknownCa_("Brygga Test", "Brygga Test CA Unknown"),
        responder_(ca_) {}

  void start() {
    harness_ = std::make_unique<GatewayHarness>(nullptr);
    app::GatewayConfig& config = harness_->config();
    config.tls.caFile = temp_.file("cas.pem");
    writeFile(config.tls.caFile, ca_.certificatePem() + otherCa_.certificatePem());
    config.tls.crlFiles = crlFiles_;
    config.tls.ocsp.failClosed = failClosed_;
    http::ClientConfig bySubject = client("procapita", ca_.subject());
    bySubject.certificateSubject = "CN=procapita,O=Brygga Test,C=SE";
    http::ClientConfig byHsaId = client("journal", ca_.subject());
    byHsaId.hsaId = kHsaId;
    http::ClientConfig byFingerprint = client("pinned", "");
    byFingerprint.certificateSha256 = pinned_;
    config.clients = {bySubject, byHsaId};
    if (!pinned_.empty()) config.clients.push_back(byFingerprint);
    harness_->start();
  }

  Issued issue(const std::string& subject, const TestCa& ca, int64_t notBefore = -3600,
               int64_t notAfter = 86400, const std::string& ocspUrl = {}) {
    CertificateSpec spec;
    spec.subject = subject;
    spec.notBeforeSeconds = notBefore;
    spec.notAfterSeconds = notAfter;
    spec.ocspUrl = ocspUrl;
    return ca.issue(spec);
  }

  // GET /fhir/Patient over a fresh connection presenting `certificate` (with `key`, default its
  // own). status 0: refused in the handshake (or, with TLS 1.3, right after it).
  HttpAnswer call(const Issued* certificate, std::shared_ptr<EVP_PKEY> key = nullptr,
                  const std::string& extraHeaders = {}) {
    auto c = RawConnection::open(harness_->gateway().httpsPort());
    EXPECT_NE(c, nullptr);
    TlsClientOptions tls;
    tls.caFile = certsDir() + "/ca.crt";
    if (certificate != nullptr) {
      tls.certificate = certificate->certificate;
      tls.key = key ? key : certificate->key;
    }
    if (!c->startTls(tls)) return {};
    if (!c->send(getRequest("/fhir/Patient", extraHeaders))) return {};
    return c->readResponse();
  }

  TempDir temp_;
  TestCa ca_;
  TestCa otherCa_;
  TestCa unknownCa_;
  FakeOcspResponder responder_;
  std::vector<std::string> crlFiles_;
  std::string pinned_;
  bool failClosed_ = false;
  std::unique_ptr<GatewayHarness> harness_;
};

TEST_F(ClientCertificateTest, ClientsAreMatchedByIssuerAndSubjectHsaIdOrFingerprint) {
  const Issued pinned = issue("/C=SE/O=Elsewhere/CN=pinned", otherCa_);
  pinned_ = fingerprint(pinned);
  start();
  const Issued procapita = issue("/C=SE/O=Brygga Test/CN=procapita", ca_);
  EXPECT_EQ(call(&procapita).status, 200);
  const Issued journal =
      issue("/C=SE/O=Brygga Test/serialNumber=" + std::string(kHsaId) + "/CN=journal", ca_);
  EXPECT_EQ(call(&journal).status, 200);
  EXPECT_EQ(call(&pinned).status, 200);

  // The same subject, or the same HSA-id, from the other trusted CA is somebody else.
  const Issued lookalike = issue("/C=SE/O=Brygga Test/CN=procapita", otherCa_);
  EXPECT_EQ(call(&lookalike).status, 401);
  const Issued otherJournal =
      issue("/C=SE/O=Brygga Test/serialNumber=" + std::string(kHsaId) + "/CN=journal", otherCa_);
  EXPECT_EQ(call(&otherJournal).status, 401);
  // A valid certificate nobody configured, and no certificate at all.
  const Issued stranger = issue("/C=SE/O=Brygga Test/CN=stranger", ca_);
  EXPECT_EQ(call(&stranger).status, 401);
  EXPECT_EQ(call(nullptr).status, 401);
  EXPECT_EQ(
      call(nullptr, nullptr, "Authorization: Bearer " + tokenOf("kungsbacka") + "\r\n").status,
      401);  // the dev clients were replaced by this test's
}

TEST_F(ClientCertificateTest, CertificatesThatDoNotVerifyAreRefusedInTheHandshakeAndAudited) {
  start();
  const std::string subject = "/C=SE/O=Brygga Test/CN=procapita";
  const Issued expired = issue(subject, ca_, -7200, -3600);
  const Issued notYetValid = issue(subject, ca_, 3600, 7200);
  CertificateSpec self;
  self.subject = subject;
  const Issued selfSigned = TestCa::selfSigned(self);
  const Issued unknownCa = issue(subject, unknownCa_);
  const Issued good = issue(subject, ca_);
  const Issued anotherKey = issue(subject, ca_);
  for (const Issued* refused : {&expired, &notYetValid, &selfSigned, &unknownCa}) {
    EXPECT_EQ(call(refused).status, 0);
  }
  // The right certificate, but a key that does not match it: the handshake's proof of possession
  // fails.
  EXPECT_EQ(call(&good, mismatchedKey(good.key.get(), anotherKey.key.get())).status, 0);
  EXPECT_EQ(call(&good).status, 200);  // the listener is unharmed

  store::Store& store = harness_->gateway().store();
  const size_t before = auditRecords(store).size();
  harness_->gateway().stop();
  const auto records = auditRecords(store);
  ASSERT_EQ(records.size(), before + 1);  // one record for the source and window
  const std::string& event = records.back().json;
  EXPECT_NE(event.find("5 refused logins from 127.0.0.1"), std::string::npos) << event;
  for (const char* reason :
       {"certificate has expired", "certificate is not yet valid", "self-signed certificate",
        "unable to get local issuer certificate", "CN=procapita"}) {
    EXPECT_NE(event.find(reason), std::string::npos) << reason << " in " << event;
  }
}

TEST_F(ClientCertificateTest, ACertificateOnTheCrlIsRefusedOnceTheCrlIsReloaded) {
  const std::string crl = temp_.file("ca.crl");
  writeFile(crl, ca_.crlPem({}));
  crlFiles_ = {crl};
  // No CRL is configured for the other CA: its certificates are not refused for that.
  const Issued fromOtherCa = issue("/C=SE/O=Elsewhere/CN=pinned", otherCa_);
  pinned_ = fingerprint(fromOtherCa);
  start();
  const Issued procapita = issue("/C=SE/O=Brygga Test/CN=procapita", ca_);
  const Issued colleague = issue("/C=SE/O=Brygga Test/CN=procapita", ca_);
  EXPECT_EQ(call(&procapita).status, 200);
  EXPECT_EQ(call(&fromOtherCa).status, 200);

  writeFile(crl, ca_.crlPem({procapita}));
  ASSERT_TRUE(harness_->gateway().reloadTls().isOk());
  EXPECT_EQ(call(&procapita).status, 0);
  EXPECT_EQ(call(&colleague).status, 200);
  EXPECT_EQ(call(&fromOtherCa).status, 200);

  // A bad file keeps the CRLs in force.
  writeFile(crl, "not a CRL");
  EXPECT_FALSE(harness_->gateway().reloadTls().isOk());
  EXPECT_EQ(call(&procapita).status, 0);
  // An expired CRL refuses its CA's certificates rather than trust them unchecked.
  writeFile(crl, ca_.crlPem({}, 1800));  // issued an hour ago, expired half an hour ago
  ASSERT_TRUE(harness_->gateway().reloadTls().isOk());
  EXPECT_EQ(call(&colleague).status, 0);
}

// The operator's way: `brygga serve`, a new CRL file, SIGHUP.
TEST_F(ClientCertificateTest, SighupReadsTheCrlFilesAgainInTheRunningBinary) {
  const std::string crl = temp_.file("ca.crl");
  writeFile(crl, ca_.crlPem({}));
  writeFile(temp_.file("cas.pem"), ca_.certificatePem());
  std::ofstream(temp_.file("config.json"))
      << R"({"server":{"httpPort":0,"httpsPort":0},"dataDir":")" << temp_.file("data")
      << R"(","tls":{"certificateFile":")" << certsDir() << R"(/server.crt","privateKeyFile":")"
      << certsDir() << R"(/server.key","caFile":")" << temp_.file("cas.pem") << R"(","crlFiles":[")"
      << crl << R"("]},"clients":[{"id":"procapita","tenant":"kungsbacka",)"
      << R"("role":"municipal","certificateIssuer":")" << ca_.subject()
      << R"(","certificateSubject":"CN=procapita,O=Brygga Test,C=SE"}]})";
  const ServeProcess served = startServe(temp_.file("config.json"), temp_.file("gateway.log"));
  ASSERT_GT(served.httpsPort, 0);
  const Issued procapita = issue("/C=SE/O=Brygga Test/CN=procapita", ca_);
  auto callServed = [&] {
    auto c = RawConnection::open(served.httpsPort);
    TlsClientOptions tls;
    tls.caFile = certsDir() + "/ca.crt";
    tls.certificate = procapita.certificate;
    tls.key = procapita.key;
    if (c == nullptr || !c->startTls(tls) || !c->send(getRequest("/fhir/Patient"))) return 0;
    return c->readResponse().status;
  };
  EXPECT_EQ(callServed(), 200);

  writeFile(crl, ca_.crlPem({procapita}));
  ASSERT_EQ(kill(served.pid, SIGHUP), 0);
  int status = 200;
  for (int i = 0; i < 100 && (status = callServed()) == 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // until the reload is done
  }
  EXPECT_EQ(status, 0) << "the revoked certificate was still accepted after SIGHUP";
  EXPECT_TRUE(stopServe(served, SIGTERM));
}

TEST_F(ClientCertificateTest, ACrlNoTrustedCaSignedStopsTheStartNamingTheKey) {
  const std::string crl = temp_.file("unknown.crl");
  writeFile(crl, unknownCa_.crlPem({}));
  GatewayHarness harness(nullptr);
  harness.config().tls.caFile = temp_.file("cas.pem");
  writeFile(harness.config().tls.caFile, ca_.certificatePem());
  harness.config().tls.crlFiles = {crl};
  app::Gateway::Options options;
  std::ostringstream log;
  options.log = &log;
  auto gateway = app::Gateway::create(harness.config(), options);
  ASSERT_TRUE(gateway.isOk());
  const core::Status started = (*gateway)->start();
  EXPECT_FALSE(started.isOk());
  EXPECT_NE(started.message().find("tls.crlFiles[0]"), std::string::npos) << started.message();
}

TEST_F(ClientCertificateTest, OcspDecidesForCertificatesThatNameAResponder) {
  start();
  const std::string subject = "/C=SE/O=Brygga Test/CN=procapita";
  const Issued good = issue(subject, ca_, -3600, 86400, responder_.url());
  const Issued revoked = issue(subject, ca_, -3600, 86400, responder_.url());
  responder_.revoke(revoked);
  EXPECT_EQ(call(&good).status, 200);
  EXPECT_EQ(call(&revoked).status, 401);
  const size_t asked = responder_.requestCount();
  EXPECT_EQ(call(&good).status, 200);  // from the cache, until the answer's nextUpdate
  EXPECT_EQ(responder_.requestCount(), asked);

  // No answer, fail-open (the default): accepted, with a warning in the log.
  responder_.setDown(true);
  const Issued unasked = issue(subject, ca_, -3600, 86400, responder_.url());
  EXPECT_EQ(call(&unasked).status, 200);
}

TEST_F(ClientCertificateTest, OcspFailClosedRefusesWhenNoAnswerComes) {
  failClosed_ = true;
  start();
  responder_.setDown(true);
  const Issued procapita =
      issue("/C=SE/O=Brygga Test/CN=procapita", ca_, -3600, 86400, responder_.url());
  auto answer = call(&procapita);
  EXPECT_EQ(answer.status, 503);
  EXPECT_FALSE(answer.headers["retry-after"].empty());
  harness_->stop();
  EXPECT_NE(harness_->logText().find("tls.ocsp_unavailable"), std::string::npos);
}

class TlsVersionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<GatewayHarness>(nullptr);
    harness_->start();
  }
  std::unique_ptr<RawConnection> connect() {
    return RawConnection::open(harness_->gateway().httpsPort());
  }
  std::unique_ptr<GatewayHarness> harness_;
};

TEST_F(TlsVersionTest, Tls13IsPreferredAndOnlyForwardSecretAeadSuitesAreOffered) {
  auto modern = connect();
  TlsClientOptions defaults;
  defaults.caFile = certsDir() + "/ca.crt";
  ASSERT_TRUE(modern->startTls(defaults));
  EXPECT_EQ(modern->tlsVersion(), "TLSv1.3");

  auto tls12 = connect();
  TlsClientOptions twelve = defaults;
  twelve.maxVersion = TLS1_2_VERSION;
  ASSERT_TRUE(tls12->startTls(twelve));
  EXPECT_EQ(tls12->tlsVersion(), "TLSv1.2");
  EXPECT_NE(tls12->tlsCipher().find("ECDHE"), std::string::npos) << tls12->tlsCipher();
  EXPECT_NE(tls12->tlsCipher().find("GCM"), std::string::npos) << tls12->tlsCipher();

  // A CBC suite (no AEAD) and a suite without ECDHE (no forward secrecy) are not served.
  for (const char* suite : {"ECDHE-ECDSA-AES128-SHA256", "AES128-GCM-SHA256"}) {
    auto weak = connect();
    TlsClientOptions options = twelve;
    options.cipherList = suite;
    EXPECT_FALSE(weak->startTls(options)) << suite;
  }
}

TEST_F(TlsVersionTest, ATls11ClientFailsTheHandshake) {
  auto old = connect();
  TlsClientOptions options;
  options.minVersion = TLS1_1_VERSION;
  options.maxVersion = TLS1_1_VERSION;
  options.lowerSecurityLevel = true;
  options.cipherList = "DEFAULT:@SECLEVEL=0";
  EXPECT_FALSE(old->startTls(options));
  // The listener goes on serving.
  auto modern = connect();
  ASSERT_TRUE(modern->startTls({}));
  ASSERT_TRUE(modern->send(getRequest("/healthz")));
  EXPECT_EQ(modern->readResponse().status, 200);
}

}  // namespace
}  // namespace brygga::testing

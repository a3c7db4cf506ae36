#include "gateway/http/authenticator.h"

#include <gtest/gtest.h>

#include "gateway/core/digest.h"

namespace brygga::http {
namespace {

constexpr const char* kCa = "CN=SITHS e-id Function CA,O=Inera AB,C=SE";
constexpr const char* kOtherCa = "CN=Other CA,O=Elsewhere,C=SE";

http::ClientConfig client(const std::string& id) {
  http::ClientConfig c;
  c.id = id;
  c.tenant = id;
  c.role = core::ClientRole::kMunicipal;
  return c;
}

PeerCertificate certificate(const std::string& subject, const std::string& issuer,
                            const std::string& hsaId = {}, const std::string& sha256 = {}) {
  PeerCertificate c;
  c.subject = subject;
  c.issuer = issuer;
  c.hsaId = hsaId;
  c.sha256 = sha256;
  return c;
}

Authenticator authenticator() {
  http::ClientConfig bySubject = client("procapita");
  bySubject.certificateIssuer = kCa;
  bySubject.certificateSubject = "CN=procapita, O=Varbergs kommun, C=SE";
  http::ClientConfig byHsaId = client("journal");
  byHsaId.certificateIssuer = kCa;
  byHsaId.hsaId = "SE2321000131-F000000000123";
  http::ClientConfig byFingerprint = client("pinned");
  byFingerprint.certificateSha256 = std::string(64, 'A');
  http::ClientConfig byToken = client("region");
  byToken.tokenSha256 = core::sha256Hex("secret-token");
  return Authenticator({bySubject, byHsaId, byFingerprint, byToken});
}

TEST(AuthenticatorTest, ACertificateIsMatchedByIssuerWithSubjectOrHsaIdOrByFingerprint) {
  const Authenticator auth = authenticator();
  auto bySubject = auth.byCertificate(certificate("CN=procapita,O=Varbergs kommun,C=SE", kCa));
  ASSERT_TRUE(bySubject);
  EXPECT_EQ(bySubject->clientId, "procapita");
  EXPECT_EQ(bySubject->credential, "certificate");
  auto byHsaId =
      auth.byCertificate(certificate("serialNumber=SE2321000131-F000000000123,CN=Journal,C=SE", kCa,
                                     "SE2321000131-F000000000123"));
  ASSERT_TRUE(byHsaId);
  EXPECT_EQ(byHsaId->clientId, "journal");
  auto pinned = auth.byCertificate(certificate("CN=x", kOtherCa, {}, std::string(64, 'a')));
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->clientId, "pinned");
}

TEST(AuthenticatorTest, NeverBySubjectOrHsaIdAloneFromAnotherIssuer) {
  const Authenticator auth = authenticator();
  EXPECT_FALSE(auth.byCertificate(certificate("CN=procapita,O=Varbergs kommun,C=SE", kOtherCa)));
  EXPECT_FALSE(
      auth.byCertificate(certificate("CN=Journal", kOtherCa, "SE2321000131-F000000000123")));
  EXPECT_FALSE(auth.byCertificate(certificate("CN=someone,C=SE", kCa)));
}

TEST(AuthenticatorTest, IdentifyPrefersTheCertificateAndNamesWhatWasRefused) {
  const Authenticator auth = authenticator();
  const PeerCertificate stranger = certificate("CN=stranger", kCa);
  Identification who = auth.identify({&stranger, "Bearer secret-token"});
  EXPECT_FALSE(who.caller);
  EXPECT_EQ(who.refused, std::string("certificate subject CN=stranger issuer ") + kCa);

  who = auth.identify({nullptr, "Bearer secret-token"});
  ASSERT_TRUE(who.caller);
  EXPECT_EQ(who.caller->clientId, "region");
  EXPECT_EQ(who.caller->credential, "token");

  who = auth.identify({nullptr, "bearer wrong-token"});
  EXPECT_FALSE(who.caller);
  EXPECT_EQ(who.refused, "bearer token sha256:" + core::sha256Hex("wrong-token").substr(0, 8));
  EXPECT_EQ(who.refused.find("wrong-token"), std::string::npos);

  who = auth.identify({nullptr, "Basic dXNlcjpwYXNz"});
  EXPECT_FALSE(who.caller);
  EXPECT_FALSE(who.refused.empty());
  EXPECT_TRUE(auth.identify({nullptr, ""}).refused.empty());
}

}  // namespace
}  // namespace brygga::http

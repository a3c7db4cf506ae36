#include "gateway/auth/jose.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "gateway/core/base64.h"
#include "tests/support/test_keys.h"

namespace brygga::auth {
namespace {

using ::testing::HasSubstr;

JoseKey privateKey(const std::string& pem) {
  auto key = JoseKey::privateFromPem(pem);
  EXPECT_TRUE(key.isOk()) << key.status().toString();
  return std::move(key).value();
}

JoseKey publicOf(const JoseKey& key, const std::string& kid = "k1") {
  auto pub = JoseKey::publicFromJwk(key.publicJwk(kid, key.naturalAlgorithm()));
  EXPECT_TRUE(pub.isOk()) << pub.status().toString();
  return std::move(pub).value();
}

TEST(JoseTest, Es384SignaturesAreRAndSOf48BytesEach) {
  const std::string pem = testing::makeEcKeyPem("P-384");
  const JoseKey key = privateKey(pem);
  EXPECT_EQ(key.naturalAlgorithm(), JwsAlgorithm::kES384);
  auto signature = key.sign(JwsAlgorithm::kES384, "header.payload");
  ASSERT_TRUE(signature.isOk());
  EXPECT_EQ(signature->size(), 96u);
  EXPECT_TRUE(testing::verifiesWithOpenSsl(testing::publicKeyPemOf(pem), "ES384", "header.payload",
                                           *signature));
  EXPECT_TRUE(key.verify(JwsAlgorithm::kES384, "header.payload", *signature));
  EXPECT_FALSE(key.verify(JwsAlgorithm::kES384, "header.payloaD", *signature));
}

TEST(JoseTest, APublicJwkVerifiesWhatItsPrivateKeySigned) {
  const std::function<std::string()> makers[] = {[] { return testing::makeEcKeyPem("P-384"); },
                                                 [] { return testing::makeEcKeyPem("P-256"); },
                                                 [] { return testing::makeRsaKeyPem(); }};
  for (const auto& make : makers) {
    const JoseKey key = privateKey(make());
    const JoseKey pub = publicOf(key);
    EXPECT_FALSE(pub.isPrivate());
    EXPECT_FALSE(pub.sign(key.naturalAlgorithm(), "x").isOk());
    const JwsAlgorithm alg = key.naturalAlgorithm() == JwsAlgorithm::kRS256
                                 ? JwsAlgorithm::kRS384
                                 : key.naturalAlgorithm();
    auto jws = signCompactJws(key, alg, R"({"alg":")" + std::string(toString(alg)) + "\"}",
                              R"({"iss":"brygga"})");
    ASSERT_TRUE(jws.isOk());
    auto parsed = parseCompactJws(*jws);
    ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
    EXPECT_EQ(parsed->payload, R"({"iss":"brygga"})");
    EXPECT_TRUE(pub.verify(alg, parsed->signingInput, parsed->signature)) << toString(alg);
    // Another key of the same kind does not.
    EXPECT_FALSE(publicOf(privateKey(make())).verify(alg, parsed->signingInput, parsed->signature))
        << toString(alg);
  }
}

TEST(JoseTest, AKeyOnlyFitsItsOwnAlgorithms) {
  const JoseKey p384 = privateKey(testing::makeEcKeyPem("P-384"));
  EXPECT_TRUE(p384.fits(JwsAlgorithm::kES384));
  EXPECT_FALSE(p384.fits(JwsAlgorithm::kES256));
  EXPECT_FALSE(p384.fits(JwsAlgorithm::kRS384));
  EXPECT_FALSE(p384.sign(JwsAlgorithm::kRS384, "x").isOk());
  const JoseKey rsa = privateKey(testing::makeRsaKeyPem());
  EXPECT_TRUE(rsa.fits(JwsAlgorithm::kRS384));
  EXPECT_FALSE(rsa.fits(JwsAlgorithm::kES384));
  auto sig = p384.sign(JwsAlgorithm::kES384, "x");
  ASSERT_TRUE(sig.isOk());
  // An RSA verification of an EC signature is simply false, never a crash.
  EXPECT_FALSE(rsa.verify(JwsAlgorithm::kRS384, "x", *sig));
}

TEST(JoseTest, AlgorithmNamesOutsideTheAllowListAreUnknown) {
  EXPECT_EQ(jwsAlgorithmNamed("ES384"), JwsAlgorithm::kES384);
  EXPECT_EQ(jwsAlgorithmNamed("RS384"), JwsAlgorithm::kRS384);
  for (const char* name : {"none", "HS256", "es384", "ES512", "PS384", ""}) {
    EXPECT_FALSE(jwsAlgorithmNamed(name).has_value()) << name;
  }
}

TEST(JoseTest, AJwkWithAPrivateMemberOrOffTheCurveIsRefused) {
  EXPECT_THAT(JoseKey::publicFromJwk(R"({"kty":"EC","crv":"P-384","x":"AA","y":"AA","d":"AA"})")
                  .status()
                  .message(),
              HasSubstr("private member d"));
  EXPECT_THAT(JoseKey::publicFromJwk(R"({"kty":"oct","k":"c2VjcmV0"})").status().message(),
              HasSubstr("private member k"));
  EXPECT_THAT(
      JoseKey::publicFromJwk(R"({"kty":"OKP","crv":"Ed25519","x":"AA"})").status().message(),
      HasSubstr("kty EC or RSA"));
  // A point of the right size that is not on P-384.
  const std::string x = core::base64UrlEncode(std::string(48, '\x01'));
  const std::string y = core::base64UrlEncode(std::string(48, '\x02'));
  EXPECT_FALSE(
      JoseKey::publicFromJwk(R"({"kty":"EC","crv":"P-384","x":")" + x + R"(","y":")" + y + "\"}")
          .isOk());
  EXPECT_FALSE(JoseKey::publicFromJwk(R"({"kty":"EC","crv":"P-521","x":"AA","y":"AA"})").isOk());
  EXPECT_FALSE(JoseKey::publicFromJwk("not json").isOk());
}

TEST(JoseTest, ShortRsaKeysAreRefused) {
  auto key = JoseKey::privateFromPem(testing::makeRsaKeyPem(1024));
  ASSERT_FALSE(key.isOk());
  EXPECT_THAT(key.status().message(), HasSubstr("at least 2048 bits"));
}

TEST(JoseTest, MalformedCompactSerializationsAreRefused) {
  const std::string h = core::base64UrlEncode(R"({"alg":"ES384"})");
  const std::string p = core::base64UrlEncode("{}");
  const std::string s = core::base64UrlEncode("sig");
  EXPECT_TRUE(parseCompactJws(h + "." + p + "." + s).isOk());
  for (const std::string& bad :
       {h + "." + p, h + "." + p + "." + s + "." + s, h + "." + p + ".", "." + p + "." + s,
        h + "=." + p + "." + s, h + "." + p + "." + s + "=", h + " ." + p + "." + s}) {
    EXPECT_FALSE(parseCompactJws(bad).isOk()) << bad;
  }
  EXPECT_FALSE(parseCompactJws(h + "." + p + "." + s, std::nullopt, 10).isOk());
  // A detached payload must be detached.
  EXPECT_FALSE(parseCompactJws(h + "." + p + "." + s, std::string_view("{}")).isOk());
  auto detached = parseCompactJws(h + ".." + s, std::string_view("{}"));
  ASSERT_TRUE(detached.isOk());
  EXPECT_EQ(detached->signingInput, h + "." + p);
}

}  // namespace
}  // namespace brygga::auth

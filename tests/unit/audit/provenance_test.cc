#include "gateway/audit/provenance.h"

#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "gateway/audit/canonical_json.h"
#include "gateway/core/base64.h"
#include "tests/support/test_support.h"

namespace brygga::audit {
namespace {

using ::testing::HasSubstr;

// --- JSON canonicalization (RFC 8785) -------------------------------------------------------

TEST(CanonicalJson, SortsByUtf16CodeUnitsAsRfc8785Shows) {
  // RFC 8785 section 3.2.3: the emoji (a surrogate pair, 0xD83D...) sorts before U+FB33.
  auto c = canonicalJson(R"({"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew",)"
                         R"("1":"One","\ud83d\ude00":"Emoji","\u0080":"Control","\u00f6":"o"})");
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(*c,
            "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
            "\"\xC3\xB6\":\"o\",\"\xE2\x82\xAC\":\"Euro Sign\",\"\xF0\x9F\x98\x80\":\"Emoji\","
            "\"\xEF\xAC\xB3\":\"Hebrew\"}");
}

TEST(CanonicalJson, WhitespaceGoesAndStringsKeepOnlyTheRequiredEscapes) {
  auto c = canonicalJson(
      "{ \"b\" : [ 1 , true , null ], \"a\" : \"\\u00e5 \\/ \\u0001 \\t \\\" \\\\ \\u2028\" }");
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(*c, "{\"a\":\"\xC3\xA5 / \\u0001 \\t \\\" \\\\ \xE2\x80\xA8\",\"b\":[1,true,null]}");
}

TEST(CanonicalJson, ControlCharactersTakeTheShortEscapesElseLowerCaseUnicodeOnes) {
  auto c = canonicalJson(R"({"s":"\b\f\n\r\t\u0000\u001F\u000B"})");
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(*c, R"({"s":"\b\f\n\r\t\u0000\u001f\u000b"})");
}

TEST(CanonicalJson, NumbersAreWrittenAsEcmaScriptDoes) {
  EXPECT_EQ(ecmaScriptNumber(0.0), "0");
  EXPECT_EQ(ecmaScriptNumber(-0.0), "0");
  EXPECT_EQ(ecmaScriptNumber(4.50), "4.5");
  EXPECT_EQ(ecmaScriptNumber(2e-3), "0.002");
  EXPECT_EQ(ecmaScriptNumber(1e-6), "0.000001");
  EXPECT_EQ(ecmaScriptNumber(1e-7), "1e-7");
  EXPECT_EQ(ecmaScriptNumber(1e21), "1e+21");
  EXPECT_EQ(ecmaScriptNumber(1e20), "100000000000000000000");
  EXPECT_EQ(ecmaScriptNumber(1e30), "1e+30");
  EXPECT_EQ(ecmaScriptNumber(333333333.33333329), "333333333.3333333");
  EXPECT_EQ(ecmaScriptNumber(5e-324), "5e-324");
  EXPECT_EQ(ecmaScriptNumber(1.7976931348623157e308), "1.7976931348623157e+308");
  EXPECT_EQ(ecmaScriptNumber(9007199254740992.0), "9007199254740992");
  EXPECT_EQ(ecmaScriptNumber(-1.5e-10), "-1.5e-10");
  auto c = canonicalJson(R"({"n":[1.50, 1E30, 0.000000000000000000000000001, -12, 100]})");
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(*c, R"({"n":[1.5,1e+30,1e-27,-12,100]})");
}

// --- Test certificates ------------------------------------------------------------------------

struct Pki {
  std::string caPem, certPem, keyPem;
};

std::string pemOf(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string pemOf(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

X509* makeCert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuerKey) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), static_cast<long>(cn.size()) * 7919);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("Brygga Test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  if (issuer == nullptr) {  // a CA: OpenSSL checks that issuers say so
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(cert, issuerKey != nullptr ? issuerKey : key, EVP_sha256());
  return cert;
}

// A CA and a certificate it issued, with keys of `type` ("EC" P-256 or "RSA").
Pki makePki(const std::string& type, const std::string& caName = "Test CA") {
  EVP_PKEY* caKey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  EVP_PKEY* key = type == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{2048})
                                : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* ca = makeCert(caName, caKey, nullptr, nullptr);
  X509* cert = makeCert("brygga.test", key, ca, caKey);
  Pki pki{pemOf(ca), pemOf(cert), pemOf(key)};
  X509_free(cert);
  X509_free(ca);
  EVP_PKEY_free(key);
  EVP_PKEY_free(caKey);
  return pki;
}

const Pki& ecPki() {
  static const Pki pki = makePki("EC");
  return pki;
}

ProvenanceSigner signerFor(const Pki& pki) {
  auto signer = ProvenanceSigner::fromPem(pki.certPem, pki.keyPem);
  EXPECT_TRUE(signer.isOk()) << signer.status().toString();
  return *signer;
}

std::string enrollment() {
  return testing::readTestData("enrollment-bundle.json");
}

// --- Signing and verifying --------------------------------------------------------------------

TEST(Provenance, ASignedBundleVerifiesWithTheCertificateAndItsCa) {
  const std::string bundle = enrollment();
  auto signedBundle = signerFor(ecPki()).signBundle(bundle, 1795428900000);
  ASSERT_TRUE(signedBundle.isOk()) << signedBundle.status().toString();
  EXPECT_THAT(*signedBundle, HasSubstr("\"resourceType\":\"Provenance\""));
  EXPECT_THAT(*signedBundle, HasSubstr("\"sigFormat\":\"application/jose\""));

  auto checked = verifyBundleProvenance(*signedBundle, ecPki().caPem);
  ASSERT_TRUE(checked.isOk()) << checked.status().toString();
  EXPECT_EQ(checked->signatures, 1);
  rapidjson::Document original;
  original.Parse(bundle.c_str());
  EXPECT_EQ(checked->targets, static_cast<int>(original["entry"].Size()));
  ASSERT_EQ(checked->signers.size(), 1u);
  EXPECT_THAT(checked->signers[0], HasSubstr("CN=brygga.test"));

  // The JWS has a detached payload: header..signature.
  rapidjson::Document doc;
  doc.Parse(signedBundle->c_str());
  const auto& entries = doc["entry"];
  const auto& provenance = entries[entries.Size() - 1]["resource"];
  auto jws = core::base64Decode(provenance["signature"][0]["data"].GetString());
  ASSERT_TRUE(jws.isOk());
  EXPECT_NE(jws->find(".."), std::string::npos);
  EXPECT_STREQ(entries[entries.Size() - 1]["request"]["url"].GetString(), "Provenance");
}

TEST(Provenance, OneChangedByteInATargetFails) {
  auto signedBundle = signerFor(ecPki()).signBundle(enrollment(), 1795428900000);
  ASSERT_TRUE(signedBundle.isOk());
  for (const std::string& from :
       {std::string("Tolvansson"), std::string("Storgatan"), std::string("1912-12-12")}) {
    std::string changed = *signedBundle;
    const size_t at = changed.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    changed[at + 1] = static_cast<char>(changed[at + 1] ^ 0x01);
    auto checked = verifyBundleProvenance(changed, ecPki().caPem);
    ASSERT_FALSE(checked.isOk()) << from;
    EXPECT_EQ(checked.status().code(), core::StatusCode::kUnauthenticated) << from;
  }
}

TEST(Provenance, ASignatureByteOrAnotherCaFails) {
  auto signedBundle = signerFor(ecPki()).signBundle(enrollment(), 1795428900000);
  ASSERT_TRUE(signedBundle.isOk());
  // Re-sign the data field with one bit of the JWS signature flipped.
  rapidjson::Document doc;
  doc.Parse(signedBundle->c_str());
  auto& sig = doc["entry"][doc["entry"].Size() - 1]["resource"]["signature"][0];
  std::string jws = *core::base64Decode(sig["data"].GetString());
  jws[jws.size() - 5] = jws[jws.size() - 5] == 'A' ? 'B' : 'A';
  const std::string data = core::base64Encode(jws);
  sig["data"].SetString(data.c_str(), static_cast<rapidjson::SizeType>(data.size()),
                        doc.GetAllocator());
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  EXPECT_EQ(verifyBundleProvenance(buffer.GetString(), ecPki().caPem).status().code(),
            core::StatusCode::kUnauthenticated);

  auto otherCa = verifyBundleProvenance(*signedBundle, makePki("EC").caPem);
  ASSERT_FALSE(otherCa.isOk());
  EXPECT_THAT(otherCa.status().message(), HasSubstr("does not chain"));
}

// A Bundle whose entries are `entries` spliced in before the signed Provenance.
std::string withEntriesAdded(const std::string& signedBundle, const std::string& entries) {
  const size_t provenance = signedBundle.rfind("{\"fullUrl\"");
  EXPECT_NE(provenance, std::string::npos);
  return signedBundle.substr(0, provenance) + entries + "," + signedBundle.substr(provenance);
}

TEST(Provenance, WithoutATrustedCaNothingVerifies) {
  auto signedBundle = signerFor(ecPki()).signBundle(enrollment(), 1795428900000);
  ASSERT_TRUE(signedBundle.isOk());
  // The certificate in x5c would vouch for itself: whoever made the Bundle made it.
  auto checked = verifyBundleProvenance(*signedBundle, "");
  ASSERT_FALSE(checked.isOk());
  EXPECT_EQ(checked.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_THAT(checked.status().message(), HasSubstr("trusted CA"));
  EXPECT_FALSE(verifyBundleProvenance(*signedBundle, "not a certificate").isOk());
  // A signer's own CA that the verifier did not choose is no help.
  const Pki attacker = makePki("EC", "Attacker CA");
  auto forged = signerFor(attacker).signBundle(enrollment(), 1795428900000);
  ASSERT_TRUE(forged.isOk());
  EXPECT_EQ(verifyBundleProvenance(*forged, ecPki().caPem).status().code(),
            core::StatusCode::kUnauthenticated);
  EXPECT_TRUE(verifyBundleProvenance(*signedBundle, attacker.caPem + ecPki().caPem).isOk());
}

TEST(Provenance, AnEntryNoSignatureCoversFails) {
  auto signedBundle = signerFor(ecPki()).signBundle(enrollment(), 1795428900000);
  ASSERT_TRUE(signedBundle.isOk());
  ASSERT_TRUE(verifyBundleProvenance(*signedBundle, ecPki().caPem).isOk());

  // A resource slipped in beside the signed ones.
  const std::string added = withEntriesAdded(
      *signedBundle, R"({"fullUrl":"urn:uuid:0b1e0000-0000-4000-8000-0000000000ff","resource":)"
                     R"({"resourceType":"Observation","status":"final","code":{"text":"falsk"}},)"
                     R"("request":{"method":"POST","url":"Observation"}})");
  auto checked = verifyBundleProvenance(added, ecPki().caPem);
  ASSERT_FALSE(checked.isOk());
  EXPECT_EQ(checked.status().code(), core::StatusCode::kUnauthenticated);
  EXPECT_THAT(checked.status().message(),
              HasSubstr("urn:uuid:0b1e0000-0000-4000-8000-0000000000ff"));
  EXPECT_THAT(checked.status().message(), HasSubstr("not covered"));

  // A DELETE carries no resource for a signature to cover.
  EXPECT_EQ(
      verifyBundleProvenance(
          withEntriesAdded(*signedBundle, R"({"request":{"method":"DELETE","url":"Patient/1"}})"),
          ecPki().caPem)
          .status()
          .code(),
      core::StatusCode::kUnauthenticated);

  // A second entry under a signed target's fullUrl: the signature cannot say which one it saw.
  rapidjson::Document doc;
  doc.Parse(signedBundle->c_str());
  const std::string firstUrl = doc["entry"][0]["fullUrl"].GetString();
  auto twin = verifyBundleProvenance(
      withEntriesAdded(*signedBundle, R"({"fullUrl":")" + firstUrl +
                                          R"(","resource":{"resourceType":"Patient"},)"
                                          R"("request":{"method":"POST","url":"Patient"}})"),
      ecPki().caPem);
  ASSERT_FALSE(twin.isOk());
  EXPECT_THAT(twin.status().message(), HasSubstr("two entries"));
}

TEST(Provenance, ReformattedJsonStillVerifiesBecauseTheTargetsAreCanonicalized) {
  auto signedBundle = signerFor(ecPki()).signBundle(enrollment(), 1795428900000);
  ASSERT_TRUE(signedBundle.isOk());
  rapidjson::Document doc;
  doc.Parse(signedBundle->c_str());
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> writer(buffer);
  doc.Accept(writer);
  EXPECT_TRUE(verifyBundleProvenance(buffer.GetString(), ecPki().caPem).isOk());
}

TEST(Provenance, RsaKeysSignWithRs256AndContentKeepsItsBytes) {
  const Pki rsa = makePki("RSA");
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:0b1e0000-0000-4000-8000-000000000001",)"
      R"("resource":{"resourceType":"Observation","status":"final","code":{"text":"vikt"},)"
      R"("valueQuantity":{"value":71.50,"unit":"kg"}},"request":{"method":"POST","url":"Observation"}}]})";
  auto signedBundle = signerFor(rsa).signBundle(bundle, 1795428900000);
  ASSERT_TRUE(signedBundle.isOk()) << signedBundle.status().toString();
  EXPECT_THAT(*signedBundle, HasSubstr("\"value\":71.50"));  // the decimal's precision is kept
  EXPECT_TRUE(verifyBundleProvenance(*signedBundle, rsa.caPem).isOk());
  rapidjson::Document doc;
  doc.Parse(signedBundle->c_str());
  auto jws = *core::base64Decode(doc["entry"][1]["resource"]["signature"][0]["data"].GetString());
  const std::string header = jws.substr(0, jws.find('.'));
  EXPECT_EQ(header.substr(0, 10), "eyJhbGciOi");  // {"alg":
}

TEST(Provenance, WhatCannotBeSignedIsRefused) {
  const ProvenanceSigner signer = signerFor(ecPki());
  EXPECT_FALSE(signer.signBundle(R"({"resourceType":"Patient"})", 0).isOk());
  EXPECT_FALSE(
      signer.signBundle(R"({"resourceType":"Bundle","type":"searchset","entry":[]})", 0).isOk());
  EXPECT_FALSE(signer
                   .signBundle(R"({"resourceType":"Bundle","type":"transaction","entry":[)"
                               R"({"resource":{"resourceType":"Patient"}}]})",
                               0)
                   .isOk());  // no fullUrl to point at
  EXPECT_FALSE(signer
                   .signBundle(R"({"resourceType":"Bundle","type":"transaction","entry":[)"
                               R"({"request":{"method":"DELETE","url":"Patient/1"}}]})",
                               0)
                   .isOk());  // nothing a signature could cover
  EXPECT_FALSE(verifyBundleProvenance(enrollment(), ecPki().caPem).isOk());  // nothing signed
  EXPECT_FALSE(ProvenanceSigner::fromPem(ecPki().certPem, makePki("EC").keyPem).isOk());
}

}  // namespace
}  // namespace brygga::audit

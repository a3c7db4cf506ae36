#include "tests/support/test_pki.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace brygga::testing {

namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

std::shared_ptr<EVP_PKEY> newKey() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key != nullptr, "EC key");
  return {key, EVP_PKEY_free};
}

std::string lowerHex(const ASN1_INTEGER* serial) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  char* text = BN_bn2hex(bn);
  std::string out(text);
  OPENSSL_free(text);
  BN_free(bn);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

X509_NAME* parseName(const std::string& slashed) {
  X509_NAME* name = X509_NAME_new();
  std::stringstream in(slashed);
  std::string part;
  while (std::getline(in, part, '/')) {
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    check(eq != std::string::npos, "name part");
    check(X509_NAME_add_entry_by_txt(name, part.substr(0, eq).c_str(), MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(part.c_str() + eq + 1),
                                     -1, -1, 0) == 1,
          "name entry");
  }
  return name;
}

void addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

// Signs a certificate for `key` (the subject's) with `signerKey`; `issuer` null: self-signed.
Issued makeCertificate(const CertificateSpec& spec, bool ca, X509* issuer, EVP_PKEY* signerKey,
                       std::shared_ptr<EVP_PKEY> key) {
  X509* cert = X509_new();
  X509_set_version(cert, X509_VERSION_3);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert), static_cast<long>(spec.notBeforeSeconds));
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(spec.notAfterSeconds));
  X509_NAME* name = parseName(spec.subject);
  X509_set_subject_name(cert, name);
  X509_set_issuer_name(cert, issuer != nullptr ? X509_get_subject_name(issuer) : name);
  X509_NAME_free(name);
  X509_set_pubkey(cert, key.get());
  X509* signer = issuer != nullptr ? issuer : cert;
  if (ca) {
    addExtension(cert, signer, NID_basic_constraints, "critical,CA:TRUE");
    addExtension(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    addExtension(cert, signer, NID_basic_constraints, "critical,CA:FALSE");
    addExtension(cert, signer, NID_key_usage, "critical,digitalSignature");
    addExtension(cert, signer, NID_ext_key_usage, spec.server ? "serverAuth" : "clientAuth");
    if (spec.server) {
      addExtension(cert, signer, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    }
  }
  addExtension(cert, signer, NID_subject_key_identifier, "hash");
  if (issuer != nullptr) addExtension(cert, signer, NID_authority_key_identifier, "keyid");
  if (!spec.ocspUrl.empty()) {
    addExtension(cert, signer, NID_info_access, "OCSP;URI:" + spec.ocspUrl);
  }
  check(X509_sign(cert, signerKey, EVP_sha256()) > 0, "sign");
  Issued issued;
  issued.certificate.reset(cert, X509_free);
  issued.key = std::move(key);
  issued.serialHex = lowerHex(X509_get_serialNumber(cert));
  return issued;
}

std::string pemOf(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string keyPemOf(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  check(static_cast<bool>(out), "write file");
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Issued::writeTo(const std::string& dir, const std::string& name) const {
  const std::string base = dir + "/" + name;
  writeFile(base + ".crt", pemOf(certificate.get()));
  writeFile(base + ".key", keyPemOf(key.get()));
  return base;
}

TestCa::TestCa(const std::string& organisation, const std::string& commonName) {
  CertificateSpec spec;
  spec.subject = "/C=SE/O=" + organisation + "/CN=" + commonName;
  spec.notAfterSeconds = 3650LL * 86400;
  auto key = newKey();
  ca_ = makeCertificate(spec, true, nullptr, key.get(), key);
}

Issued TestCa::issue(const CertificateSpec& spec) const {
  return makeCertificate(spec, false, ca_.certificate.get(), ca_.key.get(), newKey());
}

Issued TestCa::selfSigned(const CertificateSpec& spec) {
  auto key = newKey();
  return makeCertificate(spec, false, nullptr, key.get(), key);
}

std::string TestCa::certificatePem() const {
  return pemOf(ca_.certificate.get());
}

std::string TestCa::subject() const {
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, X509_get_subject_name(ca_.certificate.get()), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

std::string TestCa::crlPem(const std::vector<Issued>& revoked, int64_t validSeconds) const {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_.certificate.get()));
  ASN1_TIME* last = X509_gmtime_adj(nullptr, -3600);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, static_cast<long>(validSeconds - 3600));
  X509_CRL_set1_lastUpdate(crl, last);
  X509_CRL_set1_nextUpdate(crl, next);
  for (const auto& r : revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(r.certificate.get()));
    X509_REVOKED_set_revocationDate(entry, last);
    X509_CRL_add0_revoked(crl, entry);
  }
  ASN1_TIME_free(last);
  ASN1_TIME_free(next);
  X509_CRL_sort(crl);
  check(X509_CRL_sign(crl, ca_.key.get(), EVP_sha256()) > 0, "sign CRL");
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_CRL(bio, crl);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  X509_CRL_free(crl);
  return out;
}

std::shared_ptr<EVP_PKEY> mismatchedKey(const EVP_PKEY* publicOf, const EVP_PKEY* privateOf) {
  unsigned char pub[256];
  size_t pubLength = 0;
  BIGNUM* priv = nullptr;
  check(EVP_PKEY_get_octet_string_param(publicOf, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub,
                                        &pubLength) == 1,
        "public key");
  check(EVP_PKEY_get_bn_param(privateOf, OSSL_PKEY_PARAM_PRIV_KEY, &priv) == 1, "private key");
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, pub, pubLength);
  OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_PRIV_KEY, priv);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  check(EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) == 1,
        "mixed key");
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  BN_clear_free(priv);
  return {key, EVP_PKEY_free};
}

FakeOcspResponder::FakeOcspResponder(const TestCa& ca) : ca_(ca) {
  peer_.setHandler([this](const TestPeer::Request& request) { return answer(request); });
}

std::string FakeOcspResponder::url() const {
  return "http://127.0.0.1:" + std::to_string(peer_.port()) + "/ocsp";
}

void FakeOcspResponder::revoke(const Issued& certificate) {
  std::lock_guard lock(mutex_);
  revoked_.insert(certificate.serialHex);
}

void FakeOcspResponder::setDown(bool down) {
  std::lock_guard lock(mutex_);
  down_ = down;
}

TestPeer::Response FakeOcspResponder::answer(const TestPeer::Request& request) {
  TestPeer::Response response;
  std::lock_guard lock(mutex_);
  if (down_) {
    response.status = 503;
    return response;
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(request.body.data());
  OCSP_REQUEST* ocspRequest =
      d2i_OCSP_REQUEST(nullptr, &bytes, static_cast<long>(request.body.size()));
  if (ocspRequest == nullptr) {
    response.status = 400;
    return response;
  }
  OCSP_BASICRESP* basic = OCSP_BASICRESP_new();
  ASN1_TIME* now = X509_gmtime_adj(nullptr, -60);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, 3600);
  for (int i = 0; i < OCSP_request_onereq_count(ocspRequest); ++i) {
    OCSP_CERTID* id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(ocspRequest, i));
    ASN1_INTEGER* serial = nullptr;
    OCSP_id_get0_info(nullptr, nullptr, nullptr, &serial, id);
    const bool isRevoked = revoked_.count(lowerHex(serial)) != 0;
    OCSP_basic_add1_status(
        basic, id, isRevoked ? V_OCSP_CERTSTATUS_REVOKED : V_OCSP_CERTSTATUS_GOOD,
        isRevoked ? OCSP_REVOKED_STATUS_KEYCOMPROMISE : 0, isRevoked ? now : nullptr, now, next);
  }
  check(OCSP_basic_sign(basic, ca_.self().certificate.get(), ca_.self().key.get(), EVP_sha256(),
                        nullptr, 0) == 1,
        "sign OCSP response");
  OCSP_RESPONSE* ocspResponse = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, basic);
  unsigned char* der = nullptr;
  const int length = i2d_OCSP_RESPONSE(ocspResponse, &der);
  response.body.assign(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  response.headers["Content-Type"] = "application/ocsp-response";
  OPENSSL_free(der);
  OCSP_RESPONSE_free(ocspResponse);
  OCSP_BASICRESP_free(basic);
  OCSP_REQUEST_free(ocspRequest);
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  return response;
}

}  // namespace brygga::testing

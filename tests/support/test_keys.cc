#include "tests/support/test_keys.h"

#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace brygga::testing {

namespace {

// The PEM `write` puts out for `key`, which is freed.
template <typename Write>
std::string pemOf(EVP_PKEY* key, Write write) {
  if (key == nullptr) throw std::runtime_error("no key");
  BIO* bio = BIO_new(BIO_s_mem());
  write(bio, key);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(n));
  BIO_free(bio);
  EVP_PKEY_free(key);
  return pem;
}

std::string privatePemOf(EVP_PKEY* key) {
  return pemOf(key, [](BIO* bio, EVP_PKEY* k) {
    PEM_write_bio_PrivateKey(bio, k, nullptr, nullptr, 0, nullptr, nullptr);
  });
}

}  // namespace

std::string makeEcKeyPem(const char* curve) {
  return privatePemOf(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

std::string makeRsaKeyPem(int bits) {
  return privatePemOf(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)));
}

std::string writeKeyFile(const std::string& path, const std::string& pem) {
  std::ofstream(path, std::ios::binary) << pem;
  ::chmod(path.c_str(), 0600);
  return pem;
}

std::string publicKeyPemOf(const std::string& privateKeyPem) {
  BIO* in = BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  return pemOf(key, [](BIO* bio, EVP_PKEY* k) { PEM_write_bio_PUBKEY(bio, k); });
}

bool verifiesWithOpenSsl(const std::string& publicKeyPem, const std::string& alg,
                         const std::string& input, const std::string& signature) {
  BIO* bio = BIO_new_mem_buf(publicKeyPem.data(), static_cast<int>(publicKeyPem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return false;
  bool ok = false;
  if (alg == "ES384" && signature.size() == 96 && EVP_PKEY_is_a(key, "EC")) {
    unsigned char digest[48];
    unsigned int length = 0;
    EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha384(), nullptr);
    const auto* raw = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = ECDSA_SIG_new();
    ECDSA_SIG_set0(sig, BN_bin2bn(raw, 48, nullptr), BN_bin2bn(raw + 48, 48, nullptr));
    // EVP_PKEY_get1_EC_KEY is deprecated in OpenSSL 3 but is the direct route to ECDSA_do_verify.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    EC_KEY* ec = EVP_PKEY_get1_EC_KEY(key);
    ok = ECDSA_do_verify(digest, static_cast<int>(length), sig, ec) == 1;
    EC_KEY_free(ec);
#pragma GCC diagnostic pop
    ECDSA_SIG_free(sig);
  } else if (alg == "RS384" && EVP_PKEY_is_a(key, "RSA")) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha384(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
    EVP_MD_CTX_free(ctx);
  }
  EVP_PKEY_free(key);
  return ok;
}

auth::DestinationAuthConfig smartBackendAuth(const std::string& tokenUrl,
                                             const std::string& keyFile, const std::string& kid,
                                             const std::string& alg) {
  auth::DestinationAuthConfig auth;
  auth.type = auth::DestinationAuthConfig::Type::kSmartBackend;
  auth.tokenUrl = tokenUrl;
  auth.clientId = "brygga";
  auth.privateKeyFile = keyFile;
  auth.keyId = kid;
  auth.algorithm = alg;
  auth.scope = "system/Patient.cu system/EpisodeOfCare.cu";
  return auth;
}

}  // namespace brygga::testing

#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "tests/support/test_peer.h"
#include "tests/support/test_support.h"

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

// Certificates made in the test with OpenSSL's API, for the cases the dev PKI script does not
// cover: expired, not yet valid, self-signed, from a second CA with a subject like ours, with an
// OCSP responder, revoked, presented with a key that does not match. EC P-256 throughout.
namespace brygga::testing {

struct Issued {
  std::shared_ptr<X509> certificate;
  std::shared_ptr<EVP_PKEY> key;
  std::string serialHex;
  // Writes <dir>/<name>.crt and <name>.key (PEM) and returns the path without extension.
  std::string writeTo(const std::string& dir, const std::string& name) const;
};

struct CertificateSpec {
  // "/C=SE/O=Brygga Dev/CN=kungsbacka" style; serialNumber= gives the SITHS HSA-id attribute.
  std::string subject;
  int64_t notBeforeSeconds = -3600;      // from now
  int64_t notAfterSeconds = 30 * 86400;  // from now
  std::string ocspUrl;                   // Authority Information Access, when set
  bool server = false;                   // serverAuth with localhost names, else clientAuth
};

class TestCa {
 public:
  // A self-signed CA: "/C=SE/O=<organisation>/CN=<commonName>".
  TestCa(const std::string& organisation, const std::string& commonName);

  Issued issue(const CertificateSpec& spec) const;
  // A self-signed leaf certificate (no CA behind it).
  static Issued selfSigned(const CertificateSpec& spec);
  // A CRL listing `revoked`, valid from an hour ago for `validSeconds`.
  std::string crlPem(const std::vector<Issued>& revoked, int64_t validSeconds = 86400) const;
  std::string certificatePem() const;
  // RFC 4514 text of its subject, as clients[].certificateIssuer names it.
  std::string subject() const;
  const Issued& self() const { return ca_; }

 private:
  Issued ca_;
};

// A key object holding the public key of `publicOf` and the private key of `privateOf`: it
// passes OpenSSL's "does the key match the certificate" check, but what it signs does not verify
// with the certificate. The client side of the wrong-key case.
std::shared_ptr<EVP_PKEY> mismatchedKey(const EVP_PKEY* publicOf, const EVP_PKEY* privateOf);

void writeFile(const std::string& path, const std::string& text);
std::string readFile(const std::string& path);

// An OCSP responder (RFC 6960 over HTTP POST) on 127.0.0.1, port 0, signing with the CA's key.
// Answers good for every serial it was not told is revoked. Thread-safe.
class FakeOcspResponder {
 public:
  explicit FakeOcspResponder(const TestCa& ca);
  std::string url() const;  // http://127.0.0.1:PORT/ocsp
  void revoke(const Issued& certificate);
  // While down, every request gets HTTP 503.
  void setDown(bool down);
  size_t requestCount() const { return peer_.requestCount(); }

 private:
  TestPeer::Response answer(const TestPeer::Request& request);

  const TestCa& ca_;
  mutable std::mutex mutex_;
  std::set<std::string> revoked_;  // serials, lower-case hex
  bool down_ = false;
  TestPeer peer_;
};

}  // namespace brygga::testing

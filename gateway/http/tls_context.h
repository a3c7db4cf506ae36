#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/core/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct x509_st X509;
typedef struct x509_store_st X509_STORE;
typedef struct X509_name_st X509_NAME;

namespace brygga::http {

// What the server's TLS listener is made of (tls.* in the config).
struct TlsFiles {
  std::string certificateFile;        // PEM, the server certificate (and its chain)
  std::string privateKeyFile;         // PEM
  std::string caFile;                 // PEM, the CA(s) whose client certificates are accepted
  std::vector<std::string> crlFiles;  // PEM or DER CRLs of those CAs; re-read by a reload
};

// A verified client certificate, as the handshake left it. Immutable; shared between the event
// loop and the workers.
struct PeerCertificate {
  std::string subject;  // RFC 4514 (RFC 2253 order): CN=kungsbacka,O=Brygga Dev,C=SE
  std::string issuer;   // the same form
  std::string sha256;   // of the DER certificate, lower-case hex
  std::string hsaId;    // the subject's serialNumber attribute (SITHS: the HSA-id), or empty
  std::string ocspUrl;  // the first OCSP responder in its Authority Information Access, or empty
  std::shared_ptr<X509> certificate;
  std::shared_ptr<X509> issuerCertificate;  // the CA that signed it; null if not found
};

// What a handshake left behind for the audit record of a refused client certificate. The
// connection owns it; the verification callback fills it in.
struct HandshakeNotes {
  std::string subject;  // of the client certificate presented, when there was one
  std::string error;    // why its verification failed, when it did
};

// The server's TLS context: TLS 1.2 and 1.3 only, forward-secret AEAD suites only (ECDHE with
// AES-GCM or ChaCha20-Poly1305; the TLS 1.3 suites), the server's order of preference, no
// renegotiation, no compression. A client certificate is asked for, not required (clients may use
// a bearer token instead); one that is presented must chain to caFile and, when a CRL of its
// issuer is configured, must not be listed on it (an expired CRL fails the handshake too). Built
// whole and immutable afterwards, so a reload makes a new one that new connections use.
class TlsServerContext {
 public:
  // Fails naming the key and file that cannot be used (a CRL no CA of caFile signed, too).
  static core::StatusOr<std::shared_ptr<TlsServerContext>> create(const TlsFiles& files);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  SSL_CTX* get() const { return ctx_; }
  // The CAs of caFile, without CRL checking: the trust anchors for OCSP responses.
  X509_STORE* caStore() const { return caStore_; }
  size_t crlCount() const { return crlCount_; }

  // Makes the verification callback of a handshake on `ssl` write into `notes` (owned by the
  // caller, alive until the handshake ended).
  static void attachNotes(SSL* ssl, HandshakeNotes* notes);
  // The client certificate of a finished handshake with what is needed to match and check it, or
  // null when none was presented.
  std::shared_ptr<const PeerCertificate> peerCertificate(SSL* ssl) const;

 private:
  TlsServerContext() = default;
  SSL_CTX* ctx_ = nullptr;
  X509_STORE* caStore_ = nullptr;
  std::vector<std::shared_ptr<X509>> caCertificates_;
  size_t crlCount_ = 0;
};

// RFC 4514 text of a name, as OpenSSL prints it with XN_FLAG_RFC2253.
std::string nameText(const X509_NAME* name);

}  // namespace brygga::http

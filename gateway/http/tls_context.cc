#include "gateway/http/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <filesystem>

namespace brygga::http {

namespace {

// TLS 1.2: ECDHE only (forward secrecy), AEAD only; TLS 1.3 has nothing else.
constexpr const char* kTls12Suites =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256";
constexpr const char* kTls13Suites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";
constexpr unsigned char kSessionContext[] = "brygga";
// Resumed sessions skip certificate verification: keep them short, so that a certificate revoked
// by a reloaded CRL is not carried on for long (a reload also starts a new session cache).
constexpr long kSessionSeconds = 300;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string opensslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

int notesIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Verification as OpenSSL does it, except that a certificate whose issuer has no CRL configured
// is not refused for that (tls.crlFiles may cover some CAs only; OCSP can cover the others), and
// that the presented certificate and the reason for a refusal are noted for the audit record.
int verifyCallback(int preverifyOk, X509_STORE_CTX* store) {
  const int error = X509_STORE_CTX_get_error(store);
  if (!preverifyOk && error == X509_V_ERR_UNABLE_TO_GET_CRL) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* notes =
      ssl != nullptr ? static_cast<HandshakeNotes*>(SSL_get_ex_data(ssl, notesIndex())) : nullptr;
  if (notes != nullptr) {
    if (X509* leaf = X509_STORE_CTX_get0_cert(store); leaf != nullptr && notes->subject.empty()) {
      notes->subject = nameText(X509_get_subject_name(leaf));
    }
    if (!preverifyOk && notes->error.empty()) notes->error = X509_verify_cert_error_string(error);
  }
  return preverifyOk;
}

core::Status fileError(const std::string& key, const std::string& file, const std::string& what) {
  return core::invalidArgument("config: " + key + " (" + file + ") " + what);
}

core::StatusOr<std::vector<std::shared_ptr<X509>>> readCertificates(const std::string& key,
                                                                    const std::string& file) {
  BioPtr bio(BIO_new_file(file.c_str(), "r"));
  if (!bio) return fileError(key, file, "cannot be read");
  std::vector<std::shared_ptr<X509>> certificates;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    certificates.emplace_back(cert, X509_free);
  }
  ERR_clear_error();  // the end of the file reads as an error
  if (certificates.empty()) return fileError(key, file, "holds no PEM certificate");
  return certificates;
}

// Every CRL of a file: PEM (one or more) or a single DER CRL, as CAs publish them.
core::StatusOr<std::vector<std::shared_ptr<X509_CRL>>> readCrls(const std::string& key,
                                                                const std::string& file) {
  std::vector<std::shared_ptr<X509_CRL>> crls;
  {
    BioPtr bio(BIO_new_file(file.c_str(), "r"));
    if (!bio) return fileError(key, file, "cannot be read");
    while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
      crls.emplace_back(crl, X509_CRL_free);
    }
    ERR_clear_error();
  }
  if (crls.empty()) {
    BioPtr bio(BIO_new_file(file.c_str(), "rb"));
    if (X509_CRL* crl = bio ? d2i_X509_CRL_bio(bio.get(), nullptr) : nullptr) {
      crls.emplace_back(crl, X509_CRL_free);
    }
    ERR_clear_error();
  }
  if (crls.empty()) return fileError(key, file, "holds no CRL (PEM or DER)");
  return crls;
}

std::string hex(const unsigned char* data, unsigned int size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xf];
  }
  return out;
}

std::string serialNumberAttribute(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1);
  if (index < 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

std::string firstOcspUrl(X509* certificate) {
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(certificate);
  std::string url;
  if (urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0) url = sk_OPENSSL_STRING_value(urls, 0);
  X509_email_free(urls);
  return url;
}

}  // namespace

std::string nameText(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

core::StatusOr<std::shared_ptr<TlsServerContext>> TlsServerContext::create(const TlsFiles& files) {
  for (const auto& [key, file] : {std::pair{"tls.certificateFile", &files.certificateFile},
                                  std::pair{"tls.privateKeyFile", &files.privateKeyFile},
                                  std::pair{"tls.caFile", &files.caFile}}) {
    if (!std::filesystem::exists(*file)) {
      return core::invalidArgument("TLS file " + *file + " (" + key +
                                   ") does not exist: run certs/make-dev-certs.sh or set the tls "
                                   "keys in the config");
    }
  }
  std::shared_ptr<TlsServerContext> context(new TlsServerContext());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return core::internalError("SSL_CTX_new: " + opensslError());
  context->ctx_ = ctx;

  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Suites) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
    return core::internalError("TLS suites: " + opensslError());
  }
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_timeout(ctx, kSessionSeconds);

  if (SSL_CTX_use_certificate_chain_file(ctx, files.certificateFile.c_str()) != 1) {
    return fileError("tls.certificateFile", files.certificateFile, opensslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, files.privateKeyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fileError("tls.privateKeyFile", files.privateKeyFile, opensslError());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fileError("tls.privateKeyFile", files.privateKeyFile,
                     "does not match tls.certificateFile");
  }

  BRYGGA_ASSIGN_OR_RETURN(context->caCertificates_, readCertificates("tls.caFile", files.caFile));
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  context->caStore_ = X509_STORE_new();
  STACK_OF(X509_NAME)* clientCas = sk_X509_NAME_new_null();
  for (const auto& ca : context->caCertificates_) {
    X509_STORE_add_cert(store, ca.get());
    X509_STORE_add_cert(context->caStore_, ca.get());
    sk_X509_NAME_push(clientCas, X509_NAME_dup(X509_get_subject_name(ca.get())));
  }
  SSL_CTX_set_client_CA_list(ctx, clientCas);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verifyCallback);
  SSL_CTX_set_verify_depth(ctx, 5);

  // Each CRL must be signed by one of our CAs: a CRL that checks nothing would otherwise pass
  // unnoticed until the certificates it was meant to revoke are still accepted.
  for (size_t i = 0; i < files.crlFiles.size(); ++i) {
    const std::string key = "tls.crlFiles[" + std::to_string(i) + "]";
    BRYGGA_ASSIGN_OR_RETURN(auto crls, readCrls(key, files.crlFiles[i]));
    for (const auto& crl : crls) {
      bool signedByOurCa = false;
      for (const auto& ca : context->caCertificates_) {
        if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca.get())) == 0 &&
            X509_CRL_verify(crl.get(), X509_get0_pubkey(ca.get())) == 1) {
          signedByOurCa = true;
        }
      }
      ERR_clear_error();
      if (!signedByOurCa) {
        return fileError(key, files.crlFiles[i],
                         "holds a CRL that no CA in tls.caFile signed (issuer " +
                             nameText(X509_CRL_get_issuer(crl.get())) + ")");
      }
      X509_STORE_add_crl(store, crl.get());
      ++context->crlCount_;
    }
  }
  if (context->crlCount_ > 0) X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  return context;
}

TlsServerContext::~TlsServerContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (caStore_ != nullptr) X509_STORE_free(caStore_);
}

void TlsServerContext::attachNotes(SSL* ssl, HandshakeNotes* notes) {
  SSL_set_ex_data(ssl, notesIndex(), notes);
}

std::shared_ptr<const PeerCertificate> TlsServerContext::peerCertificate(SSL* ssl) const {
  X509* leaf = SSL_get1_peer_certificate(ssl);
  if (leaf == nullptr) return nullptr;
  auto peer = std::make_shared<PeerCertificate>();
  peer->certificate.reset(leaf, X509_free);
  peer->subject = nameText(X509_get_subject_name(leaf));
  peer->issuer = nameText(X509_get_issuer_name(leaf));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (X509_digest(leaf, EVP_sha256(), digest, &size) == 1) peer->sha256 = hex(digest, size);
  peer->hsaId = serialNumberAttribute(X509_get_subject_name(leaf));
  peer->ocspUrl = firstOcspUrl(leaf);
  // The issuer from the chain the handshake verified (it may hold an intermediate the client
  // sent), else from our CAs (a resumed session keeps no chain).
  if (STACK_OF(X509)* chain = SSL_get0_verified_chain(ssl); chain && sk_X509_num(chain) > 1) {
    X509* issuer = sk_X509_value(chain, 1);
    X509_up_ref(issuer);
    peer->issuerCertificate.reset(issuer, X509_free);
  } else {
    for (const auto& ca : caCertificates_) {
      if (X509_check_issued(ca.get(), leaf) == X509_V_OK) peer->issuerCertificate = ca;
    }
  }
  return peer;
}

}  // namespace brygga::http

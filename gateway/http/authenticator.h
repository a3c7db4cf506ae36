#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gateway/api/fhir_api.h"
#include "gateway/auth/token_issuer.h"
#include "gateway/http/server_config.h"
#include "gateway/http/tls_context.h"

namespace brygga::http {

// What a request presents to be identified by.
struct Credentials {
  const PeerCertificate* certificate = nullptr;  // verified in the TLS handshake; may be null
  std::string authorization;                     // the Authorization header, or empty
};

// Who the credentials name: a configured client, or nobody. When something was presented and not
// accepted, `refused` says what (for the audit record of the refused login, never a secret):
// "certificate subject CN=... issuer CN=...", "bearer token sha256:<first 8 hex digits>".
struct Identification {
  std::optional<api::Caller> caller;
  std::string refused;
};

// Maps the credentials of a request to a configured client. A client certificate is matched by
// its issuer and subject, its issuer and the HSA-id in its subject's serialNumber, or its SHA-256
// fingerprint (the config loader refuses a subject or HSA-id without an issuer: tls.caFile may
// hold several CAs). A bearer token by its SHA-256. A certificate takes precedence over a token.
// The one place that decides who a request comes from; new kinds of credentials (inbound OAuth
// access tokens) are new branches of identify(). Immutable; thread-safe.
class Authenticator {
 public:
  // `accessTokens` (may be null) knows the tokens issued at POST /auth/token.
  explicit Authenticator(std::vector<ClientConfig> clients,
                         const auth::AccessTokenVerifier* accessTokens = nullptr);

  Identification identify(const Credentials& credentials) const;

  // A bearer token: a configured static token (compared by its SHA-256 with tokenSha256, in
  // constant time), else an access token the verifier knows, which carries its scopes.
  std::optional<api::Caller> byToken(const std::string& token) const;
  std::optional<api::Caller> byCertificate(const PeerCertificate& certificate) const;

 private:
  static api::Caller callerOf(const ClientConfig& client, const char* credential);
  std::vector<ClientConfig> clients_;
  const auth::AccessTokenVerifier* accessTokens_;
};

// Distinguished names compare without regard to spaces after commas.
std::string normaliseDn(const std::string& dn);

}  // namespace brygga::http

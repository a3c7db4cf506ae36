#pragma once

#include <optional>
#include <string>
#include <vector>

#include "gateway/api/fhir_api.h"
#include "gateway/auth/token_issuer.h"
#include "gateway/http/server_config.h"

namespace brygga::http {

// Maps the credentials a connection presents to a configured client. Immutable; thread-safe.
class Authenticator {
 public:
  // `accessTokens` (may be null) knows the tokens issued at POST /auth/token.
  explicit Authenticator(std::vector<ClientConfig> clients,
                         const auth::AccessTokenVerifier* accessTokens = nullptr);

  // A bearer token: a configured static token (compared by its SHA-256 with tokenSha256, in
  // constant time), else an access token the verifier knows, which carries its scopes.
  std::optional<api::Caller> byToken(const std::string& token) const;
  // A verified client certificate's subject in RFC 4514 form (CN=x,O=y,C=SE).
  std::optional<api::Caller> byCertificateSubject(const std::string& subject) const;

 private:
  static api::Caller callerOf(const ClientConfig& client, const char* credential);
  std::vector<ClientConfig> clients_;
  const auth::AccessTokenVerifier* accessTokens_;
};

}  // namespace brygga::http

#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/auth/form_encoding.h"
#include "gateway/auth/jose.h"
#include "gateway/auth/scopes.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"

// The inbound side: SMART Backend Services. A registered client proves who it is with a client
// assertion signed by one of its keys and gets a short-lived access token carrying its scopes.
namespace brygga::auth {

// The keys of a JWKS ({"keys":[...]}), by kid. Each key must have a kid (unique), be a public
// EC P-384 or RSA key (what ES384 and RS384 need), and name no other "alg". kInvalidArgument
// naming the key otherwise.
core::StatusOr<std::vector<std::pair<std::string, JoseKey>>> parseJwks(std::string_view jwksJson);

// A client that may get tokens.
struct SmartClient {
  std::string id;
  std::vector<std::pair<std::string, JoseKey>> keys;  // by kid
  ScopeSet allowed;                                   // the most it may be granted
};

// What an access token grants.
struct AccessGrant {
  std::string clientId;
  ScopeSet scopes;
  int64_t expiresAtMs = 0;
};

// Checks bearer tokens issued by this gateway (the Authenticator asks it). Thread-safe.
class AccessTokenVerifier {
 public:
  virtual ~AccessTokenVerifier() = default;
  // The grant of an issued, unexpired token; nullopt for anything else.
  virtual std::optional<AccessGrant> verify(std::string_view token) const = 0;
};

// An answer of the token endpoint: 200 with the token, or an RFC 6749 §5.2 error.
struct TokenAnswer {
  int status = 200;
  std::string body;  // application/json
  // Who asked, once known from an assertion whose signature verified (also when its claims were
  // then refused: a replay or an expired assertion names its client in the audit record).
  std::string clientId;
  std::string error;  // the OAuth error code and why, for the audit record; empty on success
  std::string scope;  // granted
};

// The token endpoint's logic (POST /auth/token; api::AuthApi is the HTTP side). A request must be
// client_credentials with a client assertion (private_key_jwt) that
// - is a compact JWS whose alg is ES384 or RS384 (anything else, "none" and HS256 included, is
//   refused before a key is looked at), without "crit";
// - names in kid a key of the client's JWKS that fits alg, and verifies with it;
// - has iss = sub = a registered client id (and client_id, when sent, the same);
// - has aud = the token endpoint's URL (a string, or an array holding it);
// - has exp not past and at most 5 minutes ahead, nbf and iat (when present) not in the future,
//   all with 30 s leeway for clock skew;
// - has a jti (at most 256 characters) the client has not used before; used ones are remembered
//   until their exp.
// The scopes asked for must be system scopes within the client's allowed ones. Failed client
// checks are invalid_client (401), scope problems invalid_scope (400), a missing or repeated
// parameter invalid_request (400), another grant type unsupported_grant_type (400).
// Tokens are 256 random bits, kept by their SHA-256 for `lifetimeMs` (at most 5 minutes).
// Thread-safe.
class TokenIssuer final : public AccessTokenVerifier {
 public:
  static constexpr int64_t kMaxLifetimeMs = 5 * 60 * 1000;
  static constexpr int64_t kLeewayMs = 30 * 1000;

  TokenIssuer(std::vector<SmartClient> clients, int64_t lifetimeMs, const core::TimeSource& clock);

  TokenAnswer issue(const FormFields& form, const std::string& tokenUrl);
  std::optional<AccessGrant> verify(std::string_view token) const override;

  bool hasClients() const { return !clients_.empty(); }

 private:
  // Verifies the assertion; the client on success, else the reason (invalid_client). `signedBy`
  // is the client's id as soon as the signature verified.
  core::StatusOr<const SmartClient*> checkAssertion(std::string_view assertion,
                                                    const std::string& formClientId,
                                                    const std::string& tokenUrl, int64_t now,
                                                    std::string& signedBy);
  void forgetExpired(int64_t now);

  std::map<std::string, SmartClient> clients_;
  const int64_t lifetimeMs_;
  const core::TimeSource& clock_;

  mutable std::mutex mutex_;
  std::map<std::string, AccessGrant> tokens_;              // by SHA-256 of the token (hex)
  std::set<std::pair<int64_t, std::string>> expiries_;     // (expiry, token hash)
  std::map<std::string, int64_t> usedJti_;                 // "client\njti" -> until
  std::set<std::pair<int64_t, std::string>> jtiExpiries_;  // (until, key)
};

}  // namespace brygga::auth

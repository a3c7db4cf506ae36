#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "adapters/http_client.h"
#include "gateway/auth/auth_config.h"
#include "gateway/auth/jose.h"
#include "gateway/core/log.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"

// The outbound side of OAuth2: an access token for one destination, obtained by client
// credentials from its token endpoint and kept until shortly before it expires.
namespace brygga::auth {

// What the admin listing and the metrics show of a destination's token.
struct TokenHealth {
  bool configured = false;      // the destination uses a token at all
  bool valid = false;           // a token is cached and not expired
  int64_t expiresAtMs = 0;      // of the cached token; 0 when none
  int64_t failingSinceMs = 0;   // first failure of the current run of failures; 0 when none
  int consecutiveFailures = 0;  // failed token requests since the last success
  int64_t nextAttemptMs = 0;    // while failing: when the endpoint is asked again
  std::string lastError;        // PHI-free and secret-free: status and OAuth error code
  int64_t obtained = 0;         // tokens obtained since start
};

// A source of access tokens, shared by every lane of one destination. Thread-safe.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A valid access token: the cached one, or a new one. At most one request to the token
  // endpoint is in flight: while one runs, callers go on with the cached token while it is valid
  // and wait for the request otherwise. kUnavailable while the endpoint fails (and is backing
  // off) and no valid token is cached.
  virtual core::StatusOr<std::string> token() = 0;
  // The peer answered 401 to `token`: the next token() gets a new one, unless another caller
  // already replaced it (so many lanes refused at once cause one refresh).
  virtual void rejected(const std::string& token) = 0;
  virtual TokenHealth health() const = 0;
};

// Client credentials at the destination's token endpoint (RFC 6749 §4.4), authenticated by a
// SMART Backend Services client assertion (private_key_jwt, RFC 7523: iss = sub = clientId,
// aud = tokenUrl, exp 4 minutes ahead, a random jti, kid in the header, ES384 or RS384) or by
// client_secret_basic. The token is refreshed when less than a quarter of its life (at most a
// minute) is left. A failed request is retried after retryBaseMs, doubling up to retryMaxMs.
// Neither the secret, the assertion nor the token is ever logged or put in an error text.
class OAuthTokenClient final : public TokenSource {
 public:
  // `key` signs assertions (smart-backend); `secret` is the client secret (client-secret).
  static core::StatusOr<std::unique_ptr<OAuthTokenClient>> create(
      std::string destination, const DestinationAuthConfig& config,
      std::unique_ptr<adapters::HttpClient> http, const core::TimeSource& clock,
      core::Logger& logger);

  core::StatusOr<std::string> token() override;
  void rejected(const std::string& token) override;
  TokenHealth health() const override;

  // The signed client assertion a request would carry now (for tests and `brygga` diagnostics).
  core::StatusOr<std::string> clientAssertion() const;
  // The public JWK of the assertion key, with its kid and alg (for /.well-known/jwks.json);
  // empty for client-secret.
  std::string publicJwk() const;

 private:
  OAuthTokenClient(std::string destination, DestinationAuthConfig config,
                   std::unique_ptr<adapters::HttpClient> http, const core::TimeSource& clock,
                   core::Logger& logger);

  struct Fetched {
    std::string token;
    int64_t lifetimeMs = 0;
  };
  // One request to the token endpoint; the caller holds no lock.
  core::StatusOr<Fetched> fetch();

  const std::string destination_;
  const DestinationAuthConfig config_;
  std::unique_ptr<adapters::HttpClient> http_;  // used by the refreshing caller only
  const core::TimeSource& clock_;
  core::Logger& logger_;
  std::optional<JoseKey> key_;
  std::optional<JwsAlgorithm> alg_;
  std::string secret_;

  mutable std::mutex mutex_;
  std::condition_variable refreshed_;
  bool refreshing_ = false;
  std::string token_;
  int64_t expiresAtMs_ = 0;
  int64_t refreshAtMs_ = 0;
  TokenHealth health_;
};

// What a request to a destination needs from its TokenSource: the Authorization header before it
// is sent, and after a 401 one refresh and one more try.
class BearerAuthorizer {
 public:
  explicit BearerAuthorizer(TokenSource& tokens) : tokens_(tokens) {}
  // Sets "Authorization: Bearer <token>" on `request` and returns the token used; an error when
  // there is no token to be had (the request must not go out).
  core::StatusOr<std::string> authorize(adapters::HttpRequestSpec& request);
  // After `result` of a request sent with `used`: true when it was a 401, in which case the
  // token is marked rejected and the request should be authorized and sent once more.
  bool retryAfter(const adapters::HttpResult& result, const std::string& used);
  // An answer for a request that could not be authorized (status 0: the delivery retries it).
  static adapters::HttpResult notSent(const core::Status& why);

 private:
  TokenSource& tokens_;
};

// Decorates a destination's client with its access token (see BearerAuthorizer). Not
// thread-safe, like the client it wraps; the TokenSource may be shared.
class AuthorizedAsyncHttpClient final : public adapters::AsyncHttpDecorator {
 public:
  AuthorizedAsyncHttpClient(std::unique_ptr<adapters::AsyncHttpClient> inner,
                            std::shared_ptr<TokenSource> tokens)
      : AsyncHttpDecorator(std::move(inner)), tokens_(std::move(tokens)), authorizer_(*tokens_) {}
  void start(adapters::HttpRequestSpec request, Completion done) override;

 private:
  void send(adapters::HttpRequestSpec request, Completion done, bool retried);
  std::shared_ptr<TokenSource> tokens_;
  BearerAuthorizer authorizer_;
};

}  // namespace brygga::auth

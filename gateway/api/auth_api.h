#pragma once

#include <functional>
#include <string>

#include "gateway/api/endpoint.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/auth/token_issuer.h"
#include "gateway/core/log.h"
#include "gateway/core/time_source.h"
#include "gateway/store/store.h"

namespace brygga::api {

struct AuthDependencies {
  auth::TokenIssuer& issuer;
  store::Store& store;
  const core::TimeSource& clock;
  core::Logger& logger;
  // The token endpoint's own URL, which client assertions must name as aud
  // (server.publicBaseUrl + /auth/token).
  std::function<std::string()> tokenUrl;
};

// POST /auth/token (below /auth): SMART Backend Services, client credentials with a client
// assertion (auth::TokenIssuer has the rules). The body must be
// application/x-www-form-urlencoded; answers are JSON with Cache-Control: no-store, errors as
// RFC 6749 §5.2 describes. A request whose assertion a registered client's key verified is
// recorded like a login (exchange line and AuditEvent, subtype "login"): the client, the OAuth
// error code of a refusal (a replayed jti, a scope beyond its own); never the assertion or the
// token. Any other request names nobody it proved: it is counted with the refused logins of its
// source address (ApiResponse::refusedLogin), so anonymous traffic writes nothing on its own.
// Thread-safe.
class AuthApi final : public Endpoint {
 public:
  explicit AuthApi(AuthDependencies deps) : deps_(std::move(deps)), recorder_(deps_.clock) {}
  ApiResponse handle(const ApiRequest& request) override;
  // The client authenticates with its assertion, not with the transport's credentials.
  bool isPublic(const ApiRequest&) const override { return true; }

 private:
  AuthDependencies deps_;
  ExchangeRecorder recorder_;
};

// The public discovery documents (below /.well-known, and /fhir/.well-known where SMART clients
// look): GET jwks.json, the public keys the gateway signs client assertions with (for the peers'
// token endpoints to register), and GET smart-configuration, the token endpoint and what it
// supports. No credentials needed; not audited (they name nobody). Thread-safe.
class WellKnownApi final : public Endpoint {
 public:
  // `jwks`: the JWKS JSON text; `tokenUrl` as for AuthApi.
  WellKnownApi(std::string jwks, std::function<std::string()> tokenUrl)
      : jwks_(std::move(jwks)), tokenUrl_(std::move(tokenUrl)) {}
  ApiResponse handle(const ApiRequest& request) override;
  bool isPublic(const ApiRequest&) const override { return true; }

 private:
  const std::string jwks_;
  std::function<std::string()> tokenUrl_;
};

}  // namespace brygga::api

#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/api/endpoint.h"
#include "gateway/core/log.h"
#include "gateway/core/status.h"
#include "gateway/http/authenticator.h"
#include "gateway/http/server_config.h"
#include "gateway/metrics/observers.h"

namespace brygga::http {

struct ServerDependencies {
  // Path prefix ("/fhir") -> the endpoint answering below it. Not owned.
  std::vector<std::pair<std::string, api::Endpoint*>> endpoints;
  core::Logger& logger;
  // /readyz: OK when the gateway can take traffic (database writable, ...).
  std::function<core::Status()> readiness;
  // Told about every answered request (route template, status, duration). Not owned; may be null.
  metrics::RequestObserver* requests = nullptr;
  // Told about what the server refuses before an endpoint sees it (a bad X-Brygga-User-HSA-Id, a
  // client certificate refused in the TLS handshake), with the BALP subtype to record, so that
  // it is audited. May be null.
  std::function<void(const api::ApiRequest&, const core::Status&, const std::string& subtype)>
      refused;
  // The access tokens issued at POST /auth/token, for the Authenticator. Not owned; may be null.
  const auth::AccessTokenVerifier* accessTokens = nullptr;
};

// The HTTP and HTTPS listeners (POCO). Routes each request to the endpoint whose prefix matches
// (/fhir to the FhirApi, ...), /healthz and /readyz to health checks. Authenticates each request:
// the verified client certificate on HTTPS (mutual TLS; a certificate the CA did not sign fails the
// handshake), or a bearer token (`clients`). Bodies over server.maxBodyBytes are refused with 413
// before they are read. Every request is logged as one `http.request` line (request id, client,
// tenant, method, route template, status, duration; never the raw path or query) and reported to
// the RequestObserver; successful probes of /healthz, /readyz and /metrics are logged at debug
// level.
class GatewayServer {
 public:
  GatewayServer(ServerConfig server, TlsConfig tls, std::vector<ClientConfig> clients,
                ServerDependencies deps);
  ~GatewayServer();
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  // Binds and starts the listeners; a port of 0 picks a free one, -1 disables the listener.
  core::Status start();
  void stop();
  int httpPort() const;   // -1 when disabled
  int httpsPort() const;  // -1 when disabled

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace brygga::http

#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/api/endpoint.h"
#include "gateway/api/recent_refusals.h"
#include "gateway/core/log.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/http/authenticator.h"
#include "gateway/http/failed_logins.h"
#include "gateway/http/ocsp_checker.h"
#include "gateway/http/server_config.h"
#include "gateway/metrics/observers.h"

namespace brygga::http {

// An endpoint and the path prefix it answers below.
struct Route {
  std::string prefix;                 // "/fhir"
  api::Endpoint* endpoint = nullptr;  // not owned
  // The methods served below the prefix; others get 405 with Allow from the front at once
  // (HEAD, served as GET without the body, and OPTIONS are added).
  std::vector<std::string> methods;
};

struct ServerDependencies {
  std::vector<Route> routes;
  core::Logger& logger;
  // /readyz: OK when the gateway can take traffic. Asked at most once a second (the answer is
  // kept that long); its message names the failed checks and is shown to anyone.
  std::function<core::Status()> readiness;
  // Told about every answered request (route template, status, duration). Not owned; may be null.
  metrics::RequestObserver* requests = nullptr;
  // Told about a request an authenticated client sent that the server refuses before an endpoint
  // sees it (a bad X-Brygga-User-HSA-Id), with the BALP subtype to record. May be null.
  std::function<void(const api::ApiRequest&, const core::Status&, const std::string& subtype)>
      refused;
  // The access tokens issued at POST /auth/token, for the Authenticator. Not owned; may be null.
  const auth::AccessTokenVerifier* accessTokens = nullptr;
  // Refused logins (no or unknown credentials on a protected path, a client certificate refused
  // in the handshake or revoked), one call per source address and server.failedAuthWindowMs
  // window, from a thread of the server's, and at stop() for the windows still open. May be null.
  std::function<void(const FailedLogins&)> failedLogins;
  // Carries OCSP requests for certificates that name a responder; null: no OCSP. Not owned.
  OcspTransport* ocsp = nullptr;
  core::TimeSystem* time = nullptr;  // wall clock (records, OCSP); null: the real time system
  // Where the requests refused before an endpoint saw them are noted (4xx but 429: the sender,
  // the route template, the status and the reason), in memory only. Not owned; may be null.
  api::RecentRefusals* refusals = nullptr;
};

// The gateway's HTTP and HTTPS listeners on the event-driven front (http_front.h). On a worker,
// each request is identified (the Authenticator: the verified client certificate, OCSP when it
// names a responder, or a bearer token), rate limited (per client when identified, else per source
// address; 429 with Retry-After, nothing recorded), and routed to the endpoint whose prefix
// matches, /healthz and /readyz to the health checks. A request without valid credentials for a
// path its endpoint does not serve publicly gets 401 here: its refusal is counted for the
// aggregated audit record, not written on its own. Links in answers start with
// server.publicBaseUrl, else the listener's own address; never the Host header. Every request is
// logged as one `http.request` line (request id, client, tenant, method, route template, status,
// duration; never the raw path or query) and reported to the RequestObserver; successful probes
// of /healthz, /readyz and /metrics are logged at debug level.
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
  // Reads the TLS files again (tls.crlFiles above all); new connections use them. On an error the
  // files in use stay and the error is returned.
  core::Status reloadTls();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace brygga::http

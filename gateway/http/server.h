#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gateway/api/endpoint.h"
#include "gateway/core/config.h"
#include "gateway/core/log.h"
#include "gateway/core/status.h"
#include "gateway/http/authenticator.h"

namespace brygga::http {

struct ServerDependencies {
  // Path prefix ("/fhir") -> the endpoint answering below it. Not owned.
  std::vector<std::pair<std::string, api::Endpoint*>> endpoints;
  core::Logger& logger;
  // /readyz: OK when the gateway can take traffic (database writable, ...).
  std::function<core::Status()> readiness;
};

// The HTTP and HTTPS listeners (POCO). Routes each request to the endpoint whose prefix matches
// (/fhir to the FhirApi, ...), /healthz and /readyz to health checks. Authenticates each request:
// the verified client certificate on HTTPS (mutual TLS; a certificate the CA did not sign fails the
// handshake), or a bearer token. Bodies over server.maxBodyBytes are refused with 413 before they
// are read.
class GatewayServer {
 public:
  GatewayServer(const core::GatewayConfig& config, ServerDependencies deps);
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

#pragma once

#include <cstdint>
#include <string>

#include "gateway/api/request_limits.h"
#include "gateway/core/client_role.h"

// The HTTP layer's configuration (server.*, tls.*, clients[]), validated by the app's config
// loader and handed to GatewayServer and Authenticator.
namespace brygga::http {

// A client the gateway knows: how it proves who it is, and the identity it then has.
struct ClientConfig {
  std::string id;
  std::string tenant;
  core::ClientRole role = core::ClientRole::kMunicipal;
  std::string tokenSha256;         // hex SHA-256 of the bearer token; empty: no token login
  std::string certificateSubject;  // RFC 4514 subject DN; empty: no certificate login
  // May name the person behind a request (X-Brygga-User-HSA-Id), recorded as the AuditEvent's
  // user agent; other clients' requests with that header are refused (400).
  bool mayAssertUser = false;
  // SMART Backend Services: the client's public keys (a JWKS as JSON text; empty: the client
  // gets no tokens at POST /auth/token) and the most its tokens may be granted (space-separated
  // system scopes; empty: what its role may do).
  std::string jwks;
  std::string scope;
};

struct ServerConfig {
  std::string bindAddress = "127.0.0.1";
  // The gateway's URL as clients know it (https://brygga.example); absolute URLs the gateway
  // names are built from it: the token endpoint (the aud of client assertions) and the SMART
  // configuration. Empty: the listener's own address.
  std::string publicBaseUrl;
  int httpPort = 8080;   // 0 picks a free port; -1 disables the plain HTTP listener
  int httpsPort = 8443;  // 0 picks a free port; -1 disables the HTTPS listener
  // A kept-alive connection holds its worker thread between requests (POCO's HTTPServer), so
  // this also bounds the connections served at once: connections beyond it wait in the queue.
  int threads = 64;
  // Accepted connections waiting for a worker thread; past this many a new one is closed.
  int maxQueuedConnections = 256;
  // A kept-alive connection is closed after this many requests (0: no limit)...
  int keepAliveMaxRequests = 1000;
  // ...or when its next request has not begun this long after the previous answer.
  int64_t keepAliveTimeoutMs = 15000;
  // Reading a request or writing an answer that stalls (nothing received or sent) this long
  // ends the connection.
  int64_t timeoutMs = 30000;
  api::RequestLimits limits;  // maxBodyBytes, maxJsonDepth, defaultPageSize, maxPageSize
};

struct TlsConfig {
  std::string certificateFile = "certs/out/server.crt";
  std::string privateKeyFile = "certs/out/server.key";
  std::string caFile = "certs/out/ca.crt";  // CA that signs client certificates
};

}  // namespace brygga::http

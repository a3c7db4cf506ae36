#pragma once

#include <cstdint>
#include <string>
#include <vector>

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
  std::string tokenSha256;  // hex SHA-256 of the bearer token; empty: no token login
  // Certificate login, by one of: the issuer's and the subject's DN (RFC 4514); the issuer's DN
  // and the HSA-id in the subject's serialNumber (SITHS function certificates); the certificate's
  // SHA-256 fingerprint. Never by subject alone: tls.caFile may hold more than one CA.
  std::string certificateIssuer;
  std::string certificateSubject;
  std::string hsaId;
  std::string certificateSha256;  // lower-case hex, no separators
  // May name the person behind a request (X-Brygga-User-HSA-Id), recorded as the AuditEvent's
  // user agent; other clients' requests with that header are refused (400).
  bool mayAssertUser = false;
  // SMART Backend Services: the client's public keys (a JWKS as JSON text; empty: the client
  // gets no tokens at POST /auth/token) and the most its tokens may be granted (space-separated
  // system scopes; empty: what its role may do).
  std::string jwks;
  std::string scope;
};

// A token bucket: `perSecond` requests a second, `burst` saved up; perSecond 0: no limit.
struct RateLimitConfig {
  int perSecond = 0;
  int burst = 0;
};

struct ServerConfig {
  // Each listener its own address: plain HTTP stays on loopback unless configured otherwise.
  std::string httpBindAddress = "127.0.0.1";
  std::string httpsBindAddress = "127.0.0.1";
  int httpPort = 8080;   // 0 picks a free port; -1 disables the plain HTTP listener
  int httpsPort = 8443;  // 0 picks a free port; -1 disables the HTTPS listener
  // Every absolute URL the gateway writes (Location, fullUrl, paging links, the token endpoint
  // that is the aud of client assertions, the SMART configuration) starts with this, e.g.
  // "https://brygga.regionhalland.se"; empty: the listener's own address. Never the Host header.
  std::string publicBaseUrl;
  int threads = 64;  // workers: requests handled at once (an idle connection holds none)
  // The front's limits (gateway/http/http_front.h): deadlines, sizes, connection caps.
  int64_t requestLineTimeoutMs = 10000;
  int64_t headerTimeoutMs = 10000;
  int64_t bodyTimeoutMs = 30000;
  int64_t writeTimeoutMs = 30000;
  int64_t minBytesPerSecond = 4096;
  int64_t keepAliveTimeoutMs = 15000;
  int maxRequestsPerConnection = 1000;
  int maxRequestLineBytes = 8 * 1024;
  int maxHeaderBytes = 64 * 1024;
  int maxConnections = 10000;
  int maxConnectionsPerSource = 256;
  int maxQueuedRequests = 1024;
  // Requests that name no valid client count against their source address; authenticated ones
  // against their client. Beyond: 429 with Retry-After, nothing recorded.
  struct RateLimits {
    RateLimitConfig perSource{50, 100};
    RateLimitConfig perClient{1000, 2000};
  } rateLimit;
  // Refused logins are audited as one AuditEvent per source address and window, with the count.
  int64_t failedAuthWindowMs = 60000;
  // maxBodyBytes, maxBundleEntries, maxJsonDepth, defaultPageSize, maxPageSize
  api::RequestLimits limits;
};

// OCSP for client certificates that name a responder (Authority Information Access).
struct OcspConfig {
  bool enabled = true;
  // What no usable answer means: "open" accepts the certificate (CRLs still apply), "closed"
  // refuses the request with 503.
  bool failClosed = false;
  int64_t timeoutMs = 3000;
};

struct TlsConfig {
  std::string certificateFile = "certs/out/server.crt";
  std::string privateKeyFile = "certs/out/server.key";
  std::string caFile = "certs/out/ca.crt";  // CA(s) that sign client certificates
  std::vector<std::string> crlFiles;        // their CRLs (PEM or DER), re-read on SIGHUP
  OcspConfig ocsp;
};

}  // namespace brygga::http

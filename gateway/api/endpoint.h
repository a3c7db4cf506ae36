#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/auth/scopes.h"
#include "gateway/core/client_role.h"
#include "gateway/core/event_stream.h"
#include "gateway/core/status.h"

// The seam between the transport (gateway/http) and what answers requests. The server routes by
// path prefix (/fhir, /admin, /audit ...) to an Endpoint; each endpoint records its own exchange
// lines and AuditEvents (see exchange_recorder.h).
namespace brygga::api {

// Who is calling, as established by gateway/http (mutual TLS or bearer token).
struct Caller {
  bool authenticated = false;
  std::string clientId;
  std::string tenant;
  core::ClientRole role = core::ClientRole::kMunicipal;
  std::string address;     // peer network address
  std::string userHsaId;   // the person behind the request, when the client says so
  std::string credential;  // "certificate" | "token" | "access-token" (for the audit record)
  // The scopes of an access token from POST /auth/token, which narrow the role per resource type
  // and interaction; nullopt for mutual TLS and static tokens (the role alone decides).
  std::optional<auth::ScopeSet> scopes;
  // The client may name the person behind a request (clients[].mayAssertUser).
  bool mayAssertUser = false;
  // Unauthenticated only: what was presented and not accepted ("certificate subject CN=...",
  // "bearer token sha256:<first 8 hex digits>"), for the audit record of the refused login.
  std::string refusedCredential;
};

struct ApiRequest {
  std::string method;  // GET, POST, PUT, DELETE, ...
  std::string path;    // below the endpoint prefix, starting with '/': "/Patient/123"
  std::string query;   // raw query string without '?'
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  Caller caller;
  // server.publicBaseUrl (or the listener's own address) and the endpoint's prefix, for links;
  // never taken from the request's Host header.
  std::string baseUrl;
  std::string requestId;  // X-Request-Id (given or generated)
  // W3C trace id (32 hex digits): the caller's from its traceparent, or one made for the request;
  // carried into the deliveries the request causes and into the logs.
  std::string traceId;
  std::string serverAddress;
};

struct ApiResponse {
  int status = 200;
  std::string body;  // FHIR JSON (a resource, Bundle or OperationOutcome), or empty
  std::vector<std::pair<std::string, std::string>> headers;
  // Set by a public endpoint that refused a login nobody proved (a token request whose client
  // assertion no registered key verifies): what was presented, never a secret. The server counts
  // it for the aggregated audit record of refused logins; nothing is written for it alone.
  std::string refusedLogin;
  // Set: the answer stays open and its body is these events (Server-Sent Events); `body` is
  // empty. See core::EventStream.
  std::shared_ptr<core::EventStream> stream;
};

// Answers requests below one path prefix. Implementations are thread-safe: the server calls
// handle() from many worker threads at once.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual ApiResponse handle(const ApiRequest& request) = 0;
  // True for a request this endpoint serves to anyone, without credentials (the
  // CapabilityStatement, the audit log's checkpoint, the console's files). Such requests are not
  // audited: anonymous traffic must cost nothing durable. Every other request reaches handle()
  // only with an authenticated caller; the server answers the rest with 401 and counts them for
  // the aggregated audit record of refused logins.
  virtual bool isPublic(const ApiRequest& request) const {
    (void)request;
    return false;
  }
};

// The header by which a client names the person behind a request.
inline constexpr const char* kUserHsaIdHeader = "X-Brygga-User-HSA-Id";

// Makes `hsaId` (the kUserHsaIdHeader value) the person behind the caller's request, for the
// AuditEvent's user agent. Only an authenticated client configured with mayAssertUser may name
// one, and only by a valid HSA-id; otherwise invalidArgument (400) and the caller is unchanged,
// so that nobody is recorded whom no client vouched for.
core::Status assertUser(Caller& caller, const std::string& hsaId);

// The route template of a request path (metrics::routeTemplate), keeping the resource types the
// FHIR API serves: what the transport logs and labels its metrics with.
std::string routeTemplate(std::string_view path);

}  // namespace brygga::api

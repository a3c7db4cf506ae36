#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/core/clock.h"
#include "gateway/core/config.h"
#include "gateway/core/log.h"
#include "gateway/fhir/validator.h"
#include "gateway/store/store.h"

// FHIR REST semantics, independent of the HTTP transport: gateway/http turns a POCO request into
// an ApiRequest and writes the ApiResponse back. Everything a request does (resources, outbox
// entries, its exchange-log line and its AuditEvent) is committed in one store write unit.
namespace brygga::api {

// Who is calling, as established by gateway/http (mutual TLS or bearer token).
struct Caller {
  bool authenticated = false;
  std::string clientId;
  std::string tenant;
  core::ClientRole role = core::ClientRole::kMunicipal;
  std::string address;     // peer network address
  std::string userHsaId;   // the person behind the request, when the client says so
  std::string credential;  // "certificate" | "token" (for the audit record)
};

struct ApiRequest {
  std::string method;  // GET, POST, PUT, DELETE, ...
  std::string path;    // below the FHIR base, starting with '/': "/Patient/123"
  std::string query;   // raw query string without '?'
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  Caller caller;
  std::string baseUrl;    // the FHIR base as the client reached it, for links
  std::string requestId;  // X-Request-Id (given or generated)
  std::string serverAddress;
};

struct ApiResponse {
  int status = 200;
  std::string body;  // FHIR JSON (a resource, Bundle or OperationOutcome), or empty
  std::vector<std::pair<std::string, std::string>> headers;
};

struct ApiDependencies {
  store::Store& store;
  const fhir::Validator& validator;
  const core::Clock& clock;
  core::Logger& logger;
  core::ServerConfig server;
  std::vector<std::string> destinations;  // configured destination names
  // Called after a write unit that enqueued outbox entries has committed.
  std::function<void(const std::string& destination)> onEnqueued;
};

class FhirApi {
 public:
  explicit FhirApi(ApiDependencies deps);
  ~FhirApi();
  FhirApi(const FhirApi&) = delete;
  FhirApi& operator=(const FhirApi&) = delete;

  // Thread-safe: called concurrently by the server's worker threads.
  ApiResponse handle(const ApiRequest& request);

  // The CapabilityStatement this API serves at /metadata.
  const std::string& capabilityStatement() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace brygga::api

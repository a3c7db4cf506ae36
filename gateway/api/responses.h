#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/api/endpoint.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/core/log.h"
#include "gateway/core/status.h"

// Answer helpers shared by every endpoint, so that an error looks the same wherever it comes from.
namespace brygga::api {

// An OperationOutcome answer with the status's HTTP code; 401 carries WWW-Authenticate and 503
// (full queue, full disk) a Retry-After, since nothing was stored and the sender should retry.
ApiResponse errorResponse(const core::Status& status);

// An answer a cache must not keep (operational state, proofs, checkpoints: they change from one
// call to the next).
ApiResponse noStoreResponse(int status, std::string body,
                            const char* contentType = "application/json");

// Runs `dispatch`; an exception that escapes it is logged (request.exception) and answered 500.
ApiResponse dispatchGuarded(const ApiRequest& request, core::Logger& logger,
                            const std::function<ApiResponse()>& dispatch);

// The caller checks of the integration team's endpoints: 401 without credentials (recorded as a
// login attempt), 403 (`forbidden`) for any other role, 403 for access tokens from /auth/token
// (their scopes are about FHIR resources), and 403 for a state-changing request that is not
// plainly from the console or a script (see checkNotCrossSite); nullopt when the caller may go on.
std::optional<ApiResponse> checkIntegrationCaller(const ApiRequest& request, Trace& trace,
                                                  const std::string& forbidden);

// The header the console's script sends with every call (kConsoleHeader: 1).
inline constexpr const char* kConsoleHeader = "X-Brygga-Console";

// CSRF: a browser presents the integration client's certificate (or cookies) to any page that
// makes it send a request, so a request that changes something (any method but GET and HEAD)
// must show it was not made by another site: it carries X-Brygga-Console: 1 (which a cross-origin
// page cannot send without a CORS preflight, never granted), or an Origin that is the gateway's
// own (scheme, host and port of request.baseUrl). kPermissionDenied otherwise.
core::Status checkNotCrossSite(const ApiRequest& request);

// 405 unless the request uses `expected`.
std::optional<ApiResponse> checkMethod(const ApiRequest& request, const char* expected);

// Appends the instant `ms` as a JSON string (formatInstant), or null when it is not set (<= 0).
void appendInstantOrNull(std::string& out, int64_t ms);

// The first `maxBytes` of `text`, cut at a UTF-8 boundary and marked "..." when cut.
std::string previewText(const std::string& text, size_t maxBytes);

// "/a/b//c" -> {"a", "b", "c"}.
std::vector<std::string> splitPath(const std::string& path);

// A request header by its lower-cased name; empty when absent.
std::string header(const ApiRequest& request, const std::string& name);

// One preference of the Prefer header (RFC 7240: "return=minimal, handling=lenient"), lower-cased;
// empty when the request does not state it.
std::string preference(const ApiRequest& request, std::string_view name);

// The media type of a Content-Type or Accept value, lower-cased, without parameters.
std::string mediaTypeOf(const std::string& value);

// The parameters of a POST [type]/_search (R4 3.1.1.2): its application/x-www-form-urlencoded
// body, decoded; 415 for another Content-Type, 400 for a malformed body.
core::StatusOr<std::vector<std::pair<std::string, std::string>>> searchFormOf(
    const ApiRequest& request);

}  // namespace brygga::api

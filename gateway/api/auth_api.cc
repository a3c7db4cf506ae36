#include "gateway/api/auth_api.h"

#include <algorithm>

#include "gateway/api/responses.h"
#include "gateway/auth/form_encoding.h"
#include "gateway/core/text.h"

namespace brygga::api {

namespace {

constexpr const char* kJson = "application/json";

ApiResponse oauthAnswer(int status, std::string body) {
  ApiResponse response;
  response.status = status;
  response.body = std::move(body);
  // RFC 6749 §5.1: token answers are never cached.
  response.headers = {
      {"Content-Type", kJson}, {"Cache-Control", "no-store"}, {"Pragma", "no-cache"}};
  return response;
}

ApiResponse invalidRequest(const std::string& why) {
  std::string body = R"({"error":"invalid_request","error_description":")";
  core::appendJsonEscaped(body, why);
  return oauthAnswer(400, body + "\"}");
}

bool isFormContentType(const ApiRequest& request) {
  auto it = request.headers.find("content-type");
  if (it == request.headers.end()) return false;
  std::string type = core::lowerAscii(it->second.substr(0, it->second.find(';')));
  type.erase(std::remove_if(type.begin(), type.end(), core::isAsciiSpace), type.end());
  return type == "application/x-www-form-urlencoded";
}

}  // namespace

ApiResponse AuthApi::handle(const ApiRequest& request) {
  if (request.path != "/token") {
    return errorResponse(core::notFound("no such auth resource: POST /auth/token"));
  }
  if (request.method != "POST") {
    ApiResponse refused =
        errorResponse({core::StatusCode::kMethodNotAllowed, "the token endpoint takes POST"});
    refused.headers.emplace_back("Allow", "POST");
    return refused;
  }
  const int64_t started = deps_.clock.nowMs();
  Trace trace;
  trace.interaction = "login";
  trace.action = 'E';
  ApiRequest recorded = request;
  recorded.body.clear();  // the assertion is a credential: it goes nowhere
  recorded.caller = Caller{};
  recorded.caller.address = request.caller.address;
  ApiResponse response;
  std::string detail;
  auto form = isFormContentType(request) ? auth::formDecode(request.body) : std::nullopt;
  if (!isFormContentType(request)) {
    response = invalidRequest("the body must be application/x-www-form-urlencoded");
    detail = "invalid_request: content type";
  } else if (!form) {
    response = invalidRequest("the body is not valid form encoding");
    detail = "invalid_request: form encoding";
  } else {
    const auth::TokenAnswer answer = deps_.issuer.issue(*form, deps_.tokenUrl());
    response = oauthAnswer(answer.status, answer.body);
    detail = answer.error.empty() ? "token issued: " + answer.scope : answer.error;
    if (!answer.clientId.empty()) {
      recorded.caller.authenticated = answer.status == 200;
      recorded.caller.clientId = answer.clientId;
      recorded.caller.credential = "client-assertion";
    }
  }
  if (recorded.caller.clientId.empty()) {
    response.refusedLogin = "client assertion (" + detail.substr(0, 64) + ")";
    return response;
  }
  if (!recorded.caller.authenticated) {
    recorded.caller.refusedCredential =
        "client assertion of " + recorded.caller.clientId.substr(0, 64);
  }
  const core::Status written =
      recorder_.recordAlone(deps_.store, recorded, response.status, trace, started, detail);
  if (!written.isOk()) {
    deps_.logger.error("audit.write_failed",
                       {{"requestId", request.requestId}, {"error", written.message()}});
    // A token whose issue cannot be recorded is not handed out.
    return oauthAnswer(503, R"({"error":"temporarily_unavailable"})");
  }
  return response;
}

ApiResponse WellKnownApi::handle(const ApiRequest& request) {
  if (request.method != "GET") {
    ApiResponse refused = errorResponse({core::StatusCode::kMethodNotAllowed, "use GET"});
    refused.headers.emplace_back("Allow", "GET");
    return refused;
  }
  if (request.path == "/jwks.json") {
    ApiResponse response;
    response.body = jwks_;
    response.headers = {{"Content-Type", "application/jwk-set+json"},
                        {"Cache-Control", "max-age=300"}};
    return response;
  }
  if (request.path == "/smart-configuration") {
    std::string body = R"({"token_endpoint":")";
    core::appendJsonEscaped(body, tokenUrl_());
    body +=
        R"(","grant_types_supported":["client_credentials"],)"
        R"("token_endpoint_auth_methods_supported":["private_key_jwt"],)"
        R"("token_endpoint_auth_signing_alg_values_supported":["ES384","RS384"],)"
        R"("scopes_supported":["system/*.cruds","system/*.rs","system/*.read","system/*.write"],)"
        R"("capabilities":["client-confidential-asymmetric","permission-v1","permission-v2"]})";
    ApiResponse response;
    response.body = std::move(body);
    response.headers = {{"Content-Type", kJson}, {"Cache-Control", "max-age=300"}};
    return response;
  }
  return errorResponse(core::notFound("no such document: jwks.json and smart-configuration exist"));
}

}  // namespace brygga::api

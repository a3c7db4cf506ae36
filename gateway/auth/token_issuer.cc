#include "gateway/auth/token_issuer.h"

#include <algorithm>
#include <cmath>

#include <openssl/rand.h>

#include "gateway/core/base64.h"
#include "gateway/core/digest.h"
#include "gateway/core/log.h"
#include "gateway/fhir/json.h"

namespace brygga::auth {

namespace {

using rapidjson::Value;

constexpr const char* kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
constexpr int64_t kMaxAssertionAheadMs = 5 * 60 * 1000;
constexpr size_t kMaxJtiLength = 256;
const fhir::JsonLimits kJwtJson{8 * 1024, 8};

TokenAnswer oauthError(int status, const char* error, const std::string& description) {
  TokenAnswer answer;
  answer.status = status;
  answer.error = std::string(error) + ": " + description;
  answer.body = R"({"error":")" + std::string(error) + R"(","error_description":")";
  core::appendJsonEscaped(answer.body, description);
  answer.body += "\"}";
  return answer;
}

// A NumericDate claim in milliseconds; nullopt when absent; an error when not a number.
core::StatusOr<std::optional<int64_t>> numericDate(const Value& claims, const char* name) {
  const Value* v = fhir::member(claims, name);
  if (v == nullptr) return std::optional<int64_t>();
  if (!v->IsNumber() || !std::isfinite(v->GetDouble()) || v->GetDouble() < 0 ||
      v->GetDouble() > 1e11) {
    return core::invalidArgument(std::string(name) + " is not a NumericDate");
  }
  return std::optional<int64_t>(static_cast<int64_t>(std::floor(v->GetDouble())) * 1000);
}

bool audienceIs(const Value& claims, const std::string& url) {
  const Value* aud = fhir::member(claims, "aud");
  if (aud == nullptr) return false;
  if (aud->IsString()) return aud->GetString() == url;
  if (!aud->IsArray()) return false;
  for (const Value& a : aud->GetArray()) {
    if (a.IsString() && a.GetString() == url) return true;
  }
  return false;
}

std::string randomToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return {};
  return core::base64UrlEncode(std::string(reinterpret_cast<char*>(bytes), sizeof bytes));
}

}  // namespace

core::StatusOr<std::vector<std::pair<std::string, JoseKey>>> parseJwks(std::string_view jwksJson) {
  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, fhir::parseJson(jwksJson, {256 * 1024, 8}));
  const Value* keys = fhir::member(doc, "keys");
  if (keys == nullptr || !keys->IsArray() || keys->Empty()) {
    return core::invalidArgument("must be a JWKS: an object with a non-empty array \"keys\"");
  }
  std::vector<std::pair<std::string, JoseKey>> out;
  for (rapidjson::SizeType i = 0; i < keys->Size(); ++i) {
    const Value& jwk = (*keys)[i];
    const std::string where = "keys[" + std::to_string(i) + "]";
    const std::string kid(fhir::stringMember(jwk, "kid"));
    if (kid.empty()) return core::invalidArgument(where + " has no kid");
    for (const auto& [known, _] : out) {
      if (known == kid) return core::invalidArgument(where + " repeats the kid " + kid);
    }
    auto key = JoseKey::publicFromJwk(fhir::toJson(jwk));
    if (!key.isOk()) return core::invalidArgument(where + ": " + key.status().message());
    if (!key->fits(JwsAlgorithm::kES384) && !key->fits(JwsAlgorithm::kRS384)) {
      return core::invalidArgument(where +
                                   " can sign neither ES384 nor RS384 (an EC P-384 or "
                                   "RSA key is needed)");
    }
    if (const Value* alg = fhir::member(jwk, "alg")) {
      const auto named = alg->IsString() ? jwsAlgorithmNamed(alg->GetString()) : std::nullopt;
      if (!named || !key->fits(*named) ||
          (*named != JwsAlgorithm::kES384 && *named != JwsAlgorithm::kRS384)) {
        return core::invalidArgument(where + " has an alg other than ES384 or RS384 for its key");
      }
    }
    out.emplace_back(kid, std::move(key).value());
  }
  return out;
}

TokenIssuer::TokenIssuer(std::vector<SmartClient> clients, int64_t lifetimeMs,
                         const core::TimeSource& clock)
    : lifetimeMs_(std::clamp<int64_t>(lifetimeMs, 1000, kMaxLifetimeMs)), clock_(clock) {
  for (auto& c : clients) {
    std::string id = c.id;
    clients_.emplace(std::move(id), std::move(c));
  }
}

core::StatusOr<const SmartClient*> TokenIssuer::checkAssertion(std::string_view assertion,
                                                               const std::string& formClientId,
                                                               const std::string& tokenUrl,
                                                               int64_t now, std::string& signedBy) {
  BRYGGA_ASSIGN_OR_RETURN(CompactJws jws, parseCompactJws(assertion));
  auto header = fhir::parseJson(jws.header, kJwtJson);
  auto claims = fhir::parseJson(jws.payload, kJwtJson);
  if (!header.isOk() || !header->IsObject() || !claims.isOk() || !claims->IsObject()) {
    return core::invalidArgument("the assertion's header and claims must be JSON objects");
  }
  // The allow-list comes first: no key is looked at for "none", HS256 or anything else.
  const auto alg = jwsAlgorithmNamed(fhir::stringMember(*header, "alg"));
  if (alg != JwsAlgorithm::kES384 && alg != JwsAlgorithm::kRS384) {
    return core::invalidArgument("the assertion's alg must be ES384 or RS384");
  }
  if (fhir::member(*header, "crit") != nullptr) {
    return core::invalidArgument("the assertion has critical header parameters");
  }
  const std::string iss(fhir::stringMember(*claims, "iss"));
  auto client = clients_.find(iss);
  if (iss.empty() || client == clients_.end()) {
    return core::invalidArgument("the assertion's iss is no registered client");
  }
  if (fhir::stringMember(*claims, "sub") != iss) {
    return core::invalidArgument("the assertion's sub must equal its iss");
  }
  if (!formClientId.empty() && formClientId != iss) {
    return core::invalidArgument("client_id does not match the assertion's iss");
  }
  const std::string_view kid = fhir::stringMember(*header, "kid");
  const JoseKey* key = nullptr;
  for (const auto& [k, candidate] : client->second.keys) {
    if (k == kid) key = &candidate;
  }
  if (key == nullptr) return core::invalidArgument("the assertion's kid is no key of the client");
  if (!key->verify(*alg, jws.signingInput, jws.signature)) {
    return core::invalidArgument("the assertion's signature does not verify");
  }
  // Signed by the client from here on; now its claims can be judged.
  signedBy = iss;
  if (!audienceIs(*claims, tokenUrl)) {
    return core::invalidArgument("the assertion's aud must be " + tokenUrl);
  }
  BRYGGA_ASSIGN_OR_RETURN(std::optional<int64_t> exp, numericDate(*claims, "exp"));
  BRYGGA_ASSIGN_OR_RETURN(std::optional<int64_t> nbf, numericDate(*claims, "nbf"));
  BRYGGA_ASSIGN_OR_RETURN(std::optional<int64_t> iat, numericDate(*claims, "iat"));
  if (!exp) return core::invalidArgument("the assertion has no exp");
  if (*exp <= now - kLeewayMs) return core::invalidArgument("the assertion has expired");
  if (*exp > now + kMaxAssertionAheadMs + kLeewayMs) {
    return core::invalidArgument("the assertion's exp is more than 5 minutes ahead");
  }
  if ((nbf && *nbf > now + kLeewayMs) || (iat && *iat > now + kLeewayMs)) {
    return core::invalidArgument("the assertion is not valid yet");
  }
  const std::string_view jti = fhir::stringMember(*claims, "jti");
  if (jti.empty() || jti.size() > kMaxJtiLength) {
    return core::invalidArgument("the assertion needs a jti of 1 to 256 characters");
  }
  const std::string replayKey = iss + "\n" + std::string(jti);
  std::lock_guard lock(mutex_);
  if (usedJti_.count(replayKey) > 0) {
    return core::invalidArgument("the assertion's jti was used before");
  }
  const int64_t until = std::max(*exp, now) + kLeewayMs;
  usedJti_.emplace(replayKey, until);
  jtiExpiries_.emplace(until, replayKey);
  return &client->second;
}

void TokenIssuer::forgetExpired(int64_t now) {
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    tokens_.erase(expiries_.begin()->second);
    expiries_.erase(expiries_.begin());
  }
  while (!jtiExpiries_.empty() && jtiExpiries_.begin()->first <= now) {
    usedJti_.erase(jtiExpiries_.begin()->second);
    jtiExpiries_.erase(jtiExpiries_.begin());
  }
}

TokenAnswer TokenIssuer::issue(const FormFields& form, const std::string& tokenUrl) {
  const int64_t now = clock_.nowMs();
  {
    std::lock_guard lock(mutex_);
    forgetExpired(now);
  }
  std::map<std::string, std::string> fields;
  for (const auto& [name, value] : form) {
    if (!fields.emplace(name, value).second) {
      return oauthError(400, "invalid_request", "the parameter " + name + " is repeated");
    }
  }
  auto field = [&fields](const char* name) {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : it->second;
  };
  if (fields.count("grant_type") == 0) {
    return oauthError(400, "invalid_request", "grant_type is required");
  }
  if (field("grant_type") != "client_credentials") {
    return oauthError(400, "unsupported_grant_type", "only client_credentials is supported");
  }
  if (field("client_assertion_type") != kAssertionType || field("client_assertion").empty()) {
    return oauthError(401, "invalid_client",
                      std::string("client authentication by client_assertion (") + kAssertionType +
                          ") is required");
  }
  std::string signedBy;
  auto client =
      checkAssertion(field("client_assertion"), field("client_id"), tokenUrl, now, signedBy);
  TokenAnswer answer;
  if (!client.isOk()) {
    answer = oauthError(401, "invalid_client", client.status().message());
    answer.clientId = signedBy;
    return answer;
  }
  answer.clientId = (*client)->id;
  if (field("scope").empty()) {
    answer = oauthError(400, "invalid_scope", "scope is required");
    answer.clientId = (*client)->id;
    return answer;
  }
  auto requested = ScopeSet::parse(field("scope"));
  std::string refused;
  if (!requested.isOk()) {
    refused = requested.status().message();
  } else if (const std::string beyond = (*client)->allowed.firstNotCovered(*requested);
             !beyond.empty()) {
    refused = "the scope " + beyond + " is beyond what the client may be granted";
  }
  if (!refused.empty()) {
    answer = oauthError(400, "invalid_scope", refused);
    answer.clientId = (*client)->id;
    return answer;
  }
  const std::string token = randomToken();
  if (token.empty()) {
    answer = oauthError(500, "server_error", "no random bytes");
    return answer;
  }
  AccessGrant grant{(*client)->id, *requested, now + lifetimeMs_};
  {
    std::lock_guard lock(mutex_);
    const std::string hash = core::sha256Hex(token);
    expiries_.emplace(grant.expiresAtMs, hash);
    tokens_.emplace(hash, std::move(grant));
  }
  answer.scope = requested->toString();
  answer.body = R"({"access_token":")" + token + R"(","token_type":"bearer","expires_in":)" +
                std::to_string(lifetimeMs_ / 1000) + R"(,"scope":")";
  core::appendJsonEscaped(answer.body, answer.scope);
  answer.body += "\"}";
  return answer;
}

std::optional<AccessGrant> TokenIssuer::verify(std::string_view token) const {
  if (token.empty() || token.size() > 256) return std::nullopt;
  const std::string hash = core::sha256Hex(token);
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(hash);
  if (it == tokens_.end() || it->second.expiresAtMs <= clock_.nowMs()) return std::nullopt;
  return it->second;
}

}  // namespace brygga::auth

#include "gateway/auth/token_client.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "gateway/auth/form_encoding.h"
#include "gateway/core/base64.h"
#include "gateway/core/digest.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"

namespace brygga::auth {

namespace {

constexpr const char* kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
// The assertion's exp: inside the 5 minutes SMART allows, with room for the token endpoint's
// clock being a little behind ours.
constexpr int64_t kAssertionLifetimeS = 240;
// A token endpoint that names no lifetime: assume a short one, so it is refreshed soon.
constexpr int64_t kDefaultLifetimeMs = 60 * 1000;
constexpr int64_t kMaxRefreshMarginMs = 60 * 1000;
constexpr size_t kMaxTokenBytes = 8192;

// RFC 6750 b64token: what may follow "Bearer " in a header. Anything else (a CR or LF above all)
// is refused rather than put in a request.
bool isBearerToken(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenBytes) return false;
  size_t i = 0;
  for (; i < token.size(); ++i) {
    const char c = token[i];
    if (!(core::isAsciiAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
          c == '/')) {
      break;
    }
  }
  if (i == 0) return false;
  for (; i < token.size(); ++i) {
    if (token[i] != '=') return false;
  }
  return true;
}

// The OAuth error code of a refusal (RFC 6749 §5.2), if it is a sensible one: what the log and
// the health may say about it. error_description is not kept: a peer may echo what it got.
std::string oauthErrorOf(const std::string& body) {
  auto doc = fhir::parseJson(body, {64 * 1024, 8});
  if (!doc.isOk()) return {};
  const std::string_view error = fhir::stringMember(*doc, "error");
  if (error.empty() || error.size() > 64) return {};
  for (const char c : error) {
    if (!((c >= 'a' && c <= 'z') || c == '_')) return {};
  }
  return std::string(error);
}

core::StatusOr<std::string> readSecretFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::notFound("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  std::string secret = text.str();
  // A trailing newline is how editors save files, not part of the secret.
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return core::invalidArgument(path + " is empty");
  return secret;
}

}  // namespace

OAuthTokenClient::OAuthTokenClient(std::string destination, DestinationAuthConfig config,
                                   std::unique_ptr<adapters::HttpClient> http,
                                   const core::TimeSource& clock, core::Logger& logger)
    : destination_(std::move(destination)),
      config_(std::move(config)),
      http_(std::move(http)),
      clock_(clock),
      logger_(logger) {
  health_.configured = true;
}

core::StatusOr<std::unique_ptr<OAuthTokenClient>> OAuthTokenClient::create(
    std::string destination, const DestinationAuthConfig& config,
    std::unique_ptr<adapters::HttpClient> http, const core::TimeSource& clock,
    core::Logger& logger) {
  const std::string key = "destinations." + destination + ".auth";
  std::unique_ptr<OAuthTokenClient> client(
      new OAuthTokenClient(destination, config, std::move(http), clock, logger));
  if (config.type == DestinationAuthConfig::Type::kSmartBackend) {
    client->alg_ = jwsAlgorithmNamed(config.algorithm);
    if (client->alg_ != JwsAlgorithm::kES384 && client->alg_ != JwsAlgorithm::kRS384) {
      return core::invalidArgument(key + ".algorithm must be ES384 or RS384");
    }
    auto loaded = JoseKey::privateFromFile(config.privateKeyFile);
    if (!loaded.isOk()) {
      return core::invalidArgument(key + ".privateKeyFile: " + loaded.status().message());
    }
    if (!loaded->fits(*client->alg_)) {
      return core::invalidArgument(key + ".privateKeyFile: the key cannot sign " +
                                   config.algorithm +
                                   " (ES384 needs an EC P-384 key, RS384 an RSA key)");
    }
    client->key_ = std::move(loaded).value();
  } else if (config.type == DestinationAuthConfig::Type::kClientSecret) {
    auto secret = readSecretFile(config.clientSecretFile);
    if (!secret.isOk()) {
      return core::invalidArgument(key + ".clientSecretFile: " + secret.status().message());
    }
    client->secret_ = std::move(secret).value();
  } else {
    return core::invalidArgument(key + ".type is not a token type");
  }
  return client;
}

core::StatusOr<std::string> OAuthTokenClient::clientAssertion() const {
  if (!key_ || !alg_) return core::preconditionFailed("the destination uses no client assertion");
  const int64_t now = clock_.nowMs() / 1000;
  std::string header = R"({"alg":")" + std::string(toString(*alg_)) + R"(","typ":"JWT","kid":")";
  core::appendJsonEscaped(header, config_.keyId);
  header += "\"}";
  std::string claims = R"({"iss":")";
  core::appendJsonEscaped(claims, config_.clientId);
  claims += R"(","sub":")";
  core::appendJsonEscaped(claims, config_.clientId);
  claims += R"(","aud":")";
  core::appendJsonEscaped(claims, config_.tokenUrl);
  claims += R"(","exp":)" + std::to_string(now + kAssertionLifetimeS) + R"(,"iat":)" +
            std::to_string(now) + R"(,"jti":")" + core::newUuid() + "\"}";
  return signCompactJws(*key_, *alg_, header, claims);
}

std::string OAuthTokenClient::publicJwk() const {
  return key_ ? key_->publicJwk(config_.keyId, alg_) : std::string();
}

core::StatusOr<OAuthTokenClient::Fetched> OAuthTokenClient::fetch() {
  FormFields form = {{"grant_type", "client_credentials"}};
  if (!config_.scope.empty()) form.emplace_back("scope", config_.scope);
  adapters::HttpRequestSpec request;
  request.method = "POST";
  request.url = config_.tokenUrl;
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  if (key_) {
    BRYGGA_ASSIGN_OR_RETURN(std::string assertion, clientAssertion());
    form.emplace_back("client_assertion_type", kAssertionType);
    form.emplace_back("client_assertion", std::move(assertion));
  } else {
    // RFC 6749 §2.3.1: the id and the secret are form-encoded before they are joined.
    request.headers.emplace_back(
        "Authorization",
        "Basic " + core::base64Encode(formEncode(config_.clientId) + ":" + formEncode(secret_)));
  }
  request.body = formBody(form);
  const adapters::HttpResult result = http_->send(request);
  if (result.status == 0) return core::unavailable("token endpoint: no answer: " + result.error);
  if (result.status != 200) {
    const std::string error = oauthErrorOf(result.body);
    return core::unavailable("token endpoint: HTTP " + std::to_string(result.status) +
                             (error.empty() ? std::string() : " " + error));
  }
  auto doc = fhir::parseJson(result.body, {64 * 1024, 8});
  if (!doc.isOk() || !doc->IsObject()) {
    return core::unavailable("token endpoint: the answer is not a JSON object");
  }
  const std::string_view token = fhir::stringMember(*doc, "access_token");
  const std::string type = core::lowerAscii(fhir::stringMember(*doc, "token_type"));
  if (!isBearerToken(token) || type != "bearer") {
    return core::unavailable("token endpoint: the answer holds no bearer token");
  }
  Fetched fetched{std::string(token), kDefaultLifetimeMs};
  if (const rapidjson::Value* expires = fhir::member(*doc, "expires_in")) {
    if (!expires->IsInt64() || expires->GetInt64() <= 0 || expires->GetInt64() > 86400 * 365) {
      return core::unavailable("token endpoint: expires_in is not a positive number of seconds");
    }
    fetched.lifetimeMs = expires->GetInt64() * 1000;
  }
  return fetched;
}

core::StatusOr<std::string> OAuthTokenClient::token() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const int64_t now = clock_.nowMs();
    const bool valid = !token_.empty() && now < expiresAtMs_;
    if (valid && now < refreshAtMs_) return token_;
    if (refreshing_) {
      if (valid) return token_;  // the refresh in flight will replace it
      refreshed_.wait(lock);
      continue;
    }
    if (health_.consecutiveFailures > 0 && now < health_.nextAttemptMs) {
      if (valid) return token_;
      return core::unavailable("no access token for " + destination_ + ": " + health_.lastError);
    }
    break;
  }
  refreshing_ = true;
  lock.unlock();
  auto fetched = fetch();
  lock.lock();
  refreshing_ = false;
  refreshed_.notify_all();
  const int64_t now = clock_.nowMs();
  if (!fetched.isOk()) {
    if (health_.consecutiveFailures == 0) health_.failingSinceMs = now;
    ++health_.consecutiveFailures;
    int64_t delay = std::max<int64_t>(config_.retryBaseMs, 1);
    for (int i = 1; i < health_.consecutiveFailures && delay < config_.retryMaxMs; ++i) delay *= 2;
    health_.nextAttemptMs = now + std::min(delay, std::max<int64_t>(config_.retryMaxMs, 1));
    health_.lastError = fetched.status().message();
    logger_.warn("auth.token_failed", {{"destination", destination_},
                                       {"error", health_.lastError},
                                       {"failures", std::to_string(health_.consecutiveFailures)},
                                       {"retryInMs", std::to_string(health_.nextAttemptMs - now)}});
    if (!token_.empty() && now < expiresAtMs_) return token_;
    return core::unavailable("no access token for " + destination_ + ": " + health_.lastError);
  }
  if (health_.consecutiveFailures > 0) {
    logger_.info(
        "auth.token_recovered",
        {{"destination", destination_}, {"failures", std::to_string(health_.consecutiveFailures)}});
  }
  token_ = std::move(fetched->token);
  const int64_t lifetime = fetched->lifetimeMs;
  expiresAtMs_ = now + lifetime;
  refreshAtMs_ = expiresAtMs_ - std::min(lifetime / 4, kMaxRefreshMarginMs);
  health_.consecutiveFailures = 0;
  health_.failingSinceMs = 0;
  health_.nextAttemptMs = 0;
  health_.lastError.clear();
  ++health_.obtained;
  return token_;
}

void OAuthTokenClient::rejected(const std::string& token) {
  std::lock_guard lock(mutex_);
  if (token != token_) return;  // already replaced
  expiresAtMs_ = 0;
  refreshAtMs_ = 0;
  logger_.info("auth.token_rejected", {{"destination", destination_},
                                       {"token", "sha256:" + core::sha256Hex(token).substr(0, 8)}});
}

TokenHealth OAuthTokenClient::health() const {
  std::lock_guard lock(mutex_);
  TokenHealth h = health_;
  h.valid = !token_.empty() && clock_.nowMs() < expiresAtMs_;
  h.expiresAtMs = token_.empty() ? 0 : expiresAtMs_;
  return h;
}

core::StatusOr<std::string> BearerAuthorizer::authorize(adapters::HttpRequestSpec& request) {
  BRYGGA_ASSIGN_OR_RETURN(std::string token, tokens_.token());
  auto& headers = request.headers;
  headers.erase(std::remove_if(headers.begin(), headers.end(),
                               [](const auto& h) { return h.first == "Authorization"; }),
                headers.end());
  headers.emplace_back("Authorization", "Bearer " + token);
  return token;
}

bool BearerAuthorizer::retryAfter(const adapters::HttpResult& result, const std::string& used) {
  if (result.status != 401) return false;
  tokens_.rejected(used);
  return true;
}

adapters::HttpResult BearerAuthorizer::notSent(const core::Status& why) {
  adapters::HttpResult result;
  result.error = "not sent: " + why.message();
  return result;
}

void AuthorizedAsyncHttpClient::start(adapters::HttpRequestSpec request, Completion done) {
  send(std::move(request), std::move(done), false);
}

void AuthorizedAsyncHttpClient::send(adapters::HttpRequestSpec request, Completion done,
                                     bool retried) {
  auto used = authorizer_.authorize(request);
  if (!used.isOk()) {
    completeNow(std::move(done), BearerAuthorizer::notSent(used.status()));
    return;
  }
  if (retried) {
    inner().start(std::move(request), std::move(done));
    return;
  }
  // The retry needs the request again: it goes with the completion.
  adapters::HttpRequestSpec again = request;
  inner().start(std::move(request),
                [this, again = std::move(again), done = std::move(done),
                 token = std::move(used).value()](adapters::HttpResult result) mutable {
                  if (authorizer_.retryAfter(result, token)) {
                    send(std::move(again), std::move(done), true);
                  } else {
                    done(std::move(result));
                  }
                });
}

}  // namespace brygga::auth

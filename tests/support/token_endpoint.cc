#include "tests/support/token_endpoint.h"

#include <atomic>
#include <memory>
#include <sstream>

#include <Poco/Base64Decoder.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/URI.h>
#include <openssl/rand.h>
#include <rapidjson/document.h>

#include "gateway/core/base64.h"
#include "tests/support/test_keys.h"

namespace brygga::testing {

namespace {

constexpr const char* kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

std::string stringOf(const rapidjson::Value& object, const char* name) {
  if (!object.IsObject()) return {};
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsString() ? it->value.GetString() : "";
}

std::string randomToken() {
  unsigned char bytes[24];
  RAND_bytes(bytes, sizeof bytes);
  return core::base64UrlEncode(std::string(reinterpret_cast<char*>(bytes), sizeof bytes));
}

}  // namespace

TestTokenEndpoint::TestTokenEndpoint(const core::TimeSource* clock) : clock_(clock) {
  peer_.setHandler([this](const TestPeer::Request& request) { return handle(request); });
}

std::string TestTokenEndpoint::url() const {
  return "http://127.0.0.1:" + std::to_string(peer_.port()) + "/auth/token";
}

void TestTokenEndpoint::addAssertionClient(const std::string& clientId,
                                           const std::string& publicKeyPem, const std::string& kid,
                                           const std::string& alg) {
  std::lock_guard lock(mutex_);
  clients_[clientId] = Client{publicKeyPem, kid, alg, ""};
}

void TestTokenEndpoint::addSecretClient(const std::string& clientId, const std::string& secret) {
  std::lock_guard lock(mutex_);
  clients_[clientId] = Client{"", "", "", secret};
}

void TestTokenEndpoint::setLifetimeSeconds(int seconds) {
  std::lock_guard lock(mutex_);
  lifetimeSeconds_ = seconds;
}

void TestTokenEndpoint::failNext(int count, int status) {
  std::lock_guard lock(mutex_);
  failCount_ = count;
  failStatus_ = status;
}

bool TestTokenEndpoint::isValid(const std::string& token) const {
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(token);
  return it != tokens_.end() && nowMs() < it->second;
}

int TestTokenEndpoint::issued() const {
  std::lock_guard lock(mutex_);
  return issued_;
}

int TestTokenEndpoint::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<std::string> TestTokenEndpoint::refusals() const {
  std::lock_guard lock(mutex_);
  return refusals_;
}

std::string TestTokenEndpoint::lastScope() const {
  std::lock_guard lock(mutex_);
  return lastScope_;
}

TestPeer::Response TestTokenEndpoint::refuse(int status, const std::string& error,
                                             const std::string& why) {
  refusals_.push_back(error + ": " + why);
  TestPeer::Response r;
  r.status = status;
  r.body = R"({"error":")" + error + R"(","error_description":")" + why + "\"}";
  r.headers["Content-Type"] = "application/json";
  return r;
}

// Empty when the assertion is good (and `clientId` set); otherwise what is wrong with it.
std::string TestTokenEndpoint::checkAssertion(const std::string& assertion, std::string& clientId) {
  const size_t a = assertion.find('.');
  const size_t b = a == std::string::npos ? a : assertion.find('.', a + 1);
  if (b == std::string::npos) return "not a compact JWS";
  auto header = core::base64UrlDecode(assertion.substr(0, a));
  auto claims = core::base64UrlDecode(assertion.substr(a + 1, b - a - 1));
  auto signature = core::base64UrlDecode(assertion.substr(b + 1));
  if (!header.isOk() || !claims.isOk() || !signature.isOk()) return "not base64url";
  rapidjson::Document h;
  rapidjson::Document c;
  if (h.Parse(header->c_str()).HasParseError() || c.Parse(claims->c_str()).HasParseError() ||
      !h.IsObject() || !c.IsObject()) {
    return "not JSON";
  }
  clientId = stringOf(c, "iss");
  auto client = clients_.find(clientId);
  if (client == clients_.end() || client->second.publicKeyPem.empty()) return "unknown client";
  if (stringOf(c, "sub") != clientId) return "sub";
  if (stringOf(h, "alg") != client->second.alg) return "alg";
  if (stringOf(h, "kid") != client->second.kid) return "kid";
  if (!verifiesWithOpenSsl(client->second.publicKeyPem, client->second.alg, assertion.substr(0, b),
                           *signature)) {
    return "signature";
  }
  if (stringOf(c, "aud") != url()) return "aud";
  const int64_t now = nowMs() / 1000;
  if (!c.HasMember("exp") || !c["exp"].IsInt64()) return "exp missing";
  const int64_t exp = c["exp"].GetInt64();
  if (exp <= now) return "exp past";
  if (exp > now + 300) return "exp more than 5 minutes ahead";
  const std::string jti = stringOf(c, "jti");
  if (jti.empty() || !seenJti_.insert(jti).second) return "jti repeated";
  return {};
}

TestPeer::Response TestTokenEndpoint::handle(const TestPeer::Request& request) {
  std::lock_guard lock(mutex_);
  ++requests_;
  if (failCount_ > 0) {
    --failCount_;
    return refuse(failStatus_, "temporarily_unavailable", "failing on purpose");
  }
  if (request.method != "POST") return refuse(405, "invalid_request", "POST");
  Poco::Net::HTMLForm form;
  std::istringstream body(request.body);
  form.read(body);
  if (form.get("grant_type", "") != "client_credentials") {
    return refuse(400, "unsupported_grant_type", "grant_type");
  }
  std::string clientId;
  auto auth = request.headers.find("authorization");
  if (auth != request.headers.end() && auth->second.rfind("Basic ", 0) == 0) {
    std::istringstream encoded(auth->second.substr(6));
    Poco::Base64Decoder decoder(encoded);
    std::string pair((std::istreambuf_iterator<char>(decoder)), std::istreambuf_iterator<char>());
    // RFC 6749 §2.3.1: id and secret are form-encoded before they are joined.
    const size_t colon = pair.find(':');
    std::string secret;
    Poco::URI::decode(pair.substr(0, colon), clientId, true);
    if (colon != std::string::npos) Poco::URI::decode(pair.substr(colon + 1), secret, true);
    auto client = clients_.find(clientId);
    if (colon == std::string::npos || client == clients_.end() || client->second.secret.empty() ||
        client->second.secret != secret) {
      return refuse(401, "invalid_client", "secret");
    }
  } else {
    if (form.get("client_assertion_type", "") != kAssertionType) {
      return refuse(401, "invalid_client", "client_assertion_type");
    }
    const std::string why = checkAssertion(form.get("client_assertion", ""), clientId);
    if (!why.empty()) return refuse(401, "invalid_client", why);
  }
  lastScope_ = form.get("scope", "");
  const std::string token = randomToken();
  tokens_[token] = nowMs() + lifetimeSeconds_ * int64_t{1000};
  ++issued_;
  TestPeer::Response r;
  r.headers["Content-Type"] = "application/json";
  r.headers["Cache-Control"] = "no-store";
  r.body = R"({"access_token":")" + token + R"(","token_type":"Bearer","expires_in":)" +
           std::to_string(lifetimeSeconds_) + R"(,"scope":")" + lastScope_ + "\"}";
  return r;
}

TestPeer::Handler requireBearer(TestTokenEndpoint& endpoint, int refuseFirst,
                                TestPeer::Handler inner) {
  auto refuseLeft = std::make_shared<std::atomic<int>>(refuseFirst);
  return [&endpoint, refuseLeft, inner](const TestPeer::Request& request) {
    auto auth = request.headers.find("authorization");
    const bool valid = auth != request.headers.end() && auth->second.rfind("Bearer ", 0) == 0 &&
                       endpoint.isValid(auth->second.substr(7));
    if (!valid || refuseLeft->fetch_sub(1) > 0) {
      TestPeer::Response refused;
      refused.status = 401;
      refused.headers["WWW-Authenticate"] = "Bearer error=\"invalid_token\"";
      refused.body =
          R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login"}]})";
      return refused;
    }
    if (inner) return inner(request);
    TestPeer::Response ok;
    ok.body = R"({"resourceType":"Bundle","type":"transaction-response","entry":[]})";
    return ok;
  };
}

}  // namespace brygga::testing

#include "gateway/http/authenticator.h"

#include "gateway/core/digest.h"
#include "gateway/core/text.h"

namespace brygga::http {

namespace {

bool constantTimeEquals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// Subjects compare without regard to spaces after commas and to case of attribute names.
std::string normaliseSubject(const std::string& subject) {
  std::string out;
  bool afterComma = false;
  for (char c : subject) {
    if (afterComma && c == ' ') continue;
    afterComma = c == ',';
    out += c;
  }
  return out;
}

}  // namespace

Authenticator::Authenticator(std::vector<ClientConfig> clients,
                             const auth::AccessTokenVerifier* accessTokens)
    : clients_(std::move(clients)), accessTokens_(accessTokens) {
  for (auto& c : clients_) {
    c.tokenSha256 = core::lowerAscii(c.tokenSha256);
    c.certificateSubject = normaliseSubject(c.certificateSubject);
  }
}

api::Caller Authenticator::callerOf(const ClientConfig& client, const char* credential) {
  api::Caller caller;
  caller.authenticated = true;
  caller.clientId = client.id;
  caller.tenant = client.tenant;
  caller.role = client.role;
  caller.credential = credential;
  caller.mayAssertUser = client.mayAssertUser;
  return caller;
}

std::optional<api::Caller> Authenticator::byToken(const std::string& token) const {
  if (token.empty()) return std::nullopt;
  const std::string hash = core::sha256Hex(token);
  std::optional<api::Caller> found;
  for (const auto& c : clients_) {
    // No early exit: the time taken does not tell which client's token was close.
    if (!c.tokenSha256.empty() && constantTimeEquals(c.tokenSha256, hash) && !found) {
      found = callerOf(c, "token");
    }
  }
  if (found || accessTokens_ == nullptr) return found;
  if (auto grant = accessTokens_->verify(token)) {
    for (const auto& c : clients_) {
      if (c.id != grant->clientId) continue;
      found = callerOf(c, "access-token");
      found->scopes = grant->scopes;
    }
  }
  return found;
}

std::optional<api::Caller> Authenticator::byCertificateSubject(const std::string& subject) const {
  const std::string wanted = normaliseSubject(subject);
  for (const auto& c : clients_) {
    if (!c.certificateSubject.empty() && c.certificateSubject == wanted) {
      return callerOf(c, "certificate");
    }
  }
  return std::nullopt;
}

}  // namespace brygga::http

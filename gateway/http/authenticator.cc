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

}  // namespace

std::string normaliseDn(const std::string& dn) {
  std::string out;
  bool afterComma = false;
  for (char c : dn) {
    if (afterComma && c == ' ') continue;
    afterComma = c == ',';
    out += c;
  }
  return out;
}

Authenticator::Authenticator(std::vector<ClientConfig> clients,
                             const auth::AccessTokenVerifier* accessTokens)
    : clients_(std::move(clients)), accessTokens_(accessTokens) {
  for (auto& c : clients_) {
    c.tokenSha256 = core::lowerAscii(c.tokenSha256);
    c.certificateSha256 = core::lowerAscii(c.certificateSha256);
    c.certificateSubject = normaliseDn(c.certificateSubject);
    c.certificateIssuer = normaliseDn(c.certificateIssuer);
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

Identification Authenticator::identify(const Credentials& credentials) const {
  Identification who;
  if (credentials.certificate != nullptr) {
    who.caller = byCertificate(*credentials.certificate);
    if (who.caller) return who;
    who.refused = "certificate subject " + credentials.certificate->subject.substr(0, 256) +
                  " issuer " + credentials.certificate->issuer.substr(0, 256);
    return who;
  }
  const std::string& authorization = credentials.authorization;
  if (core::lowerAscii(authorization.substr(0, 7)) == "bearer ") {
    const std::string token = authorization.substr(7);
    who.caller = byToken(token);
    // Named by a hash prefix only: even a mistyped token may be close to a real one.
    if (!who.caller) who.refused = "bearer token sha256:" + core::sha256Hex(token).substr(0, 8);
    return who;
  }
  if (!authorization.empty()) who.refused = "an Authorization header of an unknown scheme";
  return who;
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

std::optional<api::Caller> Authenticator::byCertificate(const PeerCertificate& certificate) const {
  const std::string subject = normaliseDn(certificate.subject);
  const std::string issuer = normaliseDn(certificate.issuer);
  for (const auto& c : clients_) {
    const bool byFingerprint =
        !c.certificateSha256.empty() && c.certificateSha256 == certificate.sha256;
    const bool fromIssuer = !c.certificateIssuer.empty() && c.certificateIssuer == issuer;
    const bool bySubject =
        fromIssuer && !c.certificateSubject.empty() && c.certificateSubject == subject;
    const bool byHsaId = fromIssuer && !c.hsaId.empty() && c.hsaId == certificate.hsaId;
    if (byFingerprint || bySubject || byHsaId) return callerOf(c, "certificate");
  }
  return std::nullopt;
}

}  // namespace brygga::http

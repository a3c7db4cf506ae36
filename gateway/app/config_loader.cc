#include "gateway/app/config_loader.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include <rapidjson/document.h>

#include "gateway/audit/signed_note.h"
#include "gateway/audit/witness.h"
#include "gateway/auth/scopes.h"
#include "gateway/auth/token_issuer.h"
#include "gateway/core/digest.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/swedish_identifiers.h"

namespace brygga::app {

namespace {

using core::Status;
using rapidjson::Value;

Status bad(const std::string& key, const std::string& what) {
  return core::invalidArgument("config: " + key + " " + what);
}

// A reader per member name: each checks and stores its member's value (the key names it).
using Readers = std::map<std::string, std::function<Status(const Value&, const std::string&)>>;

// Walks one JSON object, dispatching each member to its reader; unknown members are errors.
Status readObject(const Value& object, const std::string& path, const Readers& readers) {
  if (!object.IsObject()) return bad(path.empty() ? "(root)" : path, "must be an object");
  for (const auto& m : object.GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    std::string key = path.empty() ? name : path + "." + name;
    auto it = readers.find(name);
    if (it == readers.end()) return bad(key, "is not a known key");
    BRYGGA_RETURN_IF_ERROR(it->second(m.value, key));
  }
  return Status::ok();
}

auto stringInto(std::string& out, bool allowEmpty = true) {
  return [&out, allowEmpty](const Value& v, const std::string& key) -> Status {
    if (!v.IsString()) return bad(key, "must be a string");
    if (!allowEmpty && v.GetStringLength() == 0) return bad(key, "must not be empty");
    out.assign(v.GetString(), v.GetStringLength());
    return Status::ok();
  };
}

template <typename T>
auto intInto(T& out, int64_t min, int64_t max) {
  return [&out, min, max](const Value& v, const std::string& key) -> Status {
    if (!v.IsInt64() || v.GetInt64() < min || v.GetInt64() > max) {
      return bad(key,
                 "must be an integer from " + std::to_string(min) + " to " + std::to_string(max));
    }
    out = static_cast<T>(v.GetInt64());
    return Status::ok();
  };
}

auto boolInto(bool& out) {
  return [&out](const Value& v, const std::string& key) -> Status {
    if (!v.IsBool()) return bad(key, "must be true or false");
    out = v.GetBool();
    return Status::ok();
  };
}

// 64 hex digits: a SHA-256 as hex (token hashes, certificate fingerprints).
bool isHex64(const std::string& s) {
  return s.size() == 64 && core::fromHex(s).isOk();
}

// postgresql://user:secret@host/... or ...?password=secret: a password where a config (which is
// shown, copied and kept in version control) must not hold one.
bool urlHoldsPassword(const std::string& url) {
  if (url.find("password=") != std::string::npos) return true;
  const size_t scheme = url.find("://");
  const size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return false;
  return url.find(':', scheme + 3) < at;
}

bool isHttpUrl(const std::string& url) {
  return url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0;
}

// `own` and the keys every HTTP peer has (destinations.<name>, audit.forward.fhir,
// audit.witness): its URL under `urlKey`, timeouts and TLS files.
Readers withPeerReaders(adapters::HttpPeer& p, const char* urlKey, Readers own) {
  own.insert({{urlKey, stringInto(p.baseUrl, false)},
              {"connectTimeoutMs", intInto(p.connectTimeoutMs, 1, 600000)},
              {"timeoutMs", intInto(p.timeoutMs, 1, 3600000)},
              {"clientCertificateFile", stringInto(p.clientCertificateFile)},
              {"clientKeyFile", stringInto(p.clientKeyFile)},
              {"caFile", stringInto(p.caFile)}});
  return own;
}

Status readClient(const Value& v, const std::string& key, http::ClientConfig& client) {
  std::string role;
  BRYGGA_RETURN_IF_ERROR(readObject(v, key,
                                    {{"id", stringInto(client.id, false)},
                                     {"tenant", stringInto(client.tenant, false)},
                                     {"role", stringInto(role, false)},
                                     {"tokenSha256", stringInto(client.tokenSha256)},
                                     {"certificateIssuer", stringInto(client.certificateIssuer)},
                                     {"certificateSubject", stringInto(client.certificateSubject)},
                                     {"hsaId", stringInto(client.hsaId)},
                                     {"certificateSha256", stringInto(client.certificateSha256)},
                                     {"mayAssertUser", boolInto(client.mayAssertUser)},
                                     {"jwks",
                                      [&client](const Value& j, const std::string& k) -> Status {
                                        if (!j.IsObject()) return bad(k, "must be a JWKS object");
                                        client.jwks = fhir::toJson(j);
                                        auto keys = auth::parseJwks(client.jwks);
                                        if (!keys.isOk()) return bad(k, keys.status().message());
                                        return Status::ok();
                                      }},
                                     {"scope", stringInto(client.scope, false)}}));
  if (client.id.empty()) return bad(key + ".id", "is required");
  if (client.tenant.empty()) return bad(key + ".tenant", "is required");
  if (role == "municipal") {
    client.role = core::ClientRole::kMunicipal;
  } else if (role == "regional") {
    client.role = core::ClientRole::kRegional;
  } else if (role == "integration") {
    client.role = core::ClientRole::kIntegration;
  } else if (role == "followup") {
    client.role = core::ClientRole::kFollowUp;
  } else {
    return bad(key + ".role",
               "must be \"municipal\", \"regional\", \"integration\" or \"followup\"");
  }
  // A fingerprint as openssl prints it (AB:CD:...) or plain hex; checked by checkConfig.
  std::erase(client.certificateSha256, ':');
  return Status::ok();
}

// What identifies a client: a token hash, or a certificate by issuer and subject, by issuer and
// HSA-id, or by fingerprint. Never a subject alone: tls.caFile may hold several CAs, and any of
// them could issue a certificate with that subject.
Status checkClient(const http::ClientConfig& client, const std::string& key) {
  if (!client.tokenSha256.empty() && !isHex64(client.tokenSha256)) {
    return bad(key + ".tokenSha256", "must be 64 hex digits (the SHA-256 of the token)");
  }
  if (!client.certificateSha256.empty() && !isHex64(client.certificateSha256)) {
    return bad(key + ".certificateSha256",
               "must be the certificate's SHA-256 fingerprint (64 hex digits)");
  }
  if ((!client.certificateSubject.empty() || !client.hsaId.empty()) &&
      client.certificateIssuer.empty()) {
    return bad(key + ".certificateIssuer",
               "is required with " +
                   std::string(client.certificateSubject.empty() ? "hsaId" : "certificateSubject") +
                   ": a subject alone would match a certificate from any CA in tls.caFile");
  }
  if (client.tokenSha256.empty() && client.certificateSubject.empty() && client.hsaId.empty() &&
      client.certificateSha256.empty() && client.jwks.empty()) {
    return bad(key,
               "needs tokenSha256, certificateIssuer with certificateSubject or hsaId, "
               "certificateSha256, or jwks");
  }
  if (!client.scope.empty()) {
    auto scopes = auth::ScopeSet::parse(client.scope);
    if (!scopes.isOk()) return bad(key + ".scope", scopes.status().message());
  }
  return Status::ok();
}

// destinations.<name>.auth: how the destination's access token is obtained.
Status readDestinationAuth(const Value& v, const std::string& key, auth::DestinationAuthConfig& a) {
  using Type = auth::DestinationAuthConfig::Type;
  std::string type;
  BRYGGA_RETURN_IF_ERROR(readObject(v, key,
                                    {{"type", stringInto(type, false)},
                                     {"tokenUrl", stringInto(a.tokenUrl, false)},
                                     {"clientId", stringInto(a.clientId, false)},
                                     {"scope", stringInto(a.scope)},
                                     {"privateKeyFile", stringInto(a.privateKeyFile, false)},
                                     {"keyId", stringInto(a.keyId, false)},
                                     {"algorithm", stringInto(a.algorithm, false)},
                                     {"clientSecretFile", stringInto(a.clientSecretFile, false)},
                                     {"retryBaseMs", intInto(a.retryBaseMs, 1, 3600000)},
                                     {"retryMaxMs", intInto(a.retryMaxMs, 1, 86400000)}}));
  if (type == "smart-backend") {
    a.type = Type::kSmartBackend;
    if (a.privateKeyFile.empty()) return bad(key + ".privateKeyFile", "is required");
    if (a.keyId.empty()) return bad(key + ".keyId", "is required");
    if (a.algorithm != "ES384" && a.algorithm != "RS384") {
      return bad(key + ".algorithm", "must be \"ES384\" or \"RS384\"");
    }
    if (!a.clientSecretFile.empty()) {
      return bad(key + ".clientSecretFile", "is for type client-secret");
    }
  } else if (type == "client-secret") {
    a.type = Type::kClientSecret;
    if (a.clientSecretFile.empty()) return bad(key + ".clientSecretFile", "is required");
    if (!a.privateKeyFile.empty()) return bad(key + ".privateKeyFile", "is for type smart-backend");
  } else {
    return bad(key + ".type", "must be \"smart-backend\" or \"client-secret\"");
  }
  if (a.tokenUrl.rfind("http://", 0) != 0 && a.tokenUrl.rfind("https://", 0) != 0) {
    return bad(key + ".tokenUrl", "is required: an http:// or https:// URL");
  }
  if (a.clientId.empty()) return bad(key + ".clientId", "is required");
  if (a.retryBaseMs > a.retryMaxMs) return bad(key + ".retryBaseMs", "must not exceed retryMaxMs");
  return Status::ok();
}

// {"perSecond": N, "burst": M}; perSecond 0 turns the limit off.
Status readRateLimit(const Value& v, const std::string& key, http::RateLimitConfig& limit) {
  BRYGGA_RETURN_IF_ERROR(readObject(v, key,
                                    {{"perSecond", intInto(limit.perSecond, 0, 1000000)},
                                     {"burst", intInto(limit.burst, 1, 10000000)}}));
  if (limit.perSecond > 0 && limit.burst < 1) return bad(key + ".burst", "must be at least 1");
  return Status::ok();
}

Status readServer(const Value& v, const std::string& key, http::ServerConfig& s) {
  // Keys of the POCO server that nothing reads any more: refused with what replaced them.
  for (const auto& [old, instead] : std::initializer_list<std::pair<const char*, const char*>>{
           {"bindAddress", "set server.httpBindAddress and server.httpsBindAddress"},
           {"maxQueuedConnections",
            "connections no longer wait for a worker: see server.maxConnections, "
            "server.maxConnectionsPerSource and server.maxQueuedRequests"},
           {"keepAliveMaxRequests", "set server.maxRequestsPerConnection"},
           {"timeoutMs",
            "set server.requestLineTimeoutMs, headerTimeoutMs, bodyTimeoutMs, writeTimeoutMs"}}) {
    if (v.IsObject() && v.HasMember(old)) {
      return bad(key + "." + old, std::string("is no longer read: ") + instead);
    }
  }
  BRYGGA_RETURN_IF_ERROR(
      readObject(v, key,
                 {{"httpBindAddress", stringInto(s.httpBindAddress, false)},
                  {"httpsBindAddress", stringInto(s.httpsBindAddress, false)},
                  {"httpPort", intInto(s.httpPort, -1, 65535)},
                  {"httpsPort", intInto(s.httpsPort, -1, 65535)},
                  {"publicBaseUrl", stringInto(s.publicBaseUrl)},
                  {"threads", intInto(s.threads, 1, 1024)},
                  {"maxBodyBytes", intInto(s.limits.maxBodyBytes, 1024, 1LL << 30)},
                  {"maxBundleEntries", intInto(s.limits.maxBundleEntries, 1, 1000000)},
                  {"maxJsonDepth", intInto(s.limits.maxJsonDepth, 8, 1000)},
                  {"defaultPageSize", intInto(s.limits.defaultPageSize, 1, 10000)},
                  {"maxPageSize", intInto(s.limits.maxPageSize, 1, 10000)},
                  {"requestLineTimeoutMs", intInto(s.requestLineTimeoutMs, 100, 3600000)},
                  {"headerTimeoutMs", intInto(s.headerTimeoutMs, 100, 3600000)},
                  {"bodyTimeoutMs", intInto(s.bodyTimeoutMs, 100, 3600000)},
                  {"writeTimeoutMs", intInto(s.writeTimeoutMs, 100, 3600000)},
                  {"minBytesPerSecond", intInto(s.minBytesPerSecond, 0, 1LL << 30)},
                  {"keepAliveTimeoutMs", intInto(s.keepAliveTimeoutMs, 100, 3600000)},
                  {"maxRequestsPerConnection", intInto(s.maxRequestsPerConnection, 1, 1000000)},
                  {"maxRequestLineBytes", intInto(s.maxRequestLineBytes, 256, 1 << 20)},
                  {"maxHeaderBytes", intInto(s.maxHeaderBytes, 1024, 1 << 24)},
                  {"maxConnections", intInto(s.maxConnections, 1, 1000000)},
                  {"maxConnectionsPerSource", intInto(s.maxConnectionsPerSource, 1, 1000000)},
                  {"maxQueuedRequests", intInto(s.maxQueuedRequests, 1, 1000000)},
                  {"failedAuthWindowMs", intInto(s.failedAuthWindowMs, 10, 86400000)},
                  {"rateLimit", [&s](const Value& r, const std::string& k) {
                     return readObject(r, k,
                                       {{"perSource",
                                         [&s](const Value& o, const std::string& kk) {
                                           return readRateLimit(o, kk, s.rateLimit.perSource);
                                         }},
                                        {"perClient", [&s](const Value& o, const std::string& kk) {
                                           return readRateLimit(o, kk, s.rateLimit.perClient);
                                         }}});
                   }}}));
  if (!s.publicBaseUrl.empty() && s.publicBaseUrl.rfind("http://", 0) != 0 &&
      s.publicBaseUrl.rfind("https://", 0) != 0) {
    return bad(key + ".publicBaseUrl", "must be an http:// or https:// URL (or empty)");
  }
  return Status::ok();
}

Status readTls(const Value& v, const std::string& key, http::TlsConfig& t) {
  return readObject(v, key,
                    {{"certificateFile", stringInto(t.certificateFile, false)},
                     {"privateKeyFile", stringInto(t.privateKeyFile, false)},
                     {"caFile", stringInto(t.caFile, false)},
                     {"crlFiles",
                      [&t](const Value& a, const std::string& k) -> Status {
                        if (!a.IsArray()) return bad(k, "must be an array of file names");
                        t.crlFiles.clear();
                        for (rapidjson::SizeType i = 0; i < a.Size(); ++i) {
                          if (!a[i].IsString() || a[i].GetStringLength() == 0) {
                            return bad(k + "[" + std::to_string(i) + "]", "must be a file name");
                          }
                          t.crlFiles.emplace_back(a[i].GetString(), a[i].GetStringLength());
                        }
                        return Status::ok();
                      }},
                     {"ocsp", [&t](const Value& o, const std::string& k) -> Status {
                        std::string failMode = t.ocsp.failClosed ? "closed" : "open";
                        BRYGGA_RETURN_IF_ERROR(
                            readObject(o, k,
                                       {{"enabled", boolInto(t.ocsp.enabled)},
                                        {"failMode", stringInto(failMode, false)},
                                        {"timeoutMs", intInto(t.ocsp.timeoutMs, 100, 60000)}}));
                        if (failMode != "open" && failMode != "closed") {
                          return bad(k + ".failMode", "must be \"open\" or \"closed\"");
                        }
                        t.ocsp.failClosed = failMode == "closed";
                        return Status::ok();
                      }}});
}

Status readDestination(const Value& v, const std::string& key, delivery::DestinationConfig& d) {
  return readObject(
      v, key,
      withPeerReaders(
          d.peer, "baseUrl",
          {{"auth", [&d](const Value& a,
                         const std::string& k) { return readDestinationAuth(a, k, d.auth); }},
           {"identifierForm",
            [&d](const Value& f, const std::string& k) -> Status {
              if (!f.IsString() || !fhir::identifierFormNamed(f.GetString()).isOk()) {
                return bad(k, "must be \"hl7se\", \"inera\" or \"oid\"");
              }
              d.identifierForm = f.GetString();
              return Status::ok();
            }},
           {"maxAttempts", intInto(d.maxAttempts, 1, 1000000)},
           {"retryBaseMs", intInto(d.retryBaseMs, 1, 86400000)},
           {"retryMaxMs", intInto(d.retryMaxMs, 1, 7 * 86400000LL)},
           {"maxAgeMs", intInto(d.maxAgeMs, 0, 365 * 86400000LL)},
           {"maxQueueDepth", intInto(d.maxQueueDepth, 1, 1000000000)},
           {"maxInFlight", intInto(d.maxInFlight, 1, 256)}}));
}

// subscriptions.*: which endpoints each client may register, and how notifications are sent.
Status readSubscriptions(const Value& v, const std::string& key,
                         subscriptions::SubscriptionsConfig& s) {
  BRYGGA_RETURN_IF_ERROR(readObject(
      v, key,
      {{"allowedEndpoints",
        [&s](const Value& e, const std::string& k) -> Status {
          if (!e.IsObject()) return bad(k, "must be an object: client id -> URL prefixes");
          s.allowedEndpoints.clear();
          for (const auto& m : e.GetObject()) {
            const std::string client(m.name.GetString(), m.name.GetStringLength());
            const std::string ck = k + "." + client;
            if (!m.value.IsArray()) return bad(ck, "must be an array of URL prefixes");
            std::vector<std::string> prefixes;
            for (const Value& p : m.value.GetArray()) {
              const std::string prefix = p.IsString() ? p.GetString() : "";
              // Up to a path separator, so that https://a.se cannot admit https://a.se.evil.com.
              const size_t authority = prefix.find("://");
              if (!isHttpUrl(prefix) || authority == std::string::npos ||
                  prefix.find('/', authority + 3) == std::string::npos) {
                return bad(ck,
                           "each prefix must be an http:// or https:// URL with a path "
                           "(e.g. https://app.example.se/hooks/)");
              }
              prefixes.push_back(prefix);
            }
            s.allowedEndpoints[client] = std::move(prefixes);
          }
          return Status::ok();
        }},
       {"delivery",
        [&s](const Value& d, const std::string& k) { return readDestination(d, k, s.delivery); }},
       {"minHeartbeatSeconds", intInto(s.minHeartbeatSeconds, 1, 86400)}}));
  if (s.delivery.retryBaseMs > s.delivery.retryMaxMs) {
    return bad(key + ".delivery.retryBaseMs", "must not exceed retryMaxMs");
  }
  return Status::ok();
}

Status readAlerts(const Value& v, const std::string& key, alerts::AlertsConfig& a) {
  constexpr int64_t kWeekMs = 7 * 86400000LL;
  BRYGGA_RETURN_IF_ERROR(
      readObject(v, key,
                 {{"webhookUrl", stringInto(a.webhookUrl)},
                  {"webhookCaFile", stringInto(a.webhookCaFile)},
                  {"webhookTimeoutMs", intInto(a.webhookTimeoutMs, 1, 600000)},
                  {"evaluateIntervalMs", intInto(a.evaluateIntervalMs, 100, 3600000)},
                  {"renotifyIntervalMs", intInto(a.renotifyIntervalMs, 0, kWeekMs)},
                  {"sendResolved", boolInto(a.sendResolved)},
                  {"queueAgeMs", intInto(a.queueAgeMs, 0, kWeekMs)},
                  {"queueDepth", intInto(a.queueDepth, 0, 1000000000)},
                  {"deadLetters", boolInto(a.deadLetters)},
                  {"destinationFailingMs", intInto(a.destinationFailingMs, 0, kWeekMs)},
                  {"checkpointOverdueMs", intInto(a.checkpointOverdueMs, 0, kWeekMs)},
                  {"instance", stringInto(a.instance)}}));
  if (!a.webhookUrl.empty() && !isHttpUrl(a.webhookUrl)) {
    return bad(key + ".webhookUrl", "must be an http:// or https:// URL (or empty: no webhook)");
  }
  return Status::ok();
}

// audit.forward: the syslog and FHIR sinks and the forwarders' pace.
Status readAuditForward(const Value& v, const std::string& key, audit::AuditForwardConfig& f) {
  adapters::HttpPeer& fhir = f.fhir;
  audit::SyslogForwardConfig& sys = f.syslog;
  BRYGGA_RETURN_IF_ERROR(readObject(
      v, key,
      {{"syslog",
        [&](const Value& o, const std::string& k) -> Status {
          BRYGGA_RETURN_IF_ERROR(
              readObject(o, k,
                         {{"host", stringInto(sys.host, false)},
                          {"port", intInto(sys.port, 1, 65535)},
                          {"serverName", stringInto(sys.serverName, false)},
                          {"caFile", stringInto(sys.caFile, false)},
                          {"clientCertificateFile", stringInto(sys.clientCertificateFile, false)},
                          {"clientKeyFile", stringInto(sys.clientKeyFile, false)},
                          {"hostname", stringInto(sys.hostname, false)},
                          {"connectTimeoutMs", intInto(sys.connectTimeoutMs, 1, 600000)},
                          {"timeoutMs", intInto(sys.timeoutMs, 1, 3600000)}}));
          if (sys.host.empty()) return bad(k + ".host", "is required");
          if (sys.caFile.empty()) {
            return bad(k + ".caFile",
                       "is required (the CA that signs the repository's certificate)");
          }
          if (sys.clientCertificateFile.empty() != sys.clientKeyFile.empty()) {
            return bad(k, "needs both clientCertificateFile and clientKeyFile, or neither");
          }
          for (char c : sys.hostname) {
            if (c <= 32 || c >= 127)
              return bad(k + ".hostname", "must be printable ASCII without spaces");
          }
          return Status::ok();
        }},
       {"fhir",
        [&](const Value& o, const std::string& k) -> Status {
          BRYGGA_RETURN_IF_ERROR(readObject(o, k, withPeerReaders(fhir, "baseUrl", {})));
          if (!isHttpUrl(fhir.baseUrl)) {
            return bad(k + ".baseUrl", "is required: an http:// or https:// URL");
          }
          return Status::ok();
        }},
       {"batchSize", intInto(f.batchSize, 1, 10000)},
       {"pollIntervalMs", intInto(f.pollIntervalMs, 1, 3600000)},
       {"retryBaseMs", intInto(f.retryBaseMs, 1, 3600000)},
       {"retryMaxMs", intInto(f.retryMaxMs, 1, 86400000)}}));
  if (f.retryBaseMs > f.retryMaxMs) return bad(key + ".retryBaseMs", "must not exceed retryMaxMs");
  return Status::ok();
}

Status readWitness(const Value& v, const std::string& key, audit::WitnessConfig& w) {
  BRYGGA_RETURN_IF_ERROR(
      readObject(v, key,
                 withPeerReaders(w.endpoint, "url",
                                 {{"retryIntervalMs", intInto(w.retryIntervalMs, 1, 86400000)},
                                  {"vkey", stringInto(w.vkey, false)}})));
  if (!isHttpUrl(w.endpoint.baseUrl)) {
    return bad(key + ".url", "is required: an http:// or https:// URL");
  }
  if (!w.vkey.empty()) {
    auto cosigner = audit::CosignatureVerifier::fromVkey(w.vkey);
    if (!cosigner.isOk()) return bad(key + ".vkey", cosigner.status().message());
  }
  return Status::ok();
}

// The development clients: the six Halland municipalities, the region, the integration team and
// service management (the follow-up figures).
constexpr std::pair<const char*, core::ClientRole> kDevelopmentClients[] = {
    {"kungsbacka", core::ClientRole::kMunicipal}, {"varberg", core::ClientRole::kMunicipal},
    {"falkenberg", core::ClientRole::kMunicipal}, {"halmstad", core::ClientRole::kMunicipal},
    {"laholm", core::ClientRole::kMunicipal},     {"hylte", core::ClientRole::kMunicipal},
    {"region", core::ClientRole::kRegional},      {"integration", core::ClientRole::kIntegration},
    {"followup", core::ClientRole::kFollowUp}};

std::string developmentTokenSha256(const std::string& id) {
  return core::sha256Hex("dev-token-" + id);
}

}  // namespace

GatewayConfig defaultConfig() {
  GatewayConfig config;
  for (const auto& [id, role] : kDevelopmentClients) {
    http::ClientConfig c;
    c.id = id;
    c.tenant = id;
    c.role = role;
    c.tokenSha256 = developmentTokenSha256(id);
    c.certificateIssuer = "CN=Brygga Dev CA,O=Brygga Dev,C=SE";
    c.certificateSubject = std::string("CN=") + id + ",O=Brygga Dev,C=SE";
    config.clients.push_back(c);
  }
  delivery::DestinationConfig regional;
  regional.name = "regional";
  regional.peer.baseUrl = "http://127.0.0.1:9090/fhir";
  config.destinations["regional"] = regional;
  return config;
}

core::StatusOr<GatewayConfig> parseConfig(const std::string& jsonText) {
  auto doc = fhir::parseJson(jsonText, fhir::JsonLimits{1 << 20, 32});
  if (!doc.isOk())
    return core::invalidArgument("config: not valid JSON: " + doc.status().message());
  GatewayConfig config = defaultConfig();
  bool clientsGiven = false;
  std::vector<http::ClientConfig> clients;
  std::map<std::string, delivery::DestinationConfig> destinations = config.destinations;
  BRYGGA_RETURN_IF_ERROR(readObject(
      *doc, "",
      {{"server",
        [&](const Value& v, const std::string& key) { return readServer(v, key, config.server); }},
       {"tls", [&](const Value& v, const std::string& key) { return readTls(v, key, config.tls); }},
       {"dataDir", stringInto(config.dataDir, false)},
       {"auth",
        [&](const Value& v, const std::string& key) {
          return readObject(
              v, key,
              {{"accessTokenLifetimeMs", intInto(config.auth.accessTokenLifetimeMs, 1000,
                                                 auth::TokenIssuer::kMaxLifetimeMs)}});
        }},
       {"clients",
        [&](const Value& v, const std::string& key) -> Status {
          if (!v.IsArray()) return bad(key, "must be an array");
          clientsGiven = true;
          for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
            http::ClientConfig client;
            BRYGGA_RETURN_IF_ERROR(readClient(v[i], key + "[" + std::to_string(i) + "]", client));
            clients.push_back(client);
          }
          return Status::ok();
        }},
       {"destinations",
        [&](const Value& v, const std::string& key) -> Status {
          if (!v.IsObject()) return bad(key, "must be an object");
          destinations.clear();
          for (const auto& m : v.GetObject()) {
            std::string name(m.name.GetString(), m.name.GetStringLength());
            delivery::DestinationConfig d;
            d.name = name;
            BRYGGA_RETURN_IF_ERROR(readDestination(m.value, key + "." + name, d));
            if (d.peer.baseUrl.empty()) return bad(key + "." + name + ".baseUrl", "is required");
            destinations[name] = d;
          }
          return Status::ok();
        }},
       {"delivery",
        [&](const Value& v, const std::string& key) {
          auto& d = config.delivery;
          return readObject(v, key,
                            {{"pollIntervalMs", intInto(d.pollIntervalMs, 1, 60000)},
                             {"batchSize", intInto(d.batchSize, 1, 10000)},
                             {"retentionMs", intInto(d.retentionMs, 1, 3650 * 86400000LL)},
                             {"retentionIntervalMs", intInto(d.retentionIntervalMs, 1, 86400000)}});
        }},
       {"storage",
        [&](const Value& v, const std::string& key) {
          auto& st = config.storage;
          auto& pg = st.postgresql;
          BRYGGA_RETURN_IF_ERROR(readObject(
              v, key,
              {{"backend", stringInto(st.backend, false)},
               {"postgresql",
                [&pg](const Value& p, const std::string& k) {
                  return readObject(p, k,
                                    {{"url", stringInto(pg.url, false)},
                                     {"passwordFile", stringInto(pg.passwordFile)},
                                     {"writeConnections", intInto(pg.writeConnections, 1, 64)},
                                     {"readConnections", intInto(pg.readConnections, 1, 64)}});
                }},
               {"maxDatabaseBytes", intInto(st.maxDatabaseBytes, 0, 1LL << 50)},
               {"minFreeDiskBytes", intInto(st.minFreeDiskBytes, 0, 1LL << 50)},
               {"readPoolWaitMs", intInto(st.readPoolWaitMs, 1, 600000)}}));
          if (st.backend != "sqlite" && st.backend != "postgresql") {
            return bad(key + ".backend", "must be sqlite or postgresql");
          }
          if (st.backend == "postgresql" && pg.url.empty()) {
            return bad(key + ".postgresql.url", "is required when the backend is postgresql");
          }
          if (urlHoldsPassword(pg.url)) {
            return bad(key + ".postgresql.url",
                       "must not hold the password: put it in storage.postgresql.passwordFile");
          }
          return Status::ok();
        }},
       {"access",
        [&](const Value& v, const std::string& key) {
          return readObject(
              v, key,
              {{"relationshipGraceDays", intInto(config.access.relationshipGraceDays, 0, 3650)}});
        }},
       {"mappings",
        [&](const Value& v, const std::string& key) {
          return readObject(v, key, {{"directory", stringInto(config.mappings.directory, false)}});
        }},
       {"alerts",
        [&](const Value& v, const std::string& key) { return readAlerts(v, key, config.alerts); }},
       {"subscriptions",
        [&](const Value& v, const std::string& key) {
          return readSubscriptions(v, key, config.subscriptions);
        }},
       {"measures",
        [&](const Value& v, const std::string& key) {
          return readObject(v, key, {{"forwardTo", stringInto(config.measures.forwardTo, true)}});
        }},
       {"audit", [&](const Value& v, const std::string& key) -> Status {
          auto& a = config.audit;
          BRYGGA_RETURN_IF_ERROR(readObject(
              v, key,
              {{"signingKeyFile", stringInto(a.signingKeyFile, false)},
               {"origin", stringInto(a.origin, false)},
               {"checkpointIntervalMs", intInto(a.checkpointIntervalMs, 1, 86400000)},
               {"checkpointEveryRecords", intInto(a.checkpointEveryRecords, 1, 100000000)},
               {"signProvenance",
                [&a](const Value& b, const std::string& k) -> Status {
                  if (!b.IsBool()) return bad(k, "must be true or false");
                  a.signProvenance = b.GetBool();
                  return Status::ok();
                }},
               {"provenanceTrustFile", stringInto(a.provenanceTrustFile, false)},
               {"forward",
                [&a](const Value& b, const std::string& k) {
                  return readAuditForward(b, k, a.forward);
                }},
               {"witness", [&a](const Value& b, const std::string& k) {
                  return readWitness(b, k, a.witness);
                }}}));
          if (!a.origin.empty() && !audit::isValidKeyName(a.origin)) {
            return bad(key + ".origin", "must be non-empty text without spaces or '+'");
          }
          return Status::ok();
        }}}));
  if (clientsGiven) config.clients = clients;
  config.destinations = destinations;
  return config;
}

core::StatusOr<GatewayConfig> loadConfigFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::invalidArgument("config: cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  auto config = parseConfig(ss.str());
  if (!config.isOk()) {
    return core::invalidArgument(path + ": " + config.status().message());
  }
  std::string& mappings = config->mappings.directory;
  if (!mappings.empty() && std::filesystem::path(mappings).is_relative()) {
    const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
    mappings = (folder / mappings).lexically_normal().string();
  }
  return config;
}

core::Status checkConfig(const GatewayConfig& config) {
  if (config.server.httpPort < 0 && config.server.httpsPort < 0) {
    return bad("server", "disables both listeners (httpPort and httpsPort are -1)");
  }
  if (config.server.limits.defaultPageSize > config.server.limits.maxPageSize) {
    return bad("server.defaultPageSize", "must not exceed server.maxPageSize");
  }
  const std::string& base = config.server.publicBaseUrl;
  if (!base.empty() && ((base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) ||
                        base.find_first_of("?#") != std::string::npos)) {
    return bad("server.publicBaseUrl",
               "must be an http:// or https:// URL without query or fragment");
  }
  std::set<std::string> ids;
  for (size_t i = 0; i < config.clients.size(); ++i) {
    BRYGGA_RETURN_IF_ERROR(checkClient(config.clients[i], "clients[" + std::to_string(i) + "]"));
    if (!ids.insert(config.clients[i].id).second) {
      return bad("clients[" + std::to_string(i) + "].id", "repeats the id " + config.clients[i].id);
    }
  }
  for (const auto& [name, d] : config.destinations) {
    if (!isHttpUrl(d.peer.baseUrl)) {
      return bad("destinations." + name + ".baseUrl", "must be an http:// or https:// URL");
    }
    if (d.retryBaseMs > d.retryMaxMs) {
      return bad("destinations." + name + ".retryBaseMs", "must not exceed retryMaxMs");
    }
  }
  if (const std::string& to = config.measures.forwardTo;
      !to.empty() && config.destinations.count(to) == 0) {
    return bad("measures.forwardTo", "names no configured destination (" + to + ")");
  }
  return Status::ok();
}

bool isLoopbackAddress(const std::string& address) {
  if (address == "localhost") return true;
  unsigned char bytes[sizeof(in6_addr)];
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) return bytes[0] == 127;
  if (inet_pton(AF_INET6, address.c_str(), bytes) != 1) return false;
  const in6_addr& v6 = *reinterpret_cast<const in6_addr*>(bytes);
  return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && bytes[12] == 127);
}

core::Status checkServeConfig(const GatewayConfig& config, bool development) {
  if (development) return Status::ok();
  // Each enabled listener's own address counts: plain HTTP on loopback and HTTPS beyond it is
  // still beyond loopback.
  std::string beyond;
  if (config.server.httpPort >= 0 && !isLoopbackAddress(config.server.httpBindAddress)) {
    beyond = "server.httpBindAddress " + config.server.httpBindAddress;
  } else if (config.server.httpsPort >= 0 && !isLoopbackAddress(config.server.httpsBindAddress)) {
    beyond = "server.httpsBindAddress " + config.server.httpsBindAddress;
  }
  if (beyond.empty()) return Status::ok();
  std::set<std::string> developmentTokens;
  for (const auto& [id, role] : kDevelopmentClients) {
    developmentTokens.insert(developmentTokenSha256(id));
  }
  for (const auto& client : config.clients) {
    const std::string token = core::lowerAscii(client.tokenSha256);
    if (developmentTokens.count(token) > 0) {
      return bad("clients", "must be configured when the gateway listens beyond loopback (" +
                                beyond +
                                "): the development clients and their published tokens "
                                "(dev-token-<id>) serve only on loopback or with serve --dev");
    }
  }
  return Status::ok();
}

}  // namespace brygga::app

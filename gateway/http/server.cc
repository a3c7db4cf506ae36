#include "gateway/http/server.h"

#include <chrono>
#include <cstdio>
#include <mutex>

#include "gateway/api/responses.h"
#include "gateway/core/digest.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/text.h"
#include "gateway/core/trace_context.h"
#include "gateway/http/http_front.h"
#include "gateway/http/rate_limiter.h"

namespace brygga::http {

namespace {

constexpr int64_t kReadinessCacheMs = 1000;
// A responder that cannot be reached is asked again after this long; meanwhile the fail mode
// decides (and the warning is not repeated).
constexpr int64_t kOcspFailureCacheMs = 10000;

int64_t monotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool isSaneRequestId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!core::isAsciiAlnum(c) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

// An error the server answers itself, shaped as the endpoints shape theirs.
OutgoingResponse statusResponse(const core::Status& status) {
  api::ApiResponse answer = api::errorResponse(status);
  OutgoingResponse r;
  r.status = answer.status;
  r.body = std::move(answer.body);
  r.headers = std::move(answer.headers);
  return r;
}

OutgoingResponse jsonResponse(int status, std::string body) {
  OutgoingResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
  return r;
}

FrontLimits frontLimits(const ServerConfig& s) {
  FrontLimits limits;
  limits.parser.maxRequestLineBytes = static_cast<size_t>(s.maxRequestLineBytes);
  limits.parser.maxHeaderBytes = static_cast<size_t>(s.maxHeaderBytes);
  limits.parser.maxBodyBytes = s.limits.maxBodyBytes;
  limits.requestLineTimeoutMs = s.requestLineTimeoutMs;
  limits.headerTimeoutMs = s.headerTimeoutMs;
  limits.bodyTimeoutMs = s.bodyTimeoutMs;
  limits.writeTimeoutMs = s.writeTimeoutMs;
  limits.minBytesPerSecond = s.minBytesPerSecond;
  limits.keepAliveTimeoutMs = s.keepAliveTimeoutMs;
  limits.maxRequestsPerConnection = s.maxRequestsPerConnection;
  limits.maxConnections = s.maxConnections;
  limits.maxConnectionsPerSource = s.maxConnectionsPerSource;
  limits.threads = s.threads;
  limits.maxQueuedRequests = static_cast<size_t>(s.maxQueuedRequests);
  return limits;
}

RateLimiter::Limit limitOf(const RateLimitConfig& c) {
  return {static_cast<double>(c.perSecond), static_cast<double>(c.burst)};
}

std::string trimmedBase(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

class GatewayServer::Impl final : public FrontHandler {
 public:
  Impl(ServerConfig server, TlsConfig tls, std::vector<ClientConfig> clients,
       ServerDependencies deps)
      : server_(std::move(server)),
        tls_(std::move(tls)),
        deps_(std::move(deps)),
        clock_(deps_.time != nullptr ? *deps_.time : systemTime_),
        auth_(std::move(clients), deps_.accessTokens),
        perSource_(limitOf(server_.rateLimit.perSource)),
        perClient_(limitOf(server_.rateLimit.perClient)),
        failedLogins_(server_.failedAuthWindowMs),
        flusher_(clock_),
        front_(frontLimits(server_), *this, deps_.logger) {
    if (deps_.ocsp != nullptr && tls_.ocsp.enabled) {
      OcspChecker::Options options;
      options.failureCacheMs = kOcspFailureCacheMs;
      ocsp_ = std::make_unique<OcspChecker>(*deps_.ocsp, options);
    }
  }

  core::Status start() {
    const auto& s = server_;
    std::vector<ListenerSpec> listeners;
    std::shared_ptr<TlsServerContext> tls;
    if (s.httpPort >= 0) {
      httpIndex_ = static_cast<int>(listeners.size());
      listeners.push_back({s.httpBindAddress, s.httpPort, false});
    }
    if (s.httpsPort >= 0) {
      BRYGGA_ASSIGN_OR_RETURN(tls, TlsServerContext::create(tlsFiles()));
      httpsIndex_ = static_cast<int>(listeners.size());
      listeners.push_back({s.httpsBindAddress, s.httpsPort, true});
    }
    BRYGGA_RETURN_IF_ERROR(front_.start(listeners, std::move(tls)));
    if (deps_.failedLogins) {
      const int64_t interval = std::max<int64_t>(10, std::min<int64_t>(1000, s.failedAuthWindowMs));
      flusher_.start([this, interval] {
        flushFailedLogins(failedLogins_.takeDue(clock_.nowMs()));
        return core::PeriodicTask::Next::after(interval);
      });
    }
    return core::Status::ok();
  }

  void stop() {
    front_.stop();
    flusher_.stop();
    flushFailedLogins(failedLogins_.takeAll());
  }

  int httpPort() const { return httpIndex_ >= 0 ? front_.port(httpIndex_) : -1; }
  int httpsPort() const { return httpsIndex_ >= 0 ? front_.port(httpsIndex_) : -1; }

  core::Status reloadTls() {
    if (httpsIndex_ < 0) return core::Status::ok();
    auto tls = TlsServerContext::create(tlsFiles());
    if (!tls.isOk()) {
      deps_.logger.error("tls.reload_failed", {{"error", tls.status().message()}});
      return tls.status();
    }
    deps_.logger.info("tls.reloaded", {{"crls", std::to_string((*tls)->crlCount())}});
    front_.setTls(std::move(tls).value());
    return core::Status::ok();
  }

  // --- FrontHandler: on the event loop -------------------------------------------------------

  const std::vector<std::string>* methodsFor(std::string_view path) const override {
    if (path == "/healthz" || path == "/readyz") return &kGetOnly;
    const Route* route = routeOf(path);
    return route != nullptr ? &route->methods : nullptr;
  }

  OutgoingResponse frontAnswer(int httpStatus, const core::Status& why) const override {
    if (why.isOk()) return {httpStatus, {}, {}, false};
    OutgoingResponse r = statusResponse(why);
    r.status = httpStatus;
    return r;
  }

  void answeredByFront(const IncomingRequest& request, int httpStatus,
                       const core::Status& why) override {
    const std::string& target = request.http.target;
    RequestInfo info;
    info.path = target.substr(0, target.find('?'));
    info.reason = why.message();
    // The sender of a request refused after its headers (a body over the limit): its credentials
    // are checked as for any request, without OCSP (the loop must not wait on a responder).
    const std::string* authorization = request.http.header("authorization");
    if (request.certificate != nullptr || authorization != nullptr) {
      const Identification who = auth_.identify(
          {request.certificate.get(), authorization != nullptr ? *authorization : ""});
      if (who.caller) {
        info.client = who.caller->clientId;
        info.tenant = who.caller->tenant;
      }
    }
    noteRefusal(request, info, httpStatus);
    logRequest(request.http.method, info, httpStatus, 0, std::string());
  }

  void handshakeRefused(const std::string& peerAddress, const std::string& localAddress,
                        const HandshakeNotes& notes) override {
    noteFailedLogin(
        peerAddress, localAddress,
        "certificate subject " + notes.subject.substr(0, 256) + " (" + notes.error + ")", true);
  }

  // --- FrontHandler: on a worker -------------------------------------------------------------

  OutgoingResponse handle(IncomingRequest& request) override {
    const auto started = std::chrono::steady_clock::now();
    const std::string* given = request.http.header("x-request-id");
    std::string requestId = given != nullptr ? *given : std::string();
    if (!isSaneRequestId(requestId)) requestId = core::newTimeOrderedUuid();
    const std::string* traceparent = request.http.header("traceparent");
    const auto trace = traceparent != nullptr ? core::parseTraceParent(*traceparent) : std::nullopt;
    RequestInfo info;
    info.traceId = trace ? trace->traceId : core::newTraceId();
    OutgoingResponse response;
    try {
      response = handleChecked(request, requestId, info);
    } catch (const std::exception& e) {
      deps_.logger.error("http.exception", {{"requestId", requestId}, {"what", e.what()}});
      response = statusResponse(core::internalError("internal error"));
    }
    response.headers.emplace_back("X-Request-Id", requestId);
    if (!info.routed) noteRefusal(request, info, response.status);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    logRequest(request.http.method, info, response.status, seconds, requestId);
    return response;
  }

 private:
  // Who asked, for the request log (the caller is known only for endpoint requests).
  struct RequestInfo {
    std::string path;
    std::string client;
    std::string tenant;
    std::string traceId;
    bool routed = false;  // an endpoint answered it
    std::string reason;   // why the server refused it itself
  };

  // A request refused before an endpoint saw it, for the console (in memory only). Rate-limited
  // requests are not noted: a flood would push every other refusal out of the list.
  void noteRefusal(const IncomingRequest& request, const RequestInfo& info, int status) {
    if (deps_.refusals == nullptr || status < 400 || status >= 500 || status == 429) return;
    api::Refusal r;
    r.atMs = clock_.nowMs();
    r.status = status;
    r.method = request.http.method;
    r.route = api::routeTemplate(info.path);
    r.reason = info.reason;
    r.client = info.client;
    r.tenant = info.tenant;
    r.source = request.peerAddress;
    deps_.refusals->add(std::move(r));
  }

  // The server's own refusal of a request: an OperationOutcome, and its reason noted.
  static OutgoingResponse refuse(RequestInfo& info, const core::Status& why) {
    info.reason = why.message();
    return statusResponse(why);
  }

  TlsFiles tlsFiles() const {
    return {tls_.certificateFile, tls_.privateKeyFile, tls_.caFile, tls_.crlFiles};
  }

  const Route* routeOf(std::string_view path) const {
    for (const auto& route : deps_.routes) {
      if (path == route.prefix || (path.size() > route.prefix.size() &&
                                   path.substr(0, route.prefix.size()) == route.prefix &&
                                   path[route.prefix.size()] == '/')) {
        return &route;
      }
    }
    return nullptr;
  }

  OutgoingResponse handleChecked(IncomingRequest& in, const std::string& requestId,
                                 RequestInfo& info) {
    const std::string& target = in.http.target;
    const size_t q = target.find('?');
    const std::string path = target.substr(0, q);
    info.path = path;
    if (path == "/healthz") return jsonResponse(200, R"({"status":"ok"})");

    // Who is asking, and may they ask now.
    const std::string* authorization = in.http.header("authorization");
    Identification who =
        auth_.identify({in.certificate.get(), authorization != nullptr ? *authorization : ""});
    if (who.caller && who.caller->credential == "certificate" && ocsp_ != nullptr &&
        !in.certificate->ocspUrl.empty()) {
      if (auto refusal = checkRevocation(in, who)) return *refusal;
    }
    const bool identified = who.caller.has_value();
    RateLimiter& limiter = identified ? perClient_ : perSource_;
    const std::string key = identified ? who.caller->clientId : in.peerAddress;
    if (const int64_t wait = limiter.take(key, monotonicMs()); wait > 0) {
      OutgoingResponse r =
          refuse(info, {core::StatusCode::kTooManyRequests,
                        identified ? "too many requests from this client; slow down"
                                   : "too many requests from this address; slow down"});
      r.headers.emplace_back("Retry-After", std::to_string(wait));
      return r;
    }
    if (path == "/readyz") return readiness();

    const Route* route = routeOf(path);
    if (route == nullptr) {
      return refuse(info, core::notFound("no such endpoint: the FHIR API is at /fhir"));
    }
    api::ApiRequest request;
    // HEAD is served as GET; the front sends the answer's headers without its body.
    request.method = in.http.method == "HEAD" ? std::string("GET") : in.http.method;
    request.path = path.substr(route->prefix.size());
    request.query = q == std::string::npos ? std::string() : target.substr(q + 1);
    request.requestId = requestId;
    request.traceId = info.traceId;
    for (const auto& [name, value] : in.http.headers) request.headers.emplace(name, value);
    request.body = std::move(in.http.body);
    if (who.caller) {
      request.caller = *who.caller;
      info.client = request.caller.clientId;
      info.tenant = request.caller.tenant;
    }
    request.caller.refusedCredential = who.refused;
    request.caller.address = in.peer;
    request.serverAddress = in.localAddress;
    request.baseUrl =
        trimmedBase(server_.publicBaseUrl.empty()
                        ? std::string(in.secure ? "https://" : "http://") + in.localAddress
                        : server_.publicBaseUrl) +
        route->prefix;

    if (!identified && !route->endpoint->isPublic(request)) {
      noteFailedLogin(in.peerAddress, in.localAddress, who.refused.empty() ? "none" : who.refused,
                      false);
      OutgoingResponse r = refuse(
          info, core::unauthenticated(
                    "authentication required: a client certificate (HTTPS) or a bearer token"));
      r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"brygga\"");
      return r;
    }
    if (core::Status user = takeUserHsaId(request); !user.isOk()) {
      if (deps_.refused) deps_.refused(request, user, "unknown");
      return refuse(info, user);
    }
    info.routed = true;
    api::ApiResponse answer = route->endpoint->handle(request);
    if (!answer.refusedLogin.empty()) {
      noteFailedLogin(in.peerAddress, in.localAddress, answer.refusedLogin, false);
    }
    return {answer.status, std::move(answer.headers), std::move(answer.body), false,
            std::move(answer.stream)};
  }

  // OCSP for a certificate that names a responder. A revoked certificate is a refused login; no
  // usable answer is decided by tls.ocsp.failMode.
  std::optional<OutgoingResponse> checkRevocation(const IncomingRequest& in, Identification& who) {
    const OcspChecker::Result result =
        ocsp_->check(*in.certificate, in.tls->caStore(), clock_.nowMs());
    if (result.verdict == OcspChecker::Verdict::kGood) return std::nullopt;
    if (result.verdict == OcspChecker::Verdict::kRevoked) {
      who.caller.reset();
      who.refused = "certificate subject " + in.certificate->subject.substr(0, 256) + " (" +
                    result.detail + " by OCSP)";
      return std::nullopt;
    }
    deps_.logger.warn("tls.ocsp_unavailable", {{"subject", in.certificate->subject},
                                               {"reason", result.detail},
                                               {"failMode", failClosed() ? "closed" : "open"}});
    if (!failClosed()) return std::nullopt;
    OutgoingResponse r = statusResponse(core::unavailable(
        "the revocation status of the client certificate cannot be established now"));
    r.headers.emplace_back("Retry-After", std::to_string(kOcspFailureCacheMs / 1000));
    return r;
  }

  bool failClosed() const { return tls_.ocsp.failClosed; }

  OutgoingResponse readiness() {
    core::Status ready;
    {
      std::lock_guard lock(readinessMutex_);
      const int64_t now = monotonicMs();
      if (!readinessKnown_ || now - readinessCheckedMs_ >= kReadinessCacheMs) {
        readiness_ = deps_.readiness ? deps_.readiness() : core::Status::ok();
        readinessCheckedMs_ = now;
        readinessKnown_ = true;
      }
      ready = readiness_;
    }
    if (ready.isOk()) return jsonResponse(200, R"({"status":"ready"})");
    OutgoingResponse r = statusResponse(core::unavailable("not ready: " + ready.message()));
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
  }

  void noteFailedLogin(const std::string& source, const std::string& server,
                       const std::string& credential, bool handshake) {
    const bool first = failedLogins_.add(source, server, credential, handshake, clock_.nowMs());
    // One warning per source and window; the audit record carries the count.
    deps_.logger.log(first ? core::Logger::Level::kWarn : core::Logger::Level::kDebug,
                     "auth.login_refused", {{"source", source}, {"credential", credential}});
  }

  void flushFailedLogins(const std::vector<FailedLogins>& summaries) {
    if (!deps_.failedLogins) return;
    for (const auto& summary : summaries) deps_.failedLogins(summary);
  }

  // One line per request and the request metrics. The route is a template (no ids, no query),
  // so neither a personnummer in a search nor a resource id reaches the log or a label.
  void logRequest(const std::string& method, const RequestInfo& info, int status, double seconds,
                  const std::string& requestId) {
    const std::string route = api::routeTemplate(info.path);
    if (deps_.requests != nullptr) deps_.requests->onRequest({method, route, status, seconds});
    const bool probe = route == "/healthz" || route == "/readyz" || route == "/metrics";
    const auto level =
        probe && status == 200 ? core::Logger::Level::kDebug : core::Logger::Level::kInfo;
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f", seconds * 1000);
    deps_.logger.log(level, "http.request",
                     {{"requestId", requestId},
                      {"traceId", info.traceId},
                      {"client", info.client},
                      {"tenant", info.tenant},
                      {"method", method.size() <= 16 ? method : method.substr(0, 16)},
                      {"route", route},
                      {"status", std::to_string(status)},
                      {"durationMs", ms}});
  }

  // X-Brygga-User-HSA-Id names the person behind the request (the AuditEvent's user agent). Only
  // clients configured with mayAssertUser may send it, and it must be an HSA-id; anything else is
  // refused (400), and the refusal audited, rather than recorded as a user nobody vouched for.
  static core::Status takeUserHsaId(api::ApiRequest& request) {
    auto it = request.headers.find(core::lowerAscii(api::kUserHsaIdHeader));
    if (it == request.headers.end()) return core::Status::ok();
    return api::assertUser(request.caller, it->second);
  }

  inline static const std::vector<std::string> kGetOnly{"GET"};

  const ServerConfig server_;
  const TlsConfig tls_;
  ServerDependencies deps_;
  core::RealTimeSystem systemTime_;
  core::TimeSystem& clock_;  // wall clock; the failed-logins flusher sleeps on it
  Authenticator auth_;
  RateLimiter perSource_;
  RateLimiter perClient_;
  FailedLoginCounter failedLogins_;
  core::PeriodicTask flusher_;
  std::unique_ptr<OcspChecker> ocsp_;
  std::mutex readinessMutex_;
  bool readinessKnown_ = false;
  int64_t readinessCheckedMs_ = 0;
  core::Status readiness_;
  HttpFront front_;  // last: stopped and destroyed first
  int httpIndex_ = -1;
  int httpsIndex_ = -1;
};

GatewayServer::GatewayServer(ServerConfig server, TlsConfig tls, std::vector<ClientConfig> clients,
                             ServerDependencies deps)
    : impl_(std::make_unique<Impl>(std::move(server), std::move(tls), std::move(clients),
                                   std::move(deps))) {}

GatewayServer::~GatewayServer() {
  impl_->stop();
}

core::Status GatewayServer::start() {
  return impl_->start();
}
void GatewayServer::stop() {
  impl_->stop();
}
int GatewayServer::httpPort() const {
  return impl_->httpPort();
}
int GatewayServer::httpsPort() const {
  return impl_->httpsPort();
}
core::Status GatewayServer::reloadTls() {
  return impl_->reloadTls();
}

}  // namespace brygga::http

#include "gateway/http/server.h"

#include <Poco/Delegate.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/VerificationErrorArgs.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/ThreadPool.h>
#include <openssl/bio.h>
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <istream>

#include "gateway/api/responses.h"
#include "gateway/core/digest.h"
#include "gateway/core/text.h"

namespace brygga::http {

namespace {

using Poco::Net::HTTPServerRequest;
using Poco::Net::HTTPServerResponse;

// How much of an oversized body is read away before answering 413 (then the connection closes).
constexpr int64_t kMaxDrainBytes = 64 * 1024 * 1024;

// RFC 4514 (RFC 2253 order) text of a certificate's subject: CN=kungsbacka,O=Brygga Dev,C=SE.
std::string subjectOf(const Poco::Net::X509Certificate& cert) {
  const X509* x509 = cert.certificate();
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  X509_NAME_print_ex(bio, X509_get_subject_name(x509), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

Poco::Timespan milliseconds(int64_t ms) {
  return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(ms) * 1000);
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

void send(HTTPServerResponse& resp, int status, const std::string& body,
          const std::vector<std::pair<std::string, std::string>>& headers) {
  resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
  for (const auto& [k, v] : headers) {
    if (k == "Content-Type") {
      resp.setContentType(v);
    } else {
      resp.set(k, v);
    }
  }
  resp.setContentLength(static_cast<std::streamsize>(body.size()));
  std::ostream& out = resp.send();
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
}

// An error the server answers itself, shaped as the endpoints shape theirs.
void sendStatus(HTTPServerResponse& resp, const core::Status& status,
                const std::string& requestId) {
  api::ApiResponse answer = api::errorResponse(status);
  answer.headers.emplace_back("X-Request-Id", requestId);
  send(resp, answer.status, answer.body, answer.headers);
}

}  // namespace

class GatewayServer::Impl {
 public:
  Impl(ServerConfig server, TlsConfig tls, std::vector<ClientConfig> clients,
       ServerDependencies deps)
      : server_(std::move(server)),
        tls_(std::move(tls)),
        deps_(std::move(deps)),
        auth_(std::move(clients), deps_.accessTokens) {}

  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    Handler(Impl& impl, bool secure) : impl_(impl), secure_(secure) {}
    void handleRequest(HTTPServerRequest& req, HTTPServerResponse& resp) override {
      impl_.handle(req, resp, secure_);
    }

   private:
    Impl& impl_;
    bool secure_;
  };

  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    Factory(Impl& impl, bool secure) : impl_(impl), secure_(secure) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(const HTTPServerRequest&) override {
      return new Handler(impl_, secure_);
    }

   private:
    Impl& impl_;
    bool secure_;
  };

  core::Status start() {
    try {
      pool_ = std::make_unique<Poco::ThreadPool>(2, std::max(4, server_.threads * 2));
      if (server_.httpPort >= 0) {
        Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(
            server_.bindAddress, static_cast<Poco::UInt16>(server_.httpPort)));
        httpPort_ = socket.address().port();
        http_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this, false), *pool_, socket,
                                                        params());
      }
      if (server_.httpsPort >= 0) {
        for (const auto* file : {&tls_.certificateFile, &tls_.privateKeyFile, &tls_.caFile}) {
          if (!std::filesystem::exists(*file)) {
            return core::invalidArgument("TLS file " + *file +
                                         " does not exist: run certs/make-dev-certs.sh or set "
                                         "the tls keys in the config");
          }
        }
        Poco::Net::initializeSSL();
        Poco::Net::Context::Params p;
        p.privateKeyFile = tls_.privateKeyFile;
        p.certificateFile = tls_.certificateFile;
        p.caLocation = tls_.caFile;
        // Relaxed: a client certificate is asked for and, when presented, must chain to our CA
        // (otherwise the handshake fails); clients without one may still use a bearer token.
        p.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
        p.loadDefaultCAs = false;
        p.cipherList = "HIGH:!aNULL:!MD5:!RC4";
        context_ = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, p);
        Poco::Net::SSLManager::instance().ServerVerificationError +=
            Poco::delegate(this, &Impl::onCertificateRefused);
        subscribed_ = true;
        context_->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
        context_->enableSessionCache(true, "brygga");
        Poco::Net::SecureServerSocket socket(
            Poco::Net::SocketAddress(server_.bindAddress,
                                     static_cast<Poco::UInt16>(server_.httpsPort)),
            64, context_);
        httpsPort_ = socket.address().port();
        https_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this, true), *pool_, socket,
                                                         params());
      }
    } catch (const Poco::Exception& e) {
      return core::unavailable("cannot start listeners: " + e.displayText());
    } catch (const std::exception& e) {
      return core::unavailable(std::string("cannot start listeners: ") + e.what());
    }
    if (http_) http_->start();
    if (https_) https_->start();
    return core::Status::ok();
  }

  void stop() {
    if (http_) http_->stopAll(true);
    if (https_) https_->stopAll(true);
    if (pool_) pool_->joinAll();
    http_.reset();
    https_.reset();
    if (subscribed_) {
      Poco::Net::SSLManager::instance().ServerVerificationError -=
          Poco::delegate(this, &Impl::onCertificateRefused);
      subscribed_ = false;
    }
  }

  int httpPort() const { return http_ ? httpPort_ : -1; }
  int httpsPort() const { return https_ ? httpsPort_ : -1; }

 private:
  Poco::Net::HTTPServerParams* params() const {
    auto* p = new Poco::Net::HTTPServerParams;
    p->setMaxThreads(server_.threads);
    p->setMaxQueued(server_.maxQueuedConnections);
    p->setKeepAlive(true);
    p->setMaxKeepAliveRequests(server_.keepAliveMaxRequests);
    p->setKeepAliveTimeout(milliseconds(server_.keepAliveTimeoutMs));
    p->setTimeout(milliseconds(server_.timeoutMs));
    return p;
  }

  // Who asked, for the request log (the caller is known only for endpoint requests).
  struct RequestInfo {
    std::string path;
    std::string client;
    std::string tenant;
  };

  void handle(HTTPServerRequest& req, HTTPServerResponse& resp, bool secure) {
    const auto started = std::chrono::steady_clock::now();
    std::string requestId = req.get("X-Request-Id", "");
    if (!isSaneRequestId(requestId)) requestId = core::newTimeOrderedUuid();
    RequestInfo info;
    try {
      handleChecked(req, resp, secure, requestId, info);
    } catch (const std::exception& e) {
      deps_.logger.error("http.exception", {{"requestId", requestId}, {"what", e.what()}});
      if (!resp.sent()) sendStatus(resp, core::internalError("internal error"), requestId);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    logRequest(req.getMethod(), info, static_cast<int>(resp.getStatus()), seconds, requestId);
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
                      {"client", info.client},
                      {"tenant", info.tenant},
                      {"method", method.size() <= 16 ? method : method.substr(0, 16)},
                      {"route", route},
                      {"status", std::to_string(status)},
                      {"durationMs", ms}});
  }

  void handleChecked(HTTPServerRequest& req, HTTPServerResponse& resp, bool secure,
                     const std::string& requestId, RequestInfo& info) {
    const std::string uri = req.getURI();
    const size_t q = uri.find('?');
    const std::string path = uri.substr(0, q);
    const std::string query = q == std::string::npos ? std::string() : uri.substr(q + 1);
    info.path = path;

    if (path == "/healthz") {
      send(resp, 200, R"({"status":"ok"})", {{"Content-Type", "application/json"}});
      return;
    }
    if (path == "/readyz") {
      core::Status s = deps_.readiness ? deps_.readiness() : core::Status::ok();
      if (s.isOk()) {
        send(resp, 200, R"({"status":"ready"})", {{"Content-Type", "application/json"}});
      } else {
        sendStatus(resp, core::unavailable("not ready: " + s.message()), requestId);
      }
      return;
    }
    api::Endpoint* endpoint = nullptr;
    std::string prefix;
    for (const auto& [p, e] : deps_.endpoints) {
      if (path == p || path.rfind(p + "/", 0) == 0) {
        endpoint = e;
        prefix = p;
        break;
      }
    }
    if (endpoint == nullptr) {
      sendStatus(resp, core::notFound("no such endpoint: the FHIR API is at /fhir"), requestId);
      return;
    }

    api::ApiRequest request;
    request.method = req.getMethod();
    request.path = path.substr(prefix.size());
    request.query = query;
    request.requestId = requestId;
    for (const auto& [k, v] : req) request.headers[core::lowerAscii(k)] = v;

    // Body, bounded before it is read.
    const int64_t limit = server_.limits.maxBodyBytes;
    std::istream& in = req.stream();
    char buf[16384];
    const core::Status tooLarge(
        core::StatusCode::kPayloadTooLarge,
        "the body is larger than the limit of " + std::to_string(limit) + " bytes");
    if (req.hasContentLength() && req.getContentLength64() > limit) {
      // Not kept; read away (up to a bound) so that the client, still sending, sees the 413
      // instead of a reset connection.
      int64_t drained = 0;
      while (drained < kMaxDrainBytes && (in.read(buf, sizeof buf) || in.gcount() > 0)) {
        drained += in.gcount();
      }
      resp.setKeepAlive(false);
      sendStatus(resp, tooLarge, requestId);
      return;
    }
    std::string body;
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      body.append(buf, static_cast<size_t>(in.gcount()));
      if (static_cast<int64_t>(body.size()) > limit) {
        resp.setKeepAlive(false);
        sendStatus(resp, tooLarge, requestId);
        return;
      }
    }
    request.body = std::move(body);

    auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(req);
    request.caller = identify(impl, req, secure);
    info.client = request.caller.clientId;
    info.tenant = request.caller.tenant;
    request.caller.address = req.clientAddress().toString();
    request.serverAddress = req.serverAddress().toString();
    if (core::Status user = takeUserHsaId(req, request.caller); !user.isOk()) {
      if (deps_.refused) deps_.refused(request, user, "unknown");
      sendStatus(resp, user, requestId);
      return;
    }
    std::string host = req.getHost();
    if (host.empty()) host = req.serverAddress().toString();
    request.baseUrl = std::string(secure ? "https://" : "http://") + host + prefix;

    api::ApiResponse answer = endpoint->handle(request);
    answer.headers.emplace_back("X-Request-Id", requestId);
    send(resp, answer.status, answer.body, answer.headers);
  }

  api::Caller identify(Poco::Net::HTTPServerRequestImpl& impl, HTTPServerRequest& req,
                       bool secure) {
    if (secure) {
      Poco::Net::SecureStreamSocket socket(impl.socket());
      if (socket.havePeerCertificate()) {
        // The handshake already verified the chain to our CA; the subject names the client.
        std::string subject = subjectOf(socket.peerCertificate());
        if (auto caller = auth_.byCertificateSubject(subject)) return *caller;
        deps_.logger.warn("auth.unknown_certificate", {{"subject", subject}});
        api::Caller refused;
        refused.refusedCredential = "certificate subject " + subject.substr(0, 256);
        return refused;
      }
    }
    std::string authorization = req.get("Authorization", "");
    if (core::lowerAscii(authorization.substr(0, 7)) == "bearer ") {
      if (auto caller = auth_.byToken(authorization.substr(7))) return *caller;
      // Named by a hash prefix only: even a mistyped token may be close to a real one.
      api::Caller refused;
      refused.refusedCredential =
          "bearer token sha256:" + core::sha256Hex(authorization.substr(7)).substr(0, 8);
      return refused;
    }
    return {};
  }

  // The person behind the request (api::assertUser): refused (400), and the refusal audited,
  // when the client may not name one or names no HSA-id.
  core::Status takeUserHsaId(HTTPServerRequest& req, api::Caller& caller) {
    if (!req.has(api::kUserHsaIdHeader)) return core::Status::ok();
    return api::assertUser(caller, req.get(api::kUserHsaIdHeader));
  }

  // POCO reports a client certificate that fails verification (another CA, expired, ...) here,
  // during the handshake, which then fails: the connection never becomes a request, so the
  // refused login is audited from here.
  void onCertificateRefused(const void*, Poco::Net::VerificationErrorArgs& args) {
    const std::string subject = subjectOf(args.certificate());
    deps_.logger.warn("auth.certificate_refused",
                      {{"subject", subject}, {"error", args.errorMessage()}});
    if (!deps_.refused) return;
    api::ApiRequest request;
    request.method = "TLS";
    request.requestId = core::newTimeOrderedUuid();
    request.serverAddress = server_.bindAddress + ":" + std::to_string(httpsPort_);
    request.caller.refusedCredential =
        "certificate subject " + subject.substr(0, 256) + " (" + args.errorMessage() + ")";
    deps_.refused(request, core::unauthenticated("client certificate refused in the TLS handshake"),
                  "login");
  }

  const ServerConfig server_;
  const TlsConfig tls_;
  ServerDependencies deps_;
  Authenticator auth_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  Poco::Net::Context::Ptr context_;
  std::unique_ptr<Poco::Net::HTTPServer> http_;
  std::unique_ptr<Poco::Net::HTTPServer> https_;
  int httpPort_ = -1;
  int httpsPort_ = -1;
  bool subscribed_ = false;  // to SSLManager::ServerVerificationError
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

}  // namespace brygga::http

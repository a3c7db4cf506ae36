#include "tests/support/test_support.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace brygga::testing {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class PeerHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit PeerHandler(FakePeer& peer) : peer_(peer) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    FakePeer::Request r;
    r.method = req.getMethod();
    r.uri = req.getURI();
    for (const auto& [k, v] : req) r.headers[lower(k)] = v;
    Poco::StreamCopier::copyToString(req.stream(), r.body);
    FakePeer::Response answer = peer_.handle(r);
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    resp.setContentType("application/fhir+json");
    for (const auto& [k, v] : answer.headers) resp.set(k, v);
    resp.setContentLength(static_cast<std::streamsize>(answer.body.size()));
    resp.send() << answer.body;
  }

 private:
  FakePeer& peer_;
};

class PeerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit PeerFactory(FakePeer& peer) : peer_(peer) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new PeerHandler(peer_);
  }

 private:
  FakePeer& peer_;
};

}  // namespace

TempDir::TempDir() {
  std::random_device rd;
  std::filesystem::path base = std::filesystem::path(BRYGGA_BINARY_DIR) / "test-tmp";
  std::filesystem::create_directories(base);
  for (;;) {
    auto candidate = base / ("t" + std::to_string(rd()));
    if (std::filesystem::create_directory(candidate)) {
      path_ = candidate.string();
      break;
    }
  }
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

FakePeer::FakePeer() {
  handler_ = [](const Request&) {
    Response r;
    r.body = R"({"resourceType":"Bundle","type":"transaction-response","entry":[]})";
    return r;
  };
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(8);
  params->setKeepAlive(true);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new PeerFactory(*this), socket, params);
  server_->start();
}

FakePeer::~FakePeer() {
  server_->stopAll(true);
}

std::string FakePeer::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/fhir";
}

void FakePeer::setHandler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<FakePeer::Request> FakePeer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t FakePeer::requestCount() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

size_t FakePeer::waitForRequests(size_t n, int timeoutMs) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  for (;;) {
    size_t count = requestCount();
    if (count >= n || std::chrono::steady_clock::now() > deadline) return count;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

FakePeer::Response FakePeer::handle(const Request& request) {
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    handler = handler_;
  }
  return handler(request);
}

HttpAnswer httpCall(const std::string& method, const std::string& url, const std::string& body,
                    const std::map<std::string, std::string>& headers, const TlsClient& tls) {
  Poco::URI uri(url);
  std::unique_ptr<Poco::Net::HTTPClientSession> owned;
  if (uri.getScheme() == "https") {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params p;
    p.caLocation = tls.caFile;
    p.certificateFile = tls.certificateFile;
    p.privateKeyFile = tls.privateKeyFile;
    p.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    p.loadDefaultCAs = false;
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
    owned = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
  } else {
    owned = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  }
  Poco::Net::HTTPClientSession& session = *owned;
  session.setTimeout(Poco::Timespan(30, 0));
  Poco::Net::HTTPRequest req(method, uri.getPathAndQuery(), Poco::Net::HTTPMessage::HTTP_1_1);
  bool hasContentType = false;
  for (const auto& [k, v] : headers) {
    req.set(k, v);
    if (lower(k) == "content-type") hasContentType = true;
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    if (!hasContentType) req.setContentType("application/fhir+json");
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  }
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse resp;
  std::istream& in = session.receiveResponse(resp);
  HttpAnswer answer;
  answer.status = resp.getStatus();
  for (const auto& [k, v] : resp) answer.headers[lower(k)] = v;
  Poco::StreamCopier::copyToString(in, answer.body);
  return answer;
}

std::string readTestData(const std::string& relativePath) {
  std::ifstream in(std::string(BRYGGA_SOURCE_DIR) + "/tests/testdata/" + relativePath,
                   std::ios::binary);
  if (!in) throw std::runtime_error("missing test data: " + relativePath);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace brygga::testing

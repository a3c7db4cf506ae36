#include "tests/support/test_support.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
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

#include "gateway/core/text.h"

namespace brygga::testing {

namespace {}  // namespace

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

bool waitUntil(const std::function<bool()>& condition, int timeoutMs) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    // Polling: the condition has no notification to wait on (see the header).
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

int freePort() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  return socket.address().port();
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
    if (core::lowerAscii(k) == "content-type") hasContentType = true;
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
  answer.reason = resp.getReason();
  for (const auto& [k, v] : resp) answer.headers[core::lowerAscii(k)] = v;
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

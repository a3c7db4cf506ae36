#include "tests/support/test_peer.h"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <utility>

#include "gateway/core/text.h"

namespace brygga::testing {

namespace {

class PeerHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit PeerHandler(TestPeer& peer) : peer_(peer) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    TestPeer::Request r;
    r.method = req.getMethod();
    r.uri = req.getURI();
    for (const auto& [k, v] : req) r.headers[core::lowerAscii(k)] = v;
    Poco::StreamCopier::copyToString(req.stream(), r.body);
    const TestPeer::Response answer = peer_.answer(std::move(r));
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    resp.setContentType(answer.contentType);
    for (const auto& [k, v] : answer.headers) resp.set(k, v);
    resp.setContentLength(static_cast<std::streamsize>(answer.body.size()));
    resp.send() << answer.body;
  }

 private:
  TestPeer& peer_;
};

class PeerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit PeerFactory(TestPeer& peer) : peer_(peer) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new PeerHandler(peer_);
  }

 private:
  TestPeer& peer_;
};

}  // namespace

TestPeer::TestPeer() : TestPeer(Options{}) {}

TestPeer::TestPeer(Options options) : options_(std::move(options)), port_(options_.port) {
  start();
}

TestPeer::~TestPeer() {
  stop();
}

void TestPeer::start() {
  std::lock_guard lifecycle(lifecycle_);
  if (server_) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  // Address reuse lets a peer that was stopped come back on the port it had.
  const Poco::Net::SocketAddress address("127.0.0.1", static_cast<Poco::UInt16>(port_));
  std::unique_ptr<Poco::Net::ServerSocket> socket;
  if (options_.tls) {
    socket = std::make_unique<Poco::Net::SecureServerSocket>(options_.tls);
  } else {
    socket = std::make_unique<Poco::Net::ServerSocket>();
  }
  socket->bind(address, true);
  socket->listen(64);
  port_ = socket->address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options_.threads);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(options_.keepAliveRequests);
  if (!threads_) threads_ = std::make_unique<Poco::ThreadPool>(2, options_.threads + 2);
  server_ =
      std::make_unique<Poco::Net::HTTPServer>(new PeerFactory(*this), *threads_, *socket, params);
  server_->start();
}

void TestPeer::stop() {
  std::lock_guard lifecycle(lifecycle_);
  if (!server_) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();  // ends the delays of slow answers
  server_->stopAll(true);
  // The server's threads may still be inside answer(); they must be out before this peer can go.
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return inFlight_ == 0; });
  lock.unlock();
  server_.reset();
}

std::string TestPeer::baseUrl() const {
  return std::string(options_.tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
         "/fhir";
}

void TestPeer::setHandler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<TestPeer::Request> TestPeer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t TestPeer::requestCount() const {
  std::lock_guard lock(mutex_);
  return arrived_;
}

size_t TestPeer::waitForRequests(size_t n, int timeoutMs) const {
  waitFor([&] { return requestCount() >= n; }, timeoutMs);
  return requestCount();
}

bool TestPeer::waitFor(const std::function<bool()>& condition, int timeoutMs) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  std::unique_lock lock(mutex_);
  for (;;) {
    const uint64_t seen = changes_;
    lock.unlock();
    if (condition()) return true;
    lock.lock();
    if (!changed_.wait_until(lock, deadline, [&] { return changes_ != seen; })) {
      lock.unlock();
      return condition();
    }
  }
}

int TestPeer::inFlight() const {
  std::lock_guard lock(mutex_);
  return inFlight_;
}

int TestPeer::maxInFlight() const {
  std::lock_guard lock(mutex_);
  return maxInFlight_;
}

TestPeer::Response TestPeer::answer(Request request) {
  Handler handler;
  size_t index = 0;
  {
    std::lock_guard lock(mutex_);
    maxInFlight_ = std::max(maxInFlight_, ++inFlight_);
    ++arrived_;
    ++changes_;
    index = requests_.size();
    if (options_.record) requests_.push_back(request);
    handler = handler_;
  }
  changed_.notify_all();
  Response response;
  if (handler) {
    response = handler(request);
  } else {
    response.body = kTransactionResponse;
  }
  std::unique_lock lock(mutex_);
  if (options_.record) requests_[index].answeredStatus = response.status;
  ++changes_;
  changed_.notify_all();
  if (response.delay.count() > 0) {
    // The slow answer is the behaviour under test: real time, as a client's timeout is.
    changed_.wait_for(lock, response.delay, [&] { return stopping_; });
  }
  --inFlight_;
  changed_.notify_all();
  return response;
}

}  // namespace brygga::testing

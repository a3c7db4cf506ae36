#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace brygga::adapters {

// An outside system reached over HTTP: where it is and how a client connects to it. The
// transport part of every peer's configuration (destinations.<name>, audit.forward.fhir,
// audit.witness, the alert webhook).
struct HttpPeer {
  std::string baseUrl;  // requests name their full URL; this is what they are built from
  int64_t connectTimeoutMs = 2000;
  int64_t timeoutMs = 10000;
  std::string clientCertificateFile;  // PEM, for mutual TLS towards the peer (optional)
  std::string clientKeyFile;
  std::string caFile;  // CA bundle to verify the peer; empty: the system store
};

struct HttpRequestSpec {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResult {
  int status = 0;     // 0: no HTTP answer (connect failure, timeout, TLS failure)
  std::string error;  // transport error text when status == 0
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
};

// An HTTP client towards one outside system, one request at a time. Not thread-safe: each user
// owns one, which keeps its connections alive between requests.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResult send(const HttpRequestSpec& request) = 0;
};

// An HTTP client that has many requests in flight at once. Driven by one thread: start() and
// run() are called from it, and every completion is called from run() on it, exactly once per
// started request (a request that cannot even be started completes with status 0 in the next
// run()). wake() may be called from any thread.
class AsyncHttpClient {
 public:
  using Completion = std::function<void(HttpResult)>;
  virtual ~AsyncHttpClient() = default;
  virtual void start(HttpRequestSpec request, Completion done) = 0;
  // Makes progress: waits until a request finishes, `timeout` passes or wake() is called, and
  // calls the completions of the requests that finished. Returns how many completed. With
  // nothing in flight it simply waits (for wake() or the timeout).
  virtual int run(std::chrono::milliseconds timeout) = 0;
  // Started and not yet completed.
  virtual size_t inFlight() const = 0;
  // Ends a run() early.
  virtual void wake() = 0;
};

// A decorator of an AsyncHttpClient whose start() may finish a request without sending it (a
// body that cannot be signed, no access token): completeNow() hands the answer to the next run(),
// so completions still come from run() only.
class AsyncHttpDecorator : public AsyncHttpClient {
 public:
  explicit AsyncHttpDecorator(std::unique_ptr<AsyncHttpClient> inner) : inner_(std::move(inner)) {}
  int run(std::chrono::milliseconds timeout) override;
  size_t inFlight() const override { return inner_->inFlight() + ready_.size(); }
  void wake() override { inner_->wake(); }

 protected:
  AsyncHttpClient& inner() { return *inner_; }
  void completeNow(Completion done, HttpResult result);

 private:
  std::unique_ptr<AsyncHttpClient> inner_;
  std::vector<std::pair<Completion, HttpResult>> ready_;
};

// The libcurl implementations: connections kept alive and reused, HTTP/2 when the peer offers it
// (ALPN; the asynchronous client multiplexes its requests on one connection then), connect and
// total timeouts, optional client certificate, peer verification against caFile or the system
// store. The asynchronous client opens at most `maxConnections` connections to a host (HTTP/1.1
// needs one per request in flight); requests beyond that wait for a free one.
std::unique_ptr<HttpClient> makeCurlHttpClient(const HttpPeer& peer);
std::unique_ptr<AsyncHttpClient> makeCurlAsyncHttpClient(const HttpPeer& peer, int maxConnections);

// An AsyncHttpClient over a synchronous one: each run() sends one started request (in start
// order) and completes it. For clients that only have a synchronous form (tests' fakes).
std::unique_ptr<AsyncHttpClient> makeSerialAsyncHttpClient(std::unique_ptr<HttpClient> client);

}  // namespace brygga::adapters

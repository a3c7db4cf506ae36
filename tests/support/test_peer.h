#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <Poco/Net/Context.h>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace brygga::testing {

// A real HTTP(S) server on 127.0.0.1 standing in for an outside system: the regional EHR, an
// Audit Record Repository, a witness, an alert webhook, the demo's stand-in EHR. Every request
// is recorded and answered by the script: a handler deciding status, headers, body and how late
// to answer (without one, 200 with kTransactionResponse). Tests wait for what
// the peer received on a condition variable, never for a fixed time. Thread-safe.
class TestPeer {
 public:
  static constexpr const char* kTransactionResponse =
      R"({"resourceType":"Bundle","type":"transaction-response","entry":[]})";

  struct Request {
    std::string method;
    std::string uri;
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;
    int answeredStatus = 0;  // what the script answered; 0 while it decides
  };
  struct Response {
    int status = 200;
    std::string body;
    std::string contentType = "application/fhir+json";
    std::map<std::string, std::string> headers;
    // Answer this much later: a slow peer (the behaviour a timeout test needs). stop() and the
    // destructor cut the wait short.
    std::chrono::milliseconds delay{0};
  };
  using Handler = std::function<Response(const Request&)>;

  struct Options {
    int port = 0;  // 0: any free port; a peer restarted with start() keeps its port
    // Requests answered at once: a kept-alive connection holds a thread, and a destination keeps
    // up to maxInFlight (16) of them.
    int threads = 40;
    bool record = true;           // keep every request (a long-running stand-in only counts them)
    int keepAliveRequests = 100;  // requests on one kept-alive connection (a load test: many)
    Poco::Net::Context::Ptr tls;  // HTTPS with this server context when set
  };

  // Listens at once.
  TestPeer();
  explicit TestPeer(Options options);
  ~TestPeer();
  TestPeer(const TestPeer&) = delete;
  TestPeer& operator=(const TestPeer&) = delete;

  // Stops listening and drops open connections: to a client the peer is down. start() listens
  // again, on the same port. Both are no-ops when already in that state.
  void stop();
  void start();

  int port() const { return port_; }
  std::string baseUrl() const;  // http(s)://127.0.0.1:PORT/fhir
  void setHandler(Handler handler);

  // What arrived, in arrival order (recorded before the script runs); empty when not recording.
  std::vector<Request> requests() const;
  size_t requestCount() const;  // arrived so far
  // Waits until at least n requests arrived or timeoutMs passed; returns the count.
  size_t waitForRequests(size_t n, int timeoutMs = 10000) const;
  // Waits until `condition` holds, checking it at once and whenever a request arrives or is
  // answered; false when it still does not hold after timeoutMs. `condition` may call the peer.
  bool waitFor(const std::function<bool()>& condition, int timeoutMs = 10000) const;

  // Requests being answered right now (a slow answer's delay included), and the most there were
  // at once since the peer was made.
  int inFlight() const;
  int maxInFlight() const;

  // Called by the server's threads.
  Response answer(Request request);

 private:
  Options options_;
  int port_ = 0;
  std::mutex lifecycle_;  // start() and stop()
  std::unique_ptr<Poco::ThreadPool>
      threads_;  // the server's own (POCO's default has 16); outlives it
  std::unique_ptr<Poco::Net::HTTPServer> server_;

  mutable std::mutex mutex_;                 // guards what follows
  mutable std::condition_variable changed_;  // any of it changed
  Handler handler_;
  std::vector<Request> requests_;
  size_t arrived_ = 0;
  uint64_t changes_ = 0;  // arrivals and answers, for waitFor()
  int inFlight_ = 0;      // requests inside answer(): stop() waits for them
  int maxInFlight_ = 0;
  bool stopping_ = false;
};

}  // namespace brygga::testing

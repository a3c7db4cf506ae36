#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/core/event_stream.h"
#include "gateway/core/log.h"
#include "gateway/core/status.h"
#include "gateway/http/request_parser.h"
#include "gateway/http/tls_context.h"
#include "gateway/http/worker_pool.h"

namespace brygga::http {

// The limits of the front: every one a named server.* config key (see README).
struct FrontLimits {
  ParserLimits parser;
  // A new connection has this long from its accept (TLS handshake included), a kept-alive one
  // from the first byte of its next request, to send the request line.
  int64_t requestLineTimeoutMs = 10000;
  // The whole header block within this long of the request's first byte.
  int64_t headerTimeoutMs = 10000;
  // The body within this long of the header block, plus one second per minBytesPerSecond bytes
  // received; a response is written within writeTimeoutMs plus the same allowance per byte.
  int64_t bodyTimeoutMs = 30000;
  int64_t writeTimeoutMs = 30000;
  int64_t minBytesPerSecond = 4096;
  // A kept-alive connection waiting for its next request is closed after this long.
  int64_t keepAliveTimeoutMs = 15000;
  int maxRequestsPerConnection = 1000;
  int maxConnections = 10000;
  int maxConnectionsPerSource = 256;
  int threads = 64;                 // workers: requests being handled at once
  size_t maxQueuedRequests = 1024;  // complete requests waiting for a worker; beyond: 503
};

struct ListenerSpec {
  std::string bindAddress;  // numeric address or host name
  int port = 0;             // 0: any free port
  bool secure = false;      // TLS with the context given to start()
};

// One complete request, handed to a worker.
struct IncomingRequest {
  HttpRequest http;
  bool secure = false;
  std::string peerAddress;   // the client's IP address (IPv4-mapped IPv6 as IPv4)
  std::string peer;          // address:port
  std::string localAddress;  // our end of the connection, address:port ([v6]:port)
  // The client certificate the TLS handshake verified, or null (none, or plain HTTP).
  std::shared_ptr<const PeerCertificate> certificate;
  // The TLS context the connection was made with (for OCSP: its CAs); null on plain HTTP.
  std::shared_ptr<const TlsServerContext> tls;
};

struct OutgoingResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // close the connection after this answer
  // Set: the answer has no length and stays open; its body is what the stream sends, until the
  // connection closes (core::EventStream). `body` is ignored.
  std::shared_ptr<core::EventStream> stream;
};

// What the front asks of the gateway. handle() runs on worker threads (many at once); the rest on
// the event loop, so they must be quick and must not block.
class FrontHandler {
 public:
  virtual ~FrontHandler() = default;
  // The answer to a complete request (HEAD arrives as HEAD; the front drops the body). Must not
  // throw.
  virtual OutgoingResponse handle(IncomingRequest& request) = 0;
  // The methods `path` serves (HEAD and OPTIONS are added by the front), or null for a path the
  // handler does not know: its requests go to handle(), which answers them (404).
  virtual const std::vector<std::string>* methodsFor(std::string_view path) const = 0;
  // The body and headers of an answer the front makes itself (400, 405, 408, 413, 503 ...).
  virtual OutgoingResponse frontAnswer(int httpStatus, const core::Status& why) const = 0;
  // Told about each answer the front made itself (for the request log, metrics and the recent
  // refusals), with why. `request` holds what was parsed: the method, target and headers may be
  // empty.
  virtual void answeredByFront(const IncomingRequest& request, int httpStatus,
                               const core::Status& why) = 0;
  // A TLS handshake failed after the client presented a certificate (expired, unknown CA,
  // revoked by CRL, a key that does not match ...).
  virtual void handshakeRefused(const std::string& peerAddress, const std::string& localAddress,
                                const HandshakeNotes& notes) = 0;
};

// The event-driven front of the HTTP and HTTPS listeners. One event-loop thread (epoll) accepts,
// runs TLS handshakes without blocking (OpenSSL on non-blocking sockets), reads and parses
// requests under deadlines, and writes answers; only complete requests go to the worker pool. A
// waiting, slow or idle connection holds no thread, and no worker waits on a socket.
// Back-pressure: connections beyond maxConnections or maxConnectionsPerSource are closed at
// accept; a connection has at most one request in the workers; a full worker queue is answered
// 503 by the loop. A streamed answer (Server-Sent Events) holds no worker either: its head is
// written like any answer, then the connection waits in the loop for what its stream sends, at
// most kMaxStreamBacklog unsent (a client that reads slower is closed). Answers the loop makes
// without a worker: malformed requests, bodies over the
// limit (before they are read), methods a path does not serve (405 with Allow), OPTIONS (204
// with Allow), late requests (408). `Expect: 100-continue` is answered when the body will be
// taken. After an error answer the connection is closed after a bounded drain, so that the client
// reads the answer rather than a reset.
class HttpFront {
 public:
  HttpFront(FrontLimits limits, FrontHandler& handler, core::Logger& logger);
  ~HttpFront();  // stop()
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Binds every listener and starts the loop and the workers. `tls` is needed when a listener is
  // secure.
  core::Status start(const std::vector<ListenerSpec>& listeners,
                     std::shared_ptr<TlsServerContext> tls);
  // New TLS connections use `tls` from now on (a reload); open ones keep theirs.
  void setTls(std::shared_ptr<TlsServerContext> tls);
  // Stops accepting, lets the requests being handled finish and their answers go out (at most
  // about two seconds), closes every connection, joins the threads. Idempotent.
  void stop();
  int port(size_t listener) const;  // the bound port, -1 before start
  size_t openConnections() const { return connectionCount_.load(); }

 private:
  struct Connection;
  struct Listener {
    ListenerSpec spec;
    int fd = -1;
    int port = -1;
    bool paused = false;  // out of file descriptors: not polled until the next sweep
  };
  struct Completion {
    uint64_t id = 0;
    std::string bytes;
    bool close = false;
    std::shared_ptr<core::EventStream> stream;  // the head of a streamed answer
    bool event = false;                         // bytes a stream sent
  };

  void run();
  void acceptAll(Listener& listener, size_t index, int64_t nowMs);
  void onEvent(Connection& c, uint32_t events, int64_t nowMs);
  void handshake(Connection& c, int64_t nowMs);
  void readRequest(Connection& c, int64_t nowMs);
  void processInput(Connection& c, int64_t nowMs);
  bool onHeaders(Connection& c, int64_t nowMs);
  void dispatch(Connection& c, int64_t nowMs);
  void answer(Connection& c, int httpStatus, const core::Status& why, bool close,
              std::vector<std::pair<std::string, std::string>> headers, int64_t nowMs);
  void startWrite(Connection& c, std::string bytes, bool close, int64_t nowMs);
  void writeResponse(Connection& c, int64_t nowMs);
  void startLinger(Connection& c, int64_t nowMs);
  void linger(Connection& c);
  void takeCompletions(int64_t nowMs);
  void sweep(int64_t nowMs);
  void expire(Connection& c, int64_t nowMs);
  void setInterest(Connection& c, uint32_t events);
  // Closes the socket and takes `c` out of the connections; `c` itself lives on (phase kClosed)
  // until the loop's turn ends, as the caller may be deep in a chain that still reads it (a read
  // that answers, writes, lingers and closes, then looks at the phase again).
  void close(Connection& c);
  void complete(uint64_t id, std::string bytes, bool close,
                std::shared_ptr<core::EventStream> stream = nullptr);
  // What an open stream sends (from any thread); false once the front stops.
  bool sendEvent(uint64_t id, std::string bytes);
  void takeEvent(Connection& c, std::string bytes, int64_t nowMs);
  void wake();
  IncomingRequest describe(const Connection& c) const;
  void noteRefusedConnection(const char* why, int64_t nowMs);
  std::shared_ptr<TlsServerContext> currentTls() const;

  const FrontLimits limits_;
  FrontHandler& handler_;
  core::Logger& logger_;
  std::vector<Listener> listeners_;
  int epoll_ = -1;
  int wakeFd_ = -1;
  std::unique_ptr<WorkerPool> pool_;
  std::thread loop_;
  std::atomic<bool> stopping_{false};
  std::atomic<size_t> connectionCount_{0};

  mutable std::mutex tlsMutex_;
  std::shared_ptr<TlsServerContext> tls_;

  std::mutex completionsMutex_;
  std::vector<Completion> completions_;

  // Loop thread only.
  uint64_t nextId_;
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Connection>> closed_;  // closed this turn, destroyed at its end
  std::unordered_map<std::string, int> perSource_;
  int64_t refusedConnections_ = 0;
  int64_t lastRefusalLogMs_ = 0;
  int64_t stopDeadlineMs_ = 0;
};

}  // namespace brygga::http

#include "gateway/http/http_front.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <utility>

#include "gateway/core/http_reason.h"

namespace brygga::http {

namespace {

constexpr uint64_t kWakeTag = 0;
// epoll tags: 0 the wake-up, 1..n the listeners, from here the connections (never reused).
constexpr uint64_t kFirstConnectionId = 1 << 16;
constexpr int64_t kSweepMs = 100;
// After an answer that closes the connection, what the client still sends is read and dropped
// for this long (or this much) so that it reads the answer instead of a reset.
constexpr int64_t kLingerMs = 2000;
constexpr int64_t kMaxLingerBytes = 16 * 1024 * 1024;
constexpr int64_t kStopGraceMs = 2000;
constexpr int64_t kRefusalLogIntervalMs = 10000;
constexpr size_t kReadChunk = 16 * 1024;
constexpr int kBacklog = 1024;
// What a streamed answer may have queued unsent before its client counts as too slow.
constexpr size_t kMaxStreamBacklog = 1 << 20;

int64_t monotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string httpDate() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

// A header value never carries a line end into the response (header injection).
void appendHeaderValue(std::string& out, const std::string& value) {
  for (char c : value) out += (c == '\r' || c == '\n') ? ' ' : c;
}

std::string serialize(const OutgoingResponse& r, bool head, int minorVersion, bool keepAlive) {
  std::string out;
  out.reserve(256 + (head ? 0 : r.body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += core::httpReasonPhrase(r.status);
  out += "\r\nDate: ";
  out += httpDate();
  out += "\r\n";
  for (const auto& [name, value] : r.headers) {
    out += name;
    out += ": ";
    appendHeaderValue(out, value);
    out += "\r\n";
  }
  // No length on 1xx and 204 (RFC 9110 §8.6), nor on a 304, whose length would have to be the
  // 200's; they never have content. Everything else is framed by Content-Length.
  // A streamed answer ends when the connection does (RFC 9112 §6.3): no length.
  const bool noContent = r.status < 200 || r.status == 204 || r.status == 304;
  if (!noContent && r.stream == nullptr) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  if (!keepAlive) {
    out += "Connection: close\r\n";
  } else if (minorVersion == 0) {
    out += "Connection: keep-alive\r\n";
  }
  out += "\r\n";
  if (!head && !noContent && r.stream == nullptr) out += r.body;
  return out;
}

// The text of an address; an IPv4-mapped IPv6 address as plain IPv4.
std::string addressText(const sockaddr_storage& addr, int* port) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    if (port) *port = ntohs(in.sin_port);
    return text;
  }
  const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
  if (port) *port = ntohs(in6.sin6_port);
  if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
    inet_ntop(AF_INET, reinterpret_cast<const unsigned char*>(&in6.sin6_addr) + 12, text,
              sizeof text);
    return text;
  }
  inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
  return text;
}

std::string withPort(const std::string& address, int port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::string joinMethods(const std::vector<std::string>* methods) {
  std::vector<std::string> all = methods ? *methods : std::vector<std::string>{};
  if (std::find(all.begin(), all.end(), "GET") != all.end() &&
      std::find(all.begin(), all.end(), "HEAD") == all.end()) {
    all.push_back("HEAD");
  }
  all.push_back("OPTIONS");
  std::string out;
  for (const auto& m : all) out += (out.empty() ? "" : ", ") + m;
  return out;
}

}  // namespace

struct HttpFront::Connection {
  // kStreaming: a streamed answer's head is written; waiting for what its stream sends.
  enum class Phase { kHandshake, kReading, kDispatched, kWriting, kStreaming, kLingering, kClosed };
  // What the deadline is for, and so what happens when it passes.
  enum class Wait { kRequestLine, kIdle, kHeaders, kBody, kWrite, kLinger, kNone };
  enum class After { kNextRequest, kContinueReading, kClose, kStream };

  uint64_t id = 0;
  int fd = -1;
  SSL* ssl = nullptr;
  std::shared_ptr<TlsServerContext> tls;
  HandshakeNotes notes;
  std::shared_ptr<const PeerCertificate> certificate;
  std::string peerAddress;
  std::string peer;
  std::string local;
  bool secure = false;

  Phase phase = Phase::kReading;
  Wait wait = Wait::kRequestLine;
  int64_t deadlineMs = 0;
  int64_t headerDeadlineMs = 0;
  uint32_t events = 0;

  RequestParser parser;
  std::string in;  // bytes read and not yet taken by the parser (the next request's, pipelined)
  bool headersHandled = false;
  int requests = 0;

  std::string out;
  size_t outPos = 0;
  After after = After::kNextRequest;
  int64_t lingered = 0;
  std::shared_ptr<core::EventStream> stream;  // a streamed answer's source
  bool streamStarted = false;

  explicit Connection(const ParserLimits& limits) : parser(limits) {}
};

HttpFront::HttpFront(FrontLimits limits, FrontHandler& handler, core::Logger& logger)
    : limits_(limits), handler_(handler), logger_(logger), nextId_(kFirstConnectionId) {}

HttpFront::~HttpFront() {
  stop();
  for (auto& listener : listeners_) {
    if (listener.fd >= 0) ::close(listener.fd);
  }
  if (epoll_ >= 0) ::close(epoll_);
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

std::shared_ptr<TlsServerContext> HttpFront::currentTls() const {
  std::lock_guard lock(tlsMutex_);
  return tls_;
}

void HttpFront::setTls(std::shared_ptr<TlsServerContext> tls) {
  std::lock_guard lock(tlsMutex_);
  tls_ = std::move(tls);
}

int HttpFront::port(size_t listener) const {
  return listener < listeners_.size() ? listeners_[listener].port : -1;
}

core::Status HttpFront::start(const std::vector<ListenerSpec>& listeners,
                              std::shared_ptr<TlsServerContext> tls) {
  setTls(std::move(tls));
  epoll_ = epoll_create1(EPOLL_CLOEXEC);
  wakeFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_ < 0 || wakeFd_ < 0) {
    return core::unavailable(std::string("cannot start the event loop: ") + std::strerror(errno));
  }
  epoll_event wakeEvent{};
  wakeEvent.events = EPOLLIN;
  wakeEvent.data.u64 = kWakeTag;
  epoll_ctl(epoll_, EPOLL_CTL_ADD, wakeFd_, &wakeEvent);

  for (const auto& spec : listeners) {
    if (spec.secure && !currentTls()) return core::internalError("a TLS listener needs a context");
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(spec.port);
    if (getaddrinfo(spec.bindAddress.c_str(), port.c_str(), &hints, &found) != 0 || !found) {
      return core::unavailable("cannot resolve the bind address " + spec.bindAddress);
    }
    const int fd = ::socket(found->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    const bool bound = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0 &&
                       ::bind(fd, found->ai_addr, found->ai_addrlen) == 0 &&
                       ::listen(fd, kBacklog) == 0;
    const int error = errno;
    freeaddrinfo(found);
    if (!bound) {
      if (fd >= 0) ::close(fd);
      return core::unavailable("cannot listen on " + withPort(spec.bindAddress, spec.port) + ": " +
                               std::strerror(error));
    }
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    Listener listener;
    listener.spec = spec;
    listener.fd = fd;
    addressText(addr, &listener.port);
    listeners_.push_back(listener);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = listeners_.size();  // 1..n
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
  }
  pool_ = std::make_unique<WorkerPool>(limits_.threads, limits_.maxQueuedRequests);
  loop_ = std::thread([this] { run(); });
  return core::Status::ok();
}

void HttpFront::stop() {
  if (!loop_.joinable()) return;
  stopping_ = true;
  wake();
  loop_.join();
  // The loop has closed every connection; answers of requests still running are dropped.
  pool_->stop();
}

void HttpFront::wake() {
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wakeFd_, &one, sizeof one);
}

void HttpFront::complete(uint64_t id, std::string bytes, bool close,
                         std::shared_ptr<core::EventStream> stream) {
  {
    std::lock_guard lock(completionsMutex_);
    completions_.push_back({id, std::move(bytes), close, std::move(stream), false});
  }
  wake();
}

bool HttpFront::sendEvent(uint64_t id, std::string bytes) {
  if (stopping_) return false;
  {
    std::lock_guard lock(completionsMutex_);
    completions_.push_back({id, std::move(bytes), false, nullptr, true});
  }
  wake();
  return true;
}

void HttpFront::run() {
  std::vector<epoll_event> events(256);
  int64_t nextSweep = monotonicMs() + kSweepMs;
  bool stopSeen = false;
  for (;;) {
    const int64_t before = monotonicMs();
    const int timeout = static_cast<int>(std::clamp<int64_t>(nextSweep - before, 0, kSweepMs));
    const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), timeout);
    if (n < 0 && errno != EINTR) {
      logger_.error("http.loop_failed", {{"error", std::strerror(errno)}});
      break;
    }
    const int64_t now = monotonicMs();
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[static_cast<size_t>(i)].data.u64;
      if (tag == kWakeTag) {
        uint64_t count = 0;
        [[maybe_unused]] const ssize_t r = ::read(wakeFd_, &count, sizeof count);
      } else if (tag <= listeners_.size()) {
        if (!stopping_) acceptAll(listeners_[tag - 1], tag - 1, now);
      } else if (auto it = connections_.find(tag); it != connections_.end()) {
        onEvent(*it->second, events[static_cast<size_t>(i)].events, now);
      }
    }
    takeCompletions(now);
    if (now >= nextSweep) {
      sweep(now);
      nextSweep = now + kSweepMs;
    }
    closed_.clear();  // nothing of this turn refers to them any more
    if (stopping_) {
      if (!stopSeen) {
        stopSeen = true;
        stopDeadlineMs_ = now + kStopGraceMs;
        for (auto& listener : listeners_) {
          epoll_ctl(epoll_, EPOLL_CTL_DEL, listener.fd, nullptr);
          ::close(listener.fd);
          listener.fd = -1;
        }
      }
      // Connections not owed an answer go now; the others when it is written or time is up.
      std::vector<Connection*> idle;
      bool owing = false;
      for (auto& [_, c] : connections_) {
        const bool busy =
            c->phase == Connection::Phase::kDispatched || c->phase == Connection::Phase::kWriting;
        owing = owing || busy;
        if (!busy) idle.push_back(c.get());
      }
      for (Connection* c : idle) close(*c);
      if (!owing || now >= stopDeadlineMs_) break;
    }
  }
  std::vector<Connection*> all;
  for (auto& [_, c] : connections_) all.push_back(c.get());
  for (Connection* c : all) close(*c);
  closed_.clear();
}

void HttpFront::noteRefusedConnection(const char* why, int64_t nowMs) {
  ++refusedConnections_;
  if (nowMs - lastRefusalLogMs_ < kRefusalLogIntervalMs) return;
  lastRefusalLogMs_ = nowMs;
  logger_.warn("http.connections_refused", {{"reason", why},
                                            {"since", std::to_string(refusedConnections_)},
                                            {"open", std::to_string(connections_.size())}});
  refusedConnections_ = 0;
}

void HttpFront::acceptAll(Listener& listener, size_t index, int64_t nowMs) {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    const int fd = accept4(listener.fd, reinterpret_cast<sockaddr*>(&addr), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Level-triggered: the listener would wake us at once again. Rest it until the sweep.
        epoll_ctl(epoll_, EPOLL_CTL_DEL, listener.fd, nullptr);
        listener.paused = true;
        noteRefusedConnection("out of file descriptors", nowMs);
      }
      return;  // EAGAIN, or a connection that went away before we took it
    }
    int peerPort = 0;
    const std::string peerAddress = addressText(addr, &peerPort);
    int& fromSource = perSource_[peerAddress];
    if (static_cast<int>(connections_.size()) >= limits_.maxConnections ||
        fromSource >= limits_.maxConnectionsPerSource) {
      ::close(fd);
      if (fromSource == 0) perSource_.erase(peerAddress);
      noteRefusedConnection(fromSource >= limits_.maxConnectionsPerSource
                                ? "server.maxConnectionsPerSource"
                                : "server.maxConnections",
                            nowMs);
      continue;
    }
    ++fromSource;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>(limits_.parser);
    c->id = nextId_++;
    c->fd = fd;
    c->peerAddress = peerAddress;
    c->peer = withPort(peerAddress, peerPort);
    sockaddr_storage local{};
    socklen_t localLength = sizeof local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&local), &localLength);
    int localPort = 0;
    const std::string localAddress = addressText(local, &localPort);
    c->local = withPort(localAddress, localPort);
    c->secure = listener.spec.secure;
    c->deadlineMs = nowMs + limits_.requestLineTimeoutMs;
    c->wait = Connection::Wait::kRequestLine;
    if (c->secure) {
      c->tls = currentTls();
      c->ssl = SSL_new(c->tls->get());
      if (c->ssl == nullptr) {
        ::close(fd);
        --fromSource;
        ERR_clear_error();
        continue;
      }
      SSL_set_fd(c->ssl, fd);
      TlsServerContext::attachNotes(c->ssl, &c->notes);
      c->phase = Connection::Phase::kHandshake;
    }
    c->events = EPOLLIN;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = c->id;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
    connections_.emplace(c->id, std::move(c));
    connectionCount_ = connections_.size();
  }
  (void)index;
}

void HttpFront::setInterest(Connection& c, uint32_t events) {
  if (c.events == events) return;
  c.events = events;
  epoll_event event{};
  event.events = events;
  event.data.u64 = c.id;
  epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
}

void HttpFront::close(Connection& c) {
  if (c.phase == Connection::Phase::kClosed) return;
  epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
  if (c.ssl != nullptr) SSL_free(c.ssl);
  c.ssl = nullptr;
  ::close(c.fd);
  c.fd = -1;
  if (auto it = perSource_.find(c.peerAddress); it != perSource_.end() && --it->second <= 0) {
    perSource_.erase(it);
  }
  c.phase = Connection::Phase::kClosed;
  c.wait = Connection::Wait::kNone;
  c.deadlineMs = 0;
  if (c.stream != nullptr) std::exchange(c.stream, nullptr)->stop();
  auto node = connections_.extract(c.id);
  closed_.push_back(std::move(node.mapped()));
  connectionCount_ = connections_.size();
}

void HttpFront::onEvent(Connection& c, uint32_t events, int64_t nowMs) {
  switch (c.phase) {
    case Connection::Phase::kHandshake:
      return handshake(c, nowMs);
    case Connection::Phase::kReading:
      return readRequest(c, nowMs);
    case Connection::Phase::kWriting:
      return writeResponse(c, nowMs);
    case Connection::Phase::kStreaming:
      // The client sends nothing more; what it sends is dropped, its end closes the stream.
      return linger(c);
    case Connection::Phase::kLingering:
      return linger(c);
    case Connection::Phase::kDispatched:
      // Only errors are polled for meanwhile: the client is gone, its answer will be dropped.
      if ((events & (EPOLLERR | EPOLLHUP)) != 0) close(c);
      return;
    case Connection::Phase::kClosed:
      return;
  }
}

void HttpFront::handshake(Connection& c, int64_t nowMs) {
  ERR_clear_error();
  const int r = SSL_accept(c.ssl);
  if (r == 1) {
    c.certificate = c.tls->peerCertificate(c.ssl);
    c.phase = Connection::Phase::kReading;
    setInterest(c, EPOLLIN);
    return readRequest(c, nowMs);
  }
  const int error = SSL_get_error(c.ssl, r);
  if (error == SSL_ERROR_WANT_READ) return setInterest(c, EPOLLIN);
  if (error == SSL_ERROR_WANT_WRITE) return setInterest(c, EPOLLOUT);
  // Failed. A presented certificate makes it a refused login (for the audit); anything else (an
  // old protocol version, no common suite, a port scan) is only worth a debug line.
  const unsigned long code = ERR_peek_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  if (!c.notes.subject.empty()) {
    if (c.notes.error.empty()) c.notes.error = reason != nullptr ? reason : "handshake failed";
    handler_.handshakeRefused(c.peerAddress, c.local, c.notes);
  } else {
    logger_.log(core::Logger::Level::kDebug, "tls.handshake_failed",
                {{"peer", c.peerAddress}, {"reason", reason != nullptr ? reason : "closed"}});
  }
  ERR_clear_error();
  close(c);
}

void HttpFront::readRequest(Connection& c, int64_t nowMs) {
  processInput(c, nowMs);
  char buffer[kReadChunk];
  while (c.phase == Connection::Phase::kReading) {
    size_t got = 0;
    if (c.ssl != nullptr) {
      ERR_clear_error();
      const int r = SSL_read(c.ssl, buffer, sizeof buffer);
      if (r <= 0) {
        const int error = SSL_get_error(c.ssl, r);
        if (error == SSL_ERROR_WANT_READ) return setInterest(c, EPOLLIN);
        if (error == SSL_ERROR_WANT_WRITE) return setInterest(c, EPOLLOUT);
        ERR_clear_error();
        return close(c);  // closed by the client, or broken
      }
      got = static_cast<size_t>(r);
    } else {
      const ssize_t r = ::recv(c.fd, buffer, sizeof buffer, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return setInterest(c, EPOLLIN);
      if (r <= 0) return close(c);
      got = static_cast<size_t>(r);
    }
    c.in.append(buffer, got);
    processInput(c, nowMs);
  }
}

void HttpFront::processInput(Connection& c, int64_t nowMs) {
  using State = RequestParser::State;
  while (c.phase == Connection::Phase::kReading && !c.in.empty()) {
    const bool wasStarted = c.parser.started();
    const State before = c.parser.state();
    const size_t used = c.parser.feed(c.in);
    c.in.erase(0, used);
    if (!wasStarted && c.parser.started()) {
      // The first byte of a request: an idle connection now has the request line's time, and
      // the header block its own from here.
      if (c.wait == Connection::Wait::kIdle) c.deadlineMs = nowMs + limits_.requestLineTimeoutMs;
      c.headerDeadlineMs = nowMs + limits_.headerTimeoutMs;
      c.deadlineMs = std::min(c.deadlineMs, c.headerDeadlineMs);
      c.wait = Connection::Wait::kRequestLine;
    }
    if (c.parser.failed()) {
      const int status = c.parser.errorStatus();
      const core::StatusCode code =
          status == 413 || status == 414 || status == 431 ? core::StatusCode::kPayloadTooLarge
          : status == 501 || status == 505                ? core::StatusCode::kMethodNotAllowed
                                                          : core::StatusCode::kInvalidArgument;
      return answer(c, status, core::Status(code, c.parser.errorMessage()), true, {}, nowMs);
    }
    if (before == State::kRequestLine && c.parser.state() != State::kRequestLine) {
      c.deadlineMs = c.headerDeadlineMs;
      c.wait = Connection::Wait::kHeaders;
    }
    if (c.parser.headersComplete() && !c.headersHandled) {
      c.headersHandled = true;
      if (!onHeaders(c, nowMs)) return;
    }
    if (c.parser.complete()) return dispatch(c, nowMs);
    if (c.wait == Connection::Wait::kBody && limits_.minBytesPerSecond > 0) {
      c.deadlineMs += static_cast<int64_t>(used) * 1000 / limits_.minBytesPerSecond;
    }
    if (used == 0) break;
  }
}

bool HttpFront::onHeaders(Connection& c, int64_t nowMs) {
  const HttpRequest& request = c.parser.request();
  const std::string_view target(request.target);
  const std::string_view path = target.substr(0, target.find('?'));
  const std::vector<std::string>* methods = handler_.methodsFor(path);
  // A body we will not read closes the connection after the answer (its end is unknown to us
  // only in the sense that we refuse to wait for it).
  const bool unreadBody = c.parser.expectsBody();
  if (request.method == "OPTIONS" && (methods != nullptr || target == "*")) {
    answer(c, 204, core::Status::ok(), unreadBody, {{"Allow", joinMethods(methods)}}, nowMs);
    return false;
  }
  if (methods != nullptr) {
    const auto has = [methods](const char* m) {
      return std::find(methods->begin(), methods->end(), m) != methods->end();
    };
    if (!has(request.method.c_str()) && !(request.method == "HEAD" && has("GET"))) {
      answer(c, 405,
             core::Status(core::StatusCode::kMethodNotAllowed,
                          request.method.substr(0, 16) + " is not served here"),
             unreadBody, {{"Allow", joinMethods(methods)}}, nowMs);
      return false;
    }
  }
  if (unreadBody) {
    c.wait = Connection::Wait::kBody;
    c.deadlineMs = nowMs + limits_.bodyTimeoutMs;
    if (request.expectContinue) {
      c.after = Connection::After::kContinueReading;
      c.out = "HTTP/1.1 100 Continue\r\n\r\n";
      c.outPos = 0;
      c.phase = Connection::Phase::kWriting;
      writeResponse(c, nowMs);
      return false;
    }
  }
  return true;
}

IncomingRequest HttpFront::describe(const Connection& c) const {
  IncomingRequest request;
  request.secure = c.secure;
  request.peerAddress = c.peerAddress;
  request.peer = c.peer;
  request.localAddress = c.local;
  request.certificate = c.certificate;
  request.tls = c.tls;
  return request;
}

void HttpFront::dispatch(Connection& c, int64_t nowMs) {
  IncomingRequest request = describe(c);
  request.http = c.parser.takeRequest();
  const bool head = request.http.method == "HEAD";
  const int minor = request.http.minorVersion;
  const bool keepAlive =
      request.http.keepAlive && c.requests + 1 < limits_.maxRequestsPerConnection;
  const uint64_t id = c.id;
  auto job = [this, id, head, minor, keepAlive, request = std::move(request)]() mutable {
    OutgoingResponse response = handler_.handle(request);
    if (response.stream != nullptr && !head) {
      std::string bytes = serialize(response, false, minor, false);  // before the stream moves
      complete(id, std::move(bytes), false, std::move(response.stream));
      return;
    }
    response.stream = nullptr;  // a HEAD gets the head alone
    const bool open = keepAlive && !response.close;
    complete(id, serialize(response, head, minor, open), !open);
  };
  if (!pool_->trySubmit(std::move(job))) {
    // Every worker busy and the queue full: say so at once rather than queue without bound.
    c.parser.reset();
    return answer(c, 503, core::unavailable("the gateway is busy; try again in a moment"),
                  !keepAlive, {{"Retry-After", "1"}}, nowMs);
  }
  c.phase = Connection::Phase::kDispatched;
  c.wait = Connection::Wait::kNone;
  c.deadlineMs = 0;
  setInterest(c, 0);
}

void HttpFront::answer(Connection& c, int httpStatus, const core::Status& why, bool close,
                       std::vector<std::pair<std::string, std::string>> headers, int64_t nowMs) {
  OutgoingResponse response = handler_.frontAnswer(httpStatus, why);
  response.status = httpStatus;
  for (auto& header : headers) response.headers.push_back(std::move(header));
  IncomingRequest request = describe(c);
  const HttpRequest& parsed = c.parser.request();
  request.http.method = parsed.method;
  request.http.target = parsed.target;
  // Who sent it (a body over the limit is refused once its header block is read): the request log
  // names them. The headers parsed so far; none when the request line itself was refused.
  request.http.headers = parsed.headers;
  handler_.answeredByFront(request, httpStatus, why);
  const bool keepAlive =
      !close && parsed.keepAlive && c.requests + 1 < limits_.maxRequestsPerConnection;
  startWrite(c, serialize(response, parsed.method == "HEAD", parsed.minorVersion, keepAlive),
             !keepAlive, nowMs);
}

void HttpFront::startWrite(Connection& c, std::string bytes, bool close, int64_t nowMs) {
  c.out = std::move(bytes);
  c.outPos = 0;
  c.after = close      ? Connection::After::kClose
            : c.stream ? Connection::After::kStream
                       : Connection::After::kNextRequest;
  c.phase = Connection::Phase::kWriting;
  c.wait = Connection::Wait::kWrite;
  c.deadlineMs = nowMs + limits_.writeTimeoutMs;
  writeResponse(c, nowMs);
}

void HttpFront::writeResponse(Connection& c, int64_t nowMs) {
  while (c.outPos < c.out.size()) {
    const size_t left = c.out.size() - c.outPos;
    size_t sent = 0;
    if (c.ssl != nullptr) {
      ERR_clear_error();
      const int r = SSL_write(c.ssl, c.out.data() + c.outPos,
                              static_cast<int>(std::min<size_t>(left, 1 << 30)));
      if (r <= 0) {
        const int error = SSL_get_error(c.ssl, r);
        if (error == SSL_ERROR_WANT_WRITE) return setInterest(c, EPOLLOUT);
        if (error == SSL_ERROR_WANT_READ) return setInterest(c, EPOLLIN);
        ERR_clear_error();
        return close(c);
      }
      sent = static_cast<size_t>(r);
    } else {
      const ssize_t r = ::send(c.fd, c.out.data() + c.outPos, left, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return setInterest(c, EPOLLOUT);
      if (r <= 0) return close(c);
      sent = static_cast<size_t>(r);
    }
    c.outPos += sent;
    if (limits_.minBytesPerSecond > 0 && c.wait == Connection::Wait::kWrite) {
      c.deadlineMs += static_cast<int64_t>(sent) * 1000 / limits_.minBytesPerSecond;
    }
  }
  c.out.clear();
  c.outPos = 0;
  if (c.after == Connection::After::kStream) {
    if (stopping_) return close(c);
    c.phase = Connection::Phase::kStreaming;
    c.wait = Connection::Wait::kNone;
    c.deadlineMs = 0;
    setInterest(c, EPOLLIN);
    if (!c.streamStarted) {
      c.streamStarted = true;
      const uint64_t id = c.id;
      c.stream->start([this, id](std::string bytes) { return sendEvent(id, std::move(bytes)); });
    }
    return;
  }
  if (c.after == Connection::After::kContinueReading) {
    c.phase = Connection::Phase::kReading;
    setInterest(c, EPOLLIN);
    return readRequest(c, nowMs);  // the body deadline set with the 100 stays
  }
  if (c.after == Connection::After::kClose || stopping_) return startLinger(c, nowMs);
  ++c.requests;
  c.parser.reset();
  c.headersHandled = false;
  c.phase = Connection::Phase::kReading;
  c.wait = Connection::Wait::kIdle;
  c.deadlineMs = nowMs + limits_.keepAliveTimeoutMs;
  setInterest(c, EPOLLIN);
  readRequest(c, nowMs);  // a pipelined request may be waiting in `in` or in OpenSSL
}

void HttpFront::startLinger(Connection& c, int64_t nowMs) {
  if (c.ssl != nullptr) {
    ERR_clear_error();
    SSL_shutdown(c.ssl);  // close_notify, best effort
    ERR_clear_error();
  }
  ::shutdown(c.fd, SHUT_WR);
  c.phase = Connection::Phase::kLingering;
  c.wait = Connection::Wait::kLinger;
  c.deadlineMs = nowMs + kLingerMs;
  setInterest(c, EPOLLIN);
  linger(c);
}

void HttpFront::linger(Connection& c) {
  // Raw bytes, TLS or not: they are dropped unread.
  char buffer[kReadChunk];
  for (;;) {
    const ssize_t r = ::recv(c.fd, buffer, sizeof buffer, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (r <= 0) return close(c);
    c.lingered += r;
    if (c.lingered > kMaxLingerBytes) return close(c);
  }
}

void HttpFront::takeCompletions(int64_t nowMs) {
  std::vector<Completion> done;
  {
    std::lock_guard lock(completionsMutex_);
    done.swap(completions_);
  }
  for (auto& completion : done) {
    auto it = connections_.find(completion.id);
    if (it == connections_.end()) {
      // Closed meanwhile: a stream that never started is told it ends.
      if (completion.stream != nullptr) completion.stream->stop();
      continue;
    }
    Connection& c = *it->second;
    if (completion.event) {
      takeEvent(c, std::move(completion.bytes), nowMs);
      continue;
    }
    if (c.phase != Connection::Phase::kDispatched) {
      if (completion.stream != nullptr) completion.stream->stop();
      continue;
    }
    c.stream = std::move(completion.stream);
    startWrite(c, std::move(completion.bytes), completion.close, nowMs);
  }
}

// What a stream sent: written at once when the connection waits, queued behind what is being
// written otherwise, and the connection closed when its client has not read kMaxStreamBacklog.
void HttpFront::takeEvent(Connection& c, std::string bytes, int64_t nowMs) {
  if (c.stream == nullptr) return;
  if (c.phase == Connection::Phase::kStreaming) {
    c.out = std::move(bytes);
    c.outPos = 0;
    c.phase = Connection::Phase::kWriting;
    c.wait = Connection::Wait::kWrite;
    c.deadlineMs = nowMs + limits_.writeTimeoutMs;
    return writeResponse(c, nowMs);
  }
  if (c.phase != Connection::Phase::kWriting) return;
  if (c.out.size() - c.outPos + bytes.size() > kMaxStreamBacklog) return close(c);
  c.out += bytes;
}

void HttpFront::sweep(int64_t nowMs) {
  for (auto& listener : listeners_) {
    if (!listener.paused || listener.fd < 0) continue;
    listener.paused = false;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = static_cast<uint64_t>(&listener - listeners_.data()) + 1;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, listener.fd, &event);
  }
  std::vector<uint64_t> late;
  for (const auto& [id, c] : connections_) {
    if (c->deadlineMs > 0 && nowMs >= c->deadlineMs) late.push_back(id);
  }
  for (uint64_t id : late) {
    if (auto it = connections_.find(id); it != connections_.end()) expire(*it->second, nowMs);
  }
}

void HttpFront::expire(Connection& c, int64_t nowMs) {
  using Wait = Connection::Wait;
  const bool answerable =
      c.phase == Connection::Phase::kReading && c.parser.started() &&
      (c.wait == Wait::kRequestLine || c.wait == Wait::kHeaders || c.wait == Wait::kBody);
  if (!answerable) return close(c);  // idle, a handshake, a reader too slow for its answer
  const char* what = c.wait == Wait::kBody      ? "the body"
                     : c.wait == Wait::kHeaders ? "the header block"
                                                : "the request line";
  answer(c, 408,
         core::Status(core::StatusCode::kRequestTimeout,
                      std::string(what) + " did not arrive in time"),
         true, {}, nowMs);
}

}  // namespace brygga::http

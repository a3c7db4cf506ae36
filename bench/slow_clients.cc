// brygga_slow_clients: a proper client's latency while many slow or idle connections are open
// (issue 18). It starts the real `brygga serve` binary (yours, or any other with --brygga, e.g.
// main's for a before/after) on a fresh data directory and
//   1. measures a proper client alone: sequential authenticated reads (GET /fhir/Patient?_count=1)
//      on one kept-alive connection, for --baseline-seconds;
//   2. opens --slow connections spread over --sources loopback addresses (127.0.1.x), a quarter
//      each: idle (connected, silent), half a header (a header line every 2 s, never the end),
//      a slow body (Content-Length 100000, a byte every 2 s), and an idle TLS connection (when
//      the gateway has an HTTPS port: connected, no handshake), or with --half-headers all of them
//      half a header. A connection the gateway closes is opened again at once, so that the count
//      stays up for the whole run;
//   3. measures the proper client again, for --seconds, with all of them open.
// A request without an answer within 10 s counts as failed (the connection is opened again).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "bench/gateway_process.h"

namespace {

using Clock = std::chrono::steady_clock;
using brygga::bench::percentile;
using brygga::bench::secondsSince;

constexpr int kAnswerTimeoutMs = 10000;

int connectTo(int port, const std::string& from, int timeoutMs) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!from.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, from.c_str(), &local.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      ::close(fd);
      return -1;
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// The proper client: one kept-alive connection, one request after the other.
class ProperClient {
 public:
  explicit ProperClient(int port) : port_(port) {}
  ~ProperClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  // Milliseconds for one answer; < 0 when none came within kAnswerTimeoutMs.
  double request() {
    const auto start = Clock::now();
    if (fd_ < 0) fd_ = connectTo(port_, {}, kAnswerTimeoutMs);
    if (fd_ < 0 || !sendAll(fd_, kRequest) || !readAnswer()) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      return -1;
    }
    return secondsSince(start) * 1000;
  }

 private:
  bool readAnswer() {
    std::string in;
    char buffer[16384];
    size_t headerEnd = std::string::npos;
    size_t length = 0;
    for (;;) {
      if (headerEnd == std::string::npos &&
          (headerEnd = in.find("\r\n\r\n")) != std::string::npos) {
        const auto pos = in.find("Content-Length: ");
        length = pos == std::string::npos ? 0 : std::strtoul(in.c_str() + pos + 16, nullptr, 10);
        if (in.compare(9, 3, "200") != 0) return false;
      }
      if (headerEnd != std::string::npos && in.size() >= headerEnd + 4 + length) {
        // The gateway ends a connection after server.maxRequestsPerConnection requests: the next
        // request goes on a new one, as a client library would do.
        if (in.substr(0, headerEnd).find("Connection: close") != std::string::npos) {
          ::close(fd_);
          fd_ = -1;
        }
        return true;
      }
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) return false;
      in.append(buffer, static_cast<size_t>(n));
    }
  }

  static inline const std::string kRequest =
      "GET /fhir/Patient?_count=1 HTTP/1.1\r\nHost: bench\r\n"
      "Authorization: Bearer dev-token-region\r\nAccept: application/fhir+json\r\n\r\n";
  int port_;
  int fd_ = -1;
};

// The slow connections, kept open by one thread.
class SlowCrowd {
 public:
  enum class Kind { kIdle, kHalfHeader, kSlowBody, kIdleTls };

  // halfHeadersOnly: every connection holds half a header (the slowloris of issue 18).
  SlowCrowd(int httpPort, int httpsPort, int count, int sources, bool halfHeadersOnly)
      : httpPort_(httpPort), httpsPort_(httpsPort), sources_(sources) {
    for (int i = 0; i < count; ++i) {
      Slow s;
      s.kind = halfHeadersOnly ? Kind::kHalfHeader : static_cast<Kind>(i % (httpsPort > 0 ? 4 : 3));
      s.source = "127.0.1." + std::to_string(1 + i % sources_);
      slow_.push_back(s);
    }
  }
  ~SlowCrowd() {
    stop();
    for (auto& s : slow_) {
      if (s.fd >= 0) ::close(s.fd);
    }
  }

  void start() {
    for (auto& s : slow_) open(s);
    thread_ = std::thread([this] { run(); });
  }
  void stop() {
    stopping_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int open() const { return openCount_.load(); }
  int64_t reopened() const { return reopened_.load(); }

 private:
  struct Slow {
    Kind kind = Kind::kIdle;
    std::string source;
    int fd = -1;
    Clock::time_point nextTrickle;
  };

  void open(Slow& s) {
    s.fd = connectTo(s.kind == Kind::kIdleTls ? httpsPort_ : httpPort_, s.source, 1000);
    if (s.fd < 0) return;
    s.nextTrickle = Clock::now() + std::chrono::seconds(2);
    if (s.kind == Kind::kHalfHeader) {
      sendAll(s.fd, "GET /fhir/metadata HTTP/1.1\r\nHost: bench\r\n");
    } else if (s.kind == Kind::kSlowBody) {
      sendAll(s.fd,
              "POST /fhir/Patient HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer "
              "dev-token-kungsbacka\r\nContent-Type: application/fhir+json\r\n"
              "Content-Length: 100000\r\n\r\n{");
    }
  }

  void run() {
    std::vector<pollfd> polls;
    while (!stopping_) {
      polls.clear();
      int count = 0;
      for (auto& s : slow_) {
        polls.push_back({s.fd, POLLIN, 0});
        count += s.fd >= 0 ? 1 : 0;
      }
      openCount_ = count;
      ::poll(polls.data(), polls.size(), 200);
      const auto now = Clock::now();
      for (size_t i = 0; i < slow_.size(); ++i) {
        Slow& s = slow_[i];
        bool closed = s.fd < 0;
        if (!closed && (polls[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
          char buffer[4096];
          const ssize_t n = ::recv(s.fd, buffer, sizeof buffer, MSG_DONTWAIT);
          closed = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
        }
        if (!closed && s.kind != Kind::kIdle && s.kind != Kind::kIdleTls && now >= s.nextTrickle) {
          closed = !sendAll(s.fd, s.kind == Kind::kHalfHeader ? "X-Slow: still here\r\n" : " ");
          s.nextTrickle = now + std::chrono::seconds(2);
        }
        if (closed) {
          if (s.fd >= 0) {
            ::close(s.fd);
            ++reopened_;
          }
          open(s);
        }
      }
    }
  }

  const int httpPort_;
  const int httpsPort_;
  const int sources_;
  std::vector<Slow> slow_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> openCount_{0};
  std::atomic<int64_t> reopened_{0};
};

struct Measured {
  std::vector<double> latenciesMs;
  int64_t failed = 0;
};

Measured measure(int port, double seconds) {
  Measured m;
  ProperClient client(port);
  const auto start = Clock::now();
  while (secondsSince(start) < seconds) {
    const double ms = client.request();
    if (ms < 0) {
      ++m.failed;
    } else {
      m.latenciesMs.push_back(ms);
    }
  }
  return m;
}

void report(const char* what, const Measured& m) {
  std::cout << what << ": " << m.latenciesMs.size() << " answered, " << m.failed
            << " without an answer within " << kAnswerTimeoutMs / 1000 << " s\n"
            << "  latency p50/p90/p99/max ms: " << percentile(m.latenciesMs, 50) << " / "
            << percentile(m.latenciesMs, 90) << " / " << percentile(m.latenciesMs, 99) << " / "
            << percentile(m.latenciesMs, 100) << "\n";
}

int usage() {
  std::cerr << "usage: brygga_slow_clients [--brygga PATH] [--slow N] [--sources K]\n"
               "                           [--seconds S] [--baseline-seconds S] [--no-tls]\n"
               "                           [--half-headers]\n";
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  std::string binary = BRYGGA_BIN;
  int slowCount = 1000;
  int sources = 10;
  double seconds = 20;
  double baselineSeconds = 5;
  bool tls = true;
  bool halfHeadersOnly = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--brygga") {
      binary = next();
    } else if (a == "--slow") {
      slowCount = std::atoi(next().c_str());
    } else if (a == "--sources") {
      sources = std::atoi(next().c_str());
    } else if (a == "--seconds") {
      seconds = std::atof(next().c_str());
    } else if (a == "--baseline-seconds") {
      baselineSeconds = std::atof(next().c_str());
    } else if (a == "--no-tls") {
      tls = false;
    } else if (a == "--half-headers") {
      halfHeadersOnly = true;
    } else {
      return usage();
    }
  }
  if (sources < 1 || sources > 250) return usage();
  signal(SIGPIPE, SIG_IGN);

  char pattern[] = "/tmp/brygga-slow-XXXXXX";
  if (mkdtemp(pattern) == nullptr) return 1;
  const std::string dir = pattern;
  const std::string certs = BRYGGA_CERTS_DIR;
  // Only keys every gateway version knows, so that an older binary can be measured the same way.
  std::ofstream(dir + "/config.json")
      << R"({"server":{"httpPort":0,"httpsPort":)" << (tls ? 0 : -1) << R"(},"tls":{)"
      << R"("certificateFile":")" << certs << R"(/server.crt","privateKeyFile":")" << certs
      << R"(/server.key","caFile":")" << certs << R"(/ca.crt"},"dataDir":")" << dir
      << R"(/data","destinations":{"regional":{"baseUrl":"http://127.0.0.1:1/fhir"}}})";
  const brygga::bench::GatewayProcess gateway =
      brygga::bench::startGateway(binary, dir + "/config.json");
  if (gateway.port <= 0) {
    std::cerr << "brygga_slow_clients: the gateway did not start (" << binary << ")\n";
    return 1;
  }
  std::cout << "gateway: " << binary << "\n";

  measure(gateway.port, 1);  // warm-up
  const Measured alone = measure(gateway.port, baselineSeconds);
  report("proper client alone", alone);

  SlowCrowd crowd(gateway.port, tls ? gateway.httpsPort : -1, slowCount, sources, halfHeadersOnly);
  crowd.start();
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let them settle in
  const int openBefore = crowd.open();
  const Measured crowded = measure(gateway.port, seconds);
  const int openAfter = crowd.open();
  report("proper client with the slow connections open", crowded);
  std::cout << "  slow connections open: " << openBefore << " at the start, " << openAfter
            << " at the end (" << crowd.reopened() << " closed by the gateway and reopened)\n"
            << "  gateway threads: " << brygga::bench::threadCount(gateway.pid)
            << ", peak RSS: " << brygga::bench::peakRssKb(gateway.pid) / 1024 << " MiB\n";
  crowd.stop();
  brygga::bench::stopGateway(gateway);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

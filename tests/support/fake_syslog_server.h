#pragma once

#include <atomic>
#include <list>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <openssl/ssl.h>

namespace brygga::testing {

// A syslog-over-TLS receiver (RFC 5425) on 127.0.0.1 standing in for an Audit Record Repository:
// mutual TLS with the dev certificates in `certsDir` (certs/make-dev-certs.sh), octet-counting
// framing; keeps every message in arrival order. Port 0 picks a free port. Thread-safe.
class FakeSyslogServer {
 public:
  explicit FakeSyslogServer(const std::string& certsDir, int port = 0);
  ~FakeSyslogServer();
  FakeSyslogServer(const FakeSyslogServer&) = delete;
  FakeSyslogServer& operator=(const FakeSyslogServer&) = delete;

  // 0 when the listener could not be set up.
  int port() const { return port_; }

  // The repository goes away: the listener and every connection close.
  void stop();

  std::vector<std::string> messages() const;
  size_t messageCount() const;
  int framingErrors() const;
  // Waits until at least n messages arrived or timeoutMs passed; returns the count.
  size_t waitFor(size_t n, int timeoutMs) const;

 private:
  void acceptLoop();
  void serve(int fd);

  SSL_CTX* ctx_ = nullptr;
  int listen_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::list<std::thread> connections_;
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
  int framingErrors_ = 0;
};

}  // namespace brygga::testing

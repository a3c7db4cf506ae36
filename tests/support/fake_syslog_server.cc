#include "tests/support/fake_syslog_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "tests/support/test_support.h"

namespace brygga::testing {

FakeSyslogServer::FakeSyslogServer(const std::string& certsDir, int port) {
  ctx_ = SSL_CTX_new(TLS_server_method());
  SSL_CTX_use_certificate_chain_file(ctx_, (certsDir + "/server.crt").c_str());
  SSL_CTX_use_PrivateKey_file(ctx_, (certsDir + "/server.key").c_str(), SSL_FILETYPE_PEM);
  SSL_CTX_load_verify_locations(ctx_, (certsDir + "/ca.crt").c_str(), nullptr);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  listen_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(listen_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_, 16) != 0) {
    return;  // port() stays 0
  }
  socklen_t len = sizeof addr;
  getsockname(listen_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { acceptLoop(); });
}

FakeSyslogServer::~FakeSyslogServer() {
  stop();
  SSL_CTX_free(ctx_);
}

void FakeSyslogServer::stop() {
  if (stopping_.exchange(true)) return;
  if (acceptor_.joinable()) acceptor_.join();
  ::close(listen_);
  for (std::thread& t : connections_) t.join();
}

std::vector<std::string> FakeSyslogServer::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

size_t FakeSyslogServer::messageCount() const {
  std::lock_guard lock(mutex_);
  return messages_.size();
}

int FakeSyslogServer::framingErrors() const {
  std::lock_guard lock(mutex_);
  return framingErrors_;
}

size_t FakeSyslogServer::waitFor(size_t n, int timeoutMs) const {
  waitUntil([&] { return messageCount() >= n; }, timeoutMs);
  return messageCount();
}

void FakeSyslogServer::acceptLoop() {
  while (!stopping_) {
    pollfd p{listen_, POLLIN, 0};
    if (::poll(&p, 1, 50) != 1) continue;
    const int fd = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    connections_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeSyslogServer::serve(int fd) {
  timeval tv{0, 50000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  SSL* ssl = SSL_new(ctx_);
  SSL_set_fd(ssl, fd);
  int rc = -1;
  for (int i = 0; i < 100 && !stopping_; ++i) {
    rc = SSL_accept(ssl);
    if (rc == 1 || SSL_get_error(ssl, rc) != SSL_ERROR_WANT_READ) break;
  }
  std::string buffer;
  while (rc == 1 && !stopping_) {
    char chunk[16384];
    const int n = SSL_read(ssl, chunk, sizeof chunk);
    if (n <= 0) {
      const int err = SSL_get_error(ssl, n);
      if (err == SSL_ERROR_WANT_READ || (err == SSL_ERROR_SYSCALL && errno == EAGAIN)) continue;
      break;
    }
    buffer.append(chunk, static_cast<size_t>(n));
    // MSG-LEN SP SYSLOG-MSG, as many as are complete.
    for (;;) {
      const size_t space = buffer.find(' ');
      if (space == std::string::npos) break;
      size_t length = 0;
      bool digits = space > 0 && buffer[0] != '0';
      for (size_t i = 0; i < space; ++i) {
        digits = digits && buffer[i] >= '0' && buffer[i] <= '9';
        length = length * 10 + static_cast<size_t>(buffer[i] - '0');
      }
      std::lock_guard lock(mutex_);
      if (!digits) {
        ++framingErrors_;
        buffer.clear();
        break;
      }
      if (buffer.size() < space + 1 + length) break;
      messages_.push_back(buffer.substr(space + 1, length));
      buffer.erase(0, space + 1 + length);
    }
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  ::close(fd);
}

}  // namespace brygga::testing

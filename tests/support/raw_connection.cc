#include "tests/support/raw_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>

namespace brygga::testing {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string getRequest(const std::string& path, const std::string& headers,
                       const std::string& method) {
  return method + " " + path + " HTTP/1.1\r\nHost: test\r\n" + headers + "\r\n";
}

std::unique_ptr<RawConnection> RawConnection::open(int port, const std::string& fromAddress,
                                                   int timeoutMs, const std::string& toAddress) {
  std::unique_ptr<RawConnection> c(new RawConnection());
  c->fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c->fd_ < 0) return nullptr;
  timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
  setsockopt(c->fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c->fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(c->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!fromAddress.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, fromAddress.c_str(), &local.sin_addr);
    if (::bind(c->fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return nullptr;
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, toAddress.c_str(), &addr.sin_addr);
  if (::connect(c->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return nullptr;
  return c;
}

RawConnection::~RawConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::startTls(const TlsClientOptions& options) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (options.lowerSecurityLevel) SSL_CTX_set_security_level(ctx_, 0);
  if (options.minVersion != 0) SSL_CTX_set_min_proto_version(ctx_, options.minVersion);
  if (options.maxVersion != 0) SSL_CTX_set_max_proto_version(ctx_, options.maxVersion);
  if (!options.cipherList.empty()) SSL_CTX_set_cipher_list(ctx_, options.cipherList.c_str());
  if (!options.caFile.empty()) {
    SSL_CTX_load_verify_locations(ctx_, options.caFile.c_str(), nullptr);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  ssl_ = SSL_new(ctx_);
  if (options.certificate) {
    if (SSL_use_certificate(ssl_, options.certificate.get()) != 1 ||
        SSL_use_PrivateKey(ssl_, options.key.get()) != 1) {
      ERR_clear_error();
      return false;
    }
  }
  SSL_set_fd(ssl_, fd_);
  SSL_set_tlsext_host_name(ssl_, "localhost");
  const bool ok = SSL_connect(ssl_) == 1;
  ERR_clear_error();
  return ok;
}

std::string RawConnection::tlsVersion() const {
  return ssl_ != nullptr ? SSL_get_version(ssl_) : "";
}

std::string RawConnection::tlsCipher() const {
  return ssl_ != nullptr ? SSL_get_cipher_name(ssl_) : "";
}

bool RawConnection::send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    int n = 0;
    if (ssl_ != nullptr) {
      n = SSL_write(ssl_, bytes.data() + sent, static_cast<int>(bytes.size() - sent));
      ERR_clear_error();
    } else {
      n = static_cast<int>(::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL));
    }
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

int RawConnection::readSome(char* buffer, int size) {
  if (ssl_ != nullptr) {
    const int n = SSL_read(ssl_, buffer, size);
    ERR_clear_error();
    return n;
  }
  return static_cast<int>(::recv(fd_, buffer, static_cast<size_t>(size), 0));
}

HttpAnswer RawConnection::readResponse(bool head) {
  HttpAnswer answer;
  char buffer[16384];
  size_t headerEnd = std::string::npos;
  while ((headerEnd = buffered_.find("\r\n\r\n")) == std::string::npos) {
    const int n = readSome(buffer, sizeof buffer);
    if (n <= 0) return answer;
    buffered_.append(buffer, static_cast<size_t>(n));
  }
  const std::string head_ = buffered_.substr(0, headerEnd);
  buffered_.erase(0, headerEnd + 4);
  size_t lineEnd = head_.find("\r\n");
  const std::string statusLine = head_.substr(0, lineEnd);
  if (statusLine.size() < 12) return answer;
  const int status = std::stoi(statusLine.substr(9, 3));
  if (statusLine.size() > 13) answer.reason = statusLine.substr(13);
  size_t pos = lineEnd == std::string::npos ? head_.size() : lineEnd + 2;
  while (pos < head_.size()) {
    size_t end = head_.find("\r\n", pos);
    if (end == std::string::npos) end = head_.size();
    const std::string line = head_.substr(pos, end - pos);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      answer.headers[lower(line.substr(0, colon))] = line.substr(v);
    }
    pos = end + 2;
  }
  size_t length = 0;
  if (auto it = answer.headers.find("content-length"); it != answer.headers.end()) {
    length = std::stoul(it->second);
  }
  if (head || status == 204 || status < 200) length = 0;
  while (buffered_.size() < length) {
    const int n = readSome(buffer, sizeof buffer);
    if (n <= 0) return answer;
    buffered_.append(buffer, static_cast<size_t>(n));
  }
  answer.body = buffered_.substr(0, length);
  buffered_.erase(0, length);
  answer.status = status;
  return answer;
}

std::string RawConnection::readUntil(const std::string& marker) {
  char buffer[16384];
  size_t end = std::string::npos;
  while ((end = buffered_.find(marker)) == std::string::npos) {
    const int n = readSome(buffer, sizeof buffer);
    if (n <= 0) return {};
    buffered_.append(buffer, static_cast<size_t>(n));
  }
  std::string text = buffered_.substr(0, end + marker.size());
  buffered_.erase(0, end + marker.size());
  return text;
}

bool RawConnection::finishSending() {
  return ::shutdown(fd_, SHUT_WR) == 0;
}

bool RawConnection::closedWithin(int timeoutMs) {
  timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buffer[4096];
  for (;;) {
    const int n = ::recv(fd_, buffer, sizeof buffer, 0);  // raw: TLS records are dropped too
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET || errno == EPIPE;
  }
}

}  // namespace brygga::testing

#include "gateway/audit/syslog_sink.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include <rapidjson/document.h>

#include "gateway/core/civil_time.h"

namespace brygga::audit {

namespace {

constexpr int kFacilityAuthorization = 10;  // RFC 5424: security/authorization messages
constexpr const char* kBom = "\xEF\xBB\xBF";

// PRINTUSASCII without spaces, at most `max` characters; "-" when nothing is left.
std::string header(std::string_view text, size_t max) {
  std::string out;
  for (char c : text) {
    if (out.size() == max) break;
    if (c > 32 && c < 127) out += c;
  }
  return out.empty() ? "-" : out;
}

std::string openSslError(const std::string& what) {
  std::string text = what;
  unsigned long e = 0;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    text += std::string(": ") + buf;
  }
  return text;
}

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

bool isIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Writing to a connection the peer closed raises SIGPIPE, which would end the gateway; OpenSSL
// writes with write(2), so the signal is blocked around the write and a pending one is consumed.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    alreadyPending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (!alreadyPending_) {
      sigset_t pending;
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
        }
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool alreadyPending_ = false;
};

}  // namespace

std::string formatSyslogMessage(const store::AuditRecord& record, const SyslogFields& fields) {
  int severity = 5;
  std::string msgId = "AuditEvent";
  rapidjson::Document doc;
  doc.Parse(record.json.data(), record.json.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    if (doc.HasMember("outcome") && doc["outcome"].IsString()) {
      const std::string outcome = doc["outcome"].GetString();
      severity = outcome == "0" ? 5 : outcome == "4" ? 4 : 3;
    }
    if (doc.HasMember("subtype") && doc["subtype"].IsArray() && !doc["subtype"].Empty()) {
      const auto& coding = doc["subtype"][0];
      if (coding.IsObject() && coding.HasMember("code") && coding["code"].IsString()) {
        msgId = header(coding["code"].GetString(), 32);
      }
    }
  }
  std::string out = "<" + std::to_string(kFacilityAuthorization * 8 + severity) + ">1 ";
  out += core::formatInstant(record.recordedMs);
  out += ' ';
  out += header(fields.hostname, 255);
  out += " brygga ";
  out += fields.procId > 0 ? std::to_string(fields.procId) : "-";
  out += ' ';
  out += msgId;
  out += " [meta sequenceId=\"" + std::to_string(record.seq) + "\"] ";
  out += kBom;
  out += record.json;
  return out;
}

std::string frameSyslogMessage(const std::string& message) {
  return std::to_string(message.size()) + " " + message;
}

struct SyslogTlsSink::Impl {
  SyslogForwardConfig config;
  SyslogFields fields;
  std::unique_ptr<SSL_CTX, SslCtxFree> ctx;
  std::unique_ptr<SSL, SslFree> ssl;
  int fd = -1;

  ~Impl() { close(); }

  void close() {
    if (ssl) {
      SigpipeGuard guard;
      SSL_shutdown(ssl.get());  // best effort close_notify; the ARR may be gone
    }
    ssl.reset();
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  core::Status connectTcp() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(config.port);
    if (int rc = getaddrinfo(config.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
      return core::unavailable("syslog: cannot resolve " + config.host + ": " + gai_strerror(rc));
    }
    std::string error = "no address";
    for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
      int s = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (s < 0) continue;
      const int flags = fcntl(s, F_GETFL, 0);
      fcntl(s, F_SETFL, flags | O_NONBLOCK);
      int rc = ::connect(s, a->ai_addr, a->ai_addrlen);
      if (rc != 0 && errno == EINPROGRESS) {
        pollfd p{s, POLLOUT, 0};
        rc = ::poll(&p, 1, static_cast<int>(config.connectTimeoutMs));
        if (rc == 1) {
          int soError = 0;
          socklen_t len = sizeof soError;
          getsockopt(s, SOL_SOCKET, SO_ERROR, &soError, &len);
          rc = soError == 0 ? 0 : -1;
          errno = soError;
        } else {
          if (rc == 0) errno = ETIMEDOUT;
          rc = -1;
        }
      }
      if (rc != 0) {
        error = std::strerror(errno);
        ::close(s);
        continue;
      }
      fcntl(s, F_SETFL, flags & ~O_NONBLOCK);
      timeval tv{};
      tv.tv_sec = config.timeoutMs / 1000;
      tv.tv_usec = static_cast<suseconds_t>((config.timeoutMs % 1000) * 1000);
      setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      int one = 1;
      setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fd = s;
      break;
    }
    freeaddrinfo(found);
    if (fd < 0) {
      return core::unavailable("syslog: cannot connect to " + config.host + ":" + port + ": " +
                               error);
    }
    return core::Status::ok();
  }

  core::Status connect() {
    BRYGGA_RETURN_IF_ERROR(connectTcp());
    ssl.reset(SSL_new(ctx.get()));
    if (!ssl) return core::internalError(openSslError("syslog: SSL_new"));
    const std::string name = config.serverName.empty() ? config.host : config.serverName;
    if (isIpAddress(name)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl.get()), name.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl.get(), name.c_str());
      SSL_set1_host(ssl.get(), name.c_str());
    }
    SSL_set_fd(ssl.get(), fd);
    ERR_clear_error();
    SigpipeGuard guard;
    if (SSL_connect(ssl.get()) != 1) {
      const long verify = SSL_get_verify_result(ssl.get());
      std::string what = "syslog: TLS handshake with " + config.host + " failed";
      if (verify != X509_V_OK) {
        what += std::string(" (certificate: ") + X509_verify_cert_error_string(verify) + ")";
      }
      const core::Status failed = core::unavailable(openSslError(what));
      close();
      return failed;
    }
    return core::Status::ok();
  }

  // False when the ARR closed the connection (EOF, close_notify, reset). A syslog receiver sends
  // no data, but a TLS 1.3 server sends session tickets after the handshake: whatever arrived is
  // read here without blocking, so that it is not mistaken for a close, and so that no unread
  // data makes our own close a reset (which would throw away what the ARR had not read yet).
  bool stillOpen() {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) return true;
    if ((p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) return false;
    const int flags = fcntl(fd, F_GETFL, 0);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    bool open = true;
    for (;;) {
      char buf[4096];
      ERR_clear_error();
      const int n = SSL_read(ssl.get(), buf, sizeof buf);
      if (n > 0) continue;  // not expected from a syslog receiver; ignored
      open = SSL_get_error(ssl.get(), n) == SSL_ERROR_WANT_READ;
      break;
    }
    ERR_clear_error();
    fcntl(fd, F_SETFL, flags);
    return open;
  }

  core::Status write(const std::string& bytes) {
    ERR_clear_error();
    SigpipeGuard guard;
    size_t done = 0;
    while (done < bytes.size()) {
      const int chunk = static_cast<int>(std::min<size_t>(bytes.size() - done, 1 << 30));
      const int n = SSL_write(ssl.get(), bytes.data() + done, chunk);
      if (n <= 0) {
        const int err = SSL_get_error(ssl.get(), n);
        std::string what = "syslog: writing to " + config.host + " failed";
        if (err == SSL_ERROR_SYSCALL && errno != 0)
          what += std::string(": ") + std::strerror(errno);
        return core::unavailable(openSslError(what));
      }
      done += static_cast<size_t>(n);
    }
    return core::Status::ok();
  }
};

SyslogTlsSink::SyslogTlsSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SyslogTlsSink::~SyslogTlsSink() = default;

core::StatusOr<std::unique_ptr<SyslogTlsSink>> SyslogTlsSink::create(
    const SyslogForwardConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  if (config.hostname.empty()) {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) == 0) impl->fields.hostname = host;
  } else {
    impl->fields.hostname = config.hostname;
  }
  impl->fields.procId = static_cast<int>(::getpid());
  impl->ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (!impl->ctx) return core::internalError(openSslError("syslog: SSL_CTX_new"));
  SSL_CTX* ctx = impl->ctx.get();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx, config.caFile.c_str(), nullptr) != 1) {
    return core::invalidArgument(
        openSslError("audit.forward.syslog.caFile " + config.caFile + " cannot be loaded"));
  }
  if (!config.clientCertificateFile.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx, config.clientCertificateFile.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, config.clientKeyFile.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
      return core::invalidArgument(openSslError(
          "audit.forward.syslog.clientCertificateFile/clientKeyFile cannot be loaded"));
    }
  }
  return std::unique_ptr<SyslogTlsSink>(new SyslogTlsSink(std::move(impl)));
}

AuditSink::Result SyslogTlsSink::send(const std::vector<store::AuditRecord>& records) {
  Result result;
  if (impl_->ssl && !impl_->stillOpen()) impl_->close();
  if (!impl_->ssl) {
    result.status = impl_->connect();
    if (!result.status.isOk()) return result;
  }
  std::string bytes;
  for (const store::AuditRecord& record : records) {
    bytes += frameSyslogMessage(formatSyslogMessage(record, impl_->fields));
  }
  result.status = impl_->write(bytes);
  if (result.status.isOk() && !impl_->stillOpen()) {
    // Closed while we wrote: how much the ARR read is unknown, so all of it goes again.
    result.status = core::unavailable("syslog: " + impl_->config.host +
                                      " closed the connection during the batch");
  }
  if (!result.status.isOk()) {
    impl_->close();
    return result;
  }
  result.accepted = records.size();
  return result;
}

void SyslogTlsSink::disconnect() {
  impl_->close();
}

}  // namespace brygga::audit

#include "gateway/app/service_notifier.h"

#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace brygga::app {

namespace {

// A STATUS= value is one line: a newline would start another assignment.
std::string oneLine(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

class NoServiceManager final : public ServiceNotifier {
 public:
  core::Status ready(const std::string&) override { return core::Status::ok(); }
  core::Status reloading(const std::string&) override { return core::Status::ok(); }
  core::Status stopping(const std::string&) override { return core::Status::ok(); }
  core::Status status(const std::string&) override { return core::Status::ok(); }
};

class DatagramNotifier final : public ServiceNotifier {
 public:
  DatagramNotifier(int fd, const sockaddr_un& address, socklen_t length)
      : fd_(fd), address_(address), length_(length) {}
  ~DatagramNotifier() override { ::close(fd_); }
  DatagramNotifier(const DatagramNotifier&) = delete;
  DatagramNotifier& operator=(const DatagramNotifier&) = delete;

  core::Status ready(const std::string& status) override {
    return send("READY=1\nSTATUS=" + oneLine(status));
  }
  core::Status reloading(const std::string& status) override {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    const long long usec = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
    return send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) +
                "\nSTATUS=" + oneLine(status));
  }
  core::Status stopping(const std::string& status) override {
    return send("STOPPING=1\nSTATUS=" + oneLine(status));
  }
  core::Status status(const std::string& status) override {
    return send("STATUS=" + oneLine(status));
  }

 private:
  // One datagram per message: the service manager reads each as a whole. sendto on one socket
  // from several threads is safe; a datagram is never interleaved with another.
  core::Status send(const std::string& message) {
    ssize_t sent;
    do {
      sent = ::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL,
                      reinterpret_cast<const sockaddr*>(&address_), length_);
    } while (sent < 0 && errno == EINTR);
    if (sent < 0) {
      return core::unavailable(std::string("NOTIFY_SOCKET: send failed: ") + std::strerror(errno));
    }
    return core::Status::ok();
  }

  int fd_;
  sockaddr_un address_;
  socklen_t length_;
};

}  // namespace

core::StatusOr<std::unique_ptr<ServiceNotifier>> makeServiceNotifier(
    const std::string& socketAddress) {
  if (socketAddress.empty()) return std::unique_ptr<ServiceNotifier>(new NoServiceManager());
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // An abstract address has no terminating NUL: its length is what counts. A path's NUL is not
  // needed either, so both are passed by length.
  if (socketAddress[0] != '/' && socketAddress[0] != '@') {
    return core::invalidArgument("NOTIFY_SOCKET must be an absolute path or an '@' address");
  }
  if (socketAddress.size() > sizeof(address.sun_path)) {
    return core::invalidArgument("NOTIFY_SOCKET is longer than a unix socket address may be");
  }
  std::memcpy(address.sun_path, socketAddress.data(), socketAddress.size());
  if (socketAddress[0] == '@') address.sun_path[0] = '\0';
  const auto length =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socketAddress.size());
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return core::unavailable(std::string("NOTIFY_SOCKET: no socket: ") + std::strerror(errno));
  }
  return std::unique_ptr<ServiceNotifier>(new DatagramNotifier(fd, address, length));
}

core::StatusOr<std::unique_ptr<ServiceNotifier>> serviceNotifierFromEnvironment() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  return makeServiceNotifier(socket == nullptr ? std::string() : std::string(socket));
}

}  // namespace brygga::app

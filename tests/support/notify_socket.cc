#include "tests/support/notify_socket.h"

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

namespace brygga::testing {

NotifySocket::NotifySocket(const std::string& address) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (address.empty() || address.size() > sizeof(a.sun_path)) return;
  std::memcpy(a.sun_path, address.data(), address.size());
  if (address[0] == '@') a.sun_path[0] = '\0';
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
  if (fd_ >= 0 && ::bind(fd_, reinterpret_cast<const sockaddr*>(&a), length) == 0) {
    address_ = address;
  }
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) ::close(fd_);
  if (!address_.empty() && address_[0] == '/') ::unlink(address_.c_str());
}

std::optional<std::string> NotifySocket::receive(int timeoutMs) {
  if (fd_ < 0) return std::nullopt;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeoutMs) != 1) return std::nullopt;
  char buffer[4096];
  const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n < 0) return std::nullopt;
  return std::string(buffer, static_cast<size_t>(n));
}

std::optional<std::string> notifyField(const std::string& message, const std::string& name) {
  std::istringstream lines(message);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind(name + "=", 0) == 0) return line.substr(name.size() + 1);
  }
  return std::nullopt;
}

}  // namespace brygga::testing

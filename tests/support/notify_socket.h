#pragma once

#include <optional>
#include <string>

// The service manager's end of the sd_notify protocol, for tests: a unix datagram socket bound to
// a path or an abstract address ('@name'), as systemd passes it in NOTIFY_SOCKET.
namespace brygga::testing {

class NotifySocket {
 public:
  // Binds `address` (an absolute path, or '@name'); address() is empty when that failed.
  explicit NotifySocket(const std::string& address);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  // What to put in NOTIFY_SOCKET.
  const std::string& address() const { return address_; }
  // The next datagram, waiting at most timeoutMs for it; nullopt when none came.
  std::optional<std::string> receive(int timeoutMs);

 private:
  int fd_ = -1;
  std::string address_;
};

// The value of `name` in a notification ("READY=1\nSTATUS=serving"): "1" for READY; nullopt
// when the message does not assign it.
std::optional<std::string> notifyField(const std::string& message, const std::string& name);

}  // namespace brygga::testing

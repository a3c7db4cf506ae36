#pragma once

#include <memory>
#include <string>

#include "gateway/core/status.h"

// Tells the service manager where a serving gateway is in its life, so that systemd's
// Type=notify unit (packaging/brygga.service) counts it started only once it takes requests,
// shows a reload while the mapping files are read again, and shows the status line in
// `systemctl status`. The protocol is sd_notify(3)'s: newline-separated VAR=value assignments in
// one datagram to the unix socket named by $NOTIFY_SOCKET (a path, or '@' for an abstract
// address); see ARCHITECTURE.md, Packaging, for why it is written here and not linked.
namespace brygga::app {

class ServiceNotifier {
 public:
  virtual ~ServiceNotifier() = default;

  // READY=1: the store is open and every configured listener accepts connections (after a start,
  // and again after a reload). `status` is the one-line STATUS= shown by `systemctl status`.
  virtual core::Status ready(const std::string& status) = 0;
  // RELOADING=1 with MONOTONIC_USEC (the time of the reload, which systemd 253 and later ask for;
  // older ones ignore it); ready() follows when the reload is done, whatever its outcome.
  virtual core::Status reloading(const std::string& status) = 0;
  // STOPPING=1: the gateway is shutting down.
  virtual core::Status stopping(const std::string& status) = 0;
  // STATUS= alone.
  virtual core::Status status(const std::string& status) = 0;
};

// A notifier sending to `socketAddress` (an absolute path, or '@name' for an abstract address);
// with an empty address one that does nothing (no service manager is listening). Errors when the
// address is neither (kInvalidArgument) or no socket can be made (kUnavailable). Each call sends
// one datagram; a failed send is kUnavailable. Thread-safe.
core::StatusOr<std::unique_ptr<ServiceNotifier>> makeServiceNotifier(
    const std::string& socketAddress);

// makeServiceNotifier of $NOTIFY_SOCKET (unset: the one that does nothing).
core::StatusOr<std::unique_ptr<ServiceNotifier>> serviceNotifierFromEnvironment();

}  // namespace brygga::app

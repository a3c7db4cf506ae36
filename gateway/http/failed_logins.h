#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace brygga::http {

// Refused logins from one source address within one window, for one AuditEvent.
struct FailedLogins {
  std::string source;         // the client's address (without port); "other" past maxSources
  std::string serverAddress;  // the listener that refused them
  int64_t count = 0;
  int64_t firstMs = 0;  // wall clock
  int64_t lastMs = 0;
  // What was presented, distinct, at most kMaxCredentials: "none", "bearer token sha256:1a2b3c4d",
  // "certificate subject CN=x (certificate has expired)".
  std::vector<std::string> credentials;
  // Refused in the TLS handshake (no request existed) rather than on a request.
  bool handshake = false;

  static constexpr size_t kMaxCredentials = 8;
};

// Counts refused logins per source address and window instead of writing a record for each
// (1,000 anonymous requests must not mean 1,000 fsync'ed audit records). A source's window
// opens with its first refusal and closes `windowMs` later; takeDue() hands over the closed
// ones, one summary per source and window, and takeAll() everything (at shutdown). At most
// `maxSources` sources are told apart per window; refusals from further addresses are counted
// under "other". Thread-safe.
class FailedLoginCounter {
 public:
  explicit FailedLoginCounter(int64_t windowMs, size_t maxSources = 10000);

  // True when this refusal opened a new window for its source (the first one worth a log line).
  bool add(const std::string& source, const std::string& serverAddress,
           const std::string& credential, bool handshake, int64_t nowMs);
  std::vector<FailedLogins> takeDue(int64_t nowMs);
  std::vector<FailedLogins> takeAll();
  int64_t windowMs() const { return windowMs_; }

 private:
  const int64_t windowMs_;
  const size_t maxSources_;
  std::mutex mutex_;
  std::map<std::string, FailedLogins> open_;  // by source
};

}  // namespace brygga::http

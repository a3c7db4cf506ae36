#pragma once

#include <functional>
#include <map>
#include <string>

#include "tests/support/simulated_time_system.h"
#include "tests/support/test_peer.h"

namespace brygga::testing {

// A fresh directory under the build tree, removed when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Waits until `condition` holds, checking it every few milliseconds; false when it still does
// not after timeoutMs. For what nothing notifies about: a row in the database, another process's
// output. What a peer received and what background threads on simulated time did have exact
// waits: TestPeer::waitFor, SimulatedTimeSystem::waitUntilIdle and advanceTimeWait.
bool waitUntil(const std::function<bool()>& condition, int timeoutMs = 10000);

// A port on 127.0.0.1 nothing listens on right now (for a peer that is down from the start).
int freePort();

// An HTTP or HTTPS call against a local server, for tests.
struct HttpAnswer {
  int status = 0;
  std::string reason;  // the status line's reason phrase ("Created")
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
};
// For an https:// URL: the CA the server's certificate must chain to, and the client certificate
// and key to present (PEM files; empty: none).
struct TlsClient {
  std::string caFile;
  std::string certificateFile;
  std::string privateKeyFile;
};
HttpAnswer httpCall(const std::string& method, const std::string& url, const std::string& body = {},
                    const std::map<std::string, std::string>& headers = {},
                    const TlsClient& tls = {});

// Reads a file under tests/testdata.
std::string readTestData(const std::string& relativePath);

}  // namespace brygga::testing

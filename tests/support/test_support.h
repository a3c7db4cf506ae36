#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Poco::Net {
class HTTPServer;
}

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

// A real HTTP peer on 127.0.0.1, port 0, standing in for an outside system (the regional EHR).
// It records every request and answers with the handler's response (default: 200 with a
// transaction-response Bundle). Thread-safe.
class FakePeer {
 public:
  struct Request {
    std::string method;
    std::string uri;
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;
  };
  struct Response {
    int status = 200;
    std::string body;
    std::map<std::string, std::string> headers;
  };
  using Handler = std::function<Response(const Request&)>;

  FakePeer();
  ~FakePeer();
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;

  int port() const { return port_; }
  std::string baseUrl() const;  // http://127.0.0.1:PORT/fhir
  void setHandler(Handler handler);
  std::vector<Request> requests() const;
  size_t requestCount() const;
  // Waits until at least n requests arrived or timeoutMs passed; returns the count.
  size_t waitForRequests(size_t n, int timeoutMs) const;

  Response handle(const Request& request);

 private:
  mutable std::mutex mutex_;
  Handler handler_;
  std::vector<Request> requests_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  int port_ = 0;
};

// An HTTP or HTTPS call against a local server, for tests.
struct HttpAnswer {
  int status = 0;
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

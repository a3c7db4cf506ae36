#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace brygga::adapters {

// An outside system reached over HTTP: where it is and how a client connects to it. The
// transport part of every peer's configuration (destinations.<name>, audit.forward.fhir,
// audit.witness, the alert webhook).
struct HttpPeer {
  std::string baseUrl;  // requests name their full URL; this is what they are built from
  int64_t connectTimeoutMs = 2000;
  int64_t timeoutMs = 10000;
  std::string clientCertificateFile;  // PEM, for mutual TLS towards the peer (optional)
  std::string clientKeyFile;
  std::string caFile;  // CA bundle to verify the peer; empty: the system store
};

struct HttpRequestSpec {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResult {
  int status = 0;     // 0: no HTTP answer (connect failure, timeout, TLS failure)
  std::string error;  // transport error text when status == 0
  std::string body;
  std::map<std::string, std::string> headers;  // lower-cased names
};

// An HTTP client towards one outside system. Not thread-safe: each delivery worker owns one,
// which keeps its connections alive between requests.
class HttpClient {
 public:
  virtual ~HttpClient() = default;
  virtual HttpResult send(const HttpRequestSpec& request) = 0;
};

// libcurl implementation: connection reuse, HTTP/2 when the peer offers it (ALPN), connect and
// total timeouts, optional client certificate, peer verification against caFile or the system
// store.
std::unique_ptr<HttpClient> makeCurlHttpClient(const HttpPeer& peer);

}  // namespace brygga::adapters

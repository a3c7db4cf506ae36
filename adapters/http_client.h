#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/core/config.h"

namespace brygga::adapters {

struct HttpRequestSpec {
  std::string method = "POST";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResult {
  int status = 0;           // 0: no HTTP answer (connect failure, timeout, TLS failure)
  std::string error;        // transport error text when status == 0
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
std::unique_ptr<HttpClient> makeCurlHttpClient(const core::DestinationConfig& destination);

}  // namespace brygga::adapters

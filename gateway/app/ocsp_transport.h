#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "adapters/http_client.h"
#include "gateway/http/ocsp_checker.h"

namespace brygga::app {

// OCSP requests over HTTP POST (RFC 6960 appendix A) with the adapters' libcurl client, so that
// gateway/http asks responders without an HTTP client of its own. One client behind a mutex:
// answers are cached by the checker, so requests are rare. Thread-safe.
class CurlOcspTransport final : public http::OcspTransport {
 public:
  explicit CurlOcspTransport(int64_t timeoutMs);
  core::StatusOr<std::string> post(const std::string& url, const std::string& request) override;

 private:
  std::mutex mutex_;
  std::unique_ptr<adapters::HttpClient> client_;
};

}  // namespace brygga::app

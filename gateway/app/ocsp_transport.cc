#include "gateway/app/ocsp_transport.h"

namespace brygga::app {

CurlOcspTransport::CurlOcspTransport(int64_t timeoutMs) {
  adapters::HttpPeer responder;
  responder.connectTimeoutMs = timeoutMs;
  responder.timeoutMs = timeoutMs;
  client_ = adapters::makeCurlHttpClient(responder);
}

core::StatusOr<std::string> CurlOcspTransport::post(const std::string& url,
                                                    const std::string& request) {
  adapters::HttpRequestSpec spec;
  spec.method = "POST";
  spec.url = url;
  spec.headers = {{"Content-Type", "application/ocsp-request"},
                  {"Accept", "application/ocsp-response"}};
  spec.body = request;
  std::lock_guard lock(mutex_);
  adapters::HttpResult result = client_->send(spec);
  if (result.status == 0) return core::unavailable(result.error);
  if (result.status != 200) {
    return core::unavailable("the responder answered HTTP " + std::to_string(result.status));
  }
  return std::move(result.body);
}

}  // namespace brygga::app

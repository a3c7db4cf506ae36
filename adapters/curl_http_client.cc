#include "adapters/http_client.h"
#include "gateway/core/text.h"

#include <cstring>
#include <mutex>
#include <string_view>
#include <utility>

#include <curl/curl.h>

namespace brygga::adapters {

namespace {

// A peer that streams without end must not exhaust memory; FHIR answers to a transaction are far
// smaller than this.
constexpr size_t kMaxResponseBytes = 64 * 1024 * 1024;

std::once_flag gCurlInitOnce;
CURLcode gCurlInitResult = CURLE_OK;

void initCurlOnce() {
  std::call_once(gCurlInitOnce, [] { gCurlInitResult = curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && core::isAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && core::isAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

struct Capture {
  HttpResult* result;
  bool tooLarge = false;
};

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* capture = static_cast<Capture*>(user);
  const size_t n = size * count;
  if (capture->result->body.size() + n > kMaxResponseBytes) {
    capture->tooLarge = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  capture->result->body.append(data, n);
  return n;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* capture = static_cast<Capture*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  // A new status line starts a new response (after 100 Continue, or a new HTTP/2 stream): only
  // the final response's headers are kept.
  if (line.rfind("HTTP/", 0) == 0) {
    capture->result->headers.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  const std::string name = core::lowerAscii(trim(line.substr(0, colon)));
  if (name.empty()) return n;
  const std::string_view value = trim(line.substr(colon + 1));
  auto [it, inserted] = capture->result->headers.try_emplace(name, value);
  if (!inserted) {
    it->second += ", ";
    it->second += value;
  }
  return n;
}

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(HttpPeer peer) : peer_(std::move(peer)) {
    initCurlOnce();
    if (gCurlInitResult == CURLE_OK) handle_ = curl_easy_init();
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    http2_ = info != nullptr && (info->features & CURL_VERSION_HTTP2) != 0;
  }

  ~CurlHttpClient() override {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
  }

  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  HttpResult send(const HttpRequestSpec& request) override {
    HttpResult result;
    if (handle_ == nullptr) {
      result.error = "libcurl could not be initialised";
      return result;
    }
    // Reset clears the options of the previous request but keeps the connection cache, so a
    // keep-alive connection (and its TLS session) is reused.
    curl_easy_reset(handle_);
    Capture capture{&result};
    errbuf_[0] = '\0';

    curl_slist* headers = nullptr;
    for (const auto& [name, value] : request.headers) {
      headers = curl_slist_append(headers, (name + ": " + value).c_str());
    }
    // curl would otherwise send "Expect: 100-continue" for large bodies and wait for it.
    headers = curl_slist_append(headers, "Expect:");

    CURLcode rc = configure(request, headers, capture);
    if (rc == CURLE_OK) rc = curl_easy_perform(handle_);
    curl_slist_free_all(headers);

    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status <= 0) {
      result.status = 0;
      result.error = rc == CURLE_OK ? "no HTTP status in the answer" : curl_easy_strerror(rc);
      if (capture.tooLarge) {
        result.error += ": response larger than " + std::to_string(kMaxResponseBytes) + " bytes";
      } else if (errbuf_[0] != '\0') {
        result.error += ": ";
        result.error += errbuf_;
      }
      result.body.clear();
      result.headers.clear();
      return result;
    }
    result.status = static_cast<int>(status);
    return result;
  }

 private:
  CURLcode configure(const HttpRequestSpec& request, curl_slist* headers, Capture& capture) {
    CURL* h = handle_;
    CURLcode rc = CURLE_OK;
    auto set = [&rc](CURLcode r) {
      if (rc == CURLE_OK) rc = r;
    };
    set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf_));
    set(curl_easy_setopt(h, CURLOPT_URL, request.url.c_str()));
#if LIBCURL_VERSION_NUM >= 0x075500
    set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
#else
    set(curl_easy_setopt(h, CURLOPT_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS}));
#endif
    set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
    set(curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L));
    if (http2_) set(curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS));
    set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(peer_.connectTimeoutMs)));
    set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(peer_.timeoutMs)));
    set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L));
    set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L));
    if (!peer_.caFile.empty()) {
      set(curl_easy_setopt(h, CURLOPT_CAINFO, peer_.caFile.c_str()));
    }
    if (!peer_.clientCertificateFile.empty()) {
      set(curl_easy_setopt(h, CURLOPT_SSLCERT, peer_.clientCertificateFile.c_str()));
      set(curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM"));
    }
    if (!peer_.clientKeyFile.empty()) {
      set(curl_easy_setopt(h, CURLOPT_SSLKEY, peer_.clientKeyFile.c_str()));
      set(curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM"));
    }
    set(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers));
    set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody));
    set(curl_easy_setopt(h, CURLOPT_WRITEDATA, &capture));
    set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader));
    set(curl_easy_setopt(h, CURLOPT_HEADERDATA, &capture));

    const std::string& method = request.method;
    if (method == "GET") {
      set(curl_easy_setopt(h, CURLOPT_HTTPGET, 1L));
    } else if (method == "HEAD") {
      set(curl_easy_setopt(h, CURLOPT_NOBODY, 1L));
    } else if (method == "DELETE" && request.body.empty()) {
      set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE"));
    } else {
      // POST, PUT, PATCH...: the body goes out as is, with the caller's Content-Type. The body
      // must outlive perform(), which it does: `request` is the caller's.
      set(curl_easy_setopt(h, CURLOPT_POST, 1L));
      set(curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data()));
      set(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(request.body.size())));
      if (method != "POST") set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str()));
    }
    return rc;
  }

  const HttpPeer peer_;
  CURL* handle_ = nullptr;
  bool http2_ = false;
  // Lives as long as the handle, which keeps a pointer to it.
  char errbuf_[CURL_ERROR_SIZE] = {};
};

}  // namespace

std::unique_ptr<HttpClient> makeCurlHttpClient(const HttpPeer& peer) {
  return std::make_unique<CurlHttpClient>(peer);
}

}  // namespace brygga::adapters

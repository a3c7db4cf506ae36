#include "adapters/http_client.h"
#include "gateway/core/text.h"

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
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

// One request with everything libcurl points at while it runs: the request (its body), the
// header list, the error buffer, and the answer being collected.
struct Transfer {
  HttpRequestSpec request;
  AsyncHttpClient::Completion done;
  HttpResult result;
  bool tooLarge = false;
  curl_slist* headers = nullptr;
  char errbuf[CURL_ERROR_SIZE] = {};

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer() { curl_slist_free_all(headers); }
};

size_t onBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->result.body.size() + n > kMaxResponseBytes) {
    t->tooLarge = true;
    return 0;  // makes curl stop with CURLE_WRITE_ERROR
  }
  t->result.body.append(data, n);
  return n;
}

size_t onHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  std::string_view line(data, n);
  // A new status line starts a new response (after 100 Continue, or a new HTTP/2 stream): only
  // the final response's headers are kept.
  if (line.rfind("HTTP/", 0) == 0) {
    t->result.headers.clear();
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  const std::string name = core::lowerAscii(trim(line.substr(0, colon)));
  if (name.empty()) return n;
  const std::string_view value = trim(line.substr(colon + 1));
  auto [it, inserted] = t->result.headers.try_emplace(name, value);
  if (!inserted) {
    it->second += ", ";
    it->second += value;
  }
  return n;
}

bool offersHttp2() {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  return info != nullptr && (info->features & CURL_VERSION_HTTP2) != 0;
}

// Sets every option of one request on a (reset) easy handle.
CURLcode configure(CURL* h, const HttpPeer& peer, bool http2, Transfer& t) {
  CURLcode rc = CURLE_OK;
  auto set = [&rc](CURLcode r) {
    if (rc == CURLE_OK) rc = r;
  };
  const HttpRequestSpec& request = t.request;
  for (const auto& [name, value] : request.headers) {
    t.headers = curl_slist_append(t.headers, (name + ": " + value).c_str());
  }
  // curl would otherwise send "Expect: 100-continue" for large bodies and wait for it.
  t.headers = curl_slist_append(t.headers, "Expect:");
  set(curl_easy_setopt(h, CURLOPT_PRIVATE, &t));
  set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, t.errbuf));
  set(curl_easy_setopt(h, CURLOPT_URL, request.url.c_str()));
#if LIBCURL_VERSION_NUM >= 0x075500
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
#else
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS, long{CURLPROTO_HTTP | CURLPROTO_HTTPS}));
#endif
  set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L));
  if (http2) {
    set(curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS));
    // Wait for the connection in progress to say whether it multiplexes instead of opening a
    // new one for each request in flight.
    set(curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L));
  }
  set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(peer.connectTimeoutMs)));
  set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(peer.timeoutMs)));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L));
  if (!peer.caFile.empty()) {
    set(curl_easy_setopt(h, CURLOPT_CAINFO, peer.caFile.c_str()));
  }
  if (!peer.clientCertificateFile.empty()) {
    set(curl_easy_setopt(h, CURLOPT_SSLCERT, peer.clientCertificateFile.c_str()));
    set(curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM"));
  }
  if (!peer.clientKeyFile.empty()) {
    set(curl_easy_setopt(h, CURLOPT_SSLKEY, peer.clientKeyFile.c_str()));
    set(curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM"));
  }
  set(curl_easy_setopt(h, CURLOPT_HTTPHEADER, t.headers));
  set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, onBody));
  set(curl_easy_setopt(h, CURLOPT_WRITEDATA, &t));
  set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, onHeader));
  set(curl_easy_setopt(h, CURLOPT_HEADERDATA, &t));

  const std::string& method = request.method;
  if (method == "GET") {
    set(curl_easy_setopt(h, CURLOPT_HTTPGET, 1L));
  } else if (method == "HEAD") {
    set(curl_easy_setopt(h, CURLOPT_NOBODY, 1L));
  } else if (method == "DELETE" && request.body.empty()) {
    set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE"));
  } else {
    // POST, PUT, PATCH...: the body goes out as is, with the caller's Content-Type; the Transfer
    // owns it until the request completes.
    set(curl_easy_setopt(h, CURLOPT_POST, 1L));
    set(curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data()));
    set(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size())));
    if (method != "POST") set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str()));
  }
  return rc;
}

// The answer of a finished transfer (`rc` its result code).
HttpResult finish(CURL* h, Transfer& t, CURLcode rc) {
  HttpResult result = std::move(t.result);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK || status <= 0) {
    result.status = 0;
    result.error = rc == CURLE_OK ? "no HTTP status in the answer" : curl_easy_strerror(rc);
    if (t.tooLarge) {
      result.error += ": response larger than " + std::to_string(kMaxResponseBytes) + " bytes";
    } else if (t.errbuf[0] != '\0') {
      result.error += ": ";
      result.error += t.errbuf;
    }
    result.body.clear();
    result.headers.clear();
    return result;
  }
  result.status = static_cast<int>(status);
  return result;
}

HttpResult failed(std::string error) {
  HttpResult result;
  result.error = std::move(error);
  return result;
}

// All requests of one destination on one multi handle: the connection cache is the handle's,
// so every request reuses the kept-alive connections (and multiplexes on HTTP/2 ones).
class CurlAsyncHttpClient final : public AsyncHttpClient {
 public:
  CurlAsyncHttpClient(HttpPeer peer, int maxConnections)
      : peer_(std::move(peer)), http2_(offersHttp2()) {
    initCurlOnce();
    if (gCurlInitResult == CURLE_OK) multi_ = curl_multi_init();
    if (multi_ != nullptr) {
      const long connections = std::max(1, maxConnections);
      curl_multi_setopt(multi_, CURLMOPT_PIPELINING, long{CURLPIPE_MULTIPLEX});
      curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, connections);
      curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, connections);
    }
  }

  ~CurlAsyncHttpClient() override {
    for (auto& [easy, transfer] : active_) {
      curl_multi_remove_handle(multi_, easy);
      curl_easy_cleanup(easy);
    }
    for (CURL* easy : idle_) curl_easy_cleanup(easy);
    if (multi_ != nullptr) curl_multi_cleanup(multi_);
  }

  CurlAsyncHttpClient(const CurlAsyncHttpClient&) = delete;
  CurlAsyncHttpClient& operator=(const CurlAsyncHttpClient&) = delete;

  void start(HttpRequestSpec request, Completion done) override {
    auto transfer = std::make_unique<Transfer>();
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    if (multi_ == nullptr) {
      ready_.emplace_back(std::move(transfer->done), failed("libcurl could not be initialised"));
      return;
    }
    CURL* easy = nullptr;
    if (!idle_.empty()) {
      easy = idle_.back();
      idle_.pop_back();
      curl_easy_reset(easy);
    } else {
      easy = curl_easy_init();
    }
    const CURLcode rc =
        easy == nullptr ? CURLE_FAILED_INIT : configure(easy, peer_, http2_, *transfer);
    if (rc != CURLE_OK || curl_multi_add_handle(multi_, easy) != CURLM_OK) {
      if (easy != nullptr) idle_.push_back(easy);
      ready_.emplace_back(
          std::move(transfer->done),
          failed(std::string("cannot start the request: ") + curl_easy_strerror(rc)));
      return;
    }
    active_.emplace(easy, std::move(transfer));
  }

  int run(std::chrono::milliseconds timeout) override {
    std::vector<std::pair<Completion, HttpResult>> finished;
    finished.swap(ready_);
    if (multi_ != nullptr) {
      collect(finished);
      if (finished.empty()) {
        curl_multi_poll(multi_, nullptr, 0, static_cast<int>(timeout.count()), nullptr);
        collect(finished);
      }
    }
    // Completions may start new requests; they see a consistent client.
    for (auto& [done, result] : finished) done(std::move(result));
    return static_cast<int>(finished.size());
  }

  size_t inFlight() const override { return active_.size() + ready_.size(); }

  void wake() override {
    if (multi_ != nullptr) curl_multi_wakeup(multi_);
  }

 private:
  // Drives the transfers and moves the finished ones' answers to `finished`.
  void collect(std::vector<std::pair<Completion, HttpResult>>& finished) {
    int running = 0;
    curl_multi_perform(multi_, &running);
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode rc = message->data.result;
      curl_multi_remove_handle(multi_, easy);
      auto it = active_.find(easy);
      if (it == active_.end()) continue;
      std::unique_ptr<Transfer> transfer = std::move(it->second);
      active_.erase(it);
      finished.emplace_back(std::move(transfer->done), finish(easy, *transfer, rc));
      idle_.push_back(easy);
    }
  }

  const HttpPeer peer_;
  const bool http2_;
  CURLM* multi_ = nullptr;
  std::map<CURL*, std::unique_ptr<Transfer>> active_;
  std::vector<CURL*> idle_;                               // easy handles to reuse
  std::vector<std::pair<Completion, HttpResult>> ready_;  // completed without being sent
};

// One request at a time, on the asynchronous client: one implementation of libcurl's options.
class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(const HttpPeer& peer) : async_(peer, 1) {}

  HttpResult send(const HttpRequestSpec& request) override {
    std::optional<HttpResult> answer;
    async_.start(request, [&answer](HttpResult result) { answer = std::move(result); });
    while (!answer) async_.run(std::chrono::milliseconds(1000));
    return std::move(*answer);
  }

 private:
  CurlAsyncHttpClient async_;
};

// run() sends the oldest started request with the synchronous client.
class SerialAsyncHttpClient final : public AsyncHttpClient {
 public:
  explicit SerialAsyncHttpClient(std::unique_ptr<HttpClient> client) : client_(std::move(client)) {}

  void start(HttpRequestSpec request, Completion done) override {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(std::move(request), std::move(done));
  }

  int run(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mutex_);
    if (queue_.empty()) {
      woken_.wait_for(lock, timeout, [this] { return wakeups_ > 0; });
      wakeups_ = 0;
      return 0;
    }
    auto [request, done] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    done(client_->send(request));
    return 1;
  }

  size_t inFlight() const override {
    std::lock_guard lock(mutex_);
    return queue_.size();
  }

  void wake() override {
    std::lock_guard lock(mutex_);
    ++wakeups_;
    woken_.notify_all();
  }

 private:
  std::unique_ptr<HttpClient> client_;
  mutable std::mutex mutex_;
  std::condition_variable woken_;
  int wakeups_ = 0;
  std::deque<std::pair<HttpRequestSpec, Completion>> queue_;
};

}  // namespace

std::unique_ptr<HttpClient> makeCurlHttpClient(const HttpPeer& peer) {
  return std::make_unique<CurlHttpClient>(peer);
}

std::unique_ptr<AsyncHttpClient> makeCurlAsyncHttpClient(const HttpPeer& peer, int maxConnections) {
  return std::make_unique<CurlAsyncHttpClient>(peer, maxConnections);
}

std::unique_ptr<AsyncHttpClient> makeSerialAsyncHttpClient(std::unique_ptr<HttpClient> client) {
  return std::make_unique<SerialAsyncHttpClient>(std::move(client));
}

int AsyncHttpDecorator::run(std::chrono::milliseconds timeout) {
  std::vector<std::pair<Completion, HttpResult>> finished;
  finished.swap(ready_);
  // With answers at hand, the inner client only gets a look, not a wait.
  const int inner = inner_->run(finished.empty() ? timeout : std::chrono::milliseconds(0));
  for (auto& [done, result] : finished) done(std::move(result));
  return inner + static_cast<int>(finished.size());
}

void AsyncHttpDecorator::completeNow(Completion done, HttpResult result) {
  ready_.emplace_back(std::move(done), std::move(result));
}

}  // namespace brygga::adapters

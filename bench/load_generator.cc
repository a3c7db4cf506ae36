// brygga_load: a load generator for the delivery path (issue 5). It starts the real `brygga serve`
// binary on a fresh data directory, forwarding to a fast fake regional EHR inside this tool, and
// measures
//   1. acknowledged enrollments per second (closed loop, N keep-alive connections, durable
//      commits: every 200 means the enrollment and its outbox entry were fsync'ed),
//   2. the end-to-end delivery rate (enrollments the fake peer received per second, from the
//      start of the load until the last acknowledged one arrived),
//   3. latency percentiles at a fixed offered load (open loop: latency counts from the moment a
//      request was due, so a stalled gateway cannot hide behind a waiting client),
//   4. the gateway's peak resident memory (VmHWM), its CPU time and the bytes it wrote
//      (/proc/<pid>/io wchar: WAL, checkpoints, temporary files) per enrollment, and the CPU
//      this tool itself used (it shares the machine with the gateway).
// --batch N sets the gateway's delivery.batchSize (otherwise its default).
// --postgresql URL [--password-file F] stores in that PostgreSQL database (storage.backend
// postgresql) instead of SQLite in the data dir; the database should be empty. Several generators
// on one database (--serial-offset apart) measure several gateways sharing it.
// --gateways N (with --postgresql) starts N gateways on the database, delivering to the one peer,
// and spreads the connections over them; CPU figures are their sum. --kill-first-after S SIGKILLs
// the first gateway (the one that took the delivery lease first) S seconds into the closed loop
// and reports how long the peer then waited for its next delivery: the takeover by another.
// --drain N --peer-delay-ms D measures only the drain (issue 17): N enrollments queued while the
// destination is paused, then resumed towards a peer that answers each request D ms after it
// arrived (a WAN); prints how fast the backlog reached the peer with the destination's defaults
// (maxInFlight lanes).
// Every enrollment carries a distinct test personnummer (birth dates 1900-1912, serial 900-999,
// valid Luhn); none is ever printed.
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "bench/gateway_process.h"
#include "tests/integration/fixtures.h"
#include "tests/support/test_peer.h"
#include "tests/support/test_personnummer.h"

namespace {

using SteadyClock = std::chrono::steady_clock;
using brygga::bench::cpuSeconds;
using brygga::bench::peakRssKb;
using brygga::bench::percentile;
using brygga::bench::secondsSince;
using brygga::bench::writtenBytes;

// --serial-offset: where this generator's patients start, so that several generators (each with
// its own gateway on one PostgreSQL database) send different patients.
int64_t gSerialOffset = 0;

std::string enrollment(int64_t n) {
  return brygga::testing::enrollmentBundle(brygga::testing::testPersonnummer(n + gSerialOffset),
                                           "E-load-" + std::to_string(n + gSerialOffset));
}

// --- The fake regional EHR ---------------------------------------------------------------------

// What the peer (a TestPeer answering every request at once) received: the distinct deliveries
// by Idempotency-Key, and when the last one arrived. The requests themselves are not kept:
// millions arrive.
class Deliveries {
 public:
  // The peer answers `delayMs` after a request arrived (a peer across a WAN).
  Deliveries(brygga::testing::TestPeer& peer, int delayMs) : peer_(peer) {
    peer.setHandler([this, delayMs](const brygga::testing::TestPeer::Request& request) {
      auto key = request.headers.find("idempotency-key");
      {
        std::lock_guard lock(mutex_);
        keys_.insert(key != request.headers.end() ? key->second : "");
        last_ = SteadyClock::now();
        if (markedAt_ && !firstAfterMark_ && last_ > *markedAt_) firstAfterMark_ = last_;
      }
      brygga::testing::TestPeer::Response answer;
      answer.body = brygga::testing::TestPeer::kTransactionResponse;
      answer.delay = std::chrono::milliseconds(delayMs);
      return answer;
    });
  }
  size_t distinct() const {
    std::lock_guard lock(mutex_);
    return keys_.size();
  }
  size_t requests() const { return peer_.requestCount(); }
  SteadyClock::time_point last() const {
    std::lock_guard lock(mutex_);
    return last_;
  }
  // Notes a moment (a gateway killed); firstAfterMark() is then the first delivery after it.
  void mark(SteadyClock::time_point at) {
    std::lock_guard lock(mutex_);
    markedAt_ = at;
  }
  std::optional<double> msFromMarkToNext() const {
    std::lock_guard lock(mutex_);
    if (!markedAt_ || !firstAfterMark_) return std::nullopt;
    return std::chrono::duration<double, std::milli>(*firstAfterMark_ - *markedAt_).count();
  }
  // Waits until the peer has seen `expected` distinct deliveries (or `timeoutS` passed).
  bool waitFor(size_t expected, double timeoutS) const {
    return peer_.waitFor([&] { return distinct() >= expected; }, static_cast<int>(timeoutS * 1000));
  }

 private:
  brygga::testing::TestPeer& peer_;
  mutable std::mutex mutex_;
  std::set<std::string> keys_;
  SteadyClock::time_point last_;
  std::optional<SteadyClock::time_point> markedAt_;
  std::optional<SteadyClock::time_point> firstAfterMark_;
};

// --- Clients -----------------------------------------------------------------------------------

size_t discard(char*, size_t size, size_t count, void*) {
  return size * count;
}

class Client {
 public:
  Client(std::string url, std::string token) : url_(std::move(url)) {
    handle_ = curl_easy_init();
    headers_ = curl_slist_append(headers_, "Content-Type: application/fhir+json");
    headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + token).c_str());
    headers_ = curl_slist_append(headers_, "Prefer: return=minimal");
    headers_ = curl_slist_append(headers_, "Expect:");
  }
  ~Client() {
    curl_slist_free_all(headers_);
    curl_easy_cleanup(handle_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The HTTP status (0: no answer).
  long post(const std::string& body) {
    curl_easy_setopt(handle_, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, 30000L);
    if (curl_easy_perform(handle_) != CURLE_OK) return 0;
    long status = 0;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status);
    return status;
  }

 private:
  std::string url_;
  CURL* handle_ = nullptr;
  curl_slist* headers_ = nullptr;
};

// N keep-alive connections driven by one thread with curl's multi interface (epoll), so the
// tool's own CPU use stays small beside the gateway's on the shared cores: no thread per
// connection, no context switch per request. `nextBody(i)` gives the body for the i-th request
// (nullopt: no more requests for now); `due(i)` when it should be sent (open loop) or nullopt
// (closed loop: at once). `done(status, latencyMs)` is called for every answer.
class Sender {
 public:
  Sender(const std::string& url, const std::string& token, int connections)
      : Sender(std::vector<std::string>{url}, token, connections) {}
  // Connection i sends to urls[i % size]: one load spread over several gateways.
  Sender(const std::vector<std::string>& urls, const std::string& token, int connections)
      : multi_(curl_multi_init()) {
    headers_ = curl_slist_append(headers_, "Content-Type: application/fhir+json");
    headers_ = curl_slist_append(headers_, ("Authorization: Bearer " + token).c_str());
    headers_ = curl_slist_append(headers_, "Prefer: return=minimal");
    headers_ = curl_slist_append(headers_, "Expect:");
    for (int i = 0; i < connections; ++i) {
      auto c = std::make_unique<Connection>();
      c->handle = curl_easy_init();
      curl_easy_setopt(c->handle, CURLOPT_URL, urls[static_cast<size_t>(i) % urls.size()].c_str());
      curl_easy_setopt(c->handle, CURLOPT_HTTPHEADER, headers_);
      curl_easy_setopt(c->handle, CURLOPT_WRITEFUNCTION, discard);
      curl_easy_setopt(c->handle, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(c->handle, CURLOPT_TIMEOUT_MS, 30000L);
      curl_easy_setopt(c->handle, CURLOPT_PRIVATE, c.get());
      idle_.push_back(c.get());
      connections_.push_back(std::move(c));
    }
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(connections));
  }
  ~Sender() {
    for (auto& c : connections_) {
      curl_multi_remove_handle(multi_, c->handle);
      curl_easy_cleanup(c->handle);
    }
    curl_multi_cleanup(multi_);
    curl_slist_free_all(headers_);
  }
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Sends until `more()` is false and every answer is in. `start` is the reference for `dueAt`.
  template <typename More, typename Body, typename DueAt, typename Done>
  void run(More more, Body body, DueAt dueAt, Done done) {
    int running = 0;
    for (;;) {
      // Start what is due on the idle connections.
      int waitMs = 100;
      while (!idle_.empty() && more()) {
        const SteadyClock::time_point due = dueAt();
        const auto now = SteadyClock::now();
        if (due > now) {
          waitMs = std::max(
              0, static_cast<int>(
                     std::chrono::duration_cast<std::chrono::milliseconds>(due - now).count()));
          break;
        }
        Connection* c = idle_.back();
        idle_.pop_back();
        c->body = body();
        c->due = due;
        curl_easy_setopt(c->handle, CURLOPT_POSTFIELDS, c->body.data());
        curl_easy_setopt(c->handle, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(c->body.size()));
        curl_multi_add_handle(multi_, c->handle);
        ++inFlight_;
      }
      if (inFlight_ == 0 && !more()) return;
      curl_multi_perform(multi_, &running);
      int queued = 0;
      while (CURLMsg* m = curl_multi_info_read(multi_, &queued)) {
        if (m->msg != CURLMSG_DONE) continue;
        Connection* c = nullptr;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &c);
        long status = 0;
        if (m->data.result == CURLE_OK) {
          curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        }
        curl_multi_remove_handle(multi_, m->easy_handle);
        --inFlight_;
        done(status,
             std::chrono::duration<double, std::milli>(SteadyClock::now() - c->due).count());
        idle_.push_back(c);
      }
      if (!idle_.empty() && more() && waitMs == 0) continue;
      curl_multi_poll(multi_, nullptr, 0, idle_.empty() || !more() ? 100 : std::max(waitMs, 0),
                      nullptr);
    }
  }

 private:
  struct Connection {
    CURL* handle = nullptr;
    std::string body;
    SteadyClock::time_point due;
  };
  CURLM* multi_;
  curl_slist* headers_ = nullptr;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  int inFlight_ = 0;
};

struct Options {
  std::string binary = BRYGGA_BIN;
  int threads = 16;
  double maxSeconds = 10;
  double rate = 500;
  double rateSeconds = 10;
  int serverThreads = 64;  // the gateway's default server.threads
  int batchSize = 0;
  std::string dataDir;
  std::string postgresqlUrl;
  std::string passwordFile;
  int gateways = 1;  // with --postgresql: gateways sharing the database, the load spread over them
  double killFirstAfterS = 0;  // with --gateways: SIGKILL the first gateway this far into the load
  bool keep = false;
  int drain = 0;        // > 0: only the drain measurement, with this many enrollments
  int peerDelayMs = 0;  // the fake peer answers this long after a request arrived
  // server.rateLimit.perClient far above the load; --limited keeps the gateway's default (a
  // gateway from before issue 18 does not know the key).
  bool unlimited = true;
};

struct Tally {
  std::atomic<int64_t> ok{0};
  std::atomic<int64_t> failed{0};
  std::mutex mutex;
  std::vector<double> latenciesMs;
  std::map<long, int64_t> failures;
  void add(long status, double ms) {
    if (status == 200) {
      ++ok;
    } else {
      ++failed;
    }
    std::lock_guard lock(mutex);
    latenciesMs.push_back(ms);
    if (status != 200) ++failures[status];
  }
};

void printFailures(const Tally& tally) {
  for (const auto& [status, count] : tally.failures) {
    std::cout << "    failed: " << count << " x " << (status == 0 ? "no answer" : "HTTP ")
              << (status == 0 ? "" : std::to_string(status)) << "\n";
  }
}

// POST with an empty body to the admin API (pause, resume), as a script does; the HTTP status.
long adminPost(const std::string& url) {
  CURL* h = curl_easy_init();
  curl_slist* headers = curl_slist_append(nullptr, "Authorization: Bearer dev-token-integration");
  // A state-changing admin call must say it is not a browser's cross-site request (issue 18).
  headers = curl_slist_append(headers, "X-Brygga-Console: 1");
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
  long status = 0;
  if (curl_easy_perform(h) == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(h);
  return status;
}

// The drain: o.drain enrollments queued while paused, then resumed; from the resume until the
// peer has every one of them.
int measureDrain(const std::string& url, const Options& o, const Deliveries& peer,
                 std::atomic<int64_t>& serial) {
  const std::string admin = url.substr(0, url.rfind("/fhir")) + "/admin/destinations/regional/";
  if (adminPost(admin + "pause") != 200) {
    std::cerr << "brygga_load: cannot pause the destination\n";
    return 1;
  }
  const size_t before = peer.distinct();
  std::atomic<int> queued{0};
  Tally tally;
  {
    Sender sender(url, "dev-token-kungsbacka", o.threads);
    sender.run([&] { return queued < o.drain; },
               [&] {
                 ++queued;
                 return enrollment(serial++);
               },
               [] { return SteadyClock::now(); },
               [&](long status, double ms) { tally.add(status, ms); });
  }
  const auto start = SteadyClock::now();
  if (adminPost(admin + "resume") != 200) {
    std::cerr << "brygga_load: cannot resume the destination\n";
    return 1;
  }
  const bool all = peer.waitFor(before + static_cast<size_t>(tally.ok.load()), 600);
  const double seconds = std::chrono::duration<double>(peer.last() - start).count();
  std::cout << "drain: " << tally.ok.load() << " queued enrollments, peer answering in "
            << o.peerDelayMs << " ms\n";
  std::cout << "  drained in " << seconds
            << " s: " << static_cast<double>(tally.ok.load()) / seconds << " messages/s ("
            << (all ? "all delivered" : "NOT all delivered") << ", " << peer.requests()
            << " requests for " << peer.distinct() << " keys)\n";
  return all ? 0 : 2;
}

int usage() {
  std::cerr << "usage: brygga_load [--brygga PATH] [--threads N] [--max-seconds S] [--rate R]\n"
               "                   [--rate-seconds S] [--server-threads N] [--batch N]\n"
               "                   [--data-dir DIR] [--keep] [--limited] [--drain N]\n"
               "                   [--peer-delay-ms D] [--postgresql URL [--password-file F]]\n"
               "                   [--serial-offset N] [--gateways N [--kill-first-after S]]\n";
  return 64;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--brygga") {
      o.binary = next();
    } else if (a == "--threads") {
      o.threads = std::atoi(next().c_str());
    } else if (a == "--max-seconds") {
      o.maxSeconds = std::atof(next().c_str());
    } else if (a == "--rate") {
      o.rate = std::atof(next().c_str());
    } else if (a == "--rate-seconds") {
      o.rateSeconds = std::atof(next().c_str());
    } else if (a == "--server-threads") {
      o.serverThreads = std::atoi(next().c_str());
    } else if (a == "--batch") {
      o.batchSize = std::atoi(next().c_str());
    } else if (a == "--data-dir") {
      o.dataDir = next();
    } else if (a == "--gateways") {
      o.gateways = std::stoi(next());
    } else if (a == "--kill-first-after") {
      o.killFirstAfterS = std::stod(next());
    } else if (a == "--serial-offset") {
      gSerialOffset = std::stoll(next());
    } else if (a == "--postgresql") {
      o.postgresqlUrl = next();
    } else if (a == "--password-file") {
      o.passwordFile = next();
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--drain") {
      o.drain = std::atoi(next().c_str());
    } else if (a == "--peer-delay-ms") {
      o.peerDelayMs = std::atoi(next().c_str());
    } else if (a == "--limited") {
      o.unlimited = false;
    } else {
      return usage();
    }
  }
  if (o.threads < 1 || o.rate <= 0) return usage();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  signal(SIGPIPE, SIG_IGN);

  brygga::testing::TestPeer::Options peerOptions;
  // The gateway keeps up to maxInFlight (16) connections to the peer, and a kept-alive connection
  // holds a server thread of the peer: fewer threads would leave lanes waiting in the accept queue.
  peerOptions.threads = 96;
  peerOptions.record = false;
  peerOptions.keepAliveRequests = 1000000;
  brygga::testing::TestPeer peerServer(peerOptions);
  Deliveries peer(peerServer, o.peerDelayMs);

  const bool ownDir = o.dataDir.empty();
  if (ownDir) {
    char pattern[] = "/tmp/brygga-load-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    o.dataDir = pattern;
  }
  if (o.gateways < 1 || (o.gateways > 1 && o.postgresqlUrl.empty())) {
    std::cerr << "brygga_load: --gateways above 1 needs --postgresql (one database they share)\n";
    return 1;
  }
  // The client's rate limit is set far above the load: the bucket is taken on every request, as
  // in production, but never runs dry (this measures the path, not the limit).
  std::vector<brygga::bench::GatewayProcess> gateways;
  std::vector<std::string> urls;
  for (int g = 0; g < o.gateways; ++g) {
    const std::string suffix = g == 0 ? "" : "-" + std::to_string(g);
    const std::string configPath = o.dataDir + "/config" + suffix + ".json";
    std::ofstream(configPath)
        << R"({"server":{"httpPort":0,"httpsPort":-1,"threads":)" << o.serverThreads
        << (o.unlimited ? R"(,"rateLimit":{"perClient":{"perSecond":1000000,"burst":1000000}})"
                        : "")
        << R"(},"dataDir":")" << o.dataDir << "/data" << suffix << R"(",)"
        << (o.postgresqlUrl.empty()
                ? std::string()
                : R"("storage":{"backend":"postgresql","postgresql":{"url":")" + o.postgresqlUrl +
                      R"(","passwordFile":")" + o.passwordFile +
                      R"("}},"audit":{"signingKeyFile":")" + o.dataDir + R"(/audit-signing.key"},)")
        << (o.batchSize > 0 ? R"("delivery":{"batchSize":)" + std::to_string(o.batchSize) + "},"
                            : std::string())
        << R"("destinations":{"regional":{"baseUrl":"http://127.0.0.1:)" << peerServer.port()
        << R"(/fhir"}}})";
    gateways.push_back(brygga::bench::startGateway(o.binary, configPath));
    if (gateways.back().port <= 0) {
      std::cerr << "brygga_load: the gateway did not start (" << o.binary << ")\n";
      return 1;
    }
    urls.push_back("http://127.0.0.1:" + std::to_string(gateways.back().port) + "/fhir");
  }
  const brygga::bench::GatewayProcess& gateway = gateways.front();
  const std::string url = urls.front();
  const auto gatewaysCpu = [&] {
    double sum = 0;
    for (const auto& g : gateways) sum += cpuSeconds(g.pid);
    return sum;
  };
  std::atomic<int64_t> serial{0};

  // Warm-up: connections, statement caches, the page cache.
  {
    Client c(url, "dev-token-kungsbacka");
    for (int i = 0; i < 200; ++i) c.post(enrollment(serial++));
  }
  peer.waitFor(static_cast<size_t>(serial.load()), 60);

  if (o.drain > 0) {
    const int code = measureDrain(url, o, peer, serial);
    for (const auto& g : gateways) {
      kill(g.pid, SIGTERM);
      int status = 0;
      waitpid(g.pid, &status, 0);
    }
    peerServer.stop();
    std::error_code ec;
    if (ownDir && !o.keep) std::filesystem::remove_all(o.dataDir, ec);
    curl_global_cleanup();
    return code;
  }

  // 1. Closed loop: acknowledged enrollments per second.
  Tally closed;
  const double cpuBefore = gatewaysCpu();
  const double ownCpuBefore = cpuSeconds(getpid());
  const int64_t writtenBefore = writtenBytes(gateway.pid);
  const size_t before = peer.distinct();
  const auto closedStart = SteadyClock::now();
  std::thread killer;
  if (o.killFirstAfterS > 0 && gateways.size() > 1) {
    killer = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::duration<double>(o.killFirstAfterS));
      peer.mark(SteadyClock::now());
      kill(gateways.front().pid, SIGKILL);
    });
  }
  {
    Sender sender(urls, "dev-token-kungsbacka", o.threads);
    sender.run([&] { return secondsSince(closedStart) < o.maxSeconds; },
               [&] { return enrollment(serial++); }, [] { return SteadyClock::now(); },
               [&](long status, double ms) { closed.add(status, ms); });
  }
  if (killer.joinable()) killer.join();
  const double closedSeconds = secondsSince(closedStart);
  const size_t deliveredDuringLoad = peer.distinct() - before;
  const bool drained = peer.waitFor(before + static_cast<size_t>(closed.ok.load()), 300);
  const double endToEndSeconds = std::chrono::duration<double>(peer.last() - closedStart).count();
  const double cpuUsed = gatewaysCpu() - cpuBefore;
  const double ownCpuUsed = cpuSeconds(getpid()) - ownCpuBefore;
  const int64_t written = writtenBytes(gateway.pid) - writtenBefore;

  std::cout << "closed loop: " << o.threads << " connections to " << o.gateways << " gateway(s), "
            << closedSeconds << " s\n";
  std::cout << "  acknowledged enrollments/s: "
            << static_cast<double>(closed.ok.load()) / closedSeconds << " (" << closed.ok.load()
            << " ok, " << closed.failed.load() << " failed)\n";
  printFailures(closed);
  std::cout << "  latency p50/p99 ms: " << percentile(closed.latenciesMs, 50) << " / "
            << percentile(closed.latenciesMs, 99) << "\n";
  std::cout << "  delivered while loading/s: "
            << static_cast<double>(deliveredDuringLoad) / closedSeconds << "\n";
  std::cout << "  end-to-end delivery rate/s: "
            << static_cast<double>(closed.ok.load()) / endToEndSeconds << " (all "
            << (drained ? "delivered" : "NOT delivered") << " after " << endToEndSeconds << " s)\n";
  if (o.killFirstAfterS > 0 && gateways.size() > 1) {
    const auto takeover = peer.msFromMarkToNext();
    std::cout << "  takeover: the next delivery "
              << (takeover ? std::to_string(*takeover) + " ms" : std::string("never"))
              << " after the first gateway was SIGKILLed\n";
  }
  std::cout << "  gateway CPU: " << cpuUsed << " s, "
            << cpuUsed * 1e6 / static_cast<double>(std::max<int64_t>(closed.ok.load(), 1))
            << " us per enrollment (accepting and delivering it)\n";
  std::cout << "  load generator CPU (senders and fake peer): "
            << ownCpuUsed * 1e6 / static_cast<double>(std::max<int64_t>(closed.ok.load(), 1))
            << " us per enrollment\n";
  std::cout << "  gateway bytes written: "
            << static_cast<double>(written) /
                   static_cast<double>(std::max<int64_t>(closed.ok.load(), 1)) / 1024
            << " KiB per enrollment\n";

  // 2. Open loop at a fixed offered load: latency.
  Tally open;
  const int64_t total = static_cast<int64_t>(o.rate * o.rateSeconds);
  std::atomic<int64_t> nextIndex{0};
  const size_t beforeOpen = peer.distinct();
  const auto openStart = SteadyClock::now();
  {
    // Latency counts from the moment a request was due, not from when a connection was free.
    Sender sender(urls, "dev-token-kungsbacka", o.threads);
    sender.run([&] { return nextIndex < total; },
               [&] {
                 ++nextIndex;
                 return enrollment(serial++);
               },
               [&] {
                 return openStart + std::chrono::duration_cast<SteadyClock::duration>(
                                        std::chrono::duration<double>(
                                            static_cast<double>(nextIndex.load()) / o.rate));
               },
               [&](long status, double ms) { open.add(status, ms); });
  }
  const double openSeconds = secondsSince(openStart);
  const bool openDrained = peer.waitFor(beforeOpen + static_cast<size_t>(open.ok.load()), 120);
  std::cout << "open loop: " << o.rate << "/s offered for " << o.rateSeconds << " s ("
            << openSeconds << " s)\n";
  std::cout << "  acknowledged: " << open.ok.load() << ", failed: " << open.failed.load() << "\n";
  printFailures(open);
  std::cout << "  latency p50/p90/p99/max ms: " << percentile(open.latenciesMs, 50) << " / "
            << percentile(open.latenciesMs, 90) << " / " << percentile(open.latenciesMs, 99)
            << " / " << percentile(open.latenciesMs, 100) << "\n";
  std::cout << "  all delivered: " << (openDrained ? "yes" : "NO") << "\n";

  std::cout << "peer: " << peer.requests() << " requests, " << peer.distinct()
            << " distinct idempotency keys\n";
  std::cout << "gateway peak RSS: " << peakRssKb(gateway.pid) / 1024 << " MiB\n";
  std::error_code ec;
  if (o.postgresqlUrl.empty()) {
    std::cout << "database: "
              << std::filesystem::file_size(o.dataDir + "/data/brygga.db", ec) / (1024 * 1024)
              << " MiB\n";
  }

  for (const auto& g : gateways) brygga::bench::stopGateway(g);
  peerServer.stop();
  if (ownDir && !o.keep) std::filesystem::remove_all(o.dataDir, ec);
  curl_global_cleanup();
  return drained && openDrained ? 0 : 2;
}

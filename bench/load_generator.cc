// brygga_load: a load generator for the delivery path (issue 5). It starts the real `brygga serve`
// binary on a fresh data directory, forwarding to a fast fake regional EHR inside this tool, and
// measures
//   1. acknowledged enrollments per second (closed loop, N keep-alive connections, durable
//      commits: every 200 means the enrollment and its outbox entry were fsync'ed),
//   2. the end-to-end delivery rate (enrollments the fake peer received per second, from the
//      start of the load until the last acknowledged one arrived),
//   3. latency percentiles at a fixed offered load (open loop: latency counts from the moment a
//      request was due, so a stalled gateway cannot hide behind a waiting client),
//   4. the gateway's peak resident memory (VmHWM).
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
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <curl/curl.h>

#include "tests/integration/fixtures.h"
#include "tests/support/test_personnummer.h"

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string enrollment(int64_t n) {
  return brygga::testing::enrollmentBundle(brygga::testing::testPersonnummer(n),
                                           "E-load-" + std::to_string(n));
}

// --- The fake regional EHR ---------------------------------------------------------------------

class Peer {
 public:
  void received(const std::string& key) {
    std::lock_guard lock(mutex_);
    ++requests_;
    keys_.insert(key);
    last_ = Clock::now();
  }
  size_t distinct() const {
    std::lock_guard lock(mutex_);
    return keys_.size();
  }
  size_t requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  Clock::time_point last() const {
    std::lock_guard lock(mutex_);
    return last_;
  }

 private:
  mutable std::mutex mutex_;
  std::set<std::string> keys_;
  size_t requests_ = 0;
  Clock::time_point last_;
};

class PeerHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit PeerHandler(Peer& peer) : peer_(peer) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    std::string body;
    Poco::StreamCopier::copyToString(request.stream(), body);
    peer_.received(request.get("Idempotency-Key", ""));
    static const std::string kAnswer =
        R"({"resourceType":"Bundle","type":"transaction-response","entry":[]})";
    response.setContentType("application/fhir+json");
    response.setContentLength(static_cast<std::streamsize>(kAnswer.size()));
    response.send() << kAnswer;
  }

 private:
  Peer& peer_;
};

class PeerFactory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit PeerFactory(Peer& peer) : peer_(peer) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new PeerHandler(peer_);
  }

 private:
  Peer& peer_;
};

// --- The gateway process -----------------------------------------------------------------------

struct Gateway {
  pid_t pid = -1;
  int port = -1;
};

Gateway startGateway(const std::string& binary, const std::string& configPath) {
  int out[2];
  if (pipe(out) != 0) return {};
  const pid_t pid = fork();
  if (pid < 0) return {};
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    // The gateway's JSON log would compete with the load for the CPU on a terminal.
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDERR_FILENO);
    close(out[0]);
    execl(binary.c_str(), binary.c_str(), "serve", "--config", configPath.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  Gateway g;
  g.pid = pid;
  FILE* f = fdopen(out[0], "r");
  char line[1024];
  while (g.port < 0 && f != nullptr && fgets(line, sizeof line, f) != nullptr) {
    const std::string s(line);
    const auto pos = s.find("http-port=");
    if (pos != std::string::npos) g.port = std::atoi(s.c_str() + pos + 10);
  }
  // Keep reading (and dropping) the gateway's stdout so it never blocks on a full pipe.
  std::thread([f] {
    char buf[4096];
    while (f != nullptr && fgets(buf, sizeof buf, f) != nullptr) {
    }
    if (f != nullptr) fclose(f);
  }).detach();
  return g;
}

int64_t peakRssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

// User + system CPU seconds the process has used so far.
double cpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double utime = 0;
  double stime = 0;
  // Fields after the command: state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::atof(field.c_str());
    if (i == 15) stime = std::atof(field.c_str());
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

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

struct Options {
  std::string binary = BRYGGA_BIN;
  int threads = 16;
  double maxSeconds = 10;
  double rate = 500;
  double rateSeconds = 10;
  int serverThreads = 16;
  std::string dataDir;
  bool keep = false;
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

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t i = std::min(values.size() - 1,
                            static_cast<size_t>(p / 100.0 * static_cast<double>(values.size())));
  return values[i];
}

void printFailures(const Tally& tally) {
  for (const auto& [status, count] : tally.failures) {
    std::cout << "    failed: " << count << " x " << (status == 0 ? "no answer" : "HTTP ")
              << (status == 0 ? "" : std::to_string(status)) << "\n";
  }
}

// Waits until the peer has seen `expected` distinct deliveries (or `timeoutS` passed).
bool waitForDeliveries(const Peer& peer, size_t expected, double timeoutS) {
  const auto start = Clock::now();
  while (peer.distinct() < expected) {
    if (secondsSince(start) > timeoutS) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int usage() {
  std::cerr << "usage: brygga_load [--brygga PATH] [--threads N] [--max-seconds S] [--rate R]\n"
               "                   [--rate-seconds S] [--server-threads N] [--data-dir DIR] "
               "[--keep]\n";
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
    } else if (a == "--data-dir") {
      o.dataDir = next();
    } else if (a == "--keep") {
      o.keep = true;
    } else {
      return usage();
    }
  }
  if (o.threads < 1 || o.rate <= 0) return usage();
  curl_global_init(CURL_GLOBAL_DEFAULT);
  signal(SIGPIPE, SIG_IGN);

  Peer peer;
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(4);
  params->setKeepAlive(true);
  params->setMaxKeepAliveRequests(1000000);
  Poco::Net::HTTPServer peerServer(new PeerFactory(peer), socket, params);
  peerServer.start();

  const bool ownDir = o.dataDir.empty();
  if (ownDir) {
    char pattern[] = "/tmp/brygga-load-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    o.dataDir = pattern;
  }
  const std::string configPath = o.dataDir + "/config.json";
  std::ofstream(configPath) << R"({"server":{"httpPort":0,"httpsPort":-1,"threads":)"
                            << o.serverThreads << R"(},"dataDir":")" << o.dataDir
                            << R"(/data","destinations":{"regional":{"baseUrl":"http://127.0.0.1:)"
                            << socket.address().port() << R"(/fhir"}}})";
  Gateway gateway = startGateway(o.binary, configPath);
  if (gateway.port <= 0) {
    std::cerr << "brygga_load: the gateway did not start (" << o.binary << ")\n";
    return 1;
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(gateway.port) + "/fhir";
  std::atomic<int64_t> serial{0};

  // Warm-up: connections, statement caches, the page cache.
  {
    Client c(url, "dev-token-kungsbacka");
    for (int i = 0; i < 200; ++i) c.post(enrollment(serial++));
  }
  waitForDeliveries(peer, static_cast<size_t>(serial.load()), 60);

  // 1. Closed loop: acknowledged enrollments per second.
  Tally closed;
  const double cpuBefore = cpuSeconds(gateway.pid);
  const size_t before = peer.distinct();
  const auto closedStart = Clock::now();
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < o.threads; ++t) {
      threads.emplace_back([&] {
        Client c(url, "dev-token-kungsbacka");
        while (secondsSince(closedStart) < o.maxSeconds) {
          const std::string body = enrollment(serial++);
          const auto sent = Clock::now();
          const long status = c.post(body);
          closed.add(status, secondsSince(sent) * 1000);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const double closedSeconds = secondsSince(closedStart);
  const size_t deliveredDuringLoad = peer.distinct() - before;
  const bool drained = waitForDeliveries(peer, before + static_cast<size_t>(closed.ok.load()), 300);
  const double endToEndSeconds = std::chrono::duration<double>(peer.last() - closedStart).count();
  const double cpuUsed = cpuSeconds(gateway.pid) - cpuBefore;

  std::cout << "closed loop: " << o.threads << " connections, " << closedSeconds << " s\n";
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
  std::cout << "  gateway CPU: " << cpuUsed << " s, "
            << cpuUsed * 1e6 / static_cast<double>(std::max<int64_t>(closed.ok.load(), 1))
            << " us per enrollment (accepting and delivering it)\n";

  // 2. Open loop at a fixed offered load: latency.
  Tally open;
  const int64_t total = static_cast<int64_t>(o.rate * o.rateSeconds);
  std::atomic<int64_t> nextIndex{0};
  const size_t beforeOpen = peer.distinct();
  const auto openStart = Clock::now();
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < o.threads; ++t) {
      threads.emplace_back([&] {
        Client c(url, "dev-token-kungsbacka");
        for (;;) {
          const int64_t i = nextIndex++;
          if (i >= total) break;
          const auto due =
              openStart + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(static_cast<double>(i) / o.rate));
          const std::string body = enrollment(serial++);
          std::this_thread::sleep_until(due);
          const long status = c.post(body);
          open.add(status, std::chrono::duration<double, std::milli>(Clock::now() - due).count());
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  const double openSeconds = secondsSince(openStart);
  const bool openDrained =
      waitForDeliveries(peer, beforeOpen + static_cast<size_t>(open.ok.load()), 120);
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
  std::cout << "database: "
            << std::filesystem::file_size(o.dataDir + "/data/brygga.db", ec) / (1024 * 1024)
            << " MiB\n";

  kill(gateway.pid, SIGTERM);
  int status = 0;
  waitpid(gateway.pid, &status, 0);
  peerServer.stopAll(true);
  if (ownDir && !o.keep) std::filesystem::remove_all(o.dataDir, ec);
  curl_global_cleanup();
  return drained && openDrained ? 0 : 2;
}

#pragma once

// Helpers for the delivery tests (issue 5): a regional EHR that can go down and come back on the
// same port, answer 500 at random or refuse one patient, and that de-duplicates nothing, so the
// tests can count deliveries by Idempotency-Key and by content.

#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>

#include "tests/integration/fixtures.h"
#include "tests/support/test_personnummer.h"
#include "tests/support/test_support.h"

namespace brygga::testing {

// The enrollment of message `n` of patient `patient`: the patient's own test personnummer and an
// EpisodeOfCare identified "EPI-p<patient>-n<n>", so the peer can tell what it received and in
// which order.
inline std::string episodeOf(int patient, int n) {
  return "EPI-p" + std::to_string(patient) + "-n" + std::to_string(n);
}
inline std::string enrollmentOf(int patient, int n) {
  return enrollmentBundle(testPersonnummer(1000 + patient), episodeOf(patient, n));
}

class DeliveryPeer {
 public:
  struct Received {
    std::string key;      // Idempotency-Key
    std::string episode;  // EPI-p<patient>-n<n>, "" when none was found
    int patient = -1;
    int n = -1;
    int answered = 0;  // the status the peer answered
  };

  DeliveryPeer() = default;
  ~DeliveryPeer() { stop(); }
  DeliveryPeer(const DeliveryPeer&) = delete;
  DeliveryPeer& operator=(const DeliveryPeer&) = delete;

  // Listens on `port` (0: any free port), reusing the address so it can come back on the port it
  // had.
  void start(int port = 0) {
    std::lock_guard lock(lifecycle_);
    if (server_) return;
    Poco::Net::ServerSocket socket;
    socket.bind(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)), true);
    socket.listen(64);
    port_ = socket.address().port();
    auto* params = new Poco::Net::HTTPServerParams;
    // Enough threads for every lane of a destination (and then some) to be answered at once.
    params->setMaxThreads(48);
    params->setKeepAlive(true);
    if (!pool_) pool_ = std::make_unique<Poco::ThreadPool>(2, 64);
    server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *pool_, socket, params);
    server_->start();
  }

  // Stops listening and drops open connections: to the gateway the peer is down.
  void stop() {
    std::lock_guard lock(lifecycle_);
    if (!server_) return;
    server_->stopAll(true);
    server_.reset();
  }

  int port() const { return port_; }
  std::string baseUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/fhir"; }

  // A share of requests answered 500 (deterministic: seeded).
  void failAtRandom(double share, unsigned seed = 5) {
    std::lock_guard lock(mutex_);
    failShare_ = share;
    rng_.seed(seed);
  }
  // Each answer is given `ms` after the request arrived (a peer across a WAN).
  void answerAfterMs(int ms) { delayMs_ = ms; }
  // The most requests the peer had in hand at the same time.
  int maxConcurrent() const { return maxConcurrent_.load(); }
  int concurrent() const { return concurrent_.load(); }

  // Every message of this patient is refused with 400 and an OperationOutcome.
  void refusePatient(int patient) {
    std::lock_guard lock(mutex_);
    refused_ = patient;
  }

  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

  // Requests answered 2xx, per episode, in arrival order.
  std::map<std::string, int> acceptedPerEpisode() const {
    std::map<std::string, int> out;
    for (const auto& r : received()) {
      if (r.answered < 300) ++out[r.episode];
    }
    return out;
  }

  // Waits until every episode in `episodes` was accepted at least once.
  bool waitForAccepted(const std::set<std::string>& episodes, int timeoutMs) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    for (;;) {
      const auto accepted = acceptedPerEpisode();
      bool all = true;
      for (const auto& e : episodes) all = all && accepted.count(e) > 0;
      if (all) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  int answer(const std::string& key, const std::string& body) {
    static const std::regex kEpisode("EPI-p([0-9]+)-n([0-9]+)");
    Received r;
    r.key = key;
    std::smatch m;
    if (std::regex_search(body, m, kEpisode)) {
      r.episode = m[0];
      r.patient = std::stoi(m[1]);
      r.n = std::stoi(m[2]);
    }
    std::lock_guard lock(mutex_);
    if (r.patient >= 0 && r.patient == refused_) {
      r.answered = 400;
    } else if (failShare_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < failShare_) {
      r.answered = 500;
    } else {
      r.answered = 200;
    }
    received_.push_back(r);
    return r.answered;
  }

  class Handler : public Poco::Net::HTTPRequestHandler {
   public:
    explicit Handler(DeliveryPeer& peer) : peer_(peer) {}
    void handleRequest(Poco::Net::HTTPServerRequest& request,
                       Poco::Net::HTTPServerResponse& response) override {
      std::string body;
      Poco::StreamCopier::copyToString(request.stream(), body);
      const int now = ++peer_.concurrent_;
      for (int seen = peer_.maxConcurrent_.load();
           now > seen && !peer_.maxConcurrent_.compare_exchange_weak(seen, now);) {
      }
      // The WAN latency being simulated, not a wait for a condition.
      if (peer_.delayMs_ > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(peer_.delayMs_));
      const int status = peer_.answer(request.get("Idempotency-Key", ""), body);
      --peer_.concurrent_;
      std::string out =
          status == 200   ? R"({"resourceType":"Bundle","type":"transaction-response","entry":[]})"
          : status == 400 ? R"({"resourceType":"OperationOutcome","issue":[{"severity":"error",)"
                            R"("code":"business-rule","diagnostics":"unknown care unit"}]})"
                          : R"({"resourceType":"OperationOutcome","issue":[{"severity":"error",)"
                            R"("code":"exception"}]})";
      response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(status));
      response.setContentType("application/fhir+json");
      response.setContentLength(static_cast<std::streamsize>(out.size()));
      response.send() << out;
    }

   private:
    DeliveryPeer& peer_;
  };

  class Factory : public Poco::Net::HTTPRequestHandlerFactory {
   public:
    explicit Factory(DeliveryPeer& peer) : peer_(peer) {}
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest&) override {
      return new Handler(peer_);
    }

   private:
    DeliveryPeer& peer_;
  };

  std::mutex lifecycle_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  std::atomic<int> delayMs_{0};
  std::atomic<int> concurrent_{0};
  std::atomic<int> maxConcurrent_{0};
  int port_ = 0;
  mutable std::mutex mutex_;
  std::vector<Received> received_;
  double failShare_ = 0;
  int refused_ = -1;
  std::mt19937 rng_{5};
};

// Senders posting enrollments to a gateway `url` until told to stop or until the gateway stops
// answering (it was killed): sender t sends patient firstPatient + t's messages 0, 1, 2, ... one
// after the other. What was acknowledged (200) is kept.
class KeepSending {
 public:
  KeepSending(const std::string& url, int firstPatient, int senders) {
    for (int t = 0; t < senders; ++t) {
      threads_.emplace_back([this, url, patient = firstPatient + t] {
        for (int n = 0; !stop_; ++n) {
          HttpAnswer r;
          try {
            r = httpCall("POST", url, enrollmentOf(patient, n),
                         {{"Authorization", "Bearer dev-token-kungsbacka"}});
          } catch (const std::exception&) {
            return;  // the gateway is gone: this message was never acknowledged
          }
          if (r.status != 200) return;
          std::lock_guard lock(mutex_);
          acknowledged_.insert(episodeOf(patient, n));
        }
      });
    }
  }
  ~KeepSending() { stop(); }
  KeepSending(const KeepSending&) = delete;
  KeepSending& operator=(const KeepSending&) = delete;

  // Stops and joins the senders.
  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  size_t count() const {
    std::lock_guard lock(mutex_);
    return acknowledged_.size();
  }
  std::set<std::string> acknowledged() const {
    std::lock_guard lock(mutex_);
    return acknowledged_;
  }

 private:
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::set<std::string> acknowledged_;
  std::vector<std::thread> threads_;
};

// A port nothing listens on right now (for a peer that is down from the start).
inline int freePort() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  return socket.address().port();
}

inline bool waitUntil(const std::function<bool()>& condition, int timeoutMs) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

// What the peer accepted (2xx): per patient, in arrival order, must follow acceptance order.
// `allowResend`: the same message may come again right after itself (sent before a crash and not
// recorded), never after a later one.
inline void expectInOrderPerPatient(const std::vector<DeliveryPeer::Received>& received,
                                    bool allowResend = false) {
  std::map<int, int> last;
  for (const auto& r : received) {
    if (r.answered >= 300 || r.patient < 0) continue;
    auto it = last.find(r.patient);
    if (it != last.end() && allowResend) {
      EXPECT_GE(r.n, it->second) << "patient " << r.patient << " got message " << r.n << " after "
                                 << it->second;
    } else if (it != last.end()) {
      EXPECT_GT(r.n, it->second) << "patient " << r.patient << " got message " << r.n << " after "
                                 << it->second;
    }
    last[r.patient] = r.n;
  }
}

// Every episode was accepted exactly once, always under one Idempotency-Key of its own.
// `resentInFlight`: at least once (what was in flight when the gateway died may come again, under
// its own key).
inline void expectEachOnceUnderOneKey(const std::vector<DeliveryPeer::Received>& received,
                                      const std::set<std::string>& episodes,
                                      bool resentInFlight = false) {
  std::map<std::string, std::set<std::string>> keysOf;
  std::map<std::string, int> accepted;
  for (const auto& r : received) {
    keysOf[r.episode].insert(r.key);
    if (r.answered < 300) ++accepted[r.episode];
  }
  for (const auto& e : episodes) {
    if (resentInFlight) {
      EXPECT_GE(accepted[e], 1) << e;
    } else {
      EXPECT_EQ(accepted[e], 1) << e;
    }
    EXPECT_EQ(keysOf[e].size(), 1u) << e;
  }
  std::set<std::string> allKeys;
  for (const auto& [episode, keys] : keysOf) {
    for (const auto& k : keys) EXPECT_TRUE(allKeys.insert(k).second) << "key " << k << " reused";
  }
}

// The config of a `brygga serve` on port 0 with its data in `dir`, delivering to `peerBaseUrl`
// with short retries; returns the file's path.
inline std::string writeServeConfig(const TempDir& dir, const std::string& peerBaseUrl) {
  const std::string config = dir.file("config.json");
  std::ofstream(config) << R"({"server":{"httpPort":0,"httpsPort":-1},"dataDir":")"
                        << dir.file("data")
                        << R"(","delivery":{"pollIntervalMs":20},"destinations":{"regional":{)"
                        << R"("baseUrl":")" << peerBaseUrl
                        << R"(","retryBaseMs":50,"retryMaxMs":200}}})";
  return config;
}

}  // namespace brygga::testing

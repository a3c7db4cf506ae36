#pragma once

// Helpers for the delivery tests (issue 5): a regional EHR that can go down and come back on the
// same port, answer 500 at random or refuse one patient, and that de-duplicates nothing, so the
// tests can count deliveries by Idempotency-Key and by content.

#include <atomic>
#include <chrono>
#include <fstream>
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

#include <signal.h>
#include <sys/wait.h>

#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/integration/process.h"
#include "tests/support/test_peer.h"
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

// The regional EHR of the delivery tests: a TestPeer whose script answers 500 to a share of the
// requests (seeded) or 400 to one patient's, and that tells what it received by episode. It is
// down until start(), and can go down and come back on the same port.
class DeliveryPeer {
 public:
  struct Received {
    std::string key;      // Idempotency-Key
    std::string episode;  // EPI-p<patient>-n<n>, "" when none was found
    int patient = -1;
    int n = -1;
    int answered = 0;  // the status the peer answered; 0 while it decides
  };

  DeliveryPeer() = default;
  DeliveryPeer(const DeliveryPeer&) = delete;
  DeliveryPeer& operator=(const DeliveryPeer&) = delete;

  // Listens on `port` (0: any free port); after a stop(), on the port it had.
  void start(int port = 0) {
    if (peer_) {
      peer_->start();
      return;
    }
    TestPeer::Options options;
    options.port = port;
    peer_ = std::make_unique<TestPeer>(options);
    peer_->setHandler([this](const TestPeer::Request& request) { return answer(request); });
  }
  // Stops listening and drops open connections: to the gateway the peer is down.
  void stop() {
    if (peer_) peer_->stop();
  }

  int port() const { return peer_->port(); }
  std::string baseUrl() const { return peer_->baseUrl(); }

  // A share of requests answered 500 (deterministic: seeded).
  void failAtRandom(double share, unsigned seed = 5) {
    std::lock_guard lock(mutex_);
    failShare_ = share;
    rng_.seed(seed);
  }
  // Each answer is given `ms` after the request arrived (a peer across a WAN).
  void answerAfterMs(int ms) { delayMs_ = ms; }
  // The most requests the peer had in hand at the same time, and how many it has now.
  int maxConcurrent() const { return peer_ ? peer_->maxInFlight() : 0; }
  int concurrent() const { return peer_ ? peer_->inFlight() : 0; }

  // Every message of this patient is refused with 400 and an OperationOutcome.
  void refusePatient(int patient) {
    std::lock_guard lock(mutex_);
    refused_ = patient;
  }

  std::vector<Received> received() const {
    std::vector<Received> out;
    if (!peer_) return out;
    for (const auto& request : peer_->requests()) {
      Received r = episodeIn(request.body);
      auto key = request.headers.find("idempotency-key");
      r.key = key != request.headers.end() ? key->second : "";
      r.answered = request.answeredStatus;
      out.push_back(r);
    }
    return out;
  }

  // Requests answered 2xx, per episode, in arrival order.
  std::map<std::string, int> acceptedPerEpisode() const {
    std::map<std::string, int> out;
    for (const auto& r : received()) {
      if (r.answered > 0 && r.answered < 300) ++out[r.episode];
    }
    return out;
  }

  // Waits until every episode in `episodes` was accepted at least once.
  bool waitForAccepted(const std::set<std::string>& episodes, int timeoutMs) const {
    return peer_->waitFor(
        [&] {
          const auto accepted = acceptedPerEpisode();
          for (const auto& e : episodes) {
            if (accepted.count(e) == 0) return false;
          }
          return true;
        },
        timeoutMs);
  }
  // Waits until at least n requests arrived; returns the count.
  size_t waitForRequests(size_t n, int timeoutMs) const {
    return peer_->waitForRequests(n, timeoutMs);
  }

 private:
  static Received episodeIn(const std::string& body) {
    static const std::regex kEpisode("EPI-p([0-9]+)-n([0-9]+)");
    Received r;
    std::smatch m;
    if (std::regex_search(body, m, kEpisode)) {
      r.episode = m[0];
      r.patient = std::stoi(m[1]);
      r.n = std::stoi(m[2]);
    }
    return r;
  }

  TestPeer::Response answer(const TestPeer::Request& request) {
    const Received r = episodeIn(request.body);
    TestPeer::Response out;
    out.delay = std::chrono::milliseconds(delayMs_.load());
    std::lock_guard lock(mutex_);
    if (r.patient >= 0 && r.patient == refused_) {
      out.status = 400;
      out.body = R"({"resourceType":"OperationOutcome","issue":[{"severity":"error",)"
                 R"("code":"business-rule","diagnostics":"unknown care unit"}]})";
    } else if (failShare_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < failShare_) {
      out.status = 500;
      out.body = R"({"resourceType":"OperationOutcome","issue":[{"severity":"error",)"
                 R"("code":"exception"}]})";
    } else {
      out.body = TestPeer::kTransactionResponse;
    }
    return out;
  }

  std::atomic<int> delayMs_{0};
  std::mutex mutex_;  // the script's state
  double failShare_ = 0;
  int refused_ = -1;
  std::mt19937 rng_{5};
  std::unique_ptr<TestPeer> peer_;  // last: stopped before the script's state goes
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
                         {{"Authorization", "Bearer " + tokenOf("kungsbacka")}});
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

// SIGKILLs `gateway` while `senders` send, stops the senders and starts a gateway again on the
// same config (and so the same data): what had been acknowledged before the kill, and the new
// process (port 0 when it did not start).
struct KilledAndRestarted {
  std::set<std::string> acknowledged;
  ServeProcess restarted;
};
inline KilledAndRestarted killAndRestart(const ServeProcess& gateway, KeepSending& senders,
                                         const std::string& config, const std::string& logFile) {
  KilledAndRestarted out;
  EXPECT_EQ(kill(gateway.pid, SIGKILL), 0);
  int status = 0;
  waitpid(gateway.pid, &status, 0);
  senders.stop();
  out.acknowledged = senders.acknowledged();
  EXPECT_TRUE(WIFSIGNALED(status)) << "the gateway was to die of SIGKILL";
  out.restarted = startServe(config, logFile);
  return out;
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

// Waits until the gateway has no pending entry: everything it will ever send was sent.
inline bool waitForNothingPending(GatewayHarness& h) {
  return waitUntil([&] {
    auto pending =
        h.gateway().store().outbox().entries("regional", store::OutboxState::kPending, 1);
    return pending.isOk() && pending->empty();
  });
}

}  // namespace brygga::testing

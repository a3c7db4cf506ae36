#include "gateway/delivery/delivery_worker.h"

#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/audit/audit_trail.h"
#include "gateway/core/digest.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_store.h"
#include "tests/support/test_support.h"

namespace brygga::delivery {
namespace {

using store::OutboxState;
using ::testing::AllOf;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Le;
using ::testing::Not;

constexpr int64_t kStartMs = 1795428900000;  // 2026-11-23T10:15:00Z

// A transaction Bundle for Tolvan Tolvansson (Skatteverket's test personnummer); `tag` tells the
// fake peer which outbox entry it is looking at.
std::string bundleFor(const std::string& tag) {
  return R"({"resourceType":"Bundle","type":"transaction","id":")" + tag +
         R"(","entry":[{"resource":{"resourceType":"Patient","identifier":[{"system":)"
         R"("http://electronichealth.se/identifier/personnummer","value":"191212121212"}]},)"
         R"("request":{"method":"PUT","url":"Patient?identifier=191212121212"}}]})";
}

bool hasTag(const testing::TestPeer::Request& r, const std::string& tag) {
  return r.body.find("\"id\":\"" + tag + "\"") != std::string::npos;
}

testing::TestPeer::Response answer(int status, std::string body = {},
                                   std::map<std::string, std::string> headers = {}) {
  testing::TestPeer::Response r;
  r.status = status;
  r.body = body.empty() ? R"({"resourceType":"Bundle","type":"transaction-response"})" : body;
  r.headers = std::move(headers);
  return r;
}

// The worker runs against the real SQLite store (TestStore, which can also make a write fail).
class DeliveryWorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    destination_.name = "regional";
    destination_.peer.baseUrl = peer_.baseUrl();
    destination_.peer.connectTimeoutMs = 2000;
    destination_.peer.timeoutMs = 5000;
    destination_.maxAttempts = 5;
    destination_.retryBaseMs = 1000;
    destination_.retryMaxMs = 60000;
    settings_.pollIntervalMs = 60000;  // the thread tests rely on notify(), not on polling
    settings_.batchSize = 32;
  }

  std::unique_ptr<DeliveryWorker> makeWorker() {
    return std::make_unique<DeliveryWorker>(
        destination_, settings_, *store_,
        adapters::makeCurlAsyncHttpClient(destination_.peer, destination_.maxInFlight), clock_,
        logger_);
  }

  int64_t enqueue(const std::string& key, const std::string& tag) {
    store::OutboxEntry entry;
    entry.destination = "regional";
    entry.orderingKey = key;
    entry.requestId = "req-" + tag;
    entry.tenant = "halmstad";
    entry.payload = bundleFor(tag);
    entry.createdMs = clock_.nowMs();
    entry.nextAttemptMs = clock_.nowMs();
    int64_t id = 0;
    core::Status s = store_->write([&](store::StoreTransaction& txn) -> core::Status {
      auto assigned = txn.outbox().enqueue(entry);
      if (!assigned.isOk()) return assigned.status();
      id = *assigned;
      return core::Status::ok();
    });
    EXPECT_TRUE(s.isOk()) << s.toString();
    return id;
  }

  store::OutboxEntry entry(int64_t id) {
    auto e = store_->outbox().outboxEntry(id);
    EXPECT_TRUE(e.isOk());
    EXPECT_TRUE(e.isOk() && e->has_value());
    return e.isOk() && e->has_value() ? **e : store::OutboxEntry{};
  }

  std::vector<store::ExchangeRecord> outboundExchanges() {
    store::ExchangeQuery q;
    q.direction = "outbound";
    q.limit = 1000;
    auto r = store_->exchangeLog().exchanges(q);
    EXPECT_TRUE(r.isOk());
    return r.isOk() ? *r : std::vector<store::ExchangeRecord>{};
  }

  std::vector<store::AuditRecord> auditLog() {
    auto r = store_->auditLog().auditRecords(1, 1000);
    EXPECT_TRUE(r.isOk());
    return r.isOk() ? *r : std::vector<store::AuditRecord>{};
  }

  // Every attempt left one exchange record and one audit record, and the chain verifies.
  void expectEveryAttemptRecorded(size_t attempts) {
    EXPECT_EQ(outboundExchanges().size(), attempts);
    EXPECT_EQ(auditLog().size(), attempts);
    auto verified = audit::AuditTrail::verify(*store_);
    ASSERT_TRUE(verified.isOk());
    EXPECT_EQ(verified->firstBadSeq, 0) << verified->problem;
    EXPECT_EQ(verified->recordsChecked, static_cast<int64_t>(attempts));
  }

  testing::TestPeer peer_;
  testing::SimulatedTimeSystem clock_{kStartMs};
  std::ostringstream logs_;
  core::Logger logger_{logs_};
  delivery::DestinationConfig destination_;
  delivery::DeliveryConfig settings_;
  std::unique_ptr<testing::TestStore> store_ = std::make_unique<testing::TestStore>();
};

TEST_F(DeliveryWorkerTest, DeliversOnceWithTheRightHeadersAndBody) {
  const int64_t id = enqueue("Patient/a", "A1");
  auto worker = makeWorker();

  EXPECT_EQ(worker->runOnce(), 1);
  EXPECT_EQ(worker->runOnce(), 0);  // delivered entries are not sent again

  const auto requests = peer_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.uri, "/fhir");  // a transaction goes to the FHIR base
  EXPECT_EQ(r.body, bundleFor("A1"));
  EXPECT_EQ(r.headers.at("content-type"), "application/fhir+json");
  EXPECT_EQ(r.headers.at("accept"), "application/fhir+json");
  EXPECT_EQ(r.headers.at("x-request-id"), "req-A1");
  EXPECT_EQ(r.headers.at("idempotency-key"), "regional-" + std::to_string(id));

  const store::OutboxEntry e = entry(id);
  EXPECT_EQ(e.state, OutboxState::kDelivered);
  EXPECT_EQ(e.attempts, 1);

  const auto exchanges = outboundExchanges();
  ASSERT_EQ(exchanges.size(), 1u);
  EXPECT_EQ(exchanges[0].interaction, "deliver");
  EXPECT_EQ(exchanges[0].destination, "regional");
  EXPECT_EQ(exchanges[0].requestId, "req-A1");
  EXPECT_EQ(exchanges[0].tenant, "halmstad");
  EXPECT_EQ(exchanges[0].httpStatus, 200);
  EXPECT_EQ(exchanges[0].payloadSha256, core::sha256Hex(bundleFor("A1")));
  EXPECT_EQ(exchanges[0].detail, "delivered");

  const auto log = auditLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].patient, "Patient/a");
  EXPECT_THAT(log[0].json, HasSubstr(R"("code":"transaction")"));
  EXPECT_THAT(log[0].json, HasSubstr(R"("outcome":"0")"));
  EXPECT_THAT(log[0].json, HasSubstr(R"("value":"req-A1")"));
  expectEveryAttemptRecorded(1);

  // One log line for the attempt, and nothing of the payload in it.
  EXPECT_THAT(logs_.str(), HasSubstr(R"("event":"delivery.attempt")"));
  EXPECT_THAT(logs_.str(), HasSubstr(R"("outboxId":")" + std::to_string(id) + "\""));
  EXPECT_THAT(logs_.str(), Not(HasSubstr("191212121212")));
}

TEST_F(DeliveryWorkerTest, RetriesAfterTheBackoffAndNotBefore) {
  std::atomic<int> calls{0};
  peer_.setHandler([&calls](const testing::TestPeer::Request&) {
    return ++calls == 1 ? answer(503, R"({"resourceType":"OperationOutcome"})") : answer(200);
  });
  const int64_t id = enqueue("Patient/a", "A1");
  auto worker = makeWorker();

  EXPECT_EQ(worker->runOnce(), 1);
  store::OutboxEntry e = entry(id);
  EXPECT_EQ(e.state, OutboxState::kPending);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_THAT(e.lastError, HasSubstr("HTTP 503"));
  // First retry: base 1000 ms with jitter in [base/2, base].
  EXPECT_THAT(e.nextAttemptMs, AllOf(Ge(kStartMs + 500), Le(kStartMs + 1000)));

  clock_.setSystemTimeMs(e.nextAttemptMs - 1);
  EXPECT_EQ(worker->runOnce(), 0);
  EXPECT_EQ(peer_.requestCount(), 1u);

  clock_.setSystemTimeMs(e.nextAttemptMs);
  EXPECT_EQ(worker->runOnce(), 1);
  e = entry(id);
  EXPECT_EQ(e.state, OutboxState::kDelivered);
  EXPECT_EQ(e.attempts, 2);
  ASSERT_EQ(peer_.requestCount(), 2u);
  // Both attempts carry the same Idempotency-Key, so the peer can drop a duplicate.
  const auto requests = peer_.requests();
  EXPECT_EQ(requests[0].headers.at("idempotency-key"), requests[1].headers.at("idempotency-key"));

  const auto exchanges = outboundExchanges();
  ASSERT_EQ(exchanges.size(), 2u);
  int retries = 0;
  for (const auto& x : exchanges) {
    if (x.httpStatus == 503) {
      ++retries;
      EXPECT_THAT(x.detail, AllOf(HasSubstr("retry in "), HasSubstr(" ms: HTTP 503")));
    }
  }
  EXPECT_EQ(retries, 1);
  expectEveryAttemptRecorded(2);
}

TEST_F(DeliveryWorkerTest, BackoffGrowsExponentiallyUpToTheCap) {
  peer_.setHandler([](const testing::TestPeer::Request&) { return answer(500); });
  destination_.maxAttempts = 100;
  destination_.retryMaxMs = 8000;
  const int64_t id = enqueue("Patient/a", "A1");
  auto worker = makeWorker();

  const int64_t expectedBase[] = {1000, 2000, 4000, 8000, 8000, 8000};
  for (int64_t base : expectedBase) {
    const int64_t now = clock_.nowMs();
    ASSERT_EQ(worker->runOnce(), 1);
    const int64_t delay = entry(id).nextAttemptMs - now;
    EXPECT_THAT(delay, AllOf(Ge(base / 2), Le(base))) << "base " << base;
    clock_.setSystemTimeMs(entry(id).nextAttemptMs);
  }
}

TEST_F(DeliveryWorkerTest, RetryAfterIsHonouredWhenLongerThanTheBackoff) {
  std::atomic<int> calls{0};
  peer_.setHandler([&calls](const testing::TestPeer::Request&) {
    return ++calls == 1 ? answer(429, "{}", {{"Retry-After", "120"}}) : answer(200);
  });
  const int64_t id = enqueue("Patient/a", "A1");
  auto worker = makeWorker();

  EXPECT_EQ(worker->runOnce(), 1);
  EXPECT_EQ(entry(id).nextAttemptMs, kStartMs + 120000);

  clock_.advance(std::chrono::milliseconds(
      119999));  // far past the computed backoff, still before Retry-After
  EXPECT_EQ(worker->runOnce(), 0);
  clock_.advance(std::chrono::milliseconds(1));
  EXPECT_EQ(worker->runOnce(), 1);
  EXPECT_EQ(entry(id).state, OutboxState::kDelivered);
  expectEveryAttemptRecorded(2);
}

TEST_F(DeliveryWorkerTest, ShortRetryAfterDoesNotShortenTheBackoff) {
  peer_.setHandler([](const testing::TestPeer::Request&) {
    return answer(503, "{}", {{"Retry-After", "0"}});
  });
  const int64_t id = enqueue("Patient/a", "A1");
  auto worker = makeWorker();
  EXPECT_EQ(worker->runOnce(), 1);
  EXPECT_GE(entry(id).nextAttemptMs, kStartMs + 500);
}

TEST_F(DeliveryWorkerTest, RejectedEntryIsDeadWithThePeersAnswerAndNotRetried) {
  const std::string outcome =
      R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid",)"
      R"("diagnostics":"EpisodeOfCare.managingOrganization: unknown HSA-id"}]})";
  peer_.setHandler([&outcome](const testing::TestPeer::Request&) { return answer(400, outcome); });
  const int64_t id = enqueue("Patient/a", "A1");
  auto worker = makeWorker();

  EXPECT_EQ(worker->runOnce(), 1);
  const store::OutboxEntry e = entry(id);
  EXPECT_EQ(e.state, OutboxState::kDead);
  EXPECT_EQ(e.attempts, 1);
  EXPECT_THAT(e.lastError, HasSubstr("HTTP 400"));
  EXPECT_THAT(e.lastError, HasSubstr("unknown HSA-id"));

  clock_.advance(std::chrono::milliseconds(24LL * 3600 * 1000));
  EXPECT_EQ(worker->runOnce(), 0);
  EXPECT_EQ(peer_.requestCount(), 1u);
  const auto exchanges = outboundExchanges();
  ASSERT_EQ(exchanges.size(), 1u);
  EXPECT_EQ(exchanges[0].detail, "dead: HTTP 400");  // the peer's text stays out of the log
  EXPECT_THAT(auditLog()[0].json, HasSubstr(R"("outcome":"4")"));
  expectEveryAttemptRecorded(1);
}

TEST_F(DeliveryWorkerTest, LongRejectionTextIsTruncated) {
  peer_.setHandler(
      [](const testing::TestPeer::Request&) { return answer(422, std::string(20000, 'x')); });
  const int64_t id = enqueue("Patient/a", "A1");
  auto worker = makeWorker();
  EXPECT_EQ(worker->runOnce(), 1);
  const store::OutboxEntry e = entry(id);
  EXPECT_EQ(e.state, OutboxState::kDead);
  EXPECT_THAT(e.lastError.size(), AllOf(Ge(2048u), Le(2100u)));
}

TEST_F(DeliveryWorkerTest, ConflictAndTimeoutStatusesAreRetried) {
  for (int status : {408, 409}) {
    peer_.setHandler([status](const testing::TestPeer::Request&) { return answer(status); });
    const int64_t id = enqueue("Patient/s" + std::to_string(status), "S" + std::to_string(status));
    auto worker = makeWorker();
    EXPECT_EQ(worker->runOnce(), 1);
    EXPECT_EQ(entry(id).state, OutboxState::kPending) << status;
  }
}

TEST_F(DeliveryWorkerTest, GivesUpAfterMaxAttempts) {
  peer_.setHandler([](const testing::TestPeer::Request&) { return answer(502); });
  destination_.maxAttempts = 3;
  const int64_t id = enqueue("Patient/a", "A1");
  auto worker = makeWorker();

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(worker->runOnce(), 1) << "attempt " << i + 1;
    clock_.advance(std::chrono::milliseconds(destination_.retryMaxMs));
  }
  const store::OutboxEntry e = entry(id);
  EXPECT_EQ(e.state, OutboxState::kDead);
  EXPECT_EQ(e.attempts, 3);
  EXPECT_EQ(e.lastError, "gave up after 3 attempts: HTTP 502");

  clock_.advance(std::chrono::milliseconds(destination_.retryMaxMs));
  EXPECT_EQ(worker->runOnce(), 0);
  EXPECT_EQ(peer_.requestCount(), 3u);
  expectEveryAttemptRecorded(3);
}

// Records what the worker reports to metrics.
class RecordingObserver : public metrics::DeliveryObserver {
 public:
  void onDeliveryAttempt(const metrics::DeliverySample& sample) override {
    samples.push_back({std::string(sample.outcome), sample.httpStatus, sample.destinationFailed});
  }
  struct Sample {
    std::string outcome;
    int status = 0;
    bool destinationFailed = false;
    bool operator==(const Sample&) const = default;
  };
  std::vector<Sample> samples;
};

TEST_F(DeliveryWorkerTest, TheWorkerDecidesWhenTheDestinationIsFailingNotWhenContentIsRefused) {
  destination_.maxAttempts = 1;  // every failure becomes a dead letter at once
  RecordingObserver observer;
  for (int status : {200, 503, 429, 408, 400, 422}) {
    peer_.setHandler([status](const testing::TestPeer::Request&) { return answer(status); });
    enqueue("Patient/s" + std::to_string(status), "S" + std::to_string(status));
    auto worker = makeWorker();
    worker->setObserver(&observer);
    EXPECT_EQ(worker->runOnce(), 1) << status;
  }
  // A refusal of one message's content (400, 422) says nothing about the destination; a dead
  // letter after an unavailable, busy or timed-out peer does.
  using S = RecordingObserver::Sample;
  EXPECT_THAT(
      observer.samples,
      ::testing::ElementsAre(S{"delivered", 200, false}, S{"dead", 503, true}, S{"dead", 429, true},
                             S{"dead", 408, true}, S{"dead", 400, false}, S{"dead", 422, false}));
}

TEST_F(DeliveryWorkerTest, UnreachablePeerIsRetriedWithStatusZero) {
  int port = 0;
  {
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = socket.address().port();
  }
  destination_.peer.baseUrl = "http://127.0.0.1:" + std::to_string(port) + "/fhir";
  const int64_t id = enqueue("Patient/a", "A1");
  auto worker = makeWorker();
  RecordingObserver observer;
  worker->setObserver(&observer);

  EXPECT_EQ(worker->runOnce(), 1);
  EXPECT_THAT(observer.samples,
              ::testing::ElementsAre(RecordingObserver::Sample{"no_answer", 0, true}));
  const store::OutboxEntry e = entry(id);
  EXPECT_EQ(e.state, OutboxState::kPending);
  EXPECT_THAT(e.lastError, HasSubstr("no answer"));
  const auto exchanges = outboundExchanges();
  ASSERT_EQ(exchanges.size(), 1u);
  EXPECT_EQ(exchanges[0].httpStatus, 0);
  EXPECT_THAT(auditLog()[0].json, HasSubstr(R"("outcome":"8")"));
  expectEveryAttemptRecorded(1);
}

TEST_F(DeliveryWorkerTest, FailingEntryHoldsBackOnlyItsOwnPatient) {
  std::atomic<bool> aHealthy{false};
  peer_.setHandler([&aHealthy](const testing::TestPeer::Request& r) {
    if (hasTag(r, "A1") && !aHealthy) return answer(503);
    return answer(200);
  });
  const int64_t a1 = enqueue("Patient/a", "A1");
  const int64_t a2 = enqueue("Patient/a", "A2");
  const int64_t b1 = enqueue("Patient/b", "B1");
  auto worker = makeWorker();

  EXPECT_EQ(worker->runOnce(), 2);  // A1 (fails) and B1
  EXPECT_EQ(entry(b1).state, OutboxState::kDelivered);
  EXPECT_EQ(entry(a1).state, OutboxState::kPending);
  EXPECT_EQ(entry(a2).state, OutboxState::kPending);
  EXPECT_EQ(worker->runOnce(), 0);  // A1 waits for its backoff, A2 waits for A1

  clock_.advance(std::chrono::milliseconds(destination_.retryMaxMs));
  aHealthy = true;
  EXPECT_EQ(worker->runOnce(), 1);  // A1
  EXPECT_EQ(worker->runOnce(), 1);  // then A2
  EXPECT_EQ(entry(a1).state, OutboxState::kDelivered);
  EXPECT_EQ(entry(a2).state, OutboxState::kDelivered);

  std::vector<std::string> order;
  for (const auto& r : peer_.requests()) {
    for (const char* tag : {"A1", "A2", "B1"}) {
      if (hasTag(r, tag)) order.push_back(tag);
    }
  }
  EXPECT_THAT(order, ::testing::ElementsAre("A1", "B1", "A1", "A2"));
  expectEveryAttemptRecorded(4);
  auto forA = store_->auditLog().auditRecordsForPatient("Patient/a", 100);
  ASSERT_TRUE(forA.isOk());
  EXPECT_EQ(forA->size(), 3u);
}

TEST_F(DeliveryWorkerTest, ThreadDeliversOnNotifyAndDrainsAPatientsQueue) {
  const int64_t a1 = enqueue("Patient/a", "A1");
  const int64_t a2 = enqueue("Patient/a", "A2");
  auto worker = makeWorker();
  worker->start();
  worker->notify();
  // The poll interval is a minute: both arriving quickly means A1's delivery released A2 at once.
  EXPECT_EQ(peer_.waitForRequests(2, 10000), 2u);
  clock_.waitUntilIdle();  // both recorded: the worker sleeps again
  const auto stopStarted = std::chrono::steady_clock::now();
  worker->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stopStarted, std::chrono::seconds(2));
  EXPECT_EQ(entry(a1).state, OutboxState::kDelivered);
  EXPECT_EQ(entry(a2).state, OutboxState::kDelivered);
  worker->stop();  // idempotent
}

TEST_F(DeliveryWorkerTest, ThreadPicksUpNewEntriesAfterNotify) {
  auto worker = makeWorker();
  worker->start();
  clock_.waitUntilIdle();  // the first pass found nothing and sleeps a poll interval
  const int64_t id = enqueue("Patient/b", "B1");
  worker->notify();
  EXPECT_EQ(peer_.waitForRequests(1, 10000), 1u);
  worker.reset();  // the destructor stops the thread
  EXPECT_EQ(entry(id).state, OutboxState::kDelivered);
}

TEST_F(DeliveryWorkerTest, FailedRecordingLeavesTheEntryForTheNextPass) {
  const int64_t id = enqueue("Patient/a", "A1");
  auto worker = makeWorker();
  store_->failWrites(core::unavailable("disk full"));

  EXPECT_EQ(worker->runOnce(), 1);
  EXPECT_EQ(entry(id).state, OutboxState::kPending);
  EXPECT_EQ(entry(id).attempts, 0);
  EXPECT_THAT(logs_.str(), HasSubstr("delivery.record_failed"));

  EXPECT_EQ(worker->runOnce(), 1);  // sent again; the peer sees the same Idempotency-Key
  EXPECT_EQ(entry(id).state, OutboxState::kDelivered);
  const auto requests = peer_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].headers.at("idempotency-key"), requests[1].headers.at("idempotency-key"));
  expectEveryAttemptRecorded(1);  // only the recorded attempt left a trace
}

}  // namespace
}  // namespace brygga::delivery

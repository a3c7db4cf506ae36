// The delivery engine's guarantees (issue 5) against the in-memory store: a crash between sending
// and recording resends the same request, pauses stop sending, one commit per pass, the age limit,
// and retention.
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "gateway/delivery/delivery_worker.h"
#include "gateway/delivery/retention.h"
#include "mappings/enrollment_forward.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_store.h"
#include "tests/support/test_support.h"

namespace brygga::delivery {
namespace {

using store::OutboxState;
using ::testing::HasSubstr;

constexpr int64_t kStartMs = 1795428900000;  // 2026-11-23T10:15:00Z

class DeliveryEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    destination_.name = "regional";
    destination_.peer.baseUrl = peer_.baseUrl();
    destination_.peer.timeoutMs = 5000;
    destination_.maxAttempts = 5;
    destination_.retryBaseMs = 1000;
    destination_.retryMaxMs = 60000;
    settings_.pollIntervalMs = 60000;
    settings_.batchSize = 32;
  }

  std::unique_ptr<DeliveryWorker> worker() {
    return std::make_unique<DeliveryWorker>(
        destination_, settings_, store_,
        adapters::makeCurlAsyncHttpClient(destination_.peer, destination_.maxInFlight), clock_,
        logger_);
  }

  // The Bundle the FHIR API would enqueue for an enrollment of Tolvan Tolvansson.
  static std::string forwardBundle(const std::string& episode) {
    auto bundle = mappings::buildEnrollmentForward(
        {{"Patient", "p1",
          R"({"resourceType":"Patient","id":"p1","identifier":[{"system":)"
          R"("http://electronichealth.se/identifier/personnummer","value":"19121212-1212"}]})"},
         {"EpisodeOfCare", "e1",
          R"({"resourceType":"EpisodeOfCare","id":"e1","status":"active","identifier":[{)"
          R"("system":"https://kungsbacka.se/hemsjukvard/inskrivning","value":")" +
              episode + R"("}],"patient":{"reference":"Patient/p1"}})"}});
    EXPECT_TRUE(bundle.isOk()) << bundle.status().toString();
    return bundle.isOk() ? *bundle : std::string();
  }

  int64_t enqueue(const std::string& key, const std::string& payload, int64_t createdMs = 0) {
    store::OutboxEntry e;
    e.destination = "regional";
    e.orderingKey = key;
    e.requestId = "req-" + key;
    e.tenant = "kungsbacka";
    e.payload = payload;
    e.createdMs = createdMs != 0 ? createdMs : clock_.nowMs();
    e.nextAttemptMs = clock_.nowMs();
    int64_t id = 0;
    EXPECT_TRUE(store_
                    .write([&](store::StoreTransaction& txn) -> core::Status {
                      BRYGGA_ASSIGN_OR_RETURN(id, txn.outbox().enqueue(e));
                      return core::Status::ok();
                    })
                    .isOk());
    return id;
  }

  store::OutboxEntry entry(int64_t id) { return **store_.outbox().outboxEntry(id); }

  testing::TestPeer peer_;
  testing::TestStore store_;
  testing::SimulatedTimeSystem clock_{kStartMs};
  std::ostringstream logs_;
  core::Logger logger_{logs_};
  delivery::DestinationConfig destination_;
  delivery::DeliveryConfig settings_;
};

TEST_F(DeliveryEngineTest, ACrashBetweenSendingAndRecordingResendsTheSameConditionalRequest) {
  const std::string bundle = forwardBundle("E-1001");
  const int64_t id = enqueue("Patient/p1", bundle);
  auto w = worker();
  // The write that records the attempt fails once, as if the gateway died right after the peer
  // answered: the store still says "pending, never attempted".
  store_.failWrites(core::unavailable("the process died"));
  EXPECT_EQ(w->runOnce(), 1);
  EXPECT_EQ(entry(id).state, OutboxState::kPending);
  EXPECT_EQ(entry(id).attempts, 0);

  EXPECT_EQ(w->runOnce(), 1);
  EXPECT_EQ(entry(id).state, OutboxState::kDelivered);
  EXPECT_EQ(w->runOnce(), 0);
  const auto requests = peer_.requests();
  ASSERT_EQ(requests.size(), 2u);
  // The same Idempotency-Key and byte for byte the same Bundle...
  EXPECT_EQ(requests[0].headers.at("idempotency-key"), "regional-" + std::to_string(id));
  EXPECT_EQ(requests[1].headers.at("idempotency-key"), requests[0].headers.at("idempotency-key"));
  EXPECT_EQ(requests[0].body, bundle);
  EXPECT_EQ(requests[1].body, bundle);
  // ...which is conditional throughout, so applying it twice changes the peer's data once.
  rapidjson::Document doc;
  doc.Parse(requests[1].body.c_str());
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["type"].GetString(), "transaction");
  for (const auto& e : doc["entry"].GetArray()) {
    const std::string method = e["request"]["method"].GetString();
    const std::string url = e["request"]["url"].GetString();
    if (method == "POST") {
      EXPECT_TRUE(e["request"].HasMember("ifNoneExist")) << url;
    } else {
      EXPECT_EQ(method, "PUT");
      EXPECT_THAT(url, HasSubstr("?identifier=")) << "a PUT must be a conditional update";
    }
  }
  // Only the recorded attempt is in the exchange log.
  store::ExchangeQuery q;
  q.direction = "outbound";
  EXPECT_EQ(store_.exchangeLog().exchanges(q)->size(), 1u);
}

TEST_F(DeliveryEngineTest, OnePassRecordsAllItsAttemptsInOneWriteUnit) {
  for (int p = 0; p < 10; ++p)
    enqueue("Patient/p" + std::to_string(p), forwardBundle("E-" + std::to_string(p)));
  auto w = worker();
  const int before = store_.committedWrites();
  EXPECT_EQ(w->runOnce(), 10);
  EXPECT_EQ(store_.committedWrites(), before + 1);
  EXPECT_EQ(peer_.requestCount(), 10u);
  store::ExchangeQuery q;
  q.direction = "outbound";
  EXPECT_EQ(store_.exchangeLog().exchanges(q)->size(), 10u);
  EXPECT_EQ(store_.auditLog().auditRecords(1, 100)->size(), 10u);
}

TEST_F(DeliveryEngineTest, APausedDestinationSendsNothingUntilResumed) {
  const int64_t id = enqueue("Patient/p1", forwardBundle("E-1"));
  auto w = worker();
  // Paused by another process on the same database (the CLI): seen at the start of a pass.
  ASSERT_TRUE(store_
                  .write([](store::StoreTransaction& txn) {
                    return txn.outbox().setDestinationPaused("regional", true, kStartMs, "cli");
                  })
                  .isOk());
  EXPECT_EQ(w->runOnce(), 0);
  EXPECT_TRUE(w->paused());
  EXPECT_EQ(peer_.requestCount(), 0u);
  ASSERT_TRUE(store_
                  .write([](store::StoreTransaction& txn) {
                    return txn.outbox().setDestinationPaused("regional", false, kStartMs, "cli");
                  })
                  .isOk());
  EXPECT_EQ(w->runOnce(), 1);
  EXPECT_EQ(entry(id).state, OutboxState::kDelivered);
}

TEST_F(DeliveryEngineTest, APauseFromTheAdminApiStopsTheRunningWorkerAtOnce) {
  auto w = worker();
  w->start();
  w->setPaused(true);  // what the admin API does after committing the pause
  ASSERT_TRUE(store_
                  .write([](store::StoreTransaction& txn) {
                    return txn.outbox().setDestinationPaused("regional", true, kStartMs,
                                                             "integration");
                  })
                  .isOk());
  enqueue("Patient/p1", forwardBundle("E-1"));
  w->notify();
  // The woken pass and one more a poll interval later both ran, and neither sent anything.
  clock_.waitUntilIdle();
  EXPECT_EQ(clock_.advanceTimeWait(std::chrono::milliseconds(settings_.pollIntervalMs)), 1u);
  EXPECT_EQ(peer_.requestCount(), 0u);
  ASSERT_TRUE(store_
                  .write([](store::StoreTransaction& txn) {
                    return txn.outbox().setDestinationPaused("regional", false, kStartMs,
                                                             "integration");
                  })
                  .isOk());
  w->setPaused(false);  // resumes and wakes the worker
  EXPECT_EQ(peer_.waitForRequests(1, 10000), 1u);
}

TEST_F(DeliveryEngineTest, AMessageOlderThanMaxAgeIsDeadLetteredWithItsReason) {
  peer_.setHandler([](const testing::TestPeer::Request&) {
    testing::TestPeer::Response r;
    r.status = 503;
    return r;
  });
  destination_.maxAttempts = 1000;
  destination_.maxAgeMs = 10 * 60 * 1000;
  const int64_t id = enqueue("Patient/p1", forwardBundle("E-1"));
  auto w = worker();
  EXPECT_EQ(w->runOnce(), 1);
  EXPECT_EQ(entry(id).state, OutboxState::kPending);
  clock_.advance(std::chrono::milliseconds(11 * 60 * 1000));
  EXPECT_EQ(w->runOnce(), 1);
  const store::OutboxEntry e = entry(id);
  EXPECT_EQ(e.state, OutboxState::kDead);
  EXPECT_THAT(e.lastError, HasSubstr("undelivered"));
  EXPECT_THAT(e.lastError, HasSubstr("HTTP 503"));
}

TEST_F(DeliveryEngineTest, RetentionDeletesOnlyDeliveredEntriesPastTheRetentionTime) {
  peer_.setHandler([](const testing::TestPeer::Request& r) {
    testing::TestPeer::Response out;
    out.status = r.body.find("E-dead") != std::string::npos ? 400 : 200;
    return out;
  });
  const int64_t delivered = enqueue("Patient/p1", forwardBundle("E-1"));
  const int64_t dead = enqueue("Patient/p2", forwardBundle("E-dead"));
  EXPECT_EQ(worker()->runOnce(), 2);
  settings_.retentionMs = 60000;
  Retention retention(settings_, store_, clock_, logger_);
  clock_.advance(std::chrono::milliseconds(59999));
  EXPECT_EQ(*retention.runOnce(), 0);
  clock_.advance(std::chrono::milliseconds(2));
  EXPECT_EQ(*retention.runOnce(), 1);
  EXPECT_FALSE(store_.outbox().outboxEntry(delivered)->has_value());
  EXPECT_EQ(entry(dead).state, OutboxState::kDead);
  EXPECT_EQ(store_.auditLog().auditRecords(1, 10)->size(), 2u);  // audit records are never pruned
  EXPECT_THAT(logs_.str(), HasSubstr("retention.purged"));
}

}  // namespace
}  // namespace brygga::delivery

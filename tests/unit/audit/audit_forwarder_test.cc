#include "gateway/audit/audit_forwarder.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "gateway/audit/audit_trail.h"
#include "gateway/audit/fhir_audit_sink.h"
#include "gateway/audit/syslog_sink.h"
#include "gateway/core/civil_time.h"
#include "gateway/store/sqlite_store.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_support.h"

namespace brygga::audit {
namespace {

AuditContext contextFor(int n, int status = 200) {
  AuditContext c;
  c.recordedMs = 1795428900000 + n;
  c.subtype = n % 2 == 0 ? "read" : "create";
  c.action = n % 2 == 0 ? 'R' : 'C';
  c.httpStatus = status;
  c.clientId = "halmstad";
  c.clientTenant = "halmstad";
  c.requestId = "req-" + std::to_string(n);
  return c;
}

void append(store::Store& store, int count, int status = 200) {
  core::Status s = store.write([&](store::StoreTransaction& txn) {
    for (int i = 0; i < count; ++i) {
      auto seq = AuditTrail::append(txn, contextFor(i, status));
      if (!seq.isOk()) return seq.status();
    }
    return core::Status::ok();
  });
  ASSERT_TRUE(s.isOk()) << s.toString();
}

// Records what it was handed; can be told to be down, or to take only part of a batch.
struct RecordingSink : AuditSink {
  struct Shared {
    std::mutex mutex;
    std::vector<int64_t> received;
    bool down = false;
    size_t takeAtMost = 1000000;
    int disconnects = 0;
  };
  explicit RecordingSink(std::shared_ptr<Shared> s) : shared(std::move(s)) {}
  std::string name() const override { return "test"; }
  Result send(const std::vector<store::AuditRecord>& records) override {
    std::lock_guard lock(shared->mutex);
    Result r;
    if (shared->down) {
      r.status = core::unavailable("repository down");
      return r;
    }
    for (const auto& rec : records) {
      if (r.accepted == shared->takeAtMost) {
        r.status = core::unavailable("connection broke");
        return r;
      }
      shared->received.push_back(rec.seq);
      ++r.accepted;
    }
    return r;
  }
  void disconnect() override {
    std::lock_guard lock(shared->mutex);
    ++shared->disconnects;
  }
  std::shared_ptr<Shared> shared;
};

std::vector<int64_t> oneTo(int64_t n) {
  std::vector<int64_t> out;
  for (int64_t i = 1; i <= n; ++i) out.push_back(i);
  return out;
}

struct AuditForwarderTest : ::testing::Test {
  void SetUp() override {
    store::SqliteOptions options;
    options.path = dir.file("brygga.db");
    auto opened = store::openSqliteStore(options);
    ASSERT_TRUE(opened.isOk()) << opened.status().toString();
    store = std::move(opened).value();
  }
  std::unique_ptr<AuditForwarder> forwarder(int batchSize = 10) {
    ForwarderOptions options;
    options.batchSize = batchSize;
    options.pollIntervalMs = 10;
    options.retryBaseMs = 10;
    options.retryMaxMs = 40;
    return std::make_unique<AuditForwarder>(*store, std::make_unique<RecordingSink>(shared),
                                            options, clock, logger);
  }
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::SimulatedTimeSystem clock{1795428900000};
  std::ostringstream log;
  core::Logger logger{log};
  std::shared_ptr<RecordingSink::Shared> shared = std::make_shared<RecordingSink::Shared>();
};

TEST_F(AuditForwarderTest, ForwardsEveryRecordInOrderAndKeepsTheCursor) {
  append(*store, 25);
  auto f = forwarder(10);
  auto sent = f->runOnce();
  ASSERT_TRUE(sent.isOk()) << sent.status().toString();
  EXPECT_EQ(*sent, 25);
  EXPECT_EQ(shared->received, oneTo(25));
  EXPECT_EQ(*store->auditLog().auditForwardCursor("test"), 25);
  // Nothing new: nothing sent again.
  EXPECT_EQ(*f->runOnce(), 0);
  EXPECT_EQ(shared->received.size(), 25u);
}

TEST_F(AuditForwarderTest, NothingIsLostOrRepeatedWhileTheRepositoryIsDown) {
  append(*store, 5);
  auto f = forwarder();
  ASSERT_TRUE(f->runOnce().isOk());
  shared->down = true;
  append(*store, 7);
  EXPECT_FALSE(f->runOnce().isOk());
  EXPECT_FALSE(f->runOnce().isOk());
  EXPECT_EQ(*store->auditLog().auditForwardCursor("test"),
            5);  // the cursor waits for the repository
  EXPECT_EQ(f->stats().consecutiveFailures, 2);
  shared->down = false;
  auto sent = f->runOnce();
  ASSERT_TRUE(sent.isOk());
  EXPECT_EQ(*sent, 7);
  EXPECT_EQ(shared->received, oneTo(12));
  EXPECT_EQ(f->stats().consecutiveFailures, 0);
}

TEST_F(AuditForwarderTest, APartlyAcceptedBatchMovesTheCursorToWhatWasTaken) {
  append(*store, 10);
  shared->takeAtMost = 4;
  auto f = forwarder(10);
  EXPECT_FALSE(f->runOnce().isOk());
  EXPECT_EQ(*store->auditLog().auditForwardCursor("test"), 4);
  EXPECT_GE(shared->disconnects, 1);  // a broken connection is dropped
  shared->takeAtMost = 1000;
  ASSERT_TRUE(f->runOnce().isOk());
  EXPECT_EQ(shared->received, oneTo(10));
}

TEST_F(AuditForwarderTest, ARestartedForwarderResumesFromTheDurableCursor) {
  append(*store, 6);
  ASSERT_TRUE(forwarder()->runOnce().isOk());
  append(*store, 3);
  // A new forwarder (a restarted gateway) on the same database.
  auto again = forwarder();
  ASSERT_TRUE(again->runOnce().isOk());
  EXPECT_EQ(shared->received, oneTo(9));
}

TEST_F(AuditForwarderTest, TheThreadForwardsNewRecordsAndBacksOffWhileDown) {
  using std::chrono::milliseconds;
  auto f = forwarder(3);
  shared->down = true;
  f->start();
  clock.waitUntilIdle();  // the first pass found nothing
  append(*store, 8);
  EXPECT_EQ(clock.advanceTimeWait(milliseconds(10)), 1u);  // the next poll fails
  EXPECT_EQ(f->stats().failures, 1);
  // It backs off 10, then 20 ms: nothing is tried before a backoff ends, not even on notify.
  f->notify();
  clock.waitUntilIdle();
  EXPECT_EQ(clock.advanceTimeWait(milliseconds(9)), 0u);
  EXPECT_EQ(f->stats().failures, 1);
  EXPECT_EQ(clock.advanceTimeWait(milliseconds(1)), 1u);
  EXPECT_EQ(f->stats().failures, 2);
  EXPECT_EQ(clock.advanceTimeWait(milliseconds(19)), 0u);
  EXPECT_EQ(clock.advanceTimeWait(milliseconds(1)), 1u);
  EXPECT_EQ(f->stats().failures, 3);
  {
    std::lock_guard lock(shared->mutex);
    EXPECT_TRUE(shared->received.empty());
    shared->down = false;
  }
  // The repository is back: at the end of the backoff (40 ms, its maximum) one pass sends all.
  EXPECT_EQ(clock.advanceTimeWait(milliseconds(40)), 1u);
  EXPECT_EQ(f->stats().cursor, 8);
  f->stop();
  EXPECT_EQ(shared->received, oneTo(8));
  EXPECT_EQ(f->stats().failures, 3);
}

TEST_F(AuditForwarderTest, TheCursorNeverMovesBack) {
  core::Status s = store->write([](store::StoreTransaction& txn) {
    return txn.auditLog().setAuditForwardCursor("test", 10, 1);
  });
  ASSERT_TRUE(s.isOk());
  s = store->write([](store::StoreTransaction& txn) {
    return txn.auditLog().setAuditForwardCursor("test", 9, 2);
  });
  EXPECT_EQ(s.code(), core::StatusCode::kConflict);
}

TEST_F(AuditForwarderTest, FhirSinkPostsEachRecordAndStopsAtTheFirstRefusal) {
  testing::TestPeer peer;
  int answered = 0;
  peer.setHandler([&](const testing::TestPeer::Request&) {
    testing::TestPeer::Response r;
    r.status = ++answered == 3 ? 503 : 201;
    return r;
  });
  adapters::HttpPeer d;
  d.baseUrl = peer.baseUrl();
  d.timeoutMs = 5000;
  FhirAuditSink sink(peer.baseUrl() + "/", adapters::makeCurlHttpClient(d));
  append(*store, 4);
  auto records = *store->auditLog().auditRecords(1, 10);
  auto result = sink.send(records);
  EXPECT_FALSE(result.status.isOk());
  EXPECT_EQ(result.accepted, 2u);
  auto requests = peer.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].uri, "/fhir/AuditEvent");
  EXPECT_EQ(requests[0].headers["content-type"], "application/fhir+json");
  EXPECT_EQ(requests[1].headers["x-brygga-audit-seq"], "2");
  EXPECT_EQ(requests[1].body, records[1].json);  // byte for byte as stored
}

TEST(SyslogFormatTest, Rfc5424HeaderAndTheAuditEventAsMessage) {
  store::AuditRecord record;
  record.seq = 42;
  record.recordedMs = 1795428900123;  // 2026-11-23T...
  record.json = buildAuditEvent(contextFor(2), "42");
  const std::string msg = formatSyslogMessage(record, {"gw01.example", 4711});
  // facility 10 (security/authorization) * 8 + severity 5 (notice) for a success
  const std::string expectedStart = "<85>1 " + core::formatInstant(record.recordedMs) +
                                    " gw01.example brygga 4711 read [meta sequenceId=\"42\"] ";
  ASSERT_EQ(msg.substr(0, expectedStart.size()), expectedStart);
  const std::string rest = msg.substr(expectedStart.size());
  EXPECT_EQ(rest.substr(0, 3), "\xEF\xBB\xBF");  // BOM: the message is UTF-8
  EXPECT_EQ(rest.substr(3), record.json);
  const std::string framed = frameSyslogMessage(msg);
  EXPECT_EQ(framed, std::to_string(msg.size()) + " " + msg);
}

TEST(SyslogFormatTest, FailuresAreWarningsOrErrors) {
  store::AuditRecord record;
  record.seq = 1;
  record.json = buildAuditEvent(contextFor(1, 403), "1");
  EXPECT_EQ(formatSyslogMessage(record, {}).substr(0, 6), "<84>1 ");
  record.json = buildAuditEvent(contextFor(1, 503), "1");
  const std::string serious = formatSyslogMessage(record, {});
  EXPECT_EQ(serious.substr(0, 6), "<83>1 ");
  // Without a host name or process id: NILVALUE.
  EXPECT_NE(serious.find(" - brygga - create "), std::string::npos);
}

TEST(SyslogSinkTest, AMissingCaFileIsAConfigurationError) {
  audit::SyslogForwardConfig config;
  config.host = "127.0.0.1";
  config.caFile = "/nonexistent/ca.crt";
  auto sink = SyslogTlsSink::create(config);
  EXPECT_EQ(sink.status().code(), core::StatusCode::kInvalidArgument);
}

TEST(SyslogSinkTest, ARepositoryThatIsNotThereFailsTheBatchWithoutTakingAnything) {
  audit::SyslogForwardConfig config;
  config.host = "127.0.0.1";
  config.port = 1;  // nothing listens there
  config.caFile = "/etc/ssl/certs/ca-certificates.crt";
  auto sink = SyslogTlsSink::create(config);
  if (!sink.isOk()) GTEST_SKIP() << "no dev CA: " << sink.status().toString();
  store::AuditRecord record;
  record.seq = 1;
  record.json = "{}";
  auto result = (*sink)->send({record});
  EXPECT_FALSE(result.status.isOk());
  EXPECT_EQ(result.accepted, 0u);
}

}  // namespace
}  // namespace brygga::audit

// The SQLite store under the delivery engine (issue 5): group commit, the size limit, retention
// that gives the disk space back. What every backend does is in store_delivery_test.cc.
#include <atomic>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

using ::testing::HasSubstr;

class SqliteDeliveryStoreTest : public SqliteStoreTest {
 protected:
  int64_t fileBytes() {
    std::error_code ec;
    int64_t total = static_cast<int64_t>(std::filesystem::file_size(dbPath(), ec));
    const auto wal = std::filesystem::file_size(dbPath() + "-wal", ec);
    if (!ec) total += static_cast<int64_t>(wal);
    return total;
  }
};

// --- Group commit --------------------------------------------------------------------------

TEST_F(SqliteDeliveryStoreTest, UnitsQueuedBehindASlowOneCommitTogetherWhenItIsDone) {
  std::promise<void> inside;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto slow = std::async(std::launch::async, [&] {
    return store_->write([&](StoreTransaction& txn) {
      BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(resource("Patient", "slow", 1, 1000)));
      inside.set_value();
      released.wait();
      return core::Status::ok();
    });
  });
  inside.get_future().wait();
  std::vector<std::future<core::Status>> queued;
  for (int i = 0; i < 5; ++i) {
    queued.push_back(std::async(std::launch::async, [&, i] {
      return put(resource("Patient", "queued" + std::to_string(i), 1, 2000));
    }));
  }
  // None of them can be acknowledged before the commit that holds it.
  for (auto& f : queued) {
    EXPECT_EQ(f.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  }
  release.set_value();
  EXPECT_TRUE(slow.get().isOk());
  for (auto& f : queued) EXPECT_TRUE(f.get().isOk());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(store_->resources().read("Patient", "queued" + std::to_string(i))->has_value());
  }
}

TEST_F(SqliteDeliveryStoreTest, ADiskFullInAGroupFailsItsUnitsAndLaterUnitsStillFit) {
  store_.reset();
  store_ = open(/*maxDatabaseBytes=*/1 << 20);
  ASSERT_NE(store_, nullptr);
  std::vector<std::future<core::Status>> small;
  std::promise<void> inside;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  // The huge unit waits until small ones are queued behind it, so they share its group.
  auto huge = std::async(std::launch::async, [&] {
    return store_->write([&](StoreTransaction& txn) {
      inside.set_value();
      released.wait();
      ResourceWrite w = resource("Binary", "huge", 1, 2000);
      w.record.json = std::string(2 << 20, 'x');
      return txn.resources().putResource(w);
    });
  });
  inside.get_future().wait();
  for (int i = 0; i < 3; ++i) {
    small.push_back(std::async(std::launch::async, [&, i] {
      return put(resource("Patient", "s" + std::to_string(i), 1, 2000));
    }));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  release.set_value();
  const core::Status full = huge.get();
  EXPECT_EQ(full.code(), core::StatusCode::kUnavailable);
  EXPECT_THAT(full.message(), HasSubstr("disk is full"));
  // Whatever each small unit was told is the truth in the database.
  for (int i = 0; i < 3; ++i) {
    const core::Status s = small[static_cast<size_t>(i)].get();
    auto found = store_->resources().read("Patient", "s" + std::to_string(i));
    ASSERT_TRUE(found.isOk());
    EXPECT_EQ(found->has_value(), s.isOk()) << s.toString();
    if (!s.isOk()) {
      EXPECT_EQ(s.code(), core::StatusCode::kUnavailable);
    }
  }
  EXPECT_FALSE(store_->resources().read("Binary", "huge")->has_value());
  EXPECT_TRUE(put(resource("Patient", "after", 1, 3000)).isOk());
}

// --- Queue depth, pause, dead letters --------------------------------------------------------

// --- Retention -----------------------------------------------------------------------------

TEST_F(SqliteDeliveryStoreTest, RetentionDeletesOldDeliveredPayloadsAndTheFileShrinks) {
  // A few thousand delivered entries with 8 KB payloads each: some tens of MB.
  const std::string payload(8 * 1024, 'p');
  constexpr int kEntries = 3000;
  std::vector<int64_t> ids;
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) -> core::Status {
                    for (int i = 0; i < kEntries; ++i) {
                      OutboxEntry e = outboxEntry("regional", "Patient/" + std::to_string(i), 0);
                      e.payload = payload;
                      BRYGGA_ASSIGN_OR_RETURN(int64_t id, txn.outbox().enqueue(e));
                      ids.push_back(id);
                    }
                    return core::Status::ok();
                  })
                  .isOk());
  // All but the last ten were delivered long ago; the last ten only just now. One is dead.
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) -> core::Status {
                    for (int i = 0; i < kEntries; ++i) {
                      const bool recent = i >= kEntries - 10;
                      BRYGGA_RETURN_IF_ERROR(txn.outbox().updateOutbox(
                          ids[static_cast<size_t>(i)],
                          i == 0 ? OutboxState::kDead : OutboxState::kDelivered, 1,
                          recent ? 900000 : 1000, ""));
                    }
                    return core::Status::ok();
                  })
                  .isOk());
  AuditRecord audit;
  audit.seq = 1;
  audit.json = "{}";
  audit.prevHash = std::string(64, '0');
  audit.hash = std::string(64, '1');
  ASSERT_TRUE(
      store_->write([&](StoreTransaction& txn) { return txn.auditLog().appendAudit(audit); })
          .isOk());
  ASSERT_TRUE(store_->reclaimSpace().isOk());  // checkpoint: everything is in the main file
  const int64_t before = fileBytes();
  ASSERT_GT(before, 20 << 20);

  int64_t purged = 0;
  for (;;) {
    auto n = store_->outbox().purgeDelivered(/*deliveredBeforeMs=*/500000, /*limit=*/1000);
    ASSERT_TRUE(n.isOk()) << n.status().toString();
    if (*n == 0) break;
    purged += *n;
  }
  EXPECT_EQ(purged, kEntries - 11);
  ASSERT_TRUE(store_->reclaimSpace().isOk());
  const int64_t after = fileBytes();
  EXPECT_LT(after, before / 4) << "before " << before << " bytes, after " << after;

  // The recent deliveries, the dead letter and the audit record are untouched.
  EXPECT_TRUE((*store_->outbox().outboxEntry(ids[0]))->state == OutboxState::kDead);
  EXPECT_TRUE(store_->outbox().outboxEntry(ids.back())->has_value());
  EXPECT_FALSE(store_->outbox().outboxEntry(ids[1])->has_value());
  EXPECT_EQ(store_->outbox().entries("regional", OutboxState::kDelivered, 100)->size(), 10u);
  EXPECT_EQ(store_->auditLog().auditRecords(1, 10)->size(), 1u);
  // Ids are never reused after a purge.
  EXPECT_GT(enqueueOrFail(outboxEntry("regional", "Patient/new", 0)), ids.back());
}

TEST_F(SqliteDeliveryStoreTest, AFileFromBeforeIncrementalVacuumIsConvertedWhenOpened) {
  store_.reset();
  std::filesystem::remove(dbPath());
  {
    // A file whose auto_vacuum is off, as builds before this one made them.
    Poco::Data::SQLite::Connector::registerConnector();
    Poco::Data::Session session("SQLite", dbPath());
    using namespace Poco::Data::Keywords;
    session << "PRAGMA journal_mode = WAL", now;
    session << "CREATE TABLE filler (x TEXT)", now;
    int mode = -1;
    session << "PRAGMA auto_vacuum", into(mode), now;
    ASSERT_EQ(mode, 0);
  }
  store_ = open();
  ASSERT_NE(store_, nullptr);
  Poco::Data::Session session("SQLite", dbPath());
  using namespace Poco::Data::Keywords;
  int mode = -1;
  session << "PRAGMA auto_vacuum", into(mode), now;
  EXPECT_EQ(mode, 2);
}

}  // namespace
}  // namespace brygga::store

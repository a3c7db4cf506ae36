#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/store/sqlite_schema.h"
#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

using namespace Poco::Data::Keywords;
using ::testing::HasSubstr;

// A connection of its own, as another process (or an operator's sqlite3 shell) would have.
Poco::Data::Session freshSession(const std::string& path) {
  Poco::Data::SQLite::Connector::registerConnector();
  return Poco::Data::Session("SQLite", path);
}

TEST_F(SqliteStoreTest, DatabaseIsInWalModeWithAVersionedSchema) {
  Poco::Data::Session session = freshSession(dbPath());
  std::string mode;
  session << "PRAGMA journal_mode", into(mode), now;
  EXPECT_EQ(mode, "wal");
  int version = 0;
  session << "SELECT MAX(version) FROM schema_version", into(version), now;
  EXPECT_EQ(version, sqlite::kSchemaVersion);
}

// Committed pages reach the database file without the writer copying them: the store's
// background checkpointer does it, while the WAL is still far below the size at which a COMMIT
// would checkpoint by itself (SQLite's default: 1,000 pages, 4 MiB).
TEST_F(SqliteStoreTest, CommittedPagesReachTheDatabaseFileInTheBackground) {
  const auto fileBytes = [&] {
    std::error_code error;
    const auto size = std::filesystem::file_size(dbPath(), error);
    return error ? std::uintmax_t{0} : size;
  };
  const std::uintmax_t before = fileBytes();
  // About 2 MiB of resources, each its own unit (a COMMIT each): some 500 pages in the WAL.
  const std::string text(4000, 'x');
  for (int i = 0; i < 500; ++i) {
    ResourceWrite w = resource("Basic", "b" + std::to_string(i), 1, 1000 + i);
    w.record.json = R"({"resourceType":"Basic","id":"b)" + std::to_string(i) +
                    R"(","text":{"status":"generated","div":")" + text + R"("}})";
    ASSERT_TRUE(put(w).isOk());
  }
  EXPECT_TRUE(testing::waitUntil([&] { return fileBytes() >= before + (1u << 20); }))
      << "the database file stayed at " << fileBytes() << " bytes";
}

// Under a steady stream of commits the WAL starts again from its beginning once it holds 16 MiB:
// the background checkpointer restarts it, holding the writer only for the last few frames.
// Without that a passive checkpoint never finds the WAL fully copied while commits go on, and it
// grew to the writer's 64 MiB backstop, where one COMMIT copied and synced while every unit
// waited (the fixed-rate p99 in BENCHMARKS.md, issue 11).
TEST_F(SqliteStoreTest, UnderSteadyWritesTheWalStartsAgainLongBeforeTheWritersBackstop) {
  const std::string walPath = dbPath() + "-wal";
  std::uintmax_t largest = 0;
  const std::string text(4000, 'x');
  // 96 MiB of resources, 200 KiB per unit: the WAL file never shrinks, so its size is the most
  // it ever held.
  for (int unit = 0; unit < 480; ++unit) {
    core::Status written = store_->write([&](StoreTransaction& txn) -> core::Status {
      for (int i = 0; i < 50; ++i) {
        const std::string id = "b" + std::to_string(unit) + "-" + std::to_string(i);
        ResourceWrite w = resource("Basic", id, 1, 1000 + unit);
        w.record.json = R"({"resourceType":"Basic","id":")" + id +
                        R"(","text":{"status":"generated","div":")" + text + R"("}})";
        BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(w));
      }
      return core::Status::ok();
    });
    ASSERT_TRUE(written.isOk()) << written.toString();
    std::error_code error;
    largest = std::max(largest, std::filesystem::file_size(walPath, error));
  }
  EXPECT_LT(largest, std::uintmax_t{48} << 20) << "the WAL file grew to " << largest << " bytes";
}

TEST_F(SqliteStoreTest, AuditTableRefusesUpdateAndDeleteEvenOutsideTheApi) {
  AuditRecord r;
  r.seq = 1;
  r.json = "{}";
  r.prevHash = std::string(64, '0');
  r.hash = std::string(64, '1');
  ASSERT_TRUE(
      store_->write([&](StoreTransaction& txn) { return txn.auditLog().appendAudit(r); }).isOk());
  Poco::Data::Session session = freshSession(dbPath());
  EXPECT_THROW((session << "UPDATE audit SET json = '{\"forged\":true}'", now), Poco::Exception);
  EXPECT_THROW((session << "DELETE FROM audit", now), Poco::Exception);
  EXPECT_EQ((*store_->auditLog().auditRecords(1, 10))[0].json, "{}");
}

TEST_F(SqliteStoreTest, DataSurvivesClosingAndReopening) {
  ASSERT_TRUE(put(resource("Patient", "p1", 1, 1000, {{"identifier", kPersonnummerSystem, kTolvan}},
                           "kungsbacka"))
                  .isOk());
  int64_t outboxId = enqueueOrFail(outboxEntry("regional", "Patient/p1", 0));
  AuditRecord first;
  first.seq = 1;
  first.json = "{}";
  first.prevHash = std::string(64, '0');
  first.hash = std::string(64, '1');
  ASSERT_TRUE(
      store_->write([&](StoreTransaction& txn) { return txn.auditLog().appendAudit(first); })
          .isOk());

  store_.reset();  // closes every connection
  store_ = open();
  ASSERT_NE(store_, nullptr);

  auto patient = store_->resources().read("Patient", "p1");
  ASSERT_TRUE(patient.isOk() && patient->has_value());
  EXPECT_EQ((*patient)->tenant, "kungsbacka");
  SearchQuery q;
  q.type = "Patient";
  q.criteria = {{"identifier", kPersonnummerSystem, {kTolvan}}};
  EXPECT_EQ(store_->resources().search(q)->total, 1);
  auto entry = store_->outbox().outboxEntry(outboxId);
  ASSERT_TRUE(entry.isOk() && entry->has_value());
  EXPECT_EQ((*entry)->orderingKey, "Patient/p1");
  // Versions, outbox ids and the audit chain continue where they were.
  EXPECT_EQ(put(resource("Patient", "p1", 1, 2000)).code(), core::StatusCode::kConflict);
  EXPECT_TRUE(put(resource("Patient", "p1", 2, 2000)).isOk());
  EXPECT_GT(enqueueOrFail(outboxEntry("regional", "Patient/p1", 0)), outboxId);
  AuditRecord second = first;
  second.seq = 2;
  second.prevHash = first.hash;
  EXPECT_TRUE(
      store_->write([&](StoreTransaction& txn) { return txn.auditLog().appendAudit(second); })
          .isOk());
}

// Each thread runs the read-check-insert of a conditional create for the same identifiers on
// one of `stores`; returns how many resources were created.
int raceConditionalCreates(const std::vector<Store*>& stores, int threadsPerStore,
                           int identifiers) {
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (size_t s = 0; s < stores.size(); ++s) {
    for (int t = 0; t < threadsPerStore; ++t) {
      threads.emplace_back([&, s, t] {
        const std::string writer = std::to_string(s) + "-" + std::to_string(t);
        for (int n = 0; n < identifiers; ++n) {
          const std::string value = "A-" + std::to_string(n);
          core::Status status = stores[s]->write([&](StoreTransaction& txn) {
            BRYGGA_ASSIGN_OR_RETURN(
                std::vector<std::string> ids,
                txn.resources().findByIdentifier("Patient", "urn:local", value));
            if (!ids.empty()) return core::Status::ok();
            ResourceWrite w;
            w.record = {"Patient", "w" + writer + "-" + value, 1, 1000, false, "", "{}"};
            w.index = {{"identifier", "urn:local", value}};
            BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(w));
            ++created;
            return core::Status::ok();
          });
          EXPECT_TRUE(status.isOk()) << status.toString();
        }
      });
    }
  }
  for (auto& thread : threads) thread.join();
  return created.load();
}

void expectOnePatientPerIdentifier(Store& store, int identifiers) {
  SearchQuery q;
  q.type = "Patient";
  EXPECT_EQ(store.resources().search(q)->total, identifiers);
  for (int n = 0; n < identifiers; ++n) {
    q.criteria = {{"identifier", std::string("urn:local"), {"A-" + std::to_string(n)}}};
    EXPECT_EQ(store.resources().search(q)->total, 1);
  }
}

TEST_F(SqliteStoreTest, ConcurrentConditionalCreatesMakeExactlyOneResourcePerIdentifier) {
  EXPECT_EQ(raceConditionalCreates({store_.get()}, 8, 5), 5);
  expectOnePatientPerIdentifier(*store_, 5);
}

// Two stores on one file stand in for two processes: their write units are serialized by the
// database lock (BEGIN IMMEDIATE + busy timeout), not by a mutex they share.
TEST_F(SqliteStoreTest, ConditionalCreatesFromTwoStoresOnOneFileAreSerializedToo) {
  std::unique_ptr<Store> second = open();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(raceConditionalCreates({store_.get(), second.get()}, 4, 5), 5);
  expectOnePatientPerIdentifier(*store_, 5);
}

TEST_F(SqliteStoreTest, ReadsDoNotWaitForAWriteUnitInProgress) {
  ASSERT_TRUE(put(resource("Patient", "p1", 1, 1000)).isOk());
  std::promise<void> writing;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto writer = std::async(std::launch::async, [&] {
    return store_->write([&](StoreTransaction& txn) {
      BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(resource("Patient", "p1", 2, 2000)));
      writing.set_value();
      released.wait();
      return core::Status::ok();
    });
  });
  writing.get_future().wait();
  // The unit holds the write lock; a reader still answers, from the last committed state.
  auto during =
      std::async(std::launch::async, [&] { return store_->resources().read("Patient", "p1"); });
  ASSERT_EQ(during.wait_for(std::chrono::seconds(3)), std::future_status::ready);
  auto seen = during.get();
  release.set_value();
  ASSERT_TRUE(seen.isOk() && seen->has_value());
  EXPECT_EQ((*seen)->version, 1);
  EXPECT_TRUE(writer.get().isOk());
  EXPECT_EQ((*store_->resources().read("Patient", "p1"))->version, 2);
}

TEST_F(SqliteStoreTest, FullDiskFailsTheWholeUnitWithUnavailableAndReadsGoOn) {
  store_.reset();
  store_ = open(/*maxDatabaseBytes=*/1 << 20);
  ASSERT_NE(store_, nullptr);
  ASSERT_TRUE(put(resource("Patient", "small", 1, 1000)).isOk());
  ASSERT_TRUE(store_->checkWritable().isOk());

  ResourceWrite huge = resource("Binary", "huge", 1, 2000);
  huge.record.json = std::string(2 << 20, 'x');
  core::Status full = store_->write([&](StoreTransaction& txn) {
    BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(resource("Patient", "before", 1, 2000)));
    return txn.resources().putResource(huge);
  });
  EXPECT_EQ(full.code(), core::StatusCode::kUnavailable);
  EXPECT_THAT(full.message(), HasSubstr("disk is full"));

  // Nothing of the failed unit, everything from before, and later small units still fit.
  EXPECT_FALSE(store_->resources().read("Patient", "before")->has_value());
  EXPECT_FALSE(store_->resources().read("Binary", "huge")->has_value());
  auto small = store_->resources().read("Patient", "small");
  ASSERT_TRUE(small.isOk() && small->has_value());
  EXPECT_EQ((*small)->version, 1);
  EXPECT_TRUE(put(resource("Patient", "after", 1, 3000)).isOk());
}

TEST(SqliteStoreOpenTest, BadOptionsAreReportedNotThrown) {
  SqliteOptions noPath;
  EXPECT_EQ(openSqliteStore(noPath).status().code(), core::StatusCode::kInvalidArgument);

  brygga::testing::TempDir dir;
  SqliteOptions noReaders;
  noReaders.path = dir.file("a.db");
  noReaders.readConnections = 0;
  EXPECT_EQ(openSqliteStore(noReaders).status().code(), core::StatusCode::kInvalidArgument);

  SqliteOptions missingDir;
  missingDir.path = dir.file("no/such/dir/a.db");
  auto opened = openSqliteStore(missingDir);
  EXPECT_FALSE(opened.isOk());
  EXPECT_THAT(opened.status().message(), HasSubstr("cannot open"));
}

TEST(SqliteStoreOpenTest, DatabaseFromANewerBuildIsRefused) {
  brygga::testing::TempDir dir;
  SqliteOptions options;
  options.path = dir.file("a.db");
  ASSERT_TRUE(openSqliteStore(options).isOk());
  {
    Poco::Data::Session session = freshSession(options.path);
    session << "INSERT INTO schema_version (version, applied_at) VALUES (99, 'later')", now;
  }
  auto opened = openSqliteStore(options);
  EXPECT_EQ(opened.status().code(), core::StatusCode::kInternal);
  EXPECT_THAT(opened.status().message(), HasSubstr("schema version 99"));
}

}  // namespace
}  // namespace brygga::store

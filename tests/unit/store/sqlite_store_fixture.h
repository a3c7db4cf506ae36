#pragma once

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/store/sqlite_store.h"
#include "gateway/store/store.h"
#include "tests/support/test_support.h"

namespace brygga::store {

inline constexpr const char* kPersonnummerSystem =
    "http://electronichealth.se/identifier/personnummer";
inline constexpr const char* kTolvan = "191212121212";  // Skatteverket test number

// A store on a real database file in a fresh directory.
class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = open(); }

  std::string dbPath() const { return dir_.file("brygga.db"); }

  std::unique_ptr<Store> open(int64_t maxDatabaseBytes = 0) {
    SqliteOptions options;
    options.path = dbPath();
    options.readConnections = 2;
    options.maxDatabaseBytes = maxDatabaseBytes;
    auto opened = openSqliteStore(options);
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    return opened.isOk() ? std::move(opened).value() : nullptr;
  }

  static ResourceWrite resource(const std::string& type, const std::string& id, int64_t version,
                                int64_t lastUpdatedMs, std::vector<IndexEntry> index = {},
                                const std::string& tenant = "") {
    ResourceWrite w;
    w.record.type = type;
    w.record.id = id;
    w.record.version = version;
    w.record.lastUpdatedMs = lastUpdatedMs;
    w.record.tenant = tenant;
    w.record.json = R"({"resourceType":")" + type + R"(","id":")" + id +
                    R"(","meta":{"versionId":")" + std::to_string(version) + R"("}})";
    w.index = std::move(index);
    return w;
  }

  core::Status put(const ResourceWrite& w) {
    return store_->write([&](StoreTransaction& txn) { return txn.resources().putResource(w); });
  }

  static OutboxEntry outboxEntry(const std::string& destination, const std::string& key,
                                 int64_t nextAttemptMs) {
    OutboxEntry e;
    e.destination = destination;
    e.orderingKey = key;
    e.requestId = "req-" + key;
    e.tenant = "kungsbacka";
    e.payload = R"({"resourceType":"Bundle","type":"transaction"})";
    e.createdMs = 1000;
    e.nextAttemptMs = nextAttemptMs;
    return e;
  }

  core::StatusOr<int64_t> enqueue(const OutboxEntry& e) {
    int64_t id = 0;
    core::Status s = store_->write([&](StoreTransaction& txn) {
      BRYGGA_ASSIGN_OR_RETURN(id, txn.outbox().enqueue(e));
      return core::Status::ok();
    });
    if (!s.isOk()) return s;
    return id;
  }

  int64_t enqueueOrFail(const OutboxEntry& e) {
    auto id = enqueue(e);
    if (!id.isOk()) {
      ADD_FAILURE() << id.status().toString();
      return -1;
    }
    return *id;
  }

  brygga::testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace brygga::store

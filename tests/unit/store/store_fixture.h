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

// What the store tests write and read with, whatever the backend.
class StoreHelpers {
 protected:
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

  // A destination's pending count as a write unit sees it.
  core::StatusOr<int64_t> pending(const std::string& destination) {
    int64_t count = -1;
    core::Status s = store_->write([&](StoreTransaction& txn) -> core::Status {
      BRYGGA_ASSIGN_OR_RETURN(count, txn.outbox().pendingCount(destination));
      return core::Status::ok();
    });
    if (!s.isOk()) return s;
    return count;
  }

  core::Status setState(int64_t id, OutboxState state, int64_t atMs, int attempts = 1) {
    return store_->write([&](StoreTransaction& txn) {
      return txn.outbox().updateOutbox(id, state, attempts, atMs, "");
    });
  }

  std::unique_ptr<Store> store_;
};

// The SQLite store on a real database file in a fresh directory: for what only SQLite has (its
// file, group commit, its size limit, its migrations).
class SqliteStoreTest : public ::testing::Test, protected StoreHelpers {
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

  brygga::testing::TempDir dir_;
};

// One backend's fresh, empty database, and stores opened on it.
class StoreBackend {
 public:
  virtual ~StoreBackend() = default;
  // Another store on the same database (as a second process or a restart would open it).
  virtual std::unique_ptr<Store> open() = 0;
};

}  // namespace brygga::store

namespace brygga::testing {
class PostgresServer;
}

namespace brygga::store {

// One PostgreSQL server for the test process, started when the first test needs it (only when
// PostgresServer::available()); every test makes a database of its own on it.
brygga::testing::PostgresServer& postgresServer();

// Schema 11 (SQLite) and 4 (PostgreSQL) add what a message is. An inbound message line as the
// schema before wrote it, to INSERT before migrating; then checkKindsAfterMigration(store)
// records a new message with a kind and expects the old one listed without.
inline constexpr const char* kMessageLineBeforeKinds =
    "INSERT INTO exchange (id, request_id, client_id, tenant, direction, interaction,"
    " resource_types, destination, http_status, started_ms, finished_ms, payload_sha256,"
    " detail, message, patient, outbox_last, audit_seq)"
    " VALUES ('old', 'req-old', 'kungsbacka', 'kungsbacka', 'inbound', 'transaction',"
    " 'Bundle,EpisodeOfCare', '', 200, 1000, 1001, '', 'ok', 1, 'Patient/p', 0, 0)";
void checkKindsAfterMigration(Store& store);

// The backends the contract suite runs against, by name: "sqlite" always.
std::vector<std::string> storeBackendNames();
std::unique_ptr<StoreBackend> makeStoreBackend(const std::string& name);

// The store contract: every test of a fixture derived from this runs against every backend
// (instantiate the fixture with BRYGGA_STORE_CONTRACT). What a caller of store.h may rely on is
// tested here, never against one implementation alone.
class StoreTest : public ::testing::TestWithParam<std::string>, protected StoreHelpers {
 protected:
  void SetUp() override {
    backend_ = makeStoreBackend(GetParam());
    ASSERT_NE(backend_, nullptr);
    store_ = open();
    ASSERT_NE(store_, nullptr);
  }

  std::unique_ptr<Store> open() { return backend_->open(); }

  std::unique_ptr<StoreBackend> backend_;
};

std::string backendName(const ::testing::TestParamInfo<std::string>& info);

}  // namespace brygga::store

#define BRYGGA_STORE_CONTRACT(Fixture)                                                \
  INSTANTIATE_TEST_SUITE_P(Backends, Fixture,                                         \
                           ::testing::ValuesIn(::brygga::store::storeBackendNames()), \
                           ::brygga::store::backendName)

// The backends of the store contract suite (store_fixture.h).
#include "tests/unit/store/store_fixture.h"

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>

#include "gateway/store/postgres_store.h"
#include "tests/support/postgres_server.h"

namespace brygga::store {

namespace {

class SqliteBackend final : public StoreBackend {
 public:
  std::unique_ptr<Store> open() override {
    SqliteOptions options;
    options.path = dir_.file("brygga.db");
    options.readConnections = 2;
    auto opened = openSqliteStore(options);
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    return opened.isOk() ? std::move(opened).value() : nullptr;
  }

 private:
  brygga::testing::TempDir dir_;
};

class PostgresBackend final : public StoreBackend {
 public:
  PostgresBackend() {
    static std::atomic<int> next{0};
    url_ = postgresServer().createDatabase("contract_" + std::to_string(next++));
  }

  std::unique_ptr<Store> open() override {
    PostgresOptions options;
    options.url = url_;
    options.password = postgresServer().password();
    options.writeConnections = 2;
    options.readConnections = 2;
    auto opened = openPostgresStore(options);
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    return opened.isOk() ? std::move(opened).value() : nullptr;
  }

 private:
  std::string url_;
};

}  // namespace

void checkKindsAfterMigration(Store& store) {
  ASSERT_TRUE(store
                  .write([](StoreTransaction& txn) {
                    ExchangeRecord line;
                    line.id = "new";
                    line.requestId = "req-new";
                    line.tenant = "kungsbacka";
                    line.direction = "inbound";
                    line.interaction = "transaction";
                    line.httpStatus = 200;
                    line.startedMs = 2000;
                    line.finishedMs = 2001;
                    line.message = true;
                    line.kind = "enrollment";
                    return txn.exchangeLog().recordExchange(line);
                  })
                  .isOk());
  auto page = store.exchangeLog().messages({});
  ASSERT_TRUE(page.isOk()) << page.status().toString();
  ASSERT_EQ(page->messages.size(), 2u);
  EXPECT_EQ(page->messages[0].line.kind, "enrollment");
  EXPECT_EQ(page->messages[1].line.requestId, "req-old");
  EXPECT_EQ(page->messages[1].line.kind, "");
  // The last message of the tenant, by the index the migration added.
  auto last = store.exchangeLog().lastMessageAt("kungsbacka");
  ASSERT_TRUE(last.isOk());
  EXPECT_EQ(*last, std::optional<int64_t>(2000));
}

brygga::testing::PostgresServer& postgresServer() {
  static std::unique_ptr<brygga::testing::PostgresServer> server =
      std::make_unique<brygga::testing::PostgresServer>();
  return *server;
}

std::vector<std::string> storeBackendNames() {
  // PostgreSQL whenever its server is installed: scripts/test.sh installs it, so CI always runs
  // the contract on both.
  if (brygga::testing::PostgresServer::available()) return {"sqlite", "postgresql"};
  return {"sqlite"};
}

std::unique_ptr<StoreBackend> makeStoreBackend(const std::string& name) {
  if (name == "sqlite") return std::make_unique<SqliteBackend>();
  if (name == "postgresql") return std::make_unique<PostgresBackend>();
  ADD_FAILURE() << "no store backend " << name;
  return nullptr;
}

std::string backendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

BRYGGA_STORE_CONTRACT(StoreTest);

}  // namespace brygga::store

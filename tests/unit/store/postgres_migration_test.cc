// The PostgreSQL store's own migrations: a schema-2 database opened by this build (schema 4: what
// a message is).
#include <gtest/gtest.h>

#include <string>

#include "gateway/store/pg_connection.h"
#include "gateway/store/postgres_schema.h"
#include "gateway/store/postgres_store.h"
#include "tests/support/postgres_server.h"
#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

TEST(PostgresMigrationTest, SchemaFourKeepsTheMessagesRecordedBeforeWithoutAKind) {
  if (!brygga::testing::PostgresServer::available()) {
    GTEST_SKIP() << "PostgreSQL 15 is not installed";
  }
  brygga::testing::PostgresServer& server = postgresServer();
  const std::string url = server.createDatabase("migration_4");
  {
    pg::Connection connection(url + "?password=" + server.password());
    ASSERT_TRUE(pg::migrate(connection, 2).isOk());
    connection.execScript(kMessageLineBeforeKinds);
  }
  PostgresOptions options;
  options.url = url;
  options.password = server.password();
  auto migrated = openPostgresStore(options);
  ASSERT_TRUE(migrated.isOk()) << migrated.status().toString();
  checkKindsAfterMigration(**migrated);
}

}  // namespace
}  // namespace brygga::store

#include "gateway/app/store_opening.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gateway/store/postgres_store.h"
#include "gateway/store/sqlite_store.h"

namespace brygga::app {

namespace {

// The first line of the password file, without its line ending.
core::StatusOr<std::string> readPassword(const std::string& file) {
  std::ifstream in(file);
  if (!in) {
    return core::invalidArgument("storage.postgresql.passwordFile " + file + " cannot be read");
  }
  std::string password;
  std::getline(in, password);
  while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) {
    password.pop_back();
  }
  if (password.empty()) {
    return core::invalidArgument("storage.postgresql.passwordFile " + file + " is empty");
  }
  return password;
}

}  // namespace

core::StatusOr<std::unique_ptr<store::Store>> openConfiguredStore(const GatewayConfig& config,
                                                                  StoreUse use) {
  const bool cli = use == StoreUse::kExisting;
  if (config.storage.backend == "postgresql") {
    const store::PostgresConfig& pg = config.storage.postgresql;
    store::PostgresOptions options;
    options.url = pg.url;
    if (!pg.passwordFile.empty()) {
      BRYGGA_ASSIGN_OR_RETURN(options.password, readPassword(pg.passwordFile));
    }
    options.writeConnections = cli ? 1 : pg.writeConnections;
    options.readConnections = cli ? 1 : pg.readConnections;
    options.poolWaitMs = config.storage.readPoolWaitMs;
    return store::openPostgresStore(options);
  }
  const std::string path = (std::filesystem::path(config.dataDir) / "brygga.db").string();
  std::error_code ec;
  if (cli && !std::filesystem::exists(path, ec)) {
    return core::notFound("no database at " + path + " (give the data dir serve uses: --data-dir)");
  }
  store::SqliteOptions options;
  options.path = path;
  options.readConnections = cli ? 2 : options.readConnections;
  options.maxDatabaseBytes = config.storage.maxDatabaseBytes;
  options.readPoolWaitMs = config.storage.readPoolWaitMs;
  return store::openSqliteStore(options);
}

}  // namespace brygga::app

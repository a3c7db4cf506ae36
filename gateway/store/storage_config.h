#pragma once

#include <cstdint>
#include <string>

namespace brygga::store {

// storage.postgresql.*: the shared database of several gateway instances (postgres_store.h).
struct PostgresConfig {
  // A libpq URI without the password: postgresql://user@host:port/database[?sslmode=...].
  std::string url;
  // A file whose first line is the password; empty: none (or ~/.pgpass, PGPASSWORD).
  std::string passwordFile;
  int writeConnections = 4;
  int readConnections = 4;
};

// Where Brygga keeps its data and the database's space (storage.*).
struct StorageConfig {
  // "sqlite" (the default: brygga.db in the data dir, no other server) or "postgresql".
  std::string backend = "sqlite";
  PostgresConfig postgresql;
  // Upper bound on the database file; 0: none but the disk. Past it writes fail with 503 as on a
  // full disk (see SqliteOptions::maxDatabaseBytes).
  int64_t maxDatabaseBytes = 0;
  // /readyz answers 503 while the file system holding dataDir has less free space than this.
  int64_t minFreeDiskBytes = 100LL * 1024 * 1024;
  // A read waits at most this long for a free read connection, then answers 503 (Retry-After).
  int64_t readPoolWaitMs = 5000;
};

}  // namespace brygga::store

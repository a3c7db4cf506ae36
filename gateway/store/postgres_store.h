#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gateway/store/store.h"

namespace brygga::store {

struct PostgresOptions {
  // A libpq connection URI (postgresql://user@host:port/database?sslmode=...), without the
  // password.
  std::string url;
  // The password, when the server asks for one (the file's first line); empty: none, or libpq's
  // own ways (~/.pgpass, PGPASSWORD).
  std::string password;
  // Connections for write units and for reads, each a pool of its own.
  int writeConnections = 4;
  int readConnections = 4;
  // A read or a write unit waits at most this long for a free connection, then fails with
  // kUnavailable (503 with Retry-After).
  int64_t poolWaitMs = 5000;
};

// PostgreSQL implementation of Store (PostgreSQL 15, libpq), for several gateway instances on one
// database. Every write unit is one transaction that first takes a transaction-level advisory
// lock, so units are serialized across all instances exactly as SQLite's are within one: the
// optimistic version check, the gapless audit chain and the person-number key hold across
// instances. A committed unit is durable (synchronous_commit on, the server's default); the
// server's own group commit lets concurrent commits share a WAL flush. Opening connects and
// creates or migrates the schema (schema_version), serialized across instances that start at once.
// Errors: a lost connection or a server shutting down is kUnavailable (503); the connection is
// made again on its next use.
core::StatusOr<std::unique_ptr<Store>> openPostgresStore(const PostgresOptions& options);

}  // namespace brygga::store

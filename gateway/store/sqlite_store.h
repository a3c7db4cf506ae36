#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gateway/store/store.h"

namespace brygga::store {

struct SqliteOptions {
  std::string path;         // database file; its directory must exist
  int readConnections = 4;  // reader sessions; reads never wait for the writer (WAL)
  // Upper bound on the database size; 0: none but the disk. A write unit that would grow the
  // database past it fails with kUnavailable like one that meets a full disk, so operators can
  // keep room on a volume shared with logs.
  int64_t maxDatabaseBytes = 0;
};

// SQLite implementation of Store: WAL journal, synchronous=FULL (a committed write unit is on
// disk), one serialized writer connection (BEGIN IMMEDIATE) and a pool of reader connections.
// Opening creates or migrates the schema (schema_version table). Errors opening are returned, not
// thrown. A database error inside a write unit (disk full: kUnavailable; busy beyond 5 s:
// kUnavailable; anything else: kInternal) rolls the whole unit back and is returned by write(),
// even when the work ignored it.
core::StatusOr<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options);

}  // namespace brygga::store

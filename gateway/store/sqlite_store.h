#pragma once

#include <memory>
#include <string>

#include "gateway/store/store.h"

namespace brygga::store {

struct SqliteOptions {
  std::string path;  // database file; its directory must exist
  int readConnections = 4;
};

// SQLite implementation of Store: WAL journal, synchronous=FULL (a committed write unit is on
// disk), one serialized writer connection (BEGIN IMMEDIATE) and a pool of reader connections.
// Opening creates or migrates the schema. Errors opening are returned, not thrown.
core::StatusOr<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options);

}  // namespace brygga::store

#pragma once

#include <cstdint>

namespace brygga::store {

// The database's space (storage.*).
struct StorageConfig {
  // Upper bound on the database file; 0: none but the disk. Past it writes fail with 503 as on a
  // full disk (see SqliteOptions::maxDatabaseBytes).
  int64_t maxDatabaseBytes = 0;
  // /readyz answers 503 while the file system holding dataDir has less free space than this.
  int64_t minFreeDiskBytes = 100LL * 1024 * 1024;
  // A read waits at most this long for a free read connection, then answers 503 (Retry-After).
  int64_t readPoolWaitMs = 5000;
};

}  // namespace brygga::store

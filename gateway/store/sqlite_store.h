#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "gateway/store/store.h"

namespace brygga::store {

struct SqliteOptions {
  std::string path;         // database file; its directory must exist
  int readConnections = 4;  // reader sessions; reads never wait for the writer (WAL)
  // A read waits at most this long for one of them; then it fails with kUnavailable (503 with
  // Retry-After to a client) instead of queueing for ever behind slow reads.
  int64_t readPoolWaitMs = 5000;
  // Upper bound on the database size; 0: none but the disk. A write unit that would grow the
  // database past it fails with kUnavailable like one that meets a full disk, so operators can
  // keep room on a volume shared with logs.
  int64_t maxDatabaseBytes = 0;
  // Group commit: at most this many concurrent write units share one COMMIT (and its fsync).
  // 1 commits every unit on its own.
  int maxUnitsPerCommit = 64;
};

// SQLite implementation of Store: WAL journal, synchronous=FULL (a committed write unit is on
// disk), one serialized writer connection (BEGIN IMMEDIATE) and a pool of reader connections.
// Concurrent write units are group-committed: they run one after the other, each in a savepoint
// of its own, inside one transaction whose COMMIT (one fsync) they share; each caller gets its own
// result only after that COMMIT returned. A failing unit is rolled back alone. When SQLite itself
// drops the transaction (disk full, I/O error), every unit of that group that had already run
// fails too (nothing of it was stored), so write()'s contract holds unit by unit. A thread of
// the store copies the WAL into the database file (passive checkpoints on a connection of its
// own), so that a COMMIT only appends to the WAL and syncs it.
// Opening creates or migrates the schema (schema_version table). Errors opening are returned, not
// thrown. A database error inside a write unit (disk full: kUnavailable; busy beyond 5 s:
// kUnavailable; anything else: kInternal) rolls the whole unit back and is returned by write(),
// even when the work ignored it.
core::StatusOr<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options);

}  // namespace brygga::store

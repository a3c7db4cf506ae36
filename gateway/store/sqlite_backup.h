#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "gateway/core/status.h"

// Backup and restore of the SQLite database (issue 15), for `brygga backup` and `brygga restore`.
namespace brygga::store {

struct BackupProgress {
  int64_t pagesCopied = 0;
  int64_t pagesTotal = 0;
};

// Copies the database at `dbPath` to `outPath` while a gateway may be writing to it: SQLite's
// online backup API inside one read transaction, so the copy is one consistent snapshot (every
// unit committed before it began, none after) and writers are never blocked. The copy is written
// to `outPath`.partial, synced and renamed, so `outPath` is complete or absent. `progress` is told
// after each step. kNotFound: no database at `dbPath`; kConflict: `outPath` exists.
core::Status backupSqlite(const std::string& dbPath, const std::string& outPath,
                          const std::function<void(const BackupProgress&)>& progress = {});

// Whether `path` is a Brygga database this build can serve: SQLite's integrity check passes and
// its schema version is one this build knows. Returns the schema version; kInvalidArgument
// (naming what is wrong) otherwise, kNotFound when there is no file.
core::StatusOr<int> checkBackup(const std::string& path);

// Installs the backup at `backupPath` (checked first) as the database `dbPath`: copied beside it,
// synced and renamed over it, with any WAL and shared-memory files of the old database removed.
// kConflict when `dbPath` exists and `replace` is false.
core::Status restoreSqlite(const std::string& backupPath, const std::string& dbPath, bool replace);

}  // namespace brygga::store

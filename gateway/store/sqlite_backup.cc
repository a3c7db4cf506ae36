#include "gateway/store/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "gateway/store/sqlite_schema.h"

namespace brygga::store {

namespace {

namespace fs = std::filesystem;
using core::Status;

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

Status sqliteError(sqlite3* db, const std::string& what) {
  return core::internalError(what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

core::StatusOr<Db> open(const std::string& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) return sqliteError(raw, "cannot open " + path);
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

Status exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    Status s = core::internalError(std::string(sql) + ": " + (error ? error : "failed"));
    sqlite3_free(error);
    return s;
  }
  return Status::ok();
}

// fsync of a file, then of its directory (so that a rename is durable too).
Status syncFileAndDirectory(const std::string& path) {
  for (const std::string& p : {path, fs::path(path).parent_path().string()}) {
    const int fd = ::open(p.empty() ? "." : p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return core::internalError("cannot open " + p + " to sync it");
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) return core::internalError("cannot sync " + p);
  }
  return Status::ok();
}

// Copies `src`'s main database to a new file at `to` in steps of `pagesPerStep`, all within one
// read transaction of `src`, reporting each step.
Status copyDatabase(sqlite3* src, const std::string& to,
                    const std::function<void(const BackupProgress&)>& progress) {
  std::error_code ec;
  fs::remove(to, ec);
  BRYGGA_ASSIGN_OR_RETURN(Db dest, open(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  sqlite3_backup* backup = sqlite3_backup_init(dest.get(), "main", src, "main");
  if (backup == nullptr) return sqliteError(dest.get(), "cannot start the backup");
  constexpr int kPagesPerStep = 1024;
  int rc = SQLITE_OK;
  do {
    rc = sqlite3_backup_step(backup, kPagesPerStep);
    if (progress && (rc == SQLITE_OK || rc == SQLITE_DONE)) {
      const int64_t total = sqlite3_backup_pagecount(backup);
      progress({total - sqlite3_backup_remaining(backup), total});
    }
  } while (rc == SQLITE_OK);
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return sqliteError(dest.get(), "the backup failed");
  // The copy is a database of its own: no journal left to replay.
  BRYGGA_RETURN_IF_ERROR(exec(dest.get(), "PRAGMA journal_mode = DELETE"));
  dest.reset();
  return syncFileAndDirectory(to);
}

}  // namespace

Status backupSqlite(const std::string& dbPath, const std::string& outPath,
                    const std::function<void(const BackupProgress&)>& progress) {
  std::error_code ec;
  if (!fs::is_regular_file(dbPath, ec)) return core::notFound("no database at " + dbPath);
  if (fs::exists(outPath, ec)) {
    return Status(core::StatusCode::kConflict, outPath + " exists; name a new file");
  }
  BRYGGA_ASSIGN_OR_RETURN(Db src, open(dbPath, SQLITE_OPEN_READONLY));
  // One read transaction across every step: the copy is the snapshot at its start, and a gateway
  // writing meanwhile neither waits nor makes the copy start again.
  BRYGGA_RETURN_IF_ERROR(exec(src.get(), "BEGIN"));
  BRYGGA_RETURN_IF_ERROR(exec(src.get(), "SELECT COUNT(*) FROM sqlite_master"));
  const std::string partial = outPath + ".partial";
  Status copied = copyDatabase(src.get(), partial, progress);
  exec(src.get(), "COMMIT").ignoreError();  // a read transaction: nothing to keep
  if (!copied.isOk()) {
    fs::remove(partial, ec);
    return copied;
  }
  fs::rename(partial, outPath, ec);
  if (ec) return core::internalError("cannot rename " + partial + ": " + ec.message());
  return syncFileAndDirectory(outPath);
}

core::StatusOr<int> checkBackup(const std::string& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return core::notFound("no backup file " + path);
  BRYGGA_ASSIGN_OR_RETURN(Db db, open(path, SQLITE_OPEN_READONLY));
  sqlite3_stmt* raw = nullptr;
  std::string integrity;
  if (sqlite3_prepare_v2(db.get(), "PRAGMA integrity_check", -1, &raw, nullptr) == SQLITE_OK &&
      sqlite3_step(raw) == SQLITE_ROW) {
    integrity = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
  }
  sqlite3_finalize(raw);
  if (integrity != "ok") {
    return core::invalidArgument(path + " is not a sound database (integrity check: " +
                                 (integrity.empty() ? sqlite3_errmsg(db.get()) : integrity) + ")");
  }
  int version = -1;
  if (sqlite3_prepare_v2(db.get(), "SELECT MAX(version) FROM schema_version", -1, &raw, nullptr) ==
          SQLITE_OK &&
      sqlite3_step(raw) == SQLITE_ROW) {
    version = sqlite3_column_int(raw, 0);
  }
  sqlite3_finalize(raw);
  if (version < 1) return core::invalidArgument(path + " is not a Brygga database");
  if (version > sqlite::kSchemaVersion) {
    return core::invalidArgument(path + " has schema version " + std::to_string(version) +
                                 "; this build knows up to " +
                                 std::to_string(sqlite::kSchemaVersion));
  }
  return version;
}

Status restoreSqlite(const std::string& backupPath, const std::string& dbPath, bool replace) {
  BRYGGA_ASSIGN_OR_RETURN(int version, checkBackup(backupPath));
  (void)version;
  std::error_code ec;
  if (fs::exists(dbPath, ec) && !replace) {
    return Status(core::StatusCode::kConflict,
                  dbPath + " exists; --force replaces it with the backup");
  }
  // Copied beside the database through SQLite (the backup is read as a database, not as bytes),
  // then put in place by one rename.
  BRYGGA_ASSIGN_OR_RETURN(Db src, open(backupPath, SQLITE_OPEN_READONLY));
  const std::string incoming = dbPath + ".restoring";
  BRYGGA_RETURN_IF_ERROR(copyDatabase(src.get(), incoming, {}));
  src.reset();
  for (const char* suffix : {"-wal", "-shm"}) fs::remove(dbPath + suffix, ec);
  fs::rename(incoming, dbPath, ec);
  if (ec) return core::internalError("cannot rename " + incoming + ": " + ec.message());
  return syncFileAndDirectory(dbPath);
}

}  // namespace brygga::store

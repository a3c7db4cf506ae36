#include "gateway/app/backup_commands.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sysexits.h>
#include <unistd.h>

#include <filesystem>

#include "gateway/app/progress.h"
#include "gateway/store/sqlite_backup.h"

namespace brygga::app {

namespace {

namespace fs = std::filesystem;

std::string flag(const std::map<std::string, std::string>& flags, const std::string& name) {
  auto it = flags.find(name);
  return it == flags.end() ? std::string() : it->second;
}

std::string databaseOf(const GatewayConfig& config) {
  return (fs::path(config.dataDir) / "brygga.db").string();
}

}  // namespace

core::StatusOr<DataDirLock> DataDirLock::acquire(const std::string& dataDir) {
  std::error_code ec;
  fs::create_directories(dataDir, ec);
  const std::string path = (fs::path(dataDir) / "brygga.lock").string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return core::internalError("cannot open " + path);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return core::unavailable("another brygga serve (or restore) uses the data dir " + dataDir);
  }
  return DataDirLock(fd);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

// backup and restore copy SQLite's file; a PostgreSQL database is backed up by PostgreSQL's own
// tools (pg_basebackup and WAL archiving under the failover manager, or pg_dump).
static bool refusedForPostgres(const GatewayConfig& config, const char* command,
                               std::ostream& err) {
  if (config.storage.backend != "postgresql") return false;
  err << "brygga " << command
      << ": the store is PostgreSQL (storage.backend); back it up and restore it with "
         "PostgreSQL's tools (pg_basebackup with WAL archiving, or pg_dump and pg_restore)\n";
  return true;
}

int backupCommand(const GatewayConfig& config, const std::map<std::string, std::string>& flags,
                  std::ostream& out, std::ostream& err) {
  if (refusedForPostgres(config, "backup", err)) return EX_USAGE;
  const std::string to = flag(flags, "out");
  if (to.empty()) {
    err << "brygga backup: name the backup file: --out FILE\n";
    return EX_USAGE;
  }
  ProgressLines progress(err, "backup", "pages");
  const core::Status s = store::backupSqlite(
      databaseOf(config), to,
      [&](const store::BackupProgress& p) { progress(p.pagesCopied, p.pagesTotal); });
  if (!s.isOk()) {
    err << "brygga backup: " << s.message() << "\n";
    return s.code() == core::StatusCode::kNotFound   ? EX_NOINPUT
           : s.code() == core::StatusCode::kConflict ? EX_CANTCREAT
                                                     : EX_IOERR;
  }
  std::error_code ec;
  out << "backup: " << to << " (" << fs::file_size(to, ec) << " bytes), a consistent copy of "
      << databaseOf(config) << "; restore it with brygga restore --from " << to << "\n";
  return EX_OK;
}

int restoreCommand(const GatewayConfig& config, const std::map<std::string, std::string>& flags,
                   std::ostream& out, std::ostream& err) {
  if (refusedForPostgres(config, "restore", err)) return EX_USAGE;
  const std::string from = flag(flags, "from");
  if (from.empty()) {
    err << "brygga restore: name the backup file: --from FILE\n";
    return EX_USAGE;
  }
  auto lock = DataDirLock::acquire(config.dataDir);
  if (!lock.isOk()) {
    err << "brygga restore: " << lock.status().message() << "; stop it first\n";
    return lock.status().code() == core::StatusCode::kUnavailable ? EX_TEMPFAIL : EX_IOERR;
  }
  auto version = store::checkBackup(from);
  if (!version.isOk()) {
    err << "brygga restore: " << version.status().message() << "\n";
    return version.status().code() == core::StatusCode::kNotFound ? EX_NOINPUT : EX_DATAERR;
  }
  const core::Status s = store::restoreSqlite(from, databaseOf(config), flags.count("force") > 0);
  if (!s.isOk()) {
    err << "brygga restore: " << s.message() << "\n";
    return s.code() == core::StatusCode::kConflict ? EX_CANTCREAT : EX_IOERR;
  }
  out << "restored " << from << " (schema " << *version << ") as " << databaseOf(config)
      << "; check it with brygga audit verify before serving\n";
  return EX_OK;
}

}  // namespace brygga::app

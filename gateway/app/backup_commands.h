#pragma once

#include <map>
#include <ostream>
#include <string>

#include "gateway/app/gateway_config.h"
#include "gateway/core/status.h"

namespace brygga::app {

// The data dir's lock (brygga.lock): `serve` holds it while it runs, so that a second serve and a
// restore refuse instead of sharing or replacing its database. Released when destroyed (and by
// the kernel when the process dies, even by SIGKILL).
class DataDirLock {
 public:
  // kUnavailable naming the data dir when another process holds it.
  static core::StatusOr<DataDirLock> acquire(const std::string& dataDir);
  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  DataDirLock& operator=(DataDirLock&&) = delete;
  DataDirLock(const DataDirLock&) = delete;
  ~DataDirLock();

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// `brygga backup --out FILE`: a consistent copy of the data dir's database while a gateway may be
// serving (store::backupSqlite), with progress on `err`. sysexits: 0 done; 64 no --out; 66 no
// database; 73 FILE exists; 74 a database or file error.
int backupCommand(const GatewayConfig& config, const std::map<std::string, std::string>& flags,
                  std::ostream& out, std::ostream& err);

// `brygga restore --from FILE [--force]`: the backup checked (integrity, schema version) and
// installed as the data dir's database; refused while a gateway serves on the data dir.
// sysexits: 0 done; 64 no --from; 65 not a sound Brygga database; 66 no such file; 73 the data
// dir has a database (--force replaces it); 74 a database or file error; 75 a gateway is serving.
int restoreCommand(const GatewayConfig& config, const std::map<std::string, std::string>& flags,
                   std::ostream& out, std::ostream& err);

}  // namespace brygga::app

#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "gateway/store/sqlite_connection.h"

namespace brygga::store::sqlite {

// Checkpoints the WAL in the background. SQLite's automatic checkpoint runs inside the COMMIT
// that crosses its threshold, so one write unit in a few hundred paid for copying the whole WAL
// into the database file and fsync'ing it, and every unit queued behind it in the group commit
// waited too. Here the writer's WAL hook only signals; a thread of its own, on a connection of
// its own, runs PASSIVE checkpoints (they never block the writer or readers). Durability does
// not depend on checkpoints: a commit is durable once its WAL frames are fsync'ed.
class WalCheckpointer {
 public:
  // Installs the hook on `writer` (replacing the automatic checkpoint) and starts the thread.
  // `writer` must outlive this object.
  WalCheckpointer(Connection& writer, std::unique_ptr<Connection> own);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // The WAL size (pages) past which a checkpoint is started, as SQLite's default.
  static constexpr int kPages = 1000;

 private:
  static int onCommit(void* self, sqlite3* db, const char* database, int pages);
  void loop();

  Connection& writer_;
  std::unique_ptr<Connection> own_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool due_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace brygga::store::sqlite

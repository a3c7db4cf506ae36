#include "gateway/store/sqlite_checkpointer.h"

#include <sqlite3.h>

#include <chrono>

namespace brygga::store::sqlite {

namespace {

// Also checkpoint now and then when the threshold is not reached, so a quiet gateway's WAL is
// folded into the database file too.
constexpr auto kIdleInterval = std::chrono::seconds(5);

}  // namespace

WalCheckpointer::WalCheckpointer(Connection& writer, std::unique_ptr<Connection> own)
    : writer_(writer), own_(std::move(own)) {
  sqlite3_wal_hook(writer_.nativeHandle(), &WalCheckpointer::onCommit, this);
  thread_ = std::thread([this] { loop(); });
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_hook(writer_.nativeHandle(), nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int WalCheckpointer::onCommit(void* self, sqlite3*, const char*, int pages) {
  auto* checkpointer = static_cast<WalCheckpointer*>(self);
  if (pages >= kPages) {
    {
      std::lock_guard lock(checkpointer->mutex_);
      checkpointer->due_ = true;
    }
    checkpointer->wake_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, kIdleInterval, [this] { return due_ || stop_; });
    if (stop_) break;
    due_ = false;
    lock.unlock();
    // PASSIVE: copies what no reader still needs and never waits; a busy or failed checkpoint is
    // simply tried again later, the WAL meanwhile keeps every commit safe.
    sqlite3_wal_checkpoint_v2(own_->nativeHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                              nullptr);
    lock.lock();
  }
}

}  // namespace brygga::store::sqlite

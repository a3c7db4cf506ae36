#include "gateway/delivery/retention.h"

#include <chrono>
#include <string>

namespace brygga::delivery {

namespace {

// Entries deleted per write unit: small enough that a sweep never holds up the writers for long.
constexpr int kBatch = 1000;

}  // namespace

Retention::Retention(core::DeliveryConfig settings, store::Store& store, const core::Clock& clock,
                     core::Logger& logger)
    : settings_(settings), store_(store), clock_(clock), logger_(logger) {}

Retention::~Retention() {
  stop();
}

void Retention::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopRequested_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Retention::stop() {
  {
    std::lock_guard lock(mutex_);
    stopRequested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

core::StatusOr<int64_t> Retention::runOnce() {
  const int64_t cutoff = clock_.nowMs() - settings_.retentionMs;
  int64_t total = 0;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (stopRequested_ && thread_.joinable()) break;
    }
    BRYGGA_ASSIGN_OR_RETURN(int64_t purged, store_.purgeDelivered(cutoff, kBatch));
    total += purged;
    if (purged < kBatch) break;
  }
  if (total > 0) {
    BRYGGA_RETURN_IF_ERROR(store_.reclaimSpace());
    logger_.info("retention.purged", {{"entries", std::to_string(total)},
                                      {"deliveredBefore", core::formatInstant(cutoff)}});
  }
  return total;
}

void Retention::loop() {
  for (;;) {
    auto purged = runOnce();
    if (!purged.isOk()) {
      logger_.error("retention.failed", {{"error", purged.status().toString()}});
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(settings_.retentionIntervalMs),
                   [this] { return stopRequested_; });
    if (stopRequested_) break;
  }
}

}  // namespace brygga::delivery

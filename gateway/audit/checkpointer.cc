#include "gateway/audit/checkpointer.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace brygga::audit {

namespace {

constexpr int64_t kMaxLookMs = 1000;

}  // namespace

Checkpointer::Checkpointer(AuditLog& log, AuditConfig config, core::TimeSystem& clock,
                           core::Logger& logger)
    : log_(log), config_(std::move(config)), clock_(clock), logger_(logger), task_(clock) {}

Checkpointer::~Checkpointer() {
  stop();
}

void Checkpointer::start() {
  const std::chrono::milliseconds look(
      std::max<int64_t>(1, std::min(config_.checkpointIntervalMs, kMaxLookMs)));
  task_.start(
      [this, look] {
        runOnce();
        return core::PeriodicTask::Next::after(look);
      },
      look);
}

void Checkpointer::stop() {
  if (!task_.stop()) return;
  std::lock_guard pass(passMutex_);
  auto made = log_.checkpoint();
  if (!made.isOk()) {
    logger_.error("audit.checkpoint_refused", {{"error", made.status().message()}});
  } else if (made->has_value() && static_cast<uint64_t>((*made)->treeSize) > coveredSize_) {
    coveredSize_ = static_cast<uint64_t>((*made)->treeSize);
    logger_.info("audit.checkpoint",
                 {{"treeSize", std::to_string(coveredSize_)}, {"reason", "stop"}});
    if (listener_) listener_();
  }
}

void Checkpointer::runOnce() {
  std::lock_guard pass(passMutex_);
  // One gateway among those sharing a database signs the checkpoints.
  if (!log_.holdsCheckpointLease()) return;
  auto size = log_.sync();
  if (!size.isOk()) {
    logger_.error("audit.sync_failed", {{"error", size.status().message()}});
    return;
  }
  const int64_t now = clock_.nowMs();
  if (*size <= coveredSize_) return;
  if (pendingSince_ <= coveredSize_) {
    // First time these records are seen uncovered: the interval runs from now.
    pendingSince_ = coveredSize_ + 1;
    pendingSinceMs_ = now;
  }
  const bool bySize = *size - coveredSize_ >= static_cast<uint64_t>(config_.checkpointEveryRecords);
  const bool byTime = now - pendingSinceMs_ >= config_.checkpointIntervalMs;
  if (!bySize && !byTime) return;
  auto made = log_.checkpoint();
  if (!made.isOk()) {
    logger_.error("audit.checkpoint_refused", {{"error", made.status().message()}});
    return;
  }
  if (!made->has_value()) return;
  const uint64_t before = coveredSize_;
  coveredSize_ = static_cast<uint64_t>((*made)->treeSize);
  if (coveredSize_ <= before) return;  // already covered by a checkpoint from before the start
  logger_.info("audit.checkpoint", {{"treeSize", std::to_string(coveredSize_)},
                                    {"reason", bySize ? "size" : "interval"}});
  if (listener_) listener_();
}

}  // namespace brygga::audit

#include "gateway/audit/checkpointer.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace brygga::audit {

namespace {

constexpr int64_t kMaxLookMs = 1000;

}  // namespace

Checkpointer::Checkpointer(AuditLog& log, core::AuditConfig config, const core::Clock& clock,
                           core::Logger& logger)
    : log_(log), config_(std::move(config)), clock_(clock), logger_(logger) {}

Checkpointer::~Checkpointer() {
  stop();
}

void Checkpointer::start() {
  std::lock_guard lock(mutex_);
  if (running_) return;
  stopRequested_ = false;
  running_ = true;
  thread_ = std::thread([this] { loop(); });
}

void Checkpointer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (!running_) return;
    stopRequested_ = true;
  }
  wake_.notify_all();
  thread_.join();
  {
    std::lock_guard lock(mutex_);
    running_ = false;
  }
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

void Checkpointer::loop() {
  const int64_t lookMs = std::max<int64_t>(1, std::min(config_.checkpointIntervalMs, kMaxLookMs));
  std::unique_lock lock(mutex_);
  while (!stopRequested_) {
    wake_.wait_for(lock, std::chrono::milliseconds(lookMs), [this] { return stopRequested_; });
    if (stopRequested_) break;
    lock.unlock();
    runOnce();
    lock.lock();
  }
}

void Checkpointer::runOnce() {
  std::lock_guard pass(passMutex_);
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

#include "gateway/delivery/retention.h"

#include <string>

#include "gateway/core/civil_time.h"

namespace brygga::delivery {

namespace {

// Entries deleted per write unit: small enough that a sweep never holds up the writers for long.
constexpr int kBatch = 1000;

}  // namespace

Retention::Retention(DeliveryConfig settings, store::Store& store, core::TimeSystem& clock,
                     core::Logger& logger)
    : settings_(settings), store_(store), clock_(clock), logger_(logger), task_(clock) {}

Retention::~Retention() {
  stop();
}

void Retention::start() {
  task_.start([this] {
    auto purged = runOnce();
    if (!purged.isOk()) {
      logger_.error("retention.failed", {{"error", purged.status().toString()}});
    }
    return core::PeriodicTask::Next::after(settings_.retentionIntervalMs);
  });
}

void Retention::stop() {
  task_.stop();
}

core::StatusOr<int64_t> Retention::runOnce() {
  const int64_t cutoff = clock_.nowMs() - settings_.retentionMs;
  int64_t total = 0;
  for (;;) {
    if (task_.stopRequested()) break;
    BRYGGA_ASSIGN_OR_RETURN(int64_t purged, store_.outbox().purgeDelivered(cutoff, kBatch));
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

}  // namespace brygga::delivery

#pragma once

#include <cstdint>

#include "gateway/core/log.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/time_source.h"
#include "gateway/delivery/delivery_config.h"
#include "gateway/store/store.h"

namespace brygga::delivery {

// Retention of delivered messages: every retentionIntervalMs it deletes the outbox entries
// delivered more than retentionMs ago (the payloads, i.e. the patient data Brygga forwarded) and
// gives the freed space back to the file system. Dead letters stay until they are replayed and
// delivered; the exchange log and the audit records are never pruned.
class Retention {
 public:
  Retention(DeliveryConfig settings, store::Store& store, core::TimeSystem& clock,
            core::Logger& logger);
  ~Retention();
  Retention(const Retention&) = delete;
  Retention& operator=(const Retention&) = delete;

  void start();
  // Stops and joins the thread (a sweep in progress ends after its current batch). Idempotent.
  void stop();
  // One sweep; returns how many entries it deleted. For tests and for the thread.
  core::StatusOr<int64_t> runOnce();

 private:
  const DeliveryConfig settings_;
  store::Store& store_;
  const core::TimeSource& clock_;
  core::Logger& logger_;
  core::PeriodicTask task_;
};

}  // namespace brygga::delivery

#pragma once

#include <cstdint>
#include <functional>
#include <mutex>

#include "gateway/audit/audit_config.h"
#include "gateway/audit/audit_log.h"
#include "gateway/core/log.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/time_source.h"

namespace brygga::audit {

// The background thread that signs checkpoints of the audit log: as soon as
// audit.checkpointEveryRecords records are not covered by a checkpoint, and otherwise once the
// oldest uncovered record is audit.checkpointIntervalMs old (by the gateway's Clock). It looks at
// the log every min(interval, 1 s). A refused checkpoint (see AuditLog::checkpoint) is logged as
// an error and tried again at the next look; nothing is signed meanwhile.
class Checkpointer {
 public:
  Checkpointer(AuditLog& log, AuditConfig config, core::TimeSystem& clock, core::Logger& logger);
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  void start();
  // Stops the thread, then signs a last checkpoint so that a stopped gateway leaves no record
  // uncovered. Idempotent.
  void stop();
  // One look: makes a checkpoint when one is due. For tests and for the thread.
  void runOnce();
  // Called (on the checkpointer's thread) after each new checkpoint, e.g. to wake the witness
  // pusher. Set before start(); it must not block.
  void setListener(std::function<void()> listener) { listener_ = std::move(listener); }

 private:
  AuditLog& log_;
  const AuditConfig config_;
  const core::TimeSource& clock_;
  core::Logger& logger_;

  std::mutex passMutex_;        // one look at a time
  uint64_t coveredSize_ = 0;    // size of the last checkpoint seen
  uint64_t pendingSince_ = 0;   // the first uncovered size seen after it...
  int64_t pendingSinceMs_ = 0;  // ...and when
  std::function<void()> listener_;
  core::PeriodicTask task_;
};

}  // namespace brygga::audit

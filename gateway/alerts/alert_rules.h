#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "gateway/alerts/alerts_config.h"

// Alert rules as pure functions of what the gateway looks like now (AlertInputs) and the time,
// and the de-duplication of their results into notifications. No I/O: AlertMonitor gathers the
// inputs and sends the notifications.
namespace brygga::alerts {

struct DestinationInputs {
  std::string name;
  int64_t pending = 0;
  int64_t dead = 0;
  int64_t oldestPendingCreatedMs = 0;  // 0: nothing waiting
  bool paused = false;
  // From the delivery observer: the first failed attempt since the last success; 0: not failing.
  int64_t failingSinceMs = 0;
  int lastStatus = 0;  // HTTP status of the last failure; 0: no answer
};

struct AlertInputs {
  std::vector<DestinationInputs> destinations;
  int64_t auditRecords = 0;
  int64_t checkpointSize = 0;       // tree size of the latest signed checkpoint; 0: none
  int64_t checkpointCreatedMs = 0;  // when it was signed; 0: none
};

// One condition that holds now. `key` identifies it across evaluations (rule and subject).
struct Condition {
  std::string key;
  std::string rule;     // queue_age, queue_depth, dead_letters, destination_failing,
                        // checkpoint_overdue
  std::string subject;  // the destination, or "audit"
  std::string text;     // short, PHI-free: names, counts, durations only
};

// The conditions that hold at nowMs. `referenceMs` is when the monitor started: a log that never
// had a checkpoint is overdue checkpointOverdueMs after it.
std::vector<Condition> evaluateRules(const AlertsConfig& config, const AlertInputs& inputs,
                                     int64_t nowMs, int64_t referenceMs);

struct Notification {
  std::string status;  // "firing" or "resolved"
  std::string rule;
  std::string subject;
  std::string text;
  int64_t sinceMs = 0;  // when the condition was first seen
  int64_t atMs = 0;
  bool repeat = false;  // a reminder of an alert already sent
};

// De-duplication: one "firing" notification when a condition starts, a reminder at most every
// renotifyIntervalMs while it holds (never with 0), one "resolved" when it ends (sendResolved).
// Not thread-safe.
class AlertTracker {
 public:
  explicit AlertTracker(const AlertsConfig& config) : config_(config) {}

  std::vector<Notification> update(const std::vector<Condition>& active, int64_t nowMs);

  struct Firing {
    Condition condition;
    int64_t sinceMs = 0;
    int64_t lastNotifiedMs = 0;
  };
  const std::map<std::string, Firing>& firing() const { return firing_; }

 private:
  const AlertsConfig config_;
  std::map<std::string, Firing> firing_;
};

// "17 min", "2 h 5 min", "45 s".
std::string formatDuration(int64_t ms);

}  // namespace brygga::alerts

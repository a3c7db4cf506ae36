#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/http_client.h"
#include "gateway/alerts/alert_rules.h"
#include "gateway/alerts/alerts_config.h"
#include "gateway/core/time_source.h"
#include "gateway/core/log.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/status.h"

namespace brygga::alerts {

// The thread that evaluates the alert rules every alerts.evaluateIntervalMs and sends what the
// AlertTracker decides as JSON webhooks:
//
//   {"source":"brygga","instance":"...","status":"firing","rule":"destination_failing",
//    "subject":"regional","text":"...","since":"2026-...Z","at":"2026-...Z","repeat":false}
//
// (`text` is also what chat webhooks display). A webhook that fails (no answer, not 2xx) is
// retried on later evaluations with backoff, in order, up to kMaxSendAttempts times; at most
// kMaxQueued notifications wait (the oldest are dropped, and logged). Sending happens on this
// thread only, so a slow webhook never holds up requests or deliveries. Every notification is
// also logged (alert.firing / alert.resolved).
class AlertMonitor {
 public:
  static constexpr int kMaxSendAttempts = 10;
  static constexpr size_t kMaxQueued = 100;

  using InputsProvider = std::function<core::StatusOr<AlertInputs>()>;

  // `webhook` may be null (no alerts.webhookUrl): notifications are only logged.
  AlertMonitor(AlertsConfig config, InputsProvider inputs,
               std::unique_ptr<adapters::HttpClient> webhook, core::TimeSystem& clock,
               core::Logger& logger);
  ~AlertMonitor();
  AlertMonitor(const AlertMonitor&) = delete;
  AlertMonitor& operator=(const AlertMonitor&) = delete;

  void start();
  void stop();  // idempotent; the destructor calls it
  // One evaluation and one round of sending. For tests and for the thread.
  void runOnce();

  // The alerts firing now (for the brygga_alerts_firing gauge).
  std::vector<Condition> firing() const;
  struct Counters {
    int64_t sent = 0;
    int64_t failedAttempts = 0;
    int64_t dropped = 0;
    size_t queued = 0;
  };
  Counters counters() const;

 private:
  struct Queued {
    Notification notification;
    std::string body;
    int attempts = 0;
  };
  void sendQueued(int64_t nowMs);
  std::string bodyOf(const Notification& n) const;

  const AlertsConfig config_;
  const InputsProvider inputs_;
  std::unique_ptr<adapters::HttpClient> webhook_;
  const core::TimeSource& clock_;
  core::Logger& logger_;
  const std::string instance_;
  const int64_t startedMs_;

  mutable std::mutex stateMutex_;  // one evaluation at a time; guards what follows
  AlertTracker tracker_;
  std::deque<Queued> queue_;
  int64_t nextSendMs_ = 0;  // backoff after a failed webhook call
  int64_t backoffMs_ = 0;
  Counters counters_;

  core::PeriodicTask task_;
};

// The HttpClient for alerts.webhookUrl (libcurl), or null when none is configured.
std::unique_ptr<adapters::HttpClient> makeWebhookClient(const AlertsConfig& config);

}  // namespace brygga::alerts

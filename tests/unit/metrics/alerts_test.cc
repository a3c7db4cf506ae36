#include <gtest/gtest.h>

#include <mutex>
#include <sstream>

#include "gateway/alerts/alert_monitor.h"
#include "gateway/alerts/alert_rules.h"
#include "gateway/core/time_source.h"
#include "tests/support/simulated_time_system.h"

namespace brygga::alerts {
namespace {

constexpr int64_t kMin = 60 * 1000;
constexpr int64_t kStart = 1'800'000'000'000;

alerts::AlertsConfig rules() {
  alerts::AlertsConfig c;
  c.webhookUrl = "http://127.0.0.1:1/hook";
  c.evaluateIntervalMs = 15000;
  c.renotifyIntervalMs = 0;
  c.queueAgeMs = 15 * kMin;
  c.queueDepth = 1000;
  c.destinationFailingMs = 10 * kMin;
  c.checkpointOverdueMs = 10 * kMin;
  return c;
}

// Records webhook calls; answers with `status`.
class RecordingClient : public adapters::HttpClient {
 public:
  struct Shared {
    std::mutex mutex;
    std::vector<adapters::HttpRequestSpec> requests;
    int status = 200;
  };
  explicit RecordingClient(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  adapters::HttpResult send(const adapters::HttpRequestSpec& request) override {
    std::lock_guard lock(shared_->mutex);
    shared_->requests.push_back(request);
    adapters::HttpResult r;
    r.status = shared_->status;
    if (r.status == 0) r.error = "connection refused";
    return r;
  }

 private:
  std::shared_ptr<Shared> shared_;
};

TEST(AlertRules, EachRuleFiresPastItsThresholdOnly) {
  AlertInputs in;
  DestinationInputs d;
  d.name = "regional";
  d.pending = 999;
  d.oldestPendingCreatedMs = kStart - 15 * kMin;
  in.destinations.push_back(d);
  auto none = evaluateRules(rules(), in, kStart, kStart);
  EXPECT_TRUE(none.empty()) << none.front().text;

  in.destinations[0].pending = 1000;
  in.destinations[0].oldestPendingCreatedMs = kStart - 16 * kMin;
  in.destinations[0].dead = 2;
  in.destinations[0].failingSinceMs = kStart - 10 * kMin;
  in.destinations[0].lastStatus = 503;
  auto all = evaluateRules(rules(), in, kStart, kStart);
  std::vector<std::string> keys;
  for (const auto& c : all) keys.push_back(c.key);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"queue_age:regional", "queue_depth:regional",
                                      "dead_letters:regional", "destination_failing:regional"}));
  EXPECT_EQ(all[0].text,
            "destination regional: the oldest of 1000 messages has waited 16 min (threshold 15 "
            "min)");
  EXPECT_EQ(all[3].text,
            "destination regional: every delivery attempt has failed for 10 min (last: HTTP 503)");

  // A threshold of 0 turns a rule off.
  auto off = rules();
  off.queueAgeMs = 0;
  off.queueDepth = 0;
  off.deadLetters = false;
  off.destinationFailingMs = 0;
  EXPECT_TRUE(evaluateRules(off, in, kStart, kStart).empty());
}

TEST(AlertRules, CheckpointOverdueCountsFromTheLastCheckpointOrTheStart) {
  AlertInputs in;
  in.auditRecords = 120;
  in.checkpointSize = 100;
  in.checkpointCreatedMs = kStart - 11 * kMin;
  auto c = evaluateRules(rules(), in, kStart, kStart - 60 * kMin);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].key, "checkpoint_overdue:audit");
  EXPECT_EQ(c[0].text,
            "audit log: 20 records not covered by a signed checkpoint; the last one was signed "
            "11 min ago");
  in.checkpointSize = 120;  // all covered
  EXPECT_TRUE(evaluateRules(rules(), in, kStart, kStart).empty());
  // Never a checkpoint: overdue only once the monitor has been running that long.
  in.checkpointSize = 0;
  in.checkpointCreatedMs = 0;
  EXPECT_TRUE(evaluateRules(rules(), in, kStart, kStart - 5 * kMin).empty());
  EXPECT_EQ(evaluateRules(rules(), in, kStart, kStart - 11 * kMin).size(), 1u);
}

TEST(AlertRules, TextsCarryNoPatientData) {
  AlertInputs in;
  DestinationInputs d;
  d.name = "regional";
  d.pending = 5000;
  d.dead = 3;
  d.oldestPendingCreatedMs = kStart - 3 * 60 * kMin;
  d.failingSinceMs = kStart - 3 * 60 * kMin;
  in.destinations.push_back(d);
  for (const auto& c : evaluateRules(rules(), in, kStart, kStart)) {
    EXPECT_EQ(c.text.find("Patient"), std::string::npos) << c.text;
    EXPECT_EQ(c.text.find("1912"), std::string::npos) << c.text;
  }
}

TEST(AlertTracker, OneFiringOneResolvedAndRemindersAtMostEveryInterval) {
  auto config = rules();
  config.renotifyIntervalMs = 60 * kMin;
  AlertTracker tracker(config);
  const std::vector<Condition> failing = {
      {"destination_failing:regional", "destination_failing", "regional", "down"}};
  int firing = 0;
  int reminders = 0;
  int64_t now = kStart;
  for (int i = 0; i < 4 * 60 * 4; ++i, now += 15000) {  // four hours, every 15 s
    for (const auto& n : tracker.update(failing, now)) {
      EXPECT_EQ(n.status, "firing");
      (n.repeat ? reminders : firing)++;
    }
  }
  EXPECT_EQ(firing, 1);
  EXPECT_EQ(reminders, 3);  // after 1, 2 and 3 hours
  auto resolved = tracker.update({}, now);
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0].status, "resolved");
  EXPECT_EQ(resolved[0].sinceMs, kStart);
  EXPECT_TRUE(tracker.update({}, now + 15000).empty());
  // It starts again: a new alert.
  EXPECT_EQ(tracker.update(failing, now + 30000).size(), 1u);
}

TEST(AlertMonitor, ADestinationFailingForAnHourRaisesExactlyOneAlert) {
  testing::SimulatedTimeSystem clock(kStart);
  std::ostringstream logText;
  core::Logger logger(logText);
  auto shared = std::make_shared<RecordingClient::Shared>();
  int64_t failingSince = 0;
  AlertMonitor monitor(
      rules(),
      [&]() -> core::StatusOr<AlertInputs> {
        AlertInputs in;
        DestinationInputs d;
        d.name = "regional";
        d.failingSinceMs = failingSince;
        in.destinations.push_back(d);
        return in;
      },
      std::make_unique<RecordingClient>(shared), clock, logger);

  failingSince = kStart;              // the first failure
  for (int i = 0; i < 4 * 60; ++i) {  // one hour, every 15 s
    monitor.runOnce();
    clock.advance(std::chrono::milliseconds(15000));
  }
  ASSERT_EQ(shared->requests.size(), 1u);
  const std::string& body = shared->requests[0].body;
  EXPECT_NE(body.find(R"("status":"firing")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("rule":"destination_failing")"), std::string::npos) << body;
  EXPECT_NE(body.find(R"("subject":"regional")"), std::string::npos) << body;
  EXPECT_EQ(shared->requests[0].url, "http://127.0.0.1:1/hook");
  EXPECT_EQ(monitor.firing().size(), 1u);

  failingSince = 0;  // delivered again
  monitor.runOnce();
  ASSERT_EQ(shared->requests.size(), 2u);
  EXPECT_NE(shared->requests[1].body.find(R"("status":"resolved")"), std::string::npos);
  EXPECT_TRUE(monitor.firing().empty());
}

TEST(AlertMonitor, AFailingWebhookIsRetriedWithBackoffAndDeliveredOnce) {
  testing::SimulatedTimeSystem clock(kStart);
  std::ostringstream logText;
  core::Logger logger(logText);
  auto shared = std::make_shared<RecordingClient::Shared>();
  shared->status = 0;  // the webhook is down
  AlertMonitor monitor(
      rules(),
      [&]() -> core::StatusOr<AlertInputs> {
        AlertInputs in;
        DestinationInputs d;
        d.name = "regional";
        d.dead = 1;
        in.destinations.push_back(d);
        return in;
      },
      std::make_unique<RecordingClient>(shared), clock, logger);
  monitor.runOnce();  // attempt 1 fails
  EXPECT_EQ(shared->requests.size(), 1u);
  monitor.runOnce();  // within the backoff: no call
  EXPECT_EQ(shared->requests.size(), 1u);
  clock.advance(std::chrono::milliseconds(15000));
  monitor.runOnce();  // attempt 2 fails; backoff doubles
  EXPECT_EQ(shared->requests.size(), 2u);
  clock.advance(std::chrono::milliseconds(15000));
  monitor.runOnce();
  EXPECT_EQ(shared->requests.size(), 2u);
  shared->status = 204;
  clock.advance(std::chrono::milliseconds(15000));
  monitor.runOnce();  // attempt 3 succeeds
  EXPECT_EQ(shared->requests.size(), 3u);
  clock.advance(std::chrono::milliseconds(15000));
  monitor.runOnce();
  EXPECT_EQ(shared->requests.size(), 3u);  // sent once, not again
  EXPECT_EQ(monitor.counters().sent, 1);
  EXPECT_EQ(monitor.counters().failedAttempts, 2);
  EXPECT_NE(logText.str().find("alert.webhook_failed"), std::string::npos);
}

TEST(AlertMonitor, InputsThatFailKeepTheAlertsAsTheyAre) {
  testing::SimulatedTimeSystem clock(kStart);
  std::ostringstream logText;
  core::Logger logger(logText);
  auto shared = std::make_shared<RecordingClient::Shared>();
  bool broken = false;
  AlertMonitor monitor(
      rules(),
      [&]() -> core::StatusOr<AlertInputs> {
        if (broken) return core::unavailable("database locked");
        AlertInputs in;
        DestinationInputs d;
        d.name = "regional";
        d.dead = 1;
        in.destinations.push_back(d);
        return in;
      },
      std::make_unique<RecordingClient>(shared), clock, logger);
  monitor.runOnce();
  broken = true;
  monitor.runOnce();
  EXPECT_EQ(shared->requests.size(), 1u);  // no "resolved" because the inputs failed
  EXPECT_EQ(monitor.firing().size(), 1u);
}

TEST(AlertFormat, Durations) {
  EXPECT_EQ(formatDuration(45000), "45 s");
  EXPECT_EQ(formatDuration(17 * kMin), "17 min");
  EXPECT_EQ(formatDuration(125 * kMin), "2 h 5 min");
  EXPECT_EQ(formatDuration(120 * kMin), "2 h");
  EXPECT_EQ(formatDuration(72 * 60 * kMin), "3 days");
}

}  // namespace
}  // namespace brygga::alerts

#include "gateway/alerts/alert_rules.h"

#include <algorithm>
#include <set>

namespace brygga::alerts {

namespace {

Condition make(const std::string& rule, const std::string& subject, std::string text) {
  return Condition{rule + ":" + subject, rule, subject, std::move(text)};
}

std::string messages(int64_t n) {
  return std::to_string(n) + (n == 1 ? " message" : " messages");
}

}  // namespace

std::string formatDuration(int64_t ms) {
  if (ms < 0) ms = 0;
  const int64_t s = ms / 1000;
  if (s < 60) return std::to_string(s) + " s";
  const int64_t min = s / 60;
  if (min < 60) return std::to_string(min) + " min";
  const int64_t h = min / 60;
  if (h < 48) {
    return std::to_string(h) + " h" + (min % 60 ? " " + std::to_string(min % 60) + " min" : "");
  }
  return std::to_string(h / 24) + " days";
}

std::vector<Condition> evaluateRules(const AlertsConfig& config, const AlertInputs& inputs,
                                     int64_t nowMs, int64_t referenceMs) {
  std::vector<Condition> out;
  for (const DestinationInputs& d : inputs.destinations) {
    const std::string dest = "destination " + d.name;
    const std::string pausedNote = d.paused ? " (paused)" : "";
    if (config.queueAgeMs > 0 && d.pending > 0 && d.oldestPendingCreatedMs > 0 &&
        nowMs - d.oldestPendingCreatedMs > config.queueAgeMs) {
      out.push_back(make("queue_age", d.name,
                         dest + pausedNote + ": the oldest of " + messages(d.pending) +
                             " has waited " + formatDuration(nowMs - d.oldestPendingCreatedMs) +
                             " (threshold " + formatDuration(config.queueAgeMs) + ")"));
    }
    if (config.queueDepth > 0 && d.pending >= config.queueDepth) {
      out.push_back(make("queue_depth", d.name,
                         dest + pausedNote + ": " + messages(d.pending) + " waiting (threshold " +
                             std::to_string(config.queueDepth) + ")"));
    }
    if (config.deadLetters && d.dead > 0) {
      out.push_back(make("dead_letters", d.name,
                         dest + ": " + std::to_string(d.dead) +
                             (d.dead == 1 ? " dead letter" : " dead letters") +
                             " to look at (GET /admin/dead-letters?destination=" + d.name + ")"));
    }
    if (config.destinationFailingMs > 0 && d.failingSinceMs > 0 && !d.paused &&
        nowMs - d.failingSinceMs >= config.destinationFailingMs) {
      const std::string last =
          d.lastStatus == 0 ? "no answer" : "HTTP " + std::to_string(d.lastStatus);
      out.push_back(make("destination_failing", d.name,
                         dest + ": every delivery attempt has failed for " +
                             formatDuration(nowMs - d.failingSinceMs) + " (last: " + last + ")"));
    }
  }
  if (config.checkpointOverdueMs > 0 && inputs.auditRecords > inputs.checkpointSize) {
    const int64_t since = std::max(inputs.checkpointCreatedMs, referenceMs);
    if (nowMs - since > config.checkpointOverdueMs) {
      out.push_back(
          make("checkpoint_overdue", "audit",
               "audit log: " + std::to_string(inputs.auditRecords - inputs.checkpointSize) +
                   " records not covered by a signed checkpoint; " +
                   (inputs.checkpointCreatedMs > 0
                        ? "the last one was signed " +
                              formatDuration(nowMs - inputs.checkpointCreatedMs) + " ago"
                        : std::string("none has been signed"))));
    }
  }
  return out;
}

std::vector<Notification> AlertTracker::update(const std::vector<Condition>& active,
                                               int64_t nowMs) {
  std::vector<Notification> out;
  std::set<std::string> seen;
  for (const Condition& c : active) {
    if (!seen.insert(c.key).second) continue;
    auto it = firing_.find(c.key);
    if (it == firing_.end()) {
      firing_[c.key] = Firing{c, nowMs, nowMs};
      out.push_back({"firing", c.rule, c.subject, c.text, nowMs, nowMs, false});
      continue;
    }
    Firing& f = it->second;
    f.condition = c;  // the text follows the figures
    if (config_.renotifyIntervalMs > 0 && nowMs - f.lastNotifiedMs >= config_.renotifyIntervalMs) {
      f.lastNotifiedMs = nowMs;
      out.push_back({"firing", c.rule, c.subject, c.text, f.sinceMs, nowMs, true});
    }
  }
  for (auto it = firing_.begin(); it != firing_.end();) {
    if (seen.count(it->first) != 0) {
      ++it;
      continue;
    }
    const Firing& f = it->second;
    if (config_.sendResolved) {
      out.push_back(
          {"resolved", f.condition.rule, f.condition.subject,
           "resolved after " + formatDuration(nowMs - f.sinceMs) + ": " + f.condition.text,
           f.sinceMs, nowMs, false});
    }
    it = firing_.erase(it);
  }
  return out;
}

}  // namespace brygga::alerts

#include "gateway/alerts/alert_monitor.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "gateway/core/civil_time.h"

namespace brygga::alerts {

namespace {

constexpr int64_t kMaxBackoffMs = 5 * 60 * 1000;

std::string hostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "brygga";
  return buf;
}

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  core::appendJsonEscaped(out, s);
  out += '"';
  return out;
}

}  // namespace

AlertMonitor::AlertMonitor(AlertsConfig config, InputsProvider inputs,
                           std::unique_ptr<adapters::HttpClient> webhook, core::TimeSystem& clock,
                           core::Logger& logger)
    : config_(std::move(config)),
      inputs_(std::move(inputs)),
      webhook_(std::move(webhook)),
      clock_(clock),
      logger_(logger),
      instance_(config_.instance.empty() ? hostName() : config_.instance),
      startedMs_(clock.nowMs()),
      tracker_(config_),
      task_(clock) {}

AlertMonitor::~AlertMonitor() {
  stop();
}

void AlertMonitor::start() {
  task_.start([this] {
    runOnce();
    return core::PeriodicTask::Next::after(config_.evaluateIntervalMs);
  });
}

void AlertMonitor::stop() {
  task_.stop();
}

void AlertMonitor::runOnce() {
  auto inputs = inputs_();
  std::lock_guard lock(stateMutex_);
  const int64_t now = clock_.nowMs();
  if (!inputs.isOk()) {
    // Without inputs nothing is known to have changed: keep the alerts as they are.
    logger_.error("alert.inputs_failed", {{"error", inputs.status().toString()}});
  } else {
    const auto conditions = evaluateRules(config_, *inputs, now, startedMs_);
    for (Notification& n : tracker_.update(conditions, now)) {
      logger_.log(n.status == "firing" ? core::Logger::Level::kWarn : core::Logger::Level::kInfo,
                  n.status == "firing" ? "alert.firing" : "alert.resolved",
                  {{"rule", n.rule},
                   {"subject", n.subject},
                   {"repeat", n.repeat ? "true" : "false"},
                   {"text", n.text}});
      if (!webhook_) continue;
      if (queue_.size() >= kMaxQueued) {
        ++counters_.dropped;
        logger_.error("alert.dropped", {{"rule", queue_.front().notification.rule},
                                        {"subject", queue_.front().notification.subject}});
        queue_.pop_front();
      }
      std::string body = bodyOf(n);
      queue_.push_back(Queued{std::move(n), std::move(body), 0});
    }
  }
  sendQueued(now);
}

void AlertMonitor::sendQueued(int64_t nowMs) {
  if (!webhook_ || nowMs < nextSendMs_) return;
  while (!queue_.empty()) {
    Queued& q = queue_.front();
    adapters::HttpRequestSpec request;
    request.method = "POST";
    request.url = config_.webhookUrl;
    request.headers = {{"Content-Type", "application/json"}};
    request.body = q.body;
    const adapters::HttpResult result = webhook_->send(request);
    ++q.attempts;
    if (result.status >= 200 && result.status < 300) {
      ++counters_.sent;
      backoffMs_ = 0;
      queue_.pop_front();
      continue;
    }
    ++counters_.failedAttempts;
    const std::string why =
        result.status == 0 ? "no answer: " + result.error : "HTTP " + std::to_string(result.status);
    if (q.attempts >= kMaxSendAttempts) {
      ++counters_.dropped;
      logger_.error("alert.webhook_gave_up", {{"rule", q.notification.rule},
                                              {"subject", q.notification.subject},
                                              {"attempts", std::to_string(q.attempts)},
                                              {"error", why}});
      queue_.pop_front();
    } else {
      logger_.warn("alert.webhook_failed", {{"rule", q.notification.rule},
                                            {"subject", q.notification.subject},
                                            {"attempts", std::to_string(q.attempts)},
                                            {"error", why}});
    }
    // Back off: the next round tries again, in order, after a growing pause.
    backoffMs_ =
        std::min(kMaxBackoffMs, backoffMs_ == 0 ? config_.evaluateIntervalMs : backoffMs_ * 2);
    nextSendMs_ = nowMs + backoffMs_;
    return;
  }
}

std::string AlertMonitor::bodyOf(const Notification& n) const {
  std::string text = "[" + instance_ + "] " + (n.status == "resolved" ? "RESOLVED " : "") +
                     (n.repeat ? "still firing: " : "") + n.text;
  std::string body = "{\"source\":\"brygga\",\"instance\":" + jsonString(instance_) +
                     ",\"status\":" + jsonString(n.status) + ",\"rule\":" + jsonString(n.rule) +
                     ",\"subject\":" + jsonString(n.subject) + ",\"text\":" + jsonString(text) +
                     ",\"since\":" + jsonString(core::formatInstant(n.sinceMs)) +
                     ",\"at\":" + jsonString(core::formatInstant(n.atMs)) +
                     ",\"repeat\":" + (n.repeat ? "true" : "false") + "}";
  return body;
}

std::vector<Condition> AlertMonitor::firing() const {
  std::lock_guard lock(stateMutex_);
  std::vector<Condition> out;
  for (const auto& [_, f] : tracker_.firing()) out.push_back(f.condition);
  return out;
}

AlertMonitor::Counters AlertMonitor::counters() const {
  std::lock_guard lock(stateMutex_);
  Counters c = counters_;
  c.queued = queue_.size();
  return c;
}

std::unique_ptr<adapters::HttpClient> makeWebhookClient(const AlertsConfig& config) {
  if (config.webhookUrl.empty()) return nullptr;
  adapters::HttpPeer d;
  d.baseUrl = config.webhookUrl;
  d.connectTimeoutMs = std::min<int64_t>(config.webhookTimeoutMs, 2000);
  d.timeoutMs = config.webhookTimeoutMs;
  d.caFile = config.webhookCaFile;
  return adapters::makeCurlHttpClient(d);
}

}  // namespace brygga::alerts

#include "gateway/api/console_api.h"

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <set>
#include <utility>

#include "gateway/api/responses.h"
#include "gateway/core/civil_time.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/swedish_identifiers.h"
#include "gateway/search/query.h"

namespace brygga::api {

namespace {

using core::Status;
using core::StatusOr;

constexpr int64_t kMinuteMs = 60000;
constexpr int64_t kKeptMs = 24 * 3600 * 1000;  // the longest summary window
constexpr int kCatchUpBatch = 5000;
constexpr int kCatchUpMaxRows = 200000;  // per call, so a poll stays short after a long pause
constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 200;
constexpr int kMaxSteps = 500;
// The charts: at most this many points over any window; at most this many delivery times kept
// per minute (beyond, the minute's percentiles come from its first ones); at most this many
// messages remembered while they wait for their delivery.
constexpr int64_t kMaxSeriesPoints = 60;
constexpr size_t kMaxLatencySamples = 2000;
constexpr size_t kMaxRemembered = 200000;
// The live summaries: how often, and how many clients at once.
constexpr int64_t kEventIntervalMs = 2000;
constexpr size_t kMaxEventClients = 16;
// While nobody listens the publisher still samples the charts' figures this often (the queue
// depth of each destination; the exchange lines since the last pass folded into the minute
// buckets), so that a console opened later draws the whole window. A new listener wakes it.
constexpr int64_t kSampleIntervalMs = 15000;

// The p-th percentile (nearest rank) of `samples`; nullopt when there are none.
std::optional<double> percentile(std::vector<int64_t>& samples, int p) {
  if (samples.empty()) return std::nullopt;
  const size_t rank = (samples.size() * static_cast<size_t>(p) + 99) / 100;
  const size_t index = std::min(samples.size() - 1, rank == 0 ? 0 : rank - 1);
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(index),
                   samples.end());
  return static_cast<double>(samples[index]);
}

void appendField(std::string& out, const char* name, std::string_view text) {
  out += '"';
  out += name;
  out += "\":";
  core::appendJsonString(out, text);
}

void appendField(std::string& out, const char* name, int64_t value) {
  out += '"';
  out += name;
  out += "\":" + std::to_string(value);
}

void appendInstant(std::string& out, const char* name, int64_t ms) {
  out += '"';
  out += name;
  out += "\":";
  appendInstantOrNull(out, ms);
}

bool isFhirId(const std::string& text) {
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return core::isAsciiAlnum(c) || c == '-' || c == '.'; });
}

// What each status means, for the console's legend and tooltips.
const char* explain(store::MessageStatus status) {
  switch (status) {
    case store::MessageStatus::kRejected:
      return "Brygga refused the message (invalid, not allowed or conflicting); nothing of it was "
             "stored or forwarded. The sender was told why.";
    case store::MessageStatus::kAccepted:
      return "Stored; nothing had to be forwarded.";
    case store::MessageStatus::kQueued:
      return "Stored and waiting for its first delivery attempt.";
    case store::MessageStatus::kRetrying:
      return "A delivery attempt failed (the receiver was unavailable or busy); Brygga tries "
             "again automatically.";
    case store::MessageStatus::kDelivered:
      return "Forwarded and acknowledged by the receiver.";
    case store::MessageStatus::kDead:
      return "Dead letter: the receiver refused it, or Brygga gave up after too many attempts. "
             "Nothing more happens until someone replays it.";
    case store::MessageStatus::kDeclined:
      return "Accepted and answered with a refusal: a consultation request out of service hours "
             "(the Task is rejected and the sender told to use the on-call service).";
    case store::MessageStatus::kHeld:
      return "Held by a block (spärr): the patient has blocked the receiving party, so Brygga did "
             "not send it. Its content is not shown. Lifting the block releases nothing; the "
             "integration team releases it explicitly.";
  }
  return "";
}

// "...; mappings=0123abcd" -> "0123abcd".
std::string mappingVersionOf(const std::string& detail) {
  const size_t at = detail.rfind("mappings=");
  if (at == std::string::npos) return {};
  std::string version = detail.substr(at + 9);
  const size_t end = version.find_first_of("; ");
  return end == std::string::npos ? version : version.substr(0, end);
}

void appendEntry(std::string& out, const store::OutboxEntry& e) {
  out += '{';
  appendField(out, "id", e.id);
  out += ',';
  appendField(out, "destination", e.destination);
  out += ',';
  appendField(out, "state", store::toString(e.state));
  out += ',';
  appendField(out, "attempts", e.attempts);
  out += ',';
  appendInstant(out, "created", e.createdMs);
  out += ',';
  appendInstant(out, e.state == store::OutboxState::kPending ? "nextAttempt" : "finished",
                e.nextAttemptMs);
  out += ',';
  // The peer's answer (or why Brygga gave up): what the integration team needs to act.
  appendField(out, "lastError", e.lastError);
  out += '}';
}

// The fields the message list and a message's page share (the page adds when it was answered).
void appendMessageFields(std::string& out, const store::Message& m, bool withAnswered) {
  const store::ExchangeRecord& l = m.line;
  appendField(out, "seq", l.seq);
  out += ',';
  appendField(out, "requestId", l.requestId);
  out += ',';
  appendInstant(out, "received", l.startedMs);
  out += ',';
  if (withAnswered) {
    appendInstant(out, "answered", l.finishedMs);
    out += ',';
  }
  appendField(out, "client", l.clientId);
  out += ',';
  appendField(out, "tenant", l.tenant);
  out += ',';
  appendField(out, "interaction", l.interaction);
  out += ',';
  // What the message is (enrollment, visit note, ...); empty when the flows did not know it.
  appendField(out, "kind", l.kind);
  out += ',';
  appendField(out, "resourceTypes", l.resourceTypes);
  out += ',';
  appendField(out, "patient", l.patient);
  out += ',';
  appendField(out, "httpStatus", l.httpStatus);
  out += ',';
  // Why a rejected request was refused (the answer's first diagnostic; PHI-free by construction).
  appendField(out, "reason", m.status == store::MessageStatus::kRejected ? l.detail : "");
  out += ',';
  appendField(out, "status", store::toString(m.status));
}

void appendSummary(std::string& out, const store::Message& m) {
  out += '{';
  appendMessageFields(out, m, false);
  out += ",\"destinations\":[";
  std::vector<std::string> seen;
  for (const auto& e : m.outbox) {
    if (std::find(seen.begin(), seen.end(), e.destination) != seen.end()) continue;
    if (!seen.empty()) out += ',';
    seen.push_back(e.destination);
    core::appendJsonString(out, e.destination);
  }
  out += "],\"entries\":[";
  for (size_t i = 0; i < m.outbox.size(); ++i) {
    if (i > 0) out += ',';
    out += '{';
    appendField(out, "id", m.outbox[i].id);
    out += ',';
    appendField(out, "destination", m.outbox[i].destination);
    out += ',';
    appendField(out, "state", store::toString(m.outbox[i].state));
    out += ',';
    appendField(out, "attempts", m.outbox[i].attempts);
    if (m.outbox[i].state == store::OutboxState::kDead ||
        m.outbox[i].state == store::OutboxState::kHeld) {
      // When it died (or was held) and why: the start of the peer's answer.
      out += ',';
      appendInstant(out, "finished", m.outbox[i].nextAttemptMs);
      out += ',';
      appendField(out, "reason", previewText(m.outbox[i].lastError, 200));
    }
    out += '}';
  }
  out += "]}";
}

void appendCounts(std::string& out, const std::string& name, int64_t received, int64_t accepted,
                  int64_t declined, int64_t rejected, int64_t delivered, int64_t retried,
                  int64_t dead) {
  out += '{';
  appendField(out, "name", name);
  out += ',';
  appendField(out, "received", received);
  out += ',';
  appendField(out, "accepted", accepted);
  out += ',';
  appendField(out, "declined", declined);
  out += ',';
  appendField(out, "rejected", rejected);
  out += ',';
  appendField(out, "delivered", delivered);
  out += ',';
  appendField(out, "retried", retried);
  out += ',';
  appendField(out, "deadLettered", dead);
  out += '}';
}

}  // namespace

// One client's live summaries. Holds a place among kMaxEventClients from its answer until it is
// destroyed (its connection closed, or its answer never sent).
class ConsoleApi::SummaryStream final : public core::EventStream {
 public:
  SummaryStream(ConsoleApi& api, int64_t windowS) : api_(api), windowS_(windowS) {}
  ~SummaryStream() override { api_.endStream(id_); }
  void start(std::function<bool(std::string)> send) override {
    id_ = api_.subscribe(windowS_, std::move(send));
  }
  void stop() override { api_.unsubscribe(id_); }

 private:
  ConsoleApi& api_;
  const int64_t windowS_;
  uint64_t id_ = 0;
};

ConsoleApi::ConsoleApi(ConsoleDependencies deps)
    : deps_(deps), recorder_(deps_.clock), publisher_(deps_.clock) {
  publisher_.start([this] { return publish(); });
}

ConsoleApi::~ConsoleApi() {
  publisher_.stop();
}

ApiResponse ConsoleApi::events(const ApiRequest& request) {
  auto windowS = windowOf(request.query);
  if (!windowS.isOk()) return errorResponse(windowS.status());
  {
    std::lock_guard lock(feedMutex_);
    if (streams_ >= kMaxEventClients) {
      ApiResponse busy = errorResponse(
          core::unavailable("too many live consoles on this gateway (" +
                            std::to_string(kMaxEventClients) + "); the page polls instead"));
      busy.headers.emplace_back("Retry-After", "30");
      return busy;
    }
    ++streams_;
  }
  ApiResponse r;
  r.status = 200;
  r.headers.emplace_back("Content-Type", "text/event-stream");
  r.headers.emplace_back("Cache-Control", "no-store");
  r.stream = std::make_shared<SummaryStream>(*this, *windowS);
  return r;
}

uint64_t ConsoleApi::subscribe(int64_t windowS, std::function<bool(std::string)> send) {
  uint64_t id = 0;
  {
    std::lock_guard lock(feedMutex_);
    id = nextSubscriber_++;
    subscribers_[id] = {windowS, std::move(send)};
  }
  publisher_.notify();  // the first summary at once
  return id;
}

void ConsoleApi::unsubscribe(uint64_t id) {
  std::lock_guard lock(feedMutex_);
  subscribers_.erase(id);
}

void ConsoleApi::endStream(uint64_t id) {
  std::lock_guard lock(feedMutex_);
  subscribers_.erase(id);
  --streams_;
}

// Makes each window's summary once (outside the feed's lock: it reads the store) and sends it to
// the subscribers of that window; one whose connection is gone is dropped.
core::PeriodicTask::Next ConsoleApi::publish() {
  std::set<int64_t> windows;
  {
    std::lock_guard lock(feedMutex_);
    for (const auto& [id, s] : subscribers_) windows.insert(s.windowS);
  }
  if (windows.empty()) {
    sample();
    return core::PeriodicTask::Next::after(kSampleIntervalMs);
  }
  for (const int64_t windowS : windows) {
    auto json = summaryJson(windowS);
    std::string event;
    if (json.isOk()) {
      event = "event: summary\ndata: " + *json + "\n\n";
    } else {
      event = "event: failure\ndata: ";
      core::appendJsonString(event, json.status().message());
      event += "\n\n";
    }
    std::lock_guard lock(feedMutex_);
    for (auto it = subscribers_.begin(); it != subscribers_.end();) {
      const bool gone = it->second.windowS == windowS && !it->second.send(event);
      it = gone ? subscribers_.erase(it) : std::next(it);
    }
  }
  return core::PeriodicTask::Next::after(kEventIntervalMs);
}

ApiResponse ConsoleApi::handle(const ApiRequest& request) {
  const int64_t started = deps_.clock.nowMs();
  Trace trace;
  bool record = true;
  ApiResponse response =
      dispatchGuarded(request, deps_.logger, [&] { return dispatch(request, trace, record); });
  if (!record) return response;
  return recorder_.recordAnswer(deps_.store, request, std::move(response), trace, started,
                                deps_.logger);
}

ApiResponse ConsoleApi::dispatch(const ApiRequest& request, Trace& trace, bool& record) {
  const std::vector<std::string> parts = splitPath(request.path);
  trace.interaction = request.method == "GET" ? "read" : "operation";
  trace.action = request.method == "GET" ? 'R' : 'U';
  // The query may hold a personnummer: only what it resolved to is recorded (set below).
  trace.query.clear();
  if (auto refused =
          checkIntegrationCaller(request, trace, "the console is for the integration team")) {
    return *refused;
  }
  if (parts.size() == 1 && parts[0] == "session") {
    if (auto wrong = checkMethod(request, "GET")) return *wrong;
    record = false;
    std::string out = "{";
    appendField(out, "client", request.caller.clientId);
    out += ',';
    appendField(out, "role", core::toString(request.caller.role));
    out += ',';
    appendField(out, "credential", request.caller.credential);
    return noStoreResponse(200, out + "}");
  }
  if (parts.size() == 1 && parts[0] == "summary") {
    if (auto wrong = checkMethod(request, "GET")) return *wrong;
    record = false;
    return summary(request);
  }
  if (parts.size() == 1 && parts[0] == "audit") {
    if (auto wrong = checkMethod(request, "GET")) return *wrong;
    record = false;
    return auditStatus();
  }
  if (parts.size() == 1 && parts[0] == "events") {
    if (auto wrong = checkMethod(request, "GET")) return *wrong;
    record = false;  // names no patient, like the summary it streams
    return events(request);
  }
  if (parts.size() == 1 && parts[0] == "refusals") {
    if (auto wrong = checkMethod(request, "GET")) return *wrong;
    record = false;
    return refusals();
  }
  if (!parts.empty() && parts[0] == "messages") {
    if (auto wrong = checkMethod(request, "GET")) return *wrong;
    trace.types.insert("Bundle");
    if (parts.size() == 1) {
      trace.interaction = "search-type";
      trace.action = 'E';
      return messages(request, trace);
    }
    if (parts.size() == 2) return message(parts[1], false, trace);
    if (parts.size() == 3 && parts[2] == "payload") return message(parts[1], true, trace);
  }
  // The delivery engine's operations: AdminApi records them itself.
  if (!parts.empty() &&
      (parts[0] == "destinations" || parts[0] == "dead-letters" || parts[0] == "held")) {
    record = false;
    return forward(request, request.path);
  }
  return errorResponse(core::notFound(
      "no such console resource: /console/api/session, summary, messages, messages/{seq}, "
      "messages/{seq}/payload, destinations, dead-letters/{id}/replay, held/{id}/release, "
      "refusals, events and audit exist"));
}

ApiResponse ConsoleApi::forward(const ApiRequest& request, const std::string& adminPath) {
  ApiRequest inner = request;
  inner.path = adminPath;
  return deps_.admin.handle(inner);
}

core::Status ConsoleApi::catchUp() {
  const int64_t now = deps_.clock.nowMs();
  if (!countsStarted_) {
    BRYGGA_ASSIGN_OR_RETURN(int64_t first, deps_.store.exchangeLog().exchangeSeqAt(now - kKeptMs));
    countedSeq_ = first - 1;
    countsStarted_ = true;
  }
  for (int read = 0; read < kCatchUpMaxRows;) {
    BRYGGA_ASSIGN_OR_RETURN(auto lines,
                            deps_.store.exchangeLog().exchangesAfter(countedSeq_, kCatchUpBatch));
    for (const store::ExchangeRecord& l : lines) {
      countedSeq_ = l.seq;
      const int64_t minute = l.finishedMs / kMinuteMs;
      if (l.finishedMs < now - kKeptMs) continue;
      auto& bucket = buckets_[minute];
      if (l.direction == "inbound" && l.message) {
        Counts& c = bucket["tenant:" + l.tenant];
        ++c.received;
        ++(l.httpStatus >= 400 ? c.rejected : store::isDeclined(l) ? c.declined : c.accepted);
        if (l.httpStatus < 400 && l.outboxLast > 0) {
          receivedAt_[l.requestId] = l.startedMs;
          receivedOrder_.emplace_back(l.startedMs, l.requestId);
        }
      } else if (l.direction == "outbound") {
        const auto received = receivedAt_.find(l.requestId);
        if (l.httpStatus >= 200 && l.httpStatus < 300 && received != receivedAt_.end()) {
          auto& samples = latencies_[minute];
          if (samples.size() < kMaxLatencySamples) {
            samples.push_back(std::max<int64_t>(0, l.finishedMs - received->second));
          }
        }
        for (const std::string& key : {"destination:" + l.destination, "tenant:" + l.tenant}) {
          Counts& c = bucket[key];
          if (l.httpStatus >= 200 && l.httpStatus < 300) {
            ++c.delivered;
          } else if (l.detail.rfind("dead", 0) == 0) {
            ++c.dead;
          } else {
            ++c.retried;
          }
        }
      }
    }
    read += static_cast<int>(lines.size());
    if (static_cast<int>(lines.size()) < kCatchUpBatch) break;
  }
  const int64_t oldestMinute = (now - kKeptMs) / kMinuteMs;
  while (!buckets_.empty() && buckets_.begin()->first < oldestMinute) {
    buckets_.erase(buckets_.begin());
  }
  while (!latencies_.empty() && latencies_.begin()->first < oldestMinute) {
    latencies_.erase(latencies_.begin());
  }
  while (!depths_.empty() && depths_.begin()->first < oldestMinute) depths_.erase(depths_.begin());
  while (!receivedOrder_.empty() &&
         (receivedOrder_.front().first < now - kKeptMs || receivedOrder_.size() > kMaxRemembered)) {
    const auto& [at, requestId] = receivedOrder_.front();
    // A request id sent again later stays for its later message.
    if (auto it = receivedAt_.find(requestId); it != receivedAt_.end() && it->second == at) {
      receivedAt_.erase(it);
    }
    receivedOrder_.pop_front();
  }
  return Status::ok();
}

StatusOr<int64_t> ConsoleApi::windowOf(const std::string& query) {
  int64_t windowS = 3600;
  BRYGGA_ASSIGN_OR_RETURN(auto params, search::parseQuery(query));
  for (const auto& [name, value] : params) {
    if (name != "window") return core::invalidArgument("unknown parameter " + name);
    auto n = core::parseDecimal(value);
    if (!n.isOk() || *n < 60 || *n > kKeptMs / 1000) {
      return core::invalidArgument("window is seconds, from 60 to 86400");
    }
    windowS = *n;
  }
  return windowS;
}

ApiResponse ConsoleApi::summary(const ApiRequest& request) {
  auto windowS = windowOf(request.query);
  if (!windowS.isOk()) return errorResponse(windowS.status());
  auto json = summaryJson(*windowS);
  if (!json.isOk()) return errorResponse(json.status());
  return noStoreResponse(200, std::move(json).value());
}

void ConsoleApi::sample() {
  std::lock_guard lock(countsMutex_);
  Status s = catchUp();
  if (s.isOk()) s = sampleDepths(deps_.clock.nowMs()).status();
  // Said once when sampling starts failing (the store is down) and once when it works again.
  if (s.isOk() == sampleFailing_) {
    sampleFailing_ = !s.isOk();
    if (sampleFailing_) {
      deps_.logger.warn("console.sample_failed", {{"error", s.message()}});
    } else {
      deps_.logger.info("console.sample_recovered");
    }
  }
}

StatusOr<std::vector<store::DestinationState>> ConsoleApi::sampleDepths(int64_t now) {
  BRYGGA_ASSIGN_OR_RETURN(auto states, deps_.store.outbox().destinationStates());
  auto& depths = depths_[now / kMinuteMs];
  for (const store::DestinationState& d : states) {
    depths[d.destination] = std::max(depths[d.destination], d.pending);
  }
  return states;
}

StatusOr<std::string> ConsoleApi::summaryJson(int64_t windowS) {
  // One summary at a time: the buckets, the delivery times and the queue samples are shared.
  std::lock_guard lock(countsMutex_);
  const int64_t now = deps_.clock.nowMs();
  BRYGGA_RETURN_IF_ERROR(catchUp());
  std::map<std::string, Counts> totals;
  const int64_t fromMinute = (now - windowS * 1000) / kMinuteMs;
  for (auto it = buckets_.lower_bound(fromMinute); it != buckets_.end(); ++it) {
    for (const auto& [key, c] : it->second) {
      Counts& t = totals[key];
      t.received += c.received;
      t.accepted += c.accepted;
      t.rejected += c.rejected;
      t.declined += c.declined;
      t.delivered += c.delivered;
      t.retried += c.retried;
      t.dead += c.dead;
    }
  }
  // The queue depth is sampled whenever a summary is made too (every 2 s while one streams).
  BRYGGA_ASSIGN_OR_RETURN(auto states, sampleDepths(now));
  const std::vector<std::pair<std::string, std::string>> tenants = tenantsOf(totals);
  std::string out = "{";
  appendInstant(out, "at", now);
  out += ',';
  appendField(out, "windowSeconds", windowS);
  BRYGGA_RETURN_IF_ERROR(appendTenants(out, tenants, totals, now));
  out += ",\"destinations\":[";
  bool first = true;
  for (const store::DestinationState& d : states) {
    if (!first) out += ',';
    first = false;
    const Counts c = totals.count("destination:" + d.destination)
                         ? totals["destination:" + d.destination]
                         : Counts{};
    std::string counts;
    appendCounts(counts, d.destination, c.received, c.accepted, c.declined, c.rejected, c.delivered,
                 c.retried, c.dead);
    counts.pop_back();  // add the queue figures to the same object
    out += counts + ",\"paused\":" + (d.paused ? "true" : "false");
    out += ',';
    appendField(out, "pending", d.pending);
    out += ',';
    appendField(out, "deadLetters", d.dead);
    out += ',';
    appendField(out, "oldestPendingAgeMs",
                d.oldestPendingCreatedMs > 0 ? now - d.oldestPendingCreatedMs : 0);
    out += '}';
  }
  out += ']';
  BRYGGA_RETURN_IF_ERROR(appendGateways(out, now));
  std::vector<std::string> destinations;
  for (const store::DestinationState& d : states) destinations.push_back(d.destination);
  appendSeries(out, windowS, now, tenants, destinations);
  return out + "}";
}

// The charts' figures over the window, in steps of a minute (a 24-minute step over a day, so
// that every window has at most 60 points): messages received per minute per municipality, the
// delivery time (received to acknowledged by the receiver) p50 and p95, and each destination's
// queue depth (the largest sampled in the step; null when none was).
void ConsoleApi::appendSeries(std::string& out, int64_t windowS, int64_t now,
                              const std::vector<std::pair<std::string, std::string>>& tenants,
                              const std::vector<std::string>& destinations) {
  const int64_t stepMinutes = std::max<int64_t>(1, windowS / 60 / kMaxSeriesPoints);
  const int64_t steps = std::max<int64_t>(1, (windowS / 60 + stepMinutes - 1) / stepMinutes);
  const int64_t lastMinute = now / kMinuteMs;
  const int64_t firstMinute = lastMinute - steps * stepMinutes + 1;
  const auto numberOrNull = [](std::string& to, std::optional<double> v) {
    if (!v) {
      to += "null";
      return;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", *v);
    to += text;
  };
  out += ",\"series\":{";
  appendField(out, "stepSeconds", stepMinutes * 60);
  out += ",\"times\":[";
  for (int64_t i = 0; i < steps; ++i) {
    if (i > 0) out += ',';
    appendInstantOrNull(out, (firstMinute + i * stepMinutes) * kMinuteMs);
  }
  out += "],\"receivedPerMinute\":{";
  for (size_t t = 0; t < tenants.size(); ++t) {
    if (t > 0) out += ',';
    core::appendJsonString(out, tenants[t].first);
    out += ":[";
    const std::string key = "tenant:" + tenants[t].first;
    for (int64_t i = 0; i < steps; ++i) {
      int64_t received = 0;
      for (int64_t m = 0; m < stepMinutes; ++m) {
        const auto bucket = buckets_.find(firstMinute + i * stepMinutes + m);
        if (bucket == buckets_.end()) continue;
        const auto counts = bucket->second.find(key);
        if (counts != bucket->second.end()) received += counts->second.received;
      }
      if (i > 0) out += ',';
      numberOrNull(out, static_cast<double>(received) / static_cast<double>(stepMinutes));
    }
    out += ']';
  }
  std::string p50 = "[", p95 = "[";
  for (int64_t i = 0; i < steps; ++i) {
    std::vector<int64_t> samples;
    for (int64_t m = 0; m < stepMinutes; ++m) {
      const auto minute = latencies_.find(firstMinute + i * stepMinutes + m);
      if (minute != latencies_.end()) {
        samples.insert(samples.end(), minute->second.begin(), minute->second.end());
      }
    }
    if (i > 0) {
      p50 += ',';
      p95 += ',';
    }
    numberOrNull(p50, percentile(samples, 50));
    numberOrNull(p95, percentile(samples, 95));
  }
  out += "},\"deliveryMsP50\":" + p50 + "],\"deliveryMsP95\":" + p95 + "],\"queueDepth\":{";
  for (size_t d = 0; d < destinations.size(); ++d) {
    if (d > 0) out += ',';
    core::appendJsonString(out, destinations[d]);
    out += ":[";
    for (int64_t i = 0; i < steps; ++i) {
      std::optional<double> depth;
      for (int64_t m = 0; m < stepMinutes; ++m) {
        const auto minute = depths_.find(firstMinute + i * stepMinutes + m);
        if (minute == depths_.end()) continue;
        const auto found = minute->second.find(destinations[d]);
        if (found == minute->second.end()) continue;
        depth = std::max(depth.value_or(0), static_cast<double>(found->second));
      }
      if (i > 0) out += ',';
      numberOrNull(out, depth);
    }
    out += ']';
  }
  out += "}}";
}

// Every municipality of the routing table, in its order, whether it sent anything or not, then
// any other sender counted in the window.
std::vector<std::pair<std::string, std::string>> ConsoleApi::tenantsOf(
    const std::map<std::string, Counts>& totals) const {
  std::vector<std::pair<std::string, std::string>> tenants;  // tenant, name
  if (deps_.mappings != nullptr) {
    for (const auto& m : deps_.mappings->current()->routing().municipalities()) {
      tenants.emplace_back(m.tenant, m.name);
    }
  }
  for (const auto& [key, c] : totals) {
    if (key.rfind("tenant:", 0) != 0) continue;
    const std::string tenant = key.substr(7);
    if (std::none_of(tenants.begin(), tenants.end(),
                     [&](const auto& t) { return t.first == tenant; })) {
      tenants.emplace_back(tenant, "");
    }
  }
  return tenants;
}

// Each tenant with its counts, its last message from the store (so it is right after a restart
// and with several gateways) and how long it has been silent.
Status ConsoleApi::appendTenants(std::string& out,
                                 const std::vector<std::pair<std::string, std::string>>& tenants,
                                 const std::map<std::string, Counts>& totals, int64_t now) {
  out += ",\"tenants\":[";
  for (size_t i = 0; i < tenants.size(); ++i) {
    const auto& [tenant, name] = tenants[i];
    BRYGGA_ASSIGN_OR_RETURN(std::optional<int64_t> last,
                            deps_.store.exchangeLog().lastMessageAt(tenant));
    const auto counted = totals.find("tenant:" + tenant);
    const Counts c = counted != totals.end() ? counted->second : Counts{};
    if (i > 0) out += ',';
    std::string counts;
    appendCounts(counts, tenant, c.received, c.accepted, c.declined, c.rejected, c.delivered,
                 c.retried, c.dead);
    counts.pop_back();  // the municipality's own figures in the same object
    out += counts + ',';
    appendField(out, "displayName", name);
    out += ',';
    appendInstant(out, "lastReceived", last.value_or(0));
    out += ",\"silentMs\":";
    out += last ? std::to_string(std::max<int64_t>(0, now - *last)) : "null";
    out += '}';
  }
  out += ']';
  return Status::ok();
}

Status ConsoleApi::appendGateways(std::string& out, int64_t now) {
  BRYGGA_ASSIGN_OR_RETURN(auto instances, deps_.store.instances());
  out += ",\"gateways\":[";
  int alive = 0;
  for (size_t i = 0; i < instances.size(); ++i) {
    const store::InstanceRecord& g = instances[i];
    const bool live = now - g.lastSeenMs <= store::kInstanceSilentMs;
    alive += live ? 1 : 0;
    if (i) out += ',';
    out += '{';
    appendField(out, "id", g.id);
    out += ',';
    appendField(out, "version", g.version);
    out += ',';
    appendInstant(out, "startedAt", g.startedMs);
    out += ',';
    appendInstant(out, "lastSeenAt", g.lastSeenMs);
    out += std::string(",\"alive\":") + (live ? "true" : "false");
    out += std::string(",\"self\":") + (g.id == deps_.instanceId ? "true" : "false");
    out += '}';
  }
  out += "],";
  appendField(out, "gatewaysAlive", alive);
  return Status::ok();
}

ApiResponse ConsoleApi::messages(const ApiRequest& request, Trace& trace) {
  auto params = search::parseQuery(request.query);
  if (!params.isOk()) return errorResponse(params.status());
  store::MessageQuery query;
  query.limit = kDefaultPage;
  std::string recorded;  // the query as recorded: the patient only as the reference it named
  std::string patientNote;
  for (const auto& [name, value] : *params) {
    if (value.empty()) continue;
    if (name == "from" || name == "to") {
      auto ms = core::parseFhirDateTime(value);
      if (!ms.isOk()) {
        return errorResponse(
            core::invalidArgument(name + " must be a date or date-time, e.g. 2026-11-23T10:00Z"));
      }
      (name == "from" ? query.fromMs : query.toMs) = *ms;
    } else if (name == "tenant") {
      query.tenant = value;
    } else if (name == "type") {
      query.resourceType = value;
    } else if (name == "kind") {
      if (!store::isMessageKind(value)) {
        return errorResponse(core::invalidArgument(
            "kind must be enrollment, discharge, consultation, visit, visit note, care plan or "
            "admission"));
      }
      query.kind = value;
    } else if (name == "requestId") {
      query.requestId = value;
    } else if (name == "cursor") {
      query.cursor = value;
      continue;
    } else if (name == "limit") {
      auto n = core::parseDecimal(value);
      if (!n.isOk() || *n < 1 || *n > kMaxPage) {
        return errorResponse(core::invalidArgument("limit must be 1 to 200"));
      }
      query.limit = static_cast<int>(*n);
      continue;
    } else if (name == "status") {
      auto status = store::parseMessageStatus(value);
      if (!status.isOk()) return errorResponse(status.status());
      query.status = *status;
    } else if (name == "patient") {
      // A personnummer or samordningsnummer is looked up in the identifier index; from here on
      // only the Patient reference it resolved to is used and recorded.
      std::optional<std::string> system;
      core::StatusOr<std::string> number = fhir::normalizePersonnummer(value);
      if (number.isOk()) {
        system = std::string(fhir::kPersonnummerSystem);
      } else if ((number = fhir::normalizeSamordningsnummer(value)).isOk()) {
        system = std::string(fhir::kSamordningsnummerSystem);
      }
      if (system) {
        store::SearchQuery search;
        search.type = "Patient";
        search.criteria.push_back({"identifier", system, {*number}});
        search.count = 5;
        auto found = deps_.store.resources().search(search);
        if (!found.isOk()) return errorResponse(found.status());
        if (found->records.empty()) {
          std::string out = "{\"messages\":[],\"next\":null,";
          appendField(out, "note", "no patient with that identifier is stored in Brygga");
          out += ",\"noteCode\":\"no-patient\"";
          return noStoreResponse(200, out + "}");
        }
        query.patient = "Patient/" + found->records.front().id;
        if (found->records.size() > 1) {
          patientNote = "several patients have that identifier; showing " + *query.patient;
        }
      } else if (value.rfind("Patient/", 0) == 0 && isFhirId(value.substr(8))) {
        query.patient = value;
      } else if (isFhirId(value)) {
        query.patient = "Patient/" + value;
      } else {
        return errorResponse(core::invalidArgument(
            "patient must be a personnummer (YYYYMMDD-NNNN), a samordningsnummer, Patient/ID or "
            "an id"));
      }
      trace.patient = query.patient;
      recorded += (recorded.empty() ? "" : "&") + std::string("patient=") + *query.patient;
      continue;
    } else {
      return errorResponse(core::invalidArgument(
          "unknown parameter " + name +
          "; use from, to, tenant, patient, kind, type, status, requestId, cursor, limit"));
    }
    recorded += (recorded.empty() ? "" : "&") + name + "=" + core::percentEncode(value);
  }
  trace.query = recorded;
  auto page = deps_.store.exchangeLog().messages(query);
  if (!page.isOk()) return errorResponse(page.status());
  std::string out = "{\"messages\":[";
  for (size_t i = 0; i < page->messages.size(); ++i) {
    if (i > 0) out += ',';
    appendSummary(out, page->messages[i]);
  }
  out += "],\"next\":";
  if (page->next.empty()) {
    out += "null";
  } else {
    core::appendJsonString(out, page->next);
  }
  if (query.patient) {
    out += ',';
    appendField(out, "patient", *query.patient);
  }
  if (!patientNote.empty()) {
    out += ',';
    appendField(out, "note", patientNote);
    out += ",\"noteCode\":\"several-patients\"";
  }
  return noStoreResponse(200, out + "}");
}

ApiResponse ConsoleApi::message(const std::string& seqText, bool payload, Trace& trace) {
  const auto seq = core::parseDecimal(seqText);
  if (!seq.isOk()) return errorResponse(core::notFound("no message " + seqText));
  auto found = deps_.store.exchangeLog().message(*seq, payload);
  if (!found.isOk()) return errorResponse(found.status());
  if (!*found) return errorResponse(core::notFound("no message " + seqText));
  const store::Message& m = **found;
  const store::ExchangeRecord& l = m.line;
  if (!l.patient.empty()) trace.patient = l.patient;
  trace.entities.push_back("Bundle/" + std::to_string(l.seq));
  trace.query = payload ? "payload" : "";

  std::string out = "{";
  if (payload) {
    // Patient content: the Bundles Brygga forwarded (kept until retention purges them).
    appendField(out, "seq", l.seq);
    out += ",\"payloads\":[";
    bool first = true;
    for (const auto& e : m.outbox) {
      if (!first) out += ',';
      first = false;
      out += '{';
      appendField(out, "outboxId", e.id);
      out += ',';
      appendField(out, "destination", e.destination);
      out += ",\"bundle\":";
      if (e.state == store::OutboxState::kHeld) {
        // A block keeps it from the blocked party; the console does not show it either.
        out += "null,";
        appendField(out, "heldBy", e.lastError);
      } else if (!e.payload.empty() && fhir::parseJson(e.payload).isOk()) {
        out += e.payload;
      } else {
        core::appendJsonString(out, e.payload);
      }
      out += '}';
    }
    out += "],";
    appendField(out, "note",
                m.outbox.empty() ? "nothing is kept: either nothing was forwarded or the "
                                   "forwarded content was deleted after delivery (retention)"
                                 : "the Bundles as Brygga forwarded them (before signing)");
    return noStoreResponse(200, out + "}");
  }

  appendMessageFields(out, m, true);
  out += ',';
  appendField(out, "statusText", explain(m.status));
  out += ',';
  // The OperationOutcome's first issue (code and expression; diagnostics may quote patient data
  // and are not kept).
  appendField(out, "outcome", l.detail);
  out += ',';
  appendField(out, "mappingVersion", mappingVersionOf(l.detail));
  out += ',';
  appendField(out, "payloadSha256", l.payloadSha256);
  out += ",\"outbox\":[";
  for (size_t i = 0; i < m.outbox.size(); ++i) {
    if (i > 0) out += ',';
    appendEntry(out, m.outbox[i]);
  }
  auto steps = deps_.store.exchangeLog().requestExchanges(l.requestId, kMaxSteps);
  if (!steps.isOk()) return errorResponse(steps.status());
  out += "],\"steps\":[";
  std::string audit = ",\"audit\":[";
  bool firstStep = true;
  bool firstAudit = true;
  for (const store::ExchangeRecord& s : *steps) {
    // The request's own lines: inbound writes and the delivery attempts (not console views).
    if (s.direction == "inbound" && s.seq != l.seq) continue;
    if (!firstStep) out += ',';
    firstStep = false;
    out += '{';
    appendField(out, "seq", s.seq);
    out += ',';
    appendField(out, "direction", s.direction);
    out += ',';
    appendField(out, "interaction", s.interaction);
    out += ',';
    appendField(out, "destination", s.destination);
    out += ',';
    appendField(out, "httpStatus", s.httpStatus);
    out += ',';
    appendInstant(out, "started", s.startedMs);
    out += ',';
    appendInstant(out, "finished", s.finishedMs);
    out += ',';
    appendField(out, "detail", s.detail);
    out += '}';
    if (s.auditSeq <= 0) continue;
    auto records = deps_.store.auditLog().auditRecords(s.auditSeq, 1);
    if (!records.isOk()) return errorResponse(records.status());
    // The line names the record that came next in its unit; it is the line's own only if it
    // carries the request id (a line recorded without an AuditEvent links to nothing of it).
    if (records->empty() || records->front().json.find(l.requestId) == std::string::npos) continue;
    if (!firstAudit) audit += ',';
    firstAudit = false;
    audit += "{";
    appendField(audit, "seq", records->front().seq);
    audit += ',';
    appendInstant(audit, "recorded", records->front().recordedMs);
    audit += ",\"event\":" + records->front().json + "}";
  }
  out += "]" + audit + "]";
  return noStoreResponse(200, out + "}");
}

ApiResponse ConsoleApi::refusals() {
  std::string out = "{\"refusals\":[";
  const std::vector<Refusal> kept = deps_.refusals != nullptr
                                        ? deps_.refusals->newest(RecentRefusals::kDefaultCapacity)
                                        : std::vector<Refusal>();
  for (size_t i = 0; i < kept.size(); ++i) {
    const Refusal& r = kept[i];
    if (i > 0) out += ',';
    out += '{';
    appendInstant(out, "at", r.atMs);
    out += ',';
    appendField(out, "status", r.status);
    out += ',';
    appendField(out, "method", r.method);
    out += ',';
    appendField(out, "route", r.route);
    out += ',';
    appendField(out, "reason", r.reason);
    out += ',';
    appendField(out, "client", r.client);
    out += ',';
    appendField(out, "tenant", r.tenant);
    out += ',';
    appendField(out, "source", r.source);
    out += '}';
  }
  out += "],";
  appendField(out, "total", deps_.refusals != nullptr ? deps_.refusals->total() : 0);
  out += ',';
  appendField(out, "kept",
              static_cast<int64_t>(deps_.refusals != nullptr ? deps_.refusals->capacity() : 0));
  return noStoreResponse(200, out + "}");
}

ApiResponse ConsoleApi::auditStatus() {
  auto size = deps_.store.auditLog().auditSize();
  if (!size.isOk()) return errorResponse(size.status());
  auto latest = deps_.store.auditLog().latestAuditCheckpoint();
  if (!latest.isOk()) return errorResponse(latest.status());
  const int64_t now = deps_.clock.nowMs();
  std::string out = "{";
  appendField(out, "records", *size);
  out += ",\"checkpoint\":";
  if (*latest) {
    out += '{';
    appendField(out, "treeSize", (*latest)->treeSize);
    out += ',';
    appendInstant(out, "created", (*latest)->createdMs);
    out += ',';
    appendField(out, "ageMs", now - (*latest)->createdMs);
    out += ',';
    appendField(out, "rootHash", (*latest)->rootHash);
    out += '}';
  } else {
    out += "null";
  }
  out += ',';
  appendField(out, "notCheckpointed", *size - (*latest ? (*latest)->treeSize : 0));
  return noStoreResponse(200, out + "}");
}

}  // namespace brygga::api

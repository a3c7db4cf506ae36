#include "gateway/delivery/delivery_worker.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gateway/access/access_policy.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/core/digest.h"
#include "gateway/core/text.h"
#include "gateway/core/trace_context.h"

namespace brygga::delivery {

namespace {

// The peer's answer to a rejected entry is kept for the integration team, but bounded: some
// peers answer with whole HTML error pages.
constexpr size_t kMaxErrorBytes = 2048;
// A peer asking for more than a day is treated as asking for a day.
constexpr int64_t kMaxRetryAfterMs = 24LL * 60 * 60 * 1000;
constexpr const char* kClientId = "brygga";

// A 401 that survived the token refresh (auth::BearerAuthorizer) says the destination does not
// take Brygga's credentials: the destination's problem, not the message's, so it is retried like
// a 5xx rather than dead-lettered.
bool isRetryable(int status) {
  return status == 0 || status == 401 || status == 408 || status == 409 || status == 429 ||
         status >= 500;
}

// Outcomes that finished this close together (by the worker's monotonic time) are recorded in one
// write unit.
constexpr std::chrono::milliseconds kRecordWindow{10};

std::string truncated(const std::string& text) {
  if (text.size() <= kMaxErrorBytes) return text;
  size_t cut = kMaxErrorBytes;
  // Do not split a UTF-8 sequence: back up to the start of one.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "...";
}

// Retry-After in delta-seconds; the HTTP-date form is not used by FHIR servers we talk to and
// is ignored (the computed backoff applies).
std::optional<int64_t> retryAfterMs(const adapters::HttpResult& result) {
  if (result.status != 429 && result.status != 503) return std::nullopt;
  auto it = result.headers.find("retry-after");
  if (it == result.headers.end()) return std::nullopt;
  const std::string& v = it->second;
  auto seconds = core::parseDecimal(v);
  if (!seconds.isOk() || v.size() > 9) return std::nullopt;  // not a usable delay: no hint
  return std::min<int64_t>(*seconds * 1000, kMaxRetryAfterMs);
}

std::string statusText(const adapters::HttpResult& result) {
  return result.status == 0 ? "no answer" : "HTTP " + std::to_string(result.status);
}

}  // namespace

DeliveryWorker::DeliveryWorker(DestinationConfig destination, DeliveryConfig settings,
                               store::Store& store,
                               std::unique_ptr<adapters::AsyncHttpClient> client,
                               core::TimeSystem& clock, core::Logger& logger)
    : destination_(std::move(destination)),
      settings_(settings),
      store_(store),
      client_(std::move(client)),
      clock_(clock),
      logger_(logger),
      rng_(std::random_device{}()),
      task_(clock) {}

DeliveryWorker::~DeliveryWorker() {
  stop();
}

void DeliveryWorker::start() {
  task_.start([this] {
    int delivered = 0;
    runPass(delivered);
    // A delivery may have released the next entry of the same patient: go again at once rather
    // than a poll interval later.
    return core::PeriodicTask::Next::after(delivered > 0 ? 0 : settings_.pollIntervalMs);
  });
}

void DeliveryWorker::stop() {
  task_.stop();
}

void DeliveryWorker::notify() {
  task_.notify();
}

void DeliveryWorker::setPaused(bool paused) {
  paused_ = paused;
  if (!paused) notify();
}

int DeliveryWorker::runOnce() {
  int delivered = 0;
  return runPass(delivered);
}

int DeliveryWorker::runPass(int& delivered) {
  std::lock_guard pass(passMutex_);
  delivered = 0;
  // Gateways sharing a database take turns per destination: one sends its entries at a time,
  // so each is sent by one of them and in order; another takes over when it dies.
  if (!store_.holdsLease("delivery:" + destination_.name)) return 0;
  // A pause by another process (the CLI on the same database) shows up here.
  auto paused = store_.outbox().destinationPaused(destination_.name);
  if (paused.isOk()) {
    paused_ = *paused;
  } else {
    logger_.error("delivery.pause_check_failed",
                  {{"destination", destination_.name}, {"error", paused.status().toString()}});
  }
  if (paused_) return 0;
  auto due = store_.outbox().dueOutbox(destination_.name, clock_.nowMs(), settings_.batchSize);
  if (!due.isOk()) {
    logger_.error("delivery.due_failed",
                  {{"destination", destination_.name}, {"error", due.status().toString()}});
    return 0;
  }
  // Lanes: up to maxInFlight requests at once, each entry a different patient.
  const size_t lanes = static_cast<size_t>(std::max(1, destination_.maxInFlight));
  std::vector<Outcome> finished;
  std::set<std::string> keys;
  size_t next = 0;
  int attempted = 0;
  core::MonotonicTime firstFinished;  // when the oldest of `finished` finished
  auto startMore = [&] {
    while (next < due->size() && client_->inFlight() < lanes && !task_.stopRequested() &&
           !paused_) {
      const store::OutboxEntry& entry = (*due)[next++];
      // dueOutbox already returns one entry per key; this keeps the per-patient order even if a
      // store returns more: the second would otherwise go out before the first is recorded.
      if (!entry.orderingKey.empty() && !keys.insert(entry.orderingKey).second) continue;
      if (heldByBlock(entry)) continue;
      std::optional<EntryRouting::Address> address;
      if (routing_ != nullptr) {
        std::string gone;
        auto routed = routing_->addressOf(entry, gone);
        if (!routed.isOk()) {
          logger_.error("delivery.address_failed", {{"destination", destination_.name},
                                                    {"outboxId", std::to_string(entry.id)},
                                                    {"error", routed.status().toString()}});
          continue;  // the next pass asks again
        }
        if (!routed->has_value()) {
          ++attempted;
          if (finished.empty()) firstFinished = clock_.monotonicTime();
          finished.push_back(goneOutcome(entry, gone));
          continue;
        }
        address = std::move(routed).value();
      }
      ++attempted;
      const int64_t startedMs = clock_.nowMs();
      const std::string peer = address ? address->url : destination_.peer.baseUrl;
      client_->start(
          requestFor(entry, address ? &*address : nullptr),
          [this, &entry, &finished, &firstFinished, startedMs, peer](adapters::HttpResult result) {
            if (finished.empty()) firstFinished = clock_.monotonicTime();
            finished.push_back(outcomeOf(entry, result, startedMs));
            finished.back().peer = peer;
          });
    }
  };
  auto recordFinished = [&] {
    if (record(finished)) {
      for (const Outcome& o : finished) {
        if (o.state == store::OutboxState::kDelivered) ++delivered;
      }
    }
    finished.clear();
  };
  startMore();
  while (client_->inFlight() > 0) {
    // With outcomes waiting, wait only as long as the recording window has left.
    const auto windowLeft =
        finished.empty() ? std::chrono::milliseconds(1000)
                         : std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          firstFinished + kRecordWindow - clock_.monotonicTime()),
                                      std::chrono::milliseconds(0), kRecordWindow);
    client_->run(windowLeft);
    if (!finished.empty() &&
        (client_->inFlight() == 0 || clock_.monotonicTime() >= firstFinished + kRecordWindow)) {
      recordFinished();
    }
    startMore();
  }
  if (!finished.empty()) recordFinished();
  return attempted;
}

bool DeliveryWorker::heldByBlock(const store::OutboxEntry& entry) {
  if (entry.party.empty() || entry.orderingKey.rfind("Patient/", 0) != 0) return false;
  auto facts = store_.resources().accessFacts(entry.orderingKey.substr(8));
  if (!facts.isOk()) {
    // Not knowing whether a block stands, the entry waits for the next pass.
    logger_.error("delivery.block_check_failed",
                  {{"destination", destination_.name}, {"error", facts.status().toString()}});
    return true;
  }
  const int64_t now = clock_.nowMs();
  if (!access::AccessPolicy::blockAgainst(*facts, entry.party, now)) return false;
  const std::string reason = "held by a block against " + entry.party;
  core::Status held = store_.write(
      [&](store::StoreTransaction& txn) { return txn.outbox().holdOutbox(entry.id, now, reason); });
  logger_.log(held.isOk() ? core::Logger::Level::kInfo : core::Logger::Level::kError,
              held.isOk() ? "delivery.held" : "delivery.hold_failed",
              {{"destination", destination_.name},
               {"outboxId", std::to_string(entry.id)},
               {"party", entry.party}});
  return true;
}

int64_t DeliveryWorker::backoffMs(int attempts) {
  const int64_t cap = std::max<int64_t>(destination_.retryMaxMs, 1);
  int64_t base = std::max<int64_t>(destination_.retryBaseMs, 1);
  for (int i = 1; i < attempts && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  std::uniform_int_distribution<int64_t> jitter(base / 2, base);
  return jitter(rng_);
}

DeliveryWorker::Outcome DeliveryWorker::goneOutcome(const store::OutboxEntry& entry,
                                                    const std::string& reason) {
  Outcome o;
  o.entry = &entry;
  o.startedMs = o.finishedMs = o.nextAttemptMs = clock_.nowMs();
  o.attempts = entry.attempts;
  o.payloadSha256 = core::sha256Hex(entry.payload);
  o.state = store::OutboxState::kDead;
  o.outcome = "dead";
  o.lastError = reason;
  o.detail = "dead: " + reason;
  return o;
}

adapters::HttpRequestSpec DeliveryWorker::requestFor(const store::OutboxEntry& entry,
                                                     const EntryRouting::Address* address) const {
  adapters::HttpRequestSpec request;
  request.method = "POST";
  // A transaction Bundle goes to the FHIR base itself; a notification to its endpoint.
  request.url = address != nullptr ? address->url : destination_.peer.baseUrl;
  request.headers = {
      {"Content-Type", "application/fhir+json"},
      {"Accept", "application/fhir+json"},
      {"X-Request-Id", entry.requestId},
      {"Idempotency-Key", destination_.name + "-" + std::to_string(entry.id)},
      // The trace of the request that caused it (a new one for entries from before schema 8);
      // each attempt is a span of its own.
      {"traceparent",
       core::formatTraceParent(entry.traceId.empty() ? core::newTraceId() : entry.traceId,
                               core::newSpanId())},
  };
  if (address != nullptr) {
    request.headers.insert(request.headers.end(), address->headers.begin(), address->headers.end());
  }
  request.body = entry.payload;
  return request;
}

DeliveryWorker::Outcome DeliveryWorker::outcomeOf(const store::OutboxEntry& entry,
                                                  const adapters::HttpResult& result,
                                                  int64_t startedMs) {
  Outcome o;
  o.entry = &entry;
  o.startedMs = startedMs;
  o.finishedMs = clock_.nowMs();
  o.httpStatus = result.status;
  o.attempts = entry.attempts + 1;
  o.payloadSha256 = core::sha256Hex(entry.payload);
  // For a delivered or dead entry the field records when that happened (retention uses it).
  o.nextAttemptMs = o.finishedMs;

  if (result.status >= 200 && result.status < 300) {
    o.state = store::OutboxState::kDelivered;
    o.detail = "delivered";
  } else if (isRetryable(result.status)) {
    o.destinationFailed = true;
    const std::string why = result.status == 0 ? "no answer: " + result.error : statusText(result);
    int64_t delayMs = backoffMs(o.attempts);
    if (auto asked = retryAfterMs(result); asked && *asked > delayMs) delayMs = *asked;
    const bool tooOld = destination_.maxAgeMs > 0 &&
                        o.finishedMs + delayMs - entry.createdMs > destination_.maxAgeMs;
    if (o.attempts >= destination_.maxAttempts || tooOld) {
      const std::string reason =
          tooOld ? "gave up after " + std::to_string(destination_.maxAgeMs) + " ms undelivered (" +
                       std::to_string(o.attempts) + " attempts)"
                 : "gave up after " + std::to_string(o.attempts) + " attempts";
      o.state = store::OutboxState::kDead;
      o.outcome = "dead";
      o.lastError = reason + ": " + why;
      o.detail = "dead: " + reason + ": " + statusText(result);
    } else {
      o.state = store::OutboxState::kPending;
      o.nextAttemptMs = o.finishedMs + delayMs;
      o.outcome = "retry";
      o.lastError = why;
      o.detail = "retry in " + std::to_string(delayMs) + " ms: " + statusText(result);
    }
  } else {
    // The peer refused the content: sending it again cannot help.
    o.state = store::OutboxState::kDead;
    o.outcome = "dead";
    o.lastError = statusText(result) + (result.body.empty() ? "" : ": " + truncated(result.body));
    o.detail = "dead: " + statusText(result);
  }
  return o;
}

bool DeliveryWorker::record(const std::vector<Outcome>& outcomes) {
  const core::Status written = store_.write([&](store::StoreTransaction& txn) -> core::Status {
    for (const Outcome& o : outcomes) {
      const store::OutboxEntry& entry = *o.entry;
      BRYGGA_RETURN_IF_ERROR(
          txn.outbox().updateOutbox(entry.id, o.state, o.attempts, o.nextAttemptMs, o.lastError));

      store::ExchangeRecord exchange;
      exchange.id = core::newTimeOrderedUuid();
      exchange.requestId = entry.requestId;
      exchange.clientId = kClientId;
      exchange.tenant = entry.tenant;
      exchange.direction = "outbound";
      exchange.interaction = "deliver";
      exchange.resourceTypes = "Bundle";
      exchange.destination = destination_.name;
      exchange.httpStatus = o.httpStatus;
      exchange.startedMs = o.startedMs;
      exchange.finishedMs = o.finishedMs;
      exchange.payloadSha256 = o.payloadSha256;
      exchange.detail = o.detail;
      BRYGGA_RETURN_IF_ERROR(txn.exchangeLog().recordExchange(exchange));

      audit::AuditContext context;
      context.recordedMs = o.finishedMs;
      context.subtype = "transaction";
      context.action = 'E';
      context.httpStatus = o.httpStatus;
      context.outcomeText = o.detail;
      context.clientId = kClientId;
      context.clientTenant = entry.tenant;
      // The peer, for an outbound event.
      context.clientAddress = o.peer.empty() ? destination_.peer.baseUrl : o.peer;
      context.outbound = true;
      context.destination = destination_.name;
      context.requestId = entry.requestId;
      if (entry.orderingKey.rfind("Patient/", 0) == 0) {
        context.patient = entry.orderingKey;
      } else if (routing_ != nullptr) {
        context.patient = routing_->patientOf(entry);
      }
      auto seq = audit::AuditTrail::append(txn, context);
      if (!seq.isOk()) return seq.status();
      if (routing_ != nullptr) {
        BRYGGA_RETURN_IF_ERROR(routing_->recorded(txn, entry, o.state, o.lastError));
      }
    }
    return core::Status::ok();
  });

  for (const Outcome& o : outcomes) {
    const store::OutboxEntry& entry = *o.entry;
    if (observer_ != nullptr) {
      // The attempt happened whether or not its outcome could be recorded.
      const bool noAnswer = o.httpStatus == 0 && o.state == store::OutboxState::kPending;
      observer_->onDeliveryAttempt({destination_.name, noAnswer ? "no_answer" : o.outcome,
                                    o.httpStatus, (o.finishedMs - o.startedMs) / 1000.0,
                                    o.finishedMs, o.destinationFailed});
    }
    if (!written.isOk()) {
      // The entry stays as it was in the store and is attempted again on a later pass; the peer
      // sees the same Idempotency-Key and the same conditional Bundle.
      logger_.error("delivery.record_failed", {{"outboxId", std::to_string(entry.id)},
                                               {"destination", destination_.name},
                                               {"status", std::to_string(o.httpStatus)},
                                               {"error", written.toString()}});
      continue;
    }
    const std::initializer_list<core::Logger::Field> fields = {
        {"outboxId", std::to_string(entry.id)},
        {"destination", destination_.name},
        {"requestId", entry.requestId},
        {"traceId", entry.traceId},
        {"status", std::to_string(o.httpStatus)},
        {"attempts", std::to_string(o.attempts)},
        {"outcome", o.outcome},
        {"durationMs", std::to_string(o.finishedMs - o.startedMs)},
        {"nextAttemptMs", std::to_string(o.nextAttemptMs)},
    };
    const core::Logger::Level level =
        o.state == store::OutboxState::kDelivered ? core::Logger::Level::kInfo
        : o.state == store::OutboxState::kPending ? core::Logger::Level::kWarn
                                                  : core::Logger::Level::kError;
    logger_.log(level, "delivery.attempt", fields);
  }
  return written.isOk();
}

}  // namespace brygga::delivery

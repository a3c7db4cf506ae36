#include "gateway/delivery/delivery_worker.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "gateway/audit/audit_trail.h"
#include "gateway/core/digest.h"

namespace brygga::delivery {

namespace {

// The peer's answer to a rejected entry is kept for the integration team, but bounded: some
// peers answer with whole HTML error pages.
constexpr size_t kMaxErrorBytes = 2048;
// A peer asking for more than a day is treated as asking for a day.
constexpr int64_t kMaxRetryAfterMs = 24LL * 60 * 60 * 1000;
constexpr const char* kClientId = "brygga";

bool isRetryable(int status) {
  return status == 0 || status == 408 || status == 409 || status == 429 || status >= 500;
}

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
  if (v.empty() || v.size() > 9 ||
      !std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; })) {
    return std::nullopt;
  }
  return std::min<int64_t>(std::stoll(v) * 1000, kMaxRetryAfterMs);
}

std::string statusText(const adapters::HttpResult& result) {
  return result.status == 0 ? "no answer" : "HTTP " + std::to_string(result.status);
}

}  // namespace

DeliveryWorker::DeliveryWorker(core::DestinationConfig destination, core::DeliveryConfig settings,
                               store::Store& store, std::unique_ptr<adapters::HttpClient> client,
                               const core::Clock& clock, core::Logger& logger)
    : destination_(std::move(destination)),
      settings_(settings),
      store_(store),
      client_(std::move(client)),
      clock_(clock),
      logger_(logger),
      rng_(std::random_device{}()) {}

DeliveryWorker::~DeliveryWorker() {
  stop();
}

void DeliveryWorker::start() {
  std::lock_guard lifecycle(lifecycleMutex_);
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopRequested_ = false;
    notified_ = false;
  }
  running_ = true;
  thread_ = std::thread([this] { loop(); });
}

void DeliveryWorker::stop() {
  std::lock_guard lifecycle(lifecycleMutex_);
  {
    std::lock_guard lock(mutex_);
    stopRequested_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  running_ = false;
}

void DeliveryWorker::notify() {
  {
    std::lock_guard lock(mutex_);
    notified_ = true;
  }
  wake_.notify_all();
}

void DeliveryWorker::loop() {
  for (;;) {
    int delivered = 0;
    runPass(delivered);
    std::unique_lock lock(mutex_);
    if (stopRequested_) break;
    // A delivery may have released the next entry of the same patient: go again at once rather
    // than a poll interval later.
    if (delivered == 0) {
      wake_.wait_for(lock, std::chrono::milliseconds(settings_.pollIntervalMs),
                     [this] { return notified_ || stopRequested_; });
      if (stopRequested_) break;
    }
    notified_ = false;
  }
}

int DeliveryWorker::runOnce() {
  int delivered = 0;
  return runPass(delivered);
}

int DeliveryWorker::runPass(int& delivered) {
  std::lock_guard pass(passMutex_);
  delivered = 0;
  auto due = store_.dueOutbox(destination_.name, clock_.nowMs(), settings_.batchSize);
  if (!due.isOk()) {
    logger_.error("delivery.due_failed",
                  {{"destination", destination_.name}, {"error", due.status().toString()}});
    return 0;
  }
  int attempted = 0;
  std::set<std::string> failedKeys;
  for (const store::OutboxEntry& entry : *due) {
    {
      std::lock_guard lock(mutex_);
      if (stopRequested_ && running_) break;
    }
    // dueOutbox already returns one entry per key; this keeps the per-patient order even if a
    // store returns more.
    if (!entry.orderingKey.empty() && failedKeys.count(entry.orderingKey) > 0) continue;
    ++attempted;
    if (attempt(entry)) {
      ++delivered;
    } else if (!entry.orderingKey.empty()) {
      failedKeys.insert(entry.orderingKey);
    }
  }
  return attempted;
}

int64_t DeliveryWorker::backoffMs(int attempts) {
  const int64_t cap = std::max<int64_t>(destination_.retryMaxMs, 1);
  int64_t base = std::max<int64_t>(destination_.retryBaseMs, 1);
  for (int i = 1; i < attempts && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  std::uniform_int_distribution<int64_t> jitter(base / 2, base);
  return jitter(rng_);
}

bool DeliveryWorker::attempt(const store::OutboxEntry& entry) {
  adapters::HttpRequestSpec request;
  request.method = "POST";
  request.url = destination_.baseUrl;  // a transaction Bundle goes to the FHIR base itself
  request.headers = {
      {"Content-Type", "application/fhir+json"},
      {"Accept", "application/fhir+json"},
      {"X-Request-Id", entry.requestId},
      {"Idempotency-Key", destination_.name + "-" + std::to_string(entry.id)},
  };
  request.body = entry.payload;

  const int64_t startedMs = clock_.nowMs();
  const adapters::HttpResult result = client_->send(request);
  const int64_t finishedMs = clock_.nowMs();

  const int attempts = entry.attempts + 1;
  store::OutboxState state = store::OutboxState::kPending;
  int64_t nextAttemptMs = entry.nextAttemptMs;
  std::string lastError;
  std::string detail;
  const char* outcome = "delivered";

  if (result.status >= 200 && result.status < 300) {
    state = store::OutboxState::kDelivered;
    detail = "delivered";
  } else if (isRetryable(result.status)) {
    const std::string why = result.status == 0 ? "no answer: " + result.error : statusText(result);
    if (attempts >= destination_.maxAttempts) {
      state = store::OutboxState::kDead;
      outcome = "dead";
      lastError = "gave up after " + std::to_string(attempts) + " attempts: " + why;
      detail =
          "dead: gave up after " + std::to_string(attempts) + " attempts: " + statusText(result);
    } else {
      int64_t delayMs = backoffMs(attempts);
      if (auto asked = retryAfterMs(result); asked && *asked > delayMs) delayMs = *asked;
      nextAttemptMs = finishedMs + delayMs;
      outcome = "retry";
      lastError = why;
      detail = "retry in " + std::to_string(delayMs) + " ms: " + statusText(result);
    }
  } else {
    // The peer refused the content: sending it again cannot help.
    state = store::OutboxState::kDead;
    outcome = "dead";
    lastError = statusText(result) + (result.body.empty() ? "" : ": " + truncated(result.body));
    detail = "dead: " + statusText(result);
  }

  store::ExchangeRecord exchange;
  exchange.id = core::newUuid();
  exchange.requestId = entry.requestId;
  exchange.clientId = kClientId;
  exchange.tenant = entry.tenant;
  exchange.direction = "outbound";
  exchange.interaction = "deliver";
  exchange.resourceTypes = "Bundle";
  exchange.destination = destination_.name;
  exchange.httpStatus = result.status;
  exchange.startedMs = startedMs;
  exchange.finishedMs = finishedMs;
  exchange.payloadSha256 = core::sha256Hex(entry.payload);
  exchange.detail = detail;

  audit::AuditContext context;
  context.recordedMs = finishedMs;
  context.subtype = "transaction";
  context.action = 'E';
  context.httpStatus = result.status;
  context.outcomeText = detail;
  context.clientId = kClientId;
  context.clientTenant = entry.tenant;
  context.clientAddress = destination_.baseUrl;  // the peer, for an outbound event
  context.outbound = true;
  context.destination = destination_.name;
  context.requestId = entry.requestId;
  if (entry.orderingKey.rfind("Patient/", 0) == 0) context.patient = entry.orderingKey;

  const core::Status written = store_.write([&](store::StoreTransaction& txn) -> core::Status {
    BRYGGA_RETURN_IF_ERROR(txn.updateOutbox(entry.id, state, attempts, nextAttemptMs, lastError));
    BRYGGA_RETURN_IF_ERROR(txn.recordExchange(exchange));
    auto seq = audit::AuditTrail::append(txn, context);
    return seq.isOk() ? core::Status::ok() : seq.status();
  });

  const std::initializer_list<core::Logger::Field> fields = {
      {"outboxId", std::to_string(entry.id)},
      {"destination", destination_.name},
      {"requestId", entry.requestId},
      {"status", std::to_string(result.status)},
      {"attempts", std::to_string(attempts)},
      {"outcome", outcome},
      {"durationMs", std::to_string(finishedMs - startedMs)},
      {"nextAttemptMs", std::to_string(nextAttemptMs)},
  };
  if (!written.isOk()) {
    // The entry stays as it was in the store and is attempted again on a later pass; the peer
    // sees the same Idempotency-Key and can drop the duplicate.
    logger_.error("delivery.record_failed", {{"outboxId", std::to_string(entry.id)},
                                             {"destination", destination_.name},
                                             {"status", std::to_string(result.status)},
                                             {"error", written.toString()}});
    return false;
  }
  if (state == store::OutboxState::kDelivered) {
    logger_.log(core::Logger::Level::kInfo, "delivery.attempt", fields);
  } else if (state == store::OutboxState::kPending) {
    logger_.log(core::Logger::Level::kWarn, "delivery.attempt", fields);
  } else {
    logger_.log(core::Logger::Level::kError, "delivery.attempt", fields);
  }
  return state == store::OutboxState::kDelivered;
}

}  // namespace brygga::delivery

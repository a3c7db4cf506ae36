// The console's message statuses (schema 4): their names and the declined rule.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "gateway/store/store.h"

namespace brygga::store {

namespace {

constexpr std::array<const char*, 8> kStatusNames = {"rejected",  "accepted", "queued", "retrying",
                                                     "delivered", "dead",     "held",   "declined"};

}  // namespace

const char* toString(MessageStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}

StatusOr<MessageStatus> parseMessageStatus(std::string_view text) {
  for (size_t i = 0; i < kStatusNames.size(); ++i) {
    if (text == kStatusNames[i]) return static_cast<MessageStatus>(i);
  }
  return core::invalidArgument(
      "status must be rejected, accepted, declined, queued, retrying, delivered, dead or held");
}

bool isMessageKind(std::string_view text) {
  return std::find(kMessageKinds.begin(), kMessageKinds.end(), text) != kMessageKinds.end();
}

bool isDeclined(const ExchangeRecord& line) {
  // gateway/flows' note on the line: "...; task rejected: <reason code>".
  return line.httpStatus < 400 && line.detail.find("task rejected:") != std::string::npos;
}

namespace {

bool hasType(const std::string& types, const std::string& type) {
  size_t start = 0;
  while (start <= types.size()) {
    size_t comma = types.find(',', start);
    if (comma == std::string::npos) comma = types.size();
    if (std::string_view(types).substr(start, comma - start) == type) return true;
    start = comma + 1;
  }
  return false;
}

int rank(MessageStatus s) {
  switch (s) {
    case MessageStatus::kHeld:
      return 4;
    case MessageStatus::kDead:
      return 3;
    case MessageStatus::kRetrying:
      return 2;
    case MessageStatus::kQueued:
      return 1;
    default:
      return 0;
  }
}

}  // namespace

bool matchesMessageFilters(const ExchangeRecord& line, const MessageQuery& query) {
  if (!line.message) return false;
  if (query.tenant && line.tenant != *query.tenant) return false;
  if (query.patient && line.patient != *query.patient) return false;
  if (query.requestId && line.requestId != *query.requestId) return false;
  if (query.resourceType && !hasType(line.resourceTypes, *query.resourceType)) return false;
  if (query.kind && line.kind != *query.kind) return false;
  if (query.fromMs && line.startedMs < *query.fromMs) return false;
  if (query.toMs && line.startedMs > *query.toMs) return false;
  return true;
}

MessageStatus messageStatusOf(const ExchangeRecord& line, const std::vector<OutboxEntry>& entries,
                              const std::function<bool()>& deliveredOnRecord) {
  if (line.httpStatus >= 400) return MessageStatus::kRejected;
  if (isDeclined(line)) return MessageStatus::kDeclined;
  if (entries.empty()) {
    // Entries are purged only once delivered: a delivery on record means it went out.
    return line.outboxLast > 0 && deliveredOnRecord() ? MessageStatus::kDelivered
                                                      : MessageStatus::kAccepted;
  }
  // With several entries the worst of them counts.
  MessageStatus worst = MessageStatus::kDelivered;
  for (const OutboxEntry& e : entries) {
    MessageStatus s = MessageStatus::kDelivered;
    if (e.state == OutboxState::kDead) s = MessageStatus::kDead;
    if (e.state == OutboxState::kHeld) s = MessageStatus::kHeld;
    if (e.state == OutboxState::kPending) {
      s = e.attempts > 0 ? MessageStatus::kRetrying : MessageStatus::kQueued;
    }
    if (rank(s) > rank(worst)) worst = s;
  }
  return worst;
}

}  // namespace brygga::store

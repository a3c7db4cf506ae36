// The Store interface's console part (schema 4): status names and the defaults for stores that
// do not keep the message columns.
#include <array>
#include <string>

#include "gateway/store/store.h"

namespace brygga::store {

namespace {

constexpr std::array<const char*, 8> kStatusNames = {"rejected",  "accepted", "queued", "retrying",
                                                     "delivered", "dead",     "held",   "declined"};

Status noConsole() {
  return core::internalError("this store does not keep the console's message index");
}

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

bool isDeclined(const ExchangeRecord& line) {
  // gateway/flows' note on the line: "...; task rejected: <reason code>".
  return line.httpStatus < 400 && line.detail.find("task rejected:") != std::string::npos;
}

StatusOr<MessagePage> Store::messages(const MessageQuery&) {
  return noConsole();
}

StatusOr<std::optional<Message>> Store::message(int64_t, bool) {
  return noConsole();
}

StatusOr<std::vector<ExchangeRecord>> Store::requestExchanges(const std::string&, int) {
  return noConsole();
}

StatusOr<std::vector<ExchangeRecord>> Store::exchangesAfter(int64_t, int) {
  return noConsole();
}

StatusOr<int64_t> Store::exchangeSeqAt(int64_t) {
  return noConsole();
}

StatusOr<int64_t> Store::auditSize() {
  return noConsole();
}

}  // namespace brygga::store

// The console's message statuses (schema 4): their names and the declined rule.
#include <array>
#include <string>

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

bool isDeclined(const ExchangeRecord& line) {
  // gateway/flows' note on the line: "...; task rejected: <reason code>".
  return line.httpStatus < 400 && line.detail.find("task rejected:") != std::string::npos;
}

}  // namespace brygga::store

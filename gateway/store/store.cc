#include "gateway/store/store.h"

namespace brygga::store {

const char* toString(OutboxState state) {
  switch (state) {
    case OutboxState::kPending:
      return "pending";
    case OutboxState::kDelivered:
      return "delivered";
    case OutboxState::kDead:
      return "dead";
  }
  return "unknown";
}

std::optional<OutboxState> parseOutboxState(std::string_view text) {
  for (OutboxState state : {OutboxState::kPending, OutboxState::kDelivered, OutboxState::kDead}) {
    if (text == toString(state)) return state;
  }
  return std::nullopt;
}

}  // namespace brygga::store

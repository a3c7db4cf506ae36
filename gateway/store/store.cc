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
    case OutboxState::kHeld:
      return "held";
  }
  return "unknown";
}

StatusOr<OutboxState> parseOutboxState(std::string_view text) {
  for (OutboxState state :
       {OutboxState::kPending, OutboxState::kDelivered, OutboxState::kDead, OutboxState::kHeld}) {
    if (text == toString(state)) return state;
  }
  return core::invalidArgument("an outbox state is pending, delivered, dead or held");
}

bool isDuplicatePerson(const Status& status) {
  if (status.code() != core::StatusCode::kConflict) return false;
  for (const core::Issue& issue : status.issues()) {
    if (issue.code == "duplicate" && issue.expression == "Patient.identifier") return true;
  }
  return false;
}

}  // namespace brygga::store

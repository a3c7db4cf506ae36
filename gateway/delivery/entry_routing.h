#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/store/store.h"

namespace brygga::delivery {

// Where the entries of a destination go when they do not all go to one configured peer: a
// Subscription is a destination a client registers (gateway/subscriptions), each with its own
// endpoint and headers, all of them queued in one outbox destination and ordered per
// subscription. The worker asks it before each send and tells it each outcome inside the unit
// that records the outcome. Called from the worker's thread only.
class EntryRouting {
 public:
  virtual ~EntryRouting() = default;

  struct Address {
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;  // added to the worker's own
  };

  // Where `entry` goes now. nullopt: nowhere any more (its subscription was switched off or
  // deleted); the entry is then dead with `gone` as the reason. An error: it waits for the
  // next pass.
  virtual core::StatusOr<std::optional<Address>> addressOf(const store::OutboxEntry& entry,
                                                           std::string& gone) = 0;

  // Inside the unit that records the outcome of `entry` (delivered, pending again, or dead with
  // `lastError`): what the receiver's own record says of it changes with it (a Subscription
  // becomes active after its handshake, error after a dead notification). An error fails the
  // unit; the entry then goes out again, as after any failed recording.
  virtual core::Status recorded(store::StoreTransaction& txn, const store::OutboxEntry& entry,
                                store::OutboxState state, const std::string& lastError) = 0;

  // The patient whose data `entry` discloses, for its AuditEvent ("Patient/<id>"; empty: none).
  virtual std::string patientOf(const store::OutboxEntry& entry) = 0;
};

}  // namespace brygga::delivery

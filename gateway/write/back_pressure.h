#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "gateway/core/status.h"
#include "gateway/store/store.h"

namespace brygga::write {

// What a 503 tells the sender to wait before trying again (Retry-After, seconds): long enough
// for a delivery worker to drain a good part of a queue, or for an operator to free disk space.
inline constexpr int kRetryAfterSeconds = 30;

// Back-pressure, checked inside the write unit that would enqueue to `destination`, so the
// check and the enqueue are one atomic step: kUnavailable (503, OperationOutcome issue code
// "throttled") when the destination's pending queue has reached its limit in `maxQueueDepth`.
// A destination without a limit there is not checked.
core::Status checkQueueRoom(store::StoreTransaction& txn, const std::string& destination,
                            const std::map<std::string, int64_t>& maxQueueDepth);

}  // namespace brygga::write

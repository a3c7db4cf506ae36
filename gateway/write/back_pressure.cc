#include "gateway/write/back_pressure.h"

namespace brygga::write {

core::Status checkQueueRoom(store::StoreTransaction& txn, const std::string& destination,
                            const std::map<std::string, int64_t>& maxQueueDepth) {
  const auto limit = maxQueueDepth.find(destination);
  if (limit == maxQueueDepth.end()) return core::Status::ok();
  BRYGGA_ASSIGN_OR_RETURN(int64_t pending, txn.outbox().pendingCount(destination));
  if (pending < limit->second) return core::Status::ok();
  const std::string message = "the queue to " + destination + " is full (" +
                              std::to_string(pending) +
                              " messages waiting); nothing was stored, try again in " +
                              std::to_string(kRetryAfterSeconds) + " s";
  core::Issue issue = core::Issue::error("throttled", message);
  return core::Status(core::StatusCode::kUnavailable, message, {issue});
}

}  // namespace brygga::write

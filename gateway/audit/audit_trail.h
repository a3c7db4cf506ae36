#pragma once

#include <cstdint>
#include <string>

#include "gateway/audit/audit_event.h"
#include "gateway/core/status.h"
#include "gateway/store/store.h"

namespace brygga::audit {

// The append-only audit chain: each record's hash is SHA-256(prevHash bytes || event JSON), the
// first record's prevHash is 32 zero bytes. Appends happen inside the caller's write unit, so an
// exchange and its AuditEvent are committed together or not at all. Stateless and thread-safe;
// serialisation comes from Store::write.
class AuditTrail {
 public:
  // Builds the AuditEvent for `context` and appends it. Returns the new record's seq.
  static core::StatusOr<int64_t> append(store::StoreTransaction& txn, const AuditContext& context);
  // The record of a forwarded copy held because a block (spärr) stands against its receiving
  // party: an outbound event refused (outcome minor failure), the patient and the party named,
  // the entry's lastError as its text. `clientId`: who held it (the API's caller, or delivery).
  static core::StatusOr<int64_t> appendHold(store::StoreTransaction& txn,
                                            const store::OutboxEntry& entry,
                                            const std::string& clientId, int64_t nowMs);

  static std::string chainHash(const std::string& prevHashHex, const std::string& json);

  struct VerifyResult {
    int64_t recordsChecked = 0;
    int64_t firstBadSeq = 0;  // 0: all good
    std::string problem;
  };
  // Recomputes the whole chain from the store.
  static core::StatusOr<VerifyResult> verify(store::Store& store);
};

}  // namespace brygga::audit

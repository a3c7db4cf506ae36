#include "gateway/audit/audit_trail.h"

#include <optional>
#include <string_view>
#include <vector>

#include "gateway/audit/merkle.h"
#include "gateway/core/digest.h"

namespace brygga::audit {

namespace {

const std::string kGenesisHash(64, '0');
constexpr int kVerifyPageSize = 1000;

}  // namespace

core::StatusOr<int64_t> AuditTrail::appendHold(store::StoreTransaction& txn,
                                               const store::OutboxEntry& entry,
                                               const std::string& clientId, int64_t nowMs) {
  AuditContext context;
  context.recordedMs = nowMs;
  context.subtype = "transaction";
  context.action = 'E';
  context.httpStatus = 403;  // refused: not sent
  context.outcomeText = entry.lastError;
  context.clientId = clientId;
  context.clientTenant = entry.tenant;
  context.outbound = true;
  context.destination = entry.destination;
  context.requestId = entry.requestId;
  if (entry.orderingKey.rfind("Patient/", 0) == 0) context.patient = entry.orderingKey;
  return append(txn, context);
}

std::string AuditTrail::chainHash(const std::string& prevHashHex, const std::string& json) {
  // Chaining over the raw bytes keeps the hash independent of hex letter case. A prevHash that is
  // not hex cannot come from append(); it is hashed as text so that verify() still gets a
  // deterministic (and mismatching) value instead of a crash.
  return core::sha256Hex(core::fromHex(prevHashHex).valueOr(prevHashHex) + json);
}

core::StatusOr<int64_t> AuditTrail::append(store::StoreTransaction& txn,
                                           const AuditContext& context) {
  BRYGGA_ASSIGN_OR_RETURN(store::AuditRecord last, txn.auditLog().lastAudit());
  store::AuditRecord record;
  record.seq = last.seq + 1;
  record.recordedMs = context.recordedMs;
  // The AuditEvent's id is its place in the chain, so GET AuditEvent/{seq} needs no second key.
  record.json = buildAuditEvent(context, std::to_string(record.seq));
  if (last.seq == 0) {
    record.prevHash = kGenesisHash;
  } else if (last.hash.size() == kGenesisHash.size() && core::fromHex(last.hash).isOk()) {
    record.prevHash = last.hash;
  } else {
    // Appending after a damaged record would hide the damage behind a valid-looking link.
    return core::internalError("audit record " + std::to_string(last.seq) +
                               " has a malformed hash; the audit chain needs inspection");
  }
  record.hash = chainHash(record.prevHash, record.json);
  record.patient = context.patient.value_or("");
  BRYGGA_RETURN_IF_ERROR(txn.auditLog().appendAudit(record));
  // The Merkle leaf (RFC 9162) of the same bytes, so the transparency log (audit_log.h) can
  // rebuild its tree without reading every event again.
  BRYGGA_RETURN_IF_ERROR(
      txn.auditLog().putAuditLeaf(record.seq, merkle::toHex(merkle::leafHash(record.json))));
  return record.seq;
}

core::StatusOr<AuditTrail::VerifyResult> AuditTrail::verify(store::Store& store) {
  VerifyResult result;
  int64_t expectedSeq = 1;
  std::string expectedPrev = kGenesisHash;
  for (;;) {
    BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditRecord> page,
                            store.auditLog().auditRecords(expectedSeq, kVerifyPageSize));
    for (const store::AuditRecord& record : page) {
      if (record.seq != expectedSeq) {
        result.firstBadSeq = expectedSeq;
        result.problem = "record " + std::to_string(expectedSeq) +
                         " is missing (the next record is " + std::to_string(record.seq) + ")";
        return result;
      }
      ++result.recordsChecked;
      if (record.prevHash != expectedPrev) {
        result.firstBadSeq = record.seq;
        result.problem = record.seq == 1
                             ? "record 1 does not start the chain (prevHash is not all zeros)"
                             : "prevHash of record " + std::to_string(record.seq) +
                                   " does not match the hash of record " +
                                   std::to_string(record.seq - 1);
        return result;
      }
      if (chainHash(record.prevHash, record.json) != record.hash) {
        result.firstBadSeq = record.seq;
        result.problem = "hash of record " + std::to_string(record.seq) +
                         " does not match its content (the event or its hash was changed)";
        return result;
      }
      expectedPrev = record.hash;
      ++expectedSeq;
    }
    if (page.size() < static_cast<size_t>(kVerifyPageSize)) break;
  }
  return result;
}

}  // namespace brygga::audit

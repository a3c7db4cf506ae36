#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gateway/audit/signed_note.h"
#include "gateway/core/status.h"
#include "gateway/store/store.h"

namespace brygga::audit {

struct AuditVerifyOptions {
  std::string origin;                    // the log's checkpoint origin
  std::optional<NoteVerifier> key;       // checks checkpoint signatures; required when any exist
  std::vector<std::string> checkpoints;  // signed checkpoint notes kept outside the database
  // Told after each page of records: how many are checked, of how many the log holds.
  std::function<void(int64_t checked, int64_t total)> progress;
};

struct AuditVerifyResult {
  int64_t recordsChecked = 0;
  int64_t checkpointsChecked = 0;  // stored and given ones whose root was recomputed
  int64_t latestCheckpointSize = 0;
  int64_t recordsWithoutLeaf = 0;  // old records not yet given a leaf hash by the gateway
  int64_t firstBadSeq = 0;         // the first wrong record, when one can be named (else 0)
  std::string problem;             // empty: the log is intact
  bool intact() const { return problem.empty(); }
};

// Recomputes the whole audit log in one pass over the records and checks it against every
// signed checkpoint: the hash chain (prevHash links and each record's hash), each record's
// Merkle leaf against the stored one, and the Merkle root of the first N records against every
// checkpoint of size N, whose signature and origin are checked first. It stops at the first
// problem and names the first wrong record where the evidence allows:
//  - a changed record (event JSON or hashes), a reordering or a swap: that record (its chain
//    hash or link breaks, or its leaf differs from the stored one);
//  - a deleted record: the missing seq; an inserted one: the first record out of place;
//  - a log rewritten consistently (chain and leaves recomputed by the attacker): the first record
//    after the last checkpoint that still matches, with the range up to the one that does not;
//  - a truncated log: the first record a checkpoint covers that is no longer there.
// Checkpoints are read before the records, so a gateway appending meanwhile is no problem.
// Errors are database failures only; what is wrong with the log is in the result.
core::StatusOr<AuditVerifyResult> verifyAuditLog(store::Store& store,
                                                 const AuditVerifyOptions& options);

}  // namespace brygga::audit

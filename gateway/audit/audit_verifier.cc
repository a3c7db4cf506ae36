#include "gateway/audit/audit_verifier.h"

#include <algorithm>
#include <map>

#include "gateway/audit/audit_keys.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/audit/merkle.h"

namespace brygga::audit {

namespace {

constexpr int kPage = 10000;
constexpr int kCheckpointPage = 1000;
const std::string kGenesisHash(64, '0');

struct Expected {
  merkle::Hash root{};
  std::string what;  // "the signed checkpoint of size N" / "the given checkpoint of size N"
};

// The checkpoint a stored row carries, after its signature, origin and columns are checked.
// The key that must have signed a checkpoint of `size`: the trusted key for its size range.
core::StatusOr<const NoteVerifier*> keyFor(const AuditKeyring& ring, int64_t size) {
  const NoteVerifier* key = ring.keyFor(size);
  if (key == nullptr) {
    return core::unauthenticated(
        "no trusted signing key covers tree size " + std::to_string(size) +
        (ring.problem.empty() ? std::string() : " (" + ring.problem + ")"));
  }
  return key;
}

core::StatusOr<Checkpoint> openStored(const store::AuditCheckpoint& row,
                                      const AuditVerifyOptions& options, const AuditKeyring& ring) {
  BRYGGA_ASSIGN_OR_RETURN(const NoteVerifier* key, keyFor(ring, row.treeSize));
  BRYGGA_ASSIGN_OR_RETURN(Checkpoint c, openCheckpoint(row.note, *key, options.origin));
  if (static_cast<int64_t>(c.size) != row.treeSize || merkle::toHex(c.root) != row.rootHash) {
    return core::invalidArgument("its note does not match its tree_size/root_hash columns");
  }
  return c;
}

std::string range(int64_t from, int64_t to) {
  return from == to ? "record " + std::to_string(from)
                    : "records " + std::to_string(from) + ".." + std::to_string(to);
}

}  // namespace

core::StatusOr<AuditVerifyResult> verifyAuditLog(store::Store& store,
                                                 const AuditVerifyOptions& options) {
  AuditVerifyResult result;
  auto fail = [&](int64_t seq, std::string problem) {
    result.firstBadSeq = seq;
    result.problem = std::move(problem);
    return result;
  };

  // 1. Every checkpoint, stored and given, before any record (see the header), each checked
  // with the key that was in force for its size (audit_keys.h: trust follows the rotation notes
  // from the given key).
  AuditKeyring ring;
  if (options.key) {
    std::vector<store::AuditKeyRecord> keys;
    if (auto stored = store.auditLog().auditKeys(); stored.isOk()) keys = std::move(stored).value();
    BRYGGA_ASSIGN_OR_RETURN(ring, buildKeyring(keys, *options.key, options.origin));
  }
  std::map<uint64_t, Expected> expected;
  int64_t from = 0;
  for (;;) {
    BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditCheckpoint> page,
                            store.auditLog().auditCheckpoints(from, kCheckpointPage));
    if (!page.empty() && !options.key) {
      return core::invalidArgument(
          "the log has signed checkpoints, but no public key to check them was given");
    }
    for (const store::AuditCheckpoint& row : page) {
      auto opened = openStored(row, options, ring);
      if (!opened.isOk()) {
        return fail(0, "the stored checkpoint of size " + std::to_string(row.treeSize) +
                           " is not genuine: " + opened.status().message());
      }
      expected[opened->size] = {opened->root,
                                "the signed checkpoint of size " + std::to_string(opened->size)};
    }
    if (page.size() < static_cast<size_t>(kCheckpointPage)) break;
    from = page.back().treeSize + 1;
  }
  for (const std::string& note : options.checkpoints) {
    if (!options.key) return core::invalidArgument("a given checkpoint needs the log's public key");
    auto size = parseSignedNote(note);
    auto body =
        size.isOk() ? parseCheckpoint(size->text) : core::StatusOr<Checkpoint>(size.status());
    core::StatusOr<Checkpoint> opened = body.status();
    if (body.isOk()) {
      auto key = keyFor(ring, static_cast<int64_t>(body->size));
      opened = key.isOk() ? openCheckpoint(note, **key, options.origin)
                          : core::StatusOr<Checkpoint>(key.status());
    }
    if (!opened.isOk()) {
      return fail(0, "the given checkpoint is not genuine: " + opened.status().message());
    }
    auto it = expected.find(opened->size);
    if (it != expected.end() && it->second.root != opened->root) {
      return fail(0, "the given checkpoint of size " + std::to_string(opened->size) +
                         " and the stored one have different roots: the log was rewritten (or "
                         "shown differently to different readers)");
    }
    if (it == expected.end()) {
      expected[opened->size] = {opened->root,
                                "the given checkpoint of size " + std::to_string(opened->size)};
    }
  }
  if (!expected.empty()) {
    result.latestCheckpointSize = static_cast<int64_t>(expected.rbegin()->first);
  }

  // 2. One pass over the records: chain, leaves, and the root at every checkpoint's size.
  merkle::StreamingRoot tree;
  std::string prevHash = kGenesisHash;
  std::string prevPrevHash;
  int64_t seq = 1;
  int64_t lastMatched = 0;
  // How many records there are, for the progress; a log growing meanwhile is checked as found.
  int64_t total = 0;
  if (options.progress) total = store.auditLog().auditSize().valueOr(0);
  auto next = expected.begin();
  auto checkRoot = [&]() -> bool {
    while (next != expected.end() && next->first == tree.size()) {
      if (tree.root() != next->second.root) return false;
      lastMatched = static_cast<int64_t>(next->first);
      ++result.checkpointsChecked;
      ++next;
    }
    return true;
  };
  auto rootMismatch = [&]() {
    return fail(lastMatched + 1,
                "the first " + std::to_string(next->first) + " records do not have the root of " +
                    next->second.what + ": " +
                    range(lastMatched + 1, static_cast<int64_t>(next->first)) +
                    " were changed, inserted, removed or reordered (with their hashes recomputed)");
  };
  if (!checkRoot()) return rootMismatch();
  for (;;) {
    BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditRecord> records,
                            store.auditLog().auditRecords(seq, kPage));
    BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditLeaf> leaves,
                            store.auditLog().auditLeaves(seq, kPage));
    size_t l = 0;
    for (const store::AuditRecord& r : records) {
      const std::string name = std::to_string(r.seq);
      if (r.seq != seq) {
        return fail(
            seq, "record " + std::to_string(seq) + " is missing (the next record is " + name + ")");
      }
      if (r.prevHash != prevHash) {
        if (seq == 1) {
          return fail(1, "record 1 does not start the chain (its prevHash is not zeros)");
        }
        // A record slipped in before this one: this one still links to the one before it.
        if (seq >= 3 && r.prevHash == prevPrevHash) {
          return fail(seq - 1, "record " + std::to_string(seq - 1) + " was inserted: record " +
                                   name + " links past it to record " + std::to_string(seq - 2));
        }
        return fail(seq, "record " + name + " does not link to record " + std::to_string(seq - 1) +
                             " (its prevHash is not that record's hash): records were changed, "
                             "removed or reordered here");
      }
      if (AuditTrail::chainHash(r.prevHash, r.json) != r.hash) {
        return fail(
            seq, "record " + name + " does not match its hash: the event or its hash was changed");
      }
      const merkle::Hash leaf = merkle::leafHash(r.json);
      while (l < leaves.size() && leaves[l].seq < r.seq) ++l;
      if (l < leaves.size() && leaves[l].seq == r.seq) {
        if (leaves[l].leafHash != merkle::toHex(leaf)) {
          return fail(seq, "record " + name +
                               " does not match its stored Merkle leaf hash: the event was "
                               "changed (or its leaf was)");
        }
      } else {
        ++result.recordsWithoutLeaf;
      }
      tree.append(leaf);
      ++result.recordsChecked;
      prevPrevHash = std::move(prevHash);
      prevHash = r.hash;
      ++seq;
      if (!checkRoot()) return rootMismatch();
    }
    if (options.progress) options.progress(result.recordsChecked, std::max(total, seq - 1));
    if (records.size() < static_cast<size_t>(kPage)) break;
  }

  // 3. Checkpoints or leaf hashes beyond the last record: the log was cut short.
  BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditLeaf> beyond,
                          store.auditLog().auditLeaves(seq, 1));
  if (!beyond.empty()) {
    return fail(seq, "the log ends at record " + std::to_string(seq - 1) +
                         ", but the Merkle leaf of record " + std::to_string(beyond.front().seq) +
                         " is still stored: records from " + std::to_string(seq) +
                         " on were removed (the log was truncated)");
  }
  if (next != expected.end()) {
    return fail(seq,
                "the log ends at record " + std::to_string(seq - 1) + ", but " + next->second.what +
                    " was signed: " + range(seq, static_cast<int64_t>(expected.rbegin()->first)) +
                    " were removed (the log was truncated)");
  }
  return result;
}

}  // namespace brygga::audit

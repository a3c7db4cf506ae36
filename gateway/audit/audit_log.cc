#include "gateway/audit/audit_log.h"

#include <unistd.h>

#include <set>
#include <utility>

#include "gateway/audit/audit_keys.h"
#include "gateway/audit/audit_trail.h"

namespace brygga::audit {

namespace {

constexpr int kPage = 4096;
const std::string kGenesisHash(64, '0');

core::Status damaged(const std::string& what) {
  return core::internalError("audit log: " + what +
                             "; refusing to sign it (run brygga audit verify)");
}

}  // namespace

std::string defaultOrigin() {
  char host[256] = {};
  std::string name;
  if (::gethostname(host, sizeof host - 1) == 0) name = host;
  // A key name has no spaces or '+'; host names have neither, but be safe with odd ones.
  for (char& c : name) {
    if (c == '+' || c == ' ' || static_cast<unsigned char>(c) < 0x21 ||
        static_cast<unsigned char>(c) > 0x7e) {
      c = '-';
    }
  }
  return name.empty() ? "brygga/audit" : "brygga." + name + "/audit";
}

AuditLog::AuditLog(store::Store& store, NoteSigner signer, std::string origin,
                   const core::TimeSource& clock)
    : store_(store),
      signer_(std::make_shared<const NoteSigner>(std::move(signer))),
      origin_(std::move(origin)),
      clock_(clock),
      tree_([this](uint64_t begin, uint64_t end) -> core::StatusOr<std::vector<merkle::Hash>> {
        BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditLeaf> rows,
                                store_.auditLog().auditLeaves(static_cast<int64_t>(begin) + 1,
                                                              static_cast<int>(end - begin)));
        std::vector<merkle::Hash> out;
        out.reserve(rows.size());
        for (const store::AuditLeaf& row : rows) {
          if (row.seq != static_cast<int64_t>(begin + out.size()) + 1) {
            return core::internalError("audit log: record " +
                                       std::to_string(begin + out.size() + 1) + " is missing");
          }
          auto hash = merkle::fromHex(row.leafHash);
          if (!hash.isOk()) {
            return core::internalError("audit log: record " + std::to_string(row.seq) +
                                       " has no valid leaf hash");
          }
          out.push_back(*hash);
        }
        return out;
      }) {}

core::Status AuditLog::open() {
  std::lock_guard lock(mutex_);
  return syncLocked().status();
}

core::StatusOr<bool> AuditLog::recordExists(uint64_t seq) {
  BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditRecord> records,
                          store_.auditLog().auditRecords(static_cast<int64_t>(seq), 1));
  return !records.empty() && records.front().seq == static_cast<int64_t>(seq);
}

core::Status AuditLog::backfillLeaves(uint64_t fromSeq) {
  int64_t from = static_cast<int64_t>(fromSeq);
  for (;;) {
    // Records first: a record committed after this read is not in it, and one committed before
    // it has its leaf committed with it, so the leaves read next show it.
    BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditRecord> records,
                            store_.auditLog().auditRecords(from, kPage));
    if (records.empty()) return core::Status::ok();
    BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditLeaf> leaves,
                            store_.auditLog().auditLeaves(from, kPage));
    std::set<int64_t> stored;
    for (const store::AuditLeaf& leaf : leaves) stored.insert(leaf.seq);
    BRYGGA_RETURN_IF_ERROR(store_.write([&](store::StoreTransaction& txn) -> core::Status {
      for (const store::AuditRecord& r : records) {
        if (stored.count(r.seq) != 0) continue;
        BRYGGA_RETURN_IF_ERROR(
            txn.auditLog().putAuditLeaf(r.seq, merkle::toHex(merkle::leafHash(r.json))));
      }
      return core::Status::ok();
    }));
    if (records.size() < static_cast<size_t>(kPage)) return core::Status::ok();
    from = records.back().seq + 1;
  }
}

core::StatusOr<uint64_t> AuditLog::sync() {
  std::lock_guard lock(mutex_);
  return syncLocked();
}

core::StatusOr<uint64_t> AuditLog::syncLocked() {
  // Leaves are written with their records, so normally they are all there is to read. Records
  // without one (written before schema 3, or by an older build sharing the file) get theirs here,
  // once; a record still without a leaf after that is a damaged log.
  bool backfilled = false;
  for (;;) {
    BRYGGA_ASSIGN_OR_RETURN(
        std::vector<store::AuditLeaf> rows,
        store_.auditLog().auditLeaves(static_cast<int64_t>(tree_.size()) + 1, kPage));
    bool again = false;
    for (const store::AuditLeaf& row : rows) {
      const uint64_t expected = tree_.size() + 1;
      if (row.seq != static_cast<int64_t>(expected)) {
        BRYGGA_ASSIGN_OR_RETURN(bool exists, recordExists(expected));
        if (!exists) {
          return damaged("record " + std::to_string(expected) + " is missing (the next is " +
                         std::to_string(row.seq) + ")");
        }
        if (backfilled) return damaged("record " + std::to_string(expected) + " has no leaf hash");
        BRYGGA_RETURN_IF_ERROR(backfillLeaves(expected));
        backfilled = again = true;
        break;
      }
      auto hash = merkle::fromHex(row.leafHash);
      if (!hash.isOk())
        return damaged("record " + std::to_string(row.seq) + " has no valid leaf hash");
      tree_.append(*hash);
    }
    if (again || rows.size() == static_cast<size_t>(kPage)) continue;
    if (!backfilled) {
      BRYGGA_ASSIGN_OR_RETURN(bool more, recordExists(tree_.size() + 1));
      if (more) {
        BRYGGA_RETURN_IF_ERROR(backfillLeaves(tree_.size() + 1));
        backfilled = true;
        continue;
      }
    }
    return tree_.size();
  }
}

core::Status AuditLog::checkRecords(uint64_t fromSeq, uint64_t toSeq) {
  std::string prevHash = kGenesisHash;
  uint64_t next = fromSeq;
  if (fromSeq > 1) {
    BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditRecord> before,
                            store_.auditLog().auditRecords(static_cast<int64_t>(fromSeq) - 1, 1));
    if (before.empty() || before.front().seq != static_cast<int64_t>(fromSeq) - 1) {
      return damaged("record " + std::to_string(fromSeq - 1) + " is missing");
    }
    prevHash = before.front().hash;
  }
  while (next <= toSeq) {
    const int count = static_cast<int>(std::min<uint64_t>(kPage, toSeq - next + 1));
    BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditRecord> records,
                            store_.auditLog().auditRecords(static_cast<int64_t>(next), count));
    BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditLeaf> leaves,
                            store_.auditLog().auditLeaves(static_cast<int64_t>(next), count));
    if (records.size() != static_cast<size_t>(count) || leaves.size() != records.size()) {
      return damaged("records " + std::to_string(next) + ".." + std::to_string(toSeq) +
                     " are not all there");
    }
    for (size_t i = 0; i < records.size(); ++i) {
      const store::AuditRecord& r = records[i];
      const std::string seq = std::to_string(r.seq);
      if (r.seq != static_cast<int64_t>(next) || leaves[i].seq != r.seq) {
        return damaged("record " + std::to_string(next) + " is missing");
      }
      if (r.prevHash != prevHash) {
        return damaged("record " + seq + " does not chain to its predecessor");
      }
      if (AuditTrail::chainHash(r.prevHash, r.json) != r.hash) {
        return damaged("record " + seq + " does not match its chain hash");
      }
      if (merkle::toHex(merkle::leafHash(r.json)) != leaves[i].leafHash) {
        return damaged("record " + seq + " does not match its stored leaf hash");
      }
      prevHash = r.hash;
      ++next;
    }
  }
  return core::Status::ok();
}

core::StatusOr<AuditLog::InclusionProof> AuditLog::inclusionProof(uint64_t seq, uint64_t treeSize) {
  std::lock_guard lock(mutex_);
  BRYGGA_ASSIGN_OR_RETURN(uint64_t size, syncLocked());
  if (seq < 1 || seq > treeSize || treeSize > size) {
    return core::invalidArgument("no inclusion proof for record " + std::to_string(seq) +
                                 " in a tree of " + std::to_string(treeSize) +
                                 " records (the log has " + std::to_string(size) + ")");
  }
  InclusionProof proof;
  proof.leafIndex = seq - 1;
  proof.treeSize = treeSize;
  BRYGGA_ASSIGN_OR_RETURN(proof.leafHash, tree_.leaf(seq - 1));
  BRYGGA_ASSIGN_OR_RETURN(proof.hashes, tree_.inclusionProof(seq - 1, treeSize));
  return proof;
}

core::StatusOr<std::vector<merkle::Hash>> AuditLog::consistencyProof(uint64_t size1,
                                                                     uint64_t size2) {
  std::lock_guard lock(mutex_);
  BRYGGA_ASSIGN_OR_RETURN(uint64_t size, syncLocked());
  if (size1 < 1 || size1 > size2 || size2 > size) {
    return core::invalidArgument("no consistency proof from " + std::to_string(size1) + " to " +
                                 std::to_string(size2) + " records (the log has " +
                                 std::to_string(size) + "; sizes start at 1)");
  }
  return tree_.consistencyProof(size1, size2);
}

core::StatusOr<merkle::Hash> AuditLog::root(uint64_t treeSize) {
  std::lock_guard lock(mutex_);
  BRYGGA_ASSIGN_OR_RETURN(uint64_t size, syncLocked());
  if (treeSize > size) {
    return core::invalidArgument("the log has " + std::to_string(size) + " records, not " +
                                 std::to_string(treeSize));
  }
  return tree_.root(treeSize);
}

core::StatusOr<std::optional<store::AuditCheckpoint>> AuditLog::checkpoint() {
  std::lock_guard lock(mutex_);
  BRYGGA_ASSIGN_OR_RETURN(uint64_t size, syncLocked());
  BRYGGA_ASSIGN_OR_RETURN(std::optional<store::AuditCheckpoint> last,
                          store_.auditLog().latestAuditCheckpoint());
  const uint64_t lastSize = last ? static_cast<uint64_t>(last->treeSize) : 0;
  if (lastSize > size) {
    return damaged("it has " + std::to_string(size) + " records but a checkpoint of " +
                   std::to_string(lastSize) + " was signed: records were removed");
  }
  // The tree is built from the leaves; the records must reach as far.
  if (size > 0) {
    BRYGGA_ASSIGN_OR_RETURN(bool lastRecord, recordExists(size));
    if (!lastRecord) {
      return damaged("record " + std::to_string(size) +
                     " was removed (its leaf hash is still stored)");
    }
  }
  if (last && lastSize == size) return last;
  if (size == 0) return std::optional<store::AuditCheckpoint>();

  BRYGGA_RETURN_IF_ERROR(checkRecords(lastSize + 1, size));
  BRYGGA_ASSIGN_OR_RETURN(merkle::Hash root, tree_.root(size));
  if (last) {
    // The stored root must be the signed one, and the new tree must extend it.
    auto note = parseSignedNote(last->note);
    if (!note.isOk()) {
      return damaged("the checkpoint of size " + std::to_string(lastSize) + " is malformed");
    }
    auto previous = parseCheckpoint(note->text);
    if (!previous.isOk() || previous->size != lastSize ||
        merkle::toHex(previous->root) != last->rootHash) {
      return damaged("the checkpoint of size " + std::to_string(lastSize) +
                     " does not match its note");
    }
    // Only build on a checkpoint this log signed: with the key of its size range, trusted from
    // the current key along the rotation notes (audit_keys.h), so also across a rotation.
    std::vector<store::AuditKeyRecord> keys;
    if (auto stored = store_.auditLog().auditKeys(); stored.isOk())
      keys = std::move(stored).value();
    BRYGGA_ASSIGN_OR_RETURN(AuditKeyring ring, buildKeyring(keys, verifier(), origin_));
    const NoteVerifier* key = ring.keyFor(static_cast<int64_t>(lastSize));
    if (key == nullptr || !key->verify(*note).isOk()) {
      return damaged("the checkpoint of size " + std::to_string(lastSize) +
                     " is not signed by this log's key");
    }
    BRYGGA_ASSIGN_OR_RETURN(std::vector<merkle::Hash> proof,
                            tree_.consistencyProof(lastSize, size));
    if (!merkle::verifyConsistency(lastSize, size, previous->root, root, proof)) {
      return damaged("the first " + std::to_string(lastSize) +
                     " records no longer match the checkpoint signed for them");
    }
  }
  store::AuditCheckpoint stored;
  core::Status signedIt = signAndStore(size, root, stored);
  if (signedIt.code() == core::StatusCode::kPreconditionFailed) {
    // The key was rotated (brygga audit rotate-key): sign with the new one.
    std::function<core::StatusOr<NoteSigner>()> reload;
    {
      std::lock_guard signerLock(signerMutex_);
      reload = reloadSigner_;
    }
    if (!reload) return signedIt;
    auto reloaded = reload();
    if (!reloaded.isOk()) {
      return core::internalError(
          "the audit signing key was rotated, but the new key cannot be "
          "loaded: " +
          reloaded.status().message());
    }
    {
      std::lock_guard signerLock(signerMutex_);
      signer_ = std::make_shared<const NoteSigner>(std::move(reloaded).value());
    }
    signedIt = signAndStore(size, root, stored);
  }
  BRYGGA_RETURN_IF_ERROR(signedIt);
  return std::optional<store::AuditCheckpoint>(std::move(stored));
}

NoteVerifier AuditLog::verifier() const {
  std::lock_guard lock(signerMutex_);
  return signer_->verifier();
}

void AuditLog::setSignerReloader(std::function<core::StatusOr<NoteSigner>()> reload) {
  std::lock_guard lock(signerMutex_);
  reloadSigner_ = std::move(reload);
}

core::Status AuditLog::signAndStore(uint64_t size, const merkle::Hash& root,
                                    store::AuditCheckpoint& stored) {
  std::shared_ptr<const NoteSigner> signer;
  {
    std::lock_guard lock(signerMutex_);
    signer = signer_;
  }
  Checkpoint body;
  body.origin = origin_;
  body.size = size;
  body.root = root;
  BRYGGA_ASSIGN_OR_RETURN(std::string note, signer->sign(formatCheckpoint(body)));
  stored.treeSize = static_cast<int64_t>(size);
  stored.createdMs = clock_.nowMs();
  stored.rootHash = merkle::toHex(root);
  stored.note = std::move(note);
  const std::string vkey = signer->verifier().vkey();
  return store_.write([&](store::StoreTransaction& txn) -> core::Status {
    // Checked in the unit that appends, so a rotation committed just before cannot be missed.
    auto keys = txn.auditLog().auditKeysInUnit();
    if (keys.isOk() && !keys->empty() && keys->back().vkey != vkey) {
      return core::Status(core::StatusCode::kPreconditionFailed,
                          "the audit signing key was rotated; this key no longer signs");
    }
    return txn.auditLog().appendAuditCheckpoint(stored);
  });
}

}  // namespace brygga::audit

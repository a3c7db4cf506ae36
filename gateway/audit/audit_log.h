#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/audit/merkle.h"
#include "gateway/audit/signed_note.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/store/store.h"

namespace brygga::audit {

// "brygga.<host name>/audit": the default checkpoint origin (and signing key name).
std::string defaultOrigin();

// The audit transparency log: an RFC 9162 Merkle tree over the audit records in seq order (leaf
// index = seq - 1, leaf data = the record's JSON exactly as stored), with signed checkpoints and
// inclusion and consistency proofs.
//
// The store is the truth; this object keeps an in-memory MerkleTree that catches up with the
// committed records on every call (sync), reading the leaf hashes written with each record
// (AuditTrail::append). Before it signs a checkpoint it recomputes the leaf and chain hash of
// every record the new checkpoint adds and checks that the new tree is consistent with the
// previous checkpoint, so it never signs a damaged record or two checkpoints that disagree.
// Thread-safe.
class AuditLog {
 public:
  AuditLog(store::Store& store, NoteSigner signer, std::string origin,
           const core::TimeSource& clock);
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Loads the tree from the stored leaf hashes, giving records written before schema 3 theirs
  // first. Call once before the other functions.
  core::Status open();

  // Catches up with the committed records; returns the tree size (the number of records).
  core::StatusOr<uint64_t> sync();

  struct InclusionProof {
    uint64_t leafIndex = 0;
    uint64_t treeSize = 0;
    merkle::Hash leafHash{};
    std::vector<merkle::Hash> hashes;
  };
  // Proof that record `seq` is in the tree of `treeSize` records (seq <= treeSize <= size).
  core::StatusOr<InclusionProof> inclusionProof(uint64_t seq, uint64_t treeSize);
  // Proof that the tree of size1 records is a prefix of the tree of size2 (1 <= size1 <= size2).
  core::StatusOr<std::vector<merkle::Hash>> consistencyProof(uint64_t size1, uint64_t size2);
  core::StatusOr<merkle::Hash> root(uint64_t treeSize);

  // Makes, signs and stores a checkpoint of everything committed, unless the last checkpoint
  // already covers it (then returns that one); nullopt while the log is empty. Refuses
  // (kInternal, nothing stored) when a record it would sign is damaged, when the log has fewer
  // records than the last checkpoint, or when the tree is not consistent with that checkpoint.
  core::StatusOr<std::optional<store::AuditCheckpoint>> checkpoint();
  // True while this process is the one (among gateways sharing the store) that signs the
  // periodic checkpoints (Store::holdsLease).
  bool holdsCheckpointLease() { return store_.holdsLease("audit:checkpoints"); }

  const std::string& origin() const { return origin_; }
  // The key that signs new checkpoints (it changes when the key is rotated).
  NoteVerifier verifier() const;

  // How to load the signing key again after `brygga audit rotate-key` recorded a new one: before
  // signing, the write unit checks that the signer is the latest key in audit_key; when it is not,
  // the log loads the key with this and signs with it (nothing is signed when it fails).
  void setSignerReloader(std::function<core::StatusOr<NoteSigner>()> reload);

 private:
  core::StatusOr<uint64_t> syncLocked();
  core::StatusOr<bool> recordExists(uint64_t seq);
  // Stores the leaf hash of every record from fromSeq on that has none.
  core::Status backfillLeaves(uint64_t fromSeq);
  // Recomputes the chain and leaf hashes of records [fromSeq, toSeq] and compares them with the
  // stored ones the tree is built from.
  core::Status checkRecords(uint64_t fromSeq, uint64_t toSeq);

  // Signs and stores the checkpoint of the tree of `size` records; kPreconditionFailed when the
  // signer is not the latest recorded key.
  core::Status signAndStore(uint64_t size, const merkle::Hash& root,
                            store::AuditCheckpoint& stored);

  store::Store& store_;
  mutable std::mutex signerMutex_;
  std::shared_ptr<const NoteSigner> signer_;
  std::function<core::StatusOr<NoteSigner>()> reloadSigner_;
  const std::string origin_;
  const core::TimeSource& clock_;

  std::mutex mutex_;
  merkle::MerkleTree tree_;
};

}  // namespace brygga::audit

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/audit/signed_note.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/store/store.h"

// Rotation of the audit signing key.
//
// Every key that signs checkpoints is recorded in audit_key (schema 5) with the first tree size
// it signs; key n signs the checkpoints of sizes validFrom(n) .. validFrom(n+1) - 1. A rotation
// first has the old key sign a checkpoint of everything written, then records the new key with a
// rotation note, a signed note
//
//   brygga audit key rotation
//   <origin>
//   old <old vkey>
//   new <new vkey>
//   from <first tree size the new key signs>
//
// signed by both keys: the old key vouches for the new one and the new one for the old, so an
// auditor who trusts any one key of the chain (the key given to `audit verify --key`, or the
// current key file) can follow the chain to all the others, and a key slipped into the table
// without a valid note is not trusted. The first key is recorded (without a note) at the first
// rotation; a log never rotated has no rows and one key.
namespace brygga::audit {

struct TrustedKey {
  NoteVerifier verifier;
  int64_t validFromSize = 1;
  int64_t validToSize = 0;  // 0: open (the current key)
};

// The keys an auditor can trust, starting from `trusted`, along the rotation notes.
struct AuditKeyring {
  std::vector<TrustedKey> keys;  // in rotation order, only the trusted part of the chain
  std::string problem;           // why the chain stops short, if it does

  // The trusted key that must have signed a checkpoint of `size`; nullptr when none does.
  const NoteVerifier* keyFor(int64_t size) const;
};
core::StatusOr<AuditKeyring> buildKeyring(const std::vector<store::AuditKeyRecord>& records,
                                          const NoteVerifier& trusted, const std::string& origin);

std::string rotationNoteText(const std::string& origin, const std::string& oldVkey,
                             const std::string& newVkey, int64_t validFromSize);

// The gateway's signing key: the key file (made when there is none and the log was never
// rotated). When the log was rotated, the file must hold the latest key; a rotation cut short
// after it was recorded (the new key still in <keyFile>.next) is completed here.
core::StatusOr<NoteSigner> loadCurrentSigner(store::Store& store, const std::string& origin,
                                             const std::string& keyFile);

struct RotationResult {
  std::string oldVkey;
  std::string newVkey;
  int64_t lastOldCheckpointSize = 0;  // the last checkpoint the old key signed (0: none)
  int64_t validFromSize = 1;
};
// `brygga audit rotate-key`: a last checkpoint with the old key, a new Ed25519 key (written to
// <keyFile>.next, mode 0600), the rotation recorded in the store, then the new key moved over the
// key file (the old private key is gone; its public key stays in audit_key). A running gateway
// notices the rotation at its next checkpoint and loads the new key file.
core::StatusOr<RotationResult> rotateSigningKey(store::Store& store, const std::string& origin,
                                                const std::string& keyFile,
                                                const core::TimeSource& clock);

}  // namespace brygga::audit

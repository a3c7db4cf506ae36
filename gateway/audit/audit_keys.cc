#include "gateway/audit/audit_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/signed_note.h"

namespace brygga::audit {

namespace {

constexpr int kRotationAttempts = 5;

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

core::StatusOr<NoteSigner> readSigner(const std::string& origin, const std::string& path) {
  auto pem = readFile(path);
  if (!pem.isOk()) return core::internalError("cannot read the audit signing key " + path);
  auto signer = NoteSigner::fromPrivateKeyPem(origin, *pem);
  if (!signer.isOk()) {
    return core::invalidArgument("audit signing key " + path + ": " + signer.status().message());
  }
  return signer;
}

core::Status writeNew(const std::string& path, const std::string& pem) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return core::conflict("cannot create " + path + ": " + std::strerror(errno) +
                          (errno == EEXIST ? " (left by a rotation that did not finish: if "
                                             "audit_key does not name it, remove it)"
                                           : ""));
  }
  const bool written = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) {
    ::unlink(path.c_str());
    return core::internalError("cannot write " + path);
  }
  return core::Status::ok();
}

// The signature lines of a note signed by `signer` (everything after the text's blank line).
core::StatusOr<std::string> signatureLines(const NoteSigner& signer, const std::string& text) {
  BRYGGA_ASSIGN_OR_RETURN(std::string note, signer.sign(text));
  return note.substr(text.size() + 1);
}

// The rotation note of record `next` checks out against the key before it.
bool linkHolds(const store::AuditKeyRecord& previous, const store::AuditKeyRecord& next,
               const NoteVerifier& oldKey, const NoteVerifier& newKey, const std::string& origin) {
  auto note = parseSignedNote(next.rotationNote);
  if (!note.isOk()) return false;
  if (note->text != rotationNoteText(origin, previous.vkey, next.vkey, next.validFromSize)) {
    return false;
  }
  return oldKey.verify(*note).isOk() && newKey.verify(*note).isOk();
}

}  // namespace

const NoteVerifier* AuditKeyring::keyFor(int64_t size) const {
  for (const TrustedKey& k : keys) {
    if (size >= k.validFromSize && (k.validToSize == 0 || size <= k.validToSize)) {
      return &k.verifier;
    }
  }
  return nullptr;
}

std::string rotationNoteText(const std::string& origin, const std::string& oldVkey,
                             const std::string& newVkey, int64_t validFromSize) {
  return "brygga audit key rotation\n" + origin + "\nold " + oldVkey + "\nnew " + newVkey +
         "\nfrom " + std::to_string(validFromSize) + "\n";
}

core::StatusOr<AuditKeyring> buildKeyring(const std::vector<store::AuditKeyRecord>& records,
                                          const NoteVerifier& trusted, const std::string& origin) {
  AuditKeyring ring;
  if (records.empty()) {
    ring.keys.push_back({trusted, 1, 0});
    return ring;
  }
  std::vector<std::optional<NoteVerifier>> verifiers;
  size_t anchor = records.size();
  for (size_t i = 0; i < records.size(); ++i) {
    auto v = NoteVerifier::fromVkey(records[i].vkey);
    if (v.isOk())
      verifiers.push_back(*v);
    else
      verifiers.push_back(std::nullopt);
    if (v.isOk() && v->vkey() == trusted.vkey()) anchor = i;
  }
  if (anchor == records.size()) {
    ring.problem = "the trusted key " + trusted.vkey() + " is not one of the log's signing keys";
    return ring;
  }
  size_t first = anchor;
  while (first > 0 && verifiers[first - 1] &&
         linkHolds(records[first - 1], records[first], *verifiers[first - 1], *verifiers[first],
                   origin)) {
    --first;
  }
  size_t last = anchor;
  while (
      last + 1 < records.size() && verifiers[last + 1] &&
      linkHolds(records[last], records[last + 1], *verifiers[last], *verifiers[last + 1], origin)) {
    ++last;
  }
  if (first > 0) {
    ring.problem = "the rotation note of key " + std::to_string(records[first].seq) +
                   " does not verify, so keys before it are not trusted";
  } else if (last + 1 < records.size()) {
    ring.problem = "the rotation note of key " + std::to_string(records[last + 1].seq) +
                   " does not verify, so it and later keys are not trusted";
  }
  for (size_t i = first; i <= last; ++i) {
    const int64_t to = i + 1 < records.size() ? records[i + 1].validFromSize - 1 : 0;
    ring.keys.push_back({*verifiers[i], records[i].validFromSize, to});
  }
  return ring;
}

core::StatusOr<NoteSigner> loadCurrentSigner(store::Store& store, const std::string& origin,
                                             const std::string& keyFile) {
  std::vector<store::AuditKeyRecord> keys;
  if (auto stored = store.auditLog().auditKeys(); stored.isOk()) keys = std::move(stored).value();
  if (keys.empty()) return NoteSigner::loadOrCreate(origin, keyFile);
  const std::string& current = keys.back().vkey;
  if (exists(keyFile)) {
    BRYGGA_ASSIGN_OR_RETURN(NoteSigner signer, readSigner(origin, keyFile));
    if (signer.verifier().vkey() == current) return signer;
  }
  // A rotation recorded in the store whose new key was not yet moved into place.
  const std::string next = keyFile + ".next";
  if (exists(next)) {
    BRYGGA_ASSIGN_OR_RETURN(NoteSigner signer, readSigner(origin, next));
    if (signer.verifier().vkey() == current) {
      if (std::rename(next.c_str(), keyFile.c_str()) != 0) {
        return core::internalError("cannot move " + next + " to " + keyFile + ": " +
                                   std::strerror(errno));
      }
      return signer;
    }
  }
  return core::invalidArgument("the audit signing key " + keyFile +
                               " is not the key the log was last rotated to (" + current +
                               "); restore that key file");
}

core::StatusOr<RotationResult> rotateSigningKey(store::Store& store, const std::string& origin,
                                                const std::string& keyFile,
                                                const core::TimeSource& clock) {
  BRYGGA_ASSIGN_OR_RETURN(NoteSigner oldSigner, loadCurrentSigner(store, origin, keyFile));
  BRYGGA_ASSIGN_OR_RETURN(std::string pem, NoteSigner::generatePrivateKeyPem());
  BRYGGA_ASSIGN_OR_RETURN(NoteSigner newSigner, NoteSigner::fromPrivateKeyPem(origin, pem));
  const std::string next = keyFile + ".next";
  BRYGGA_RETURN_IF_ERROR(writeNew(next, pem));

  RotationResult result;
  result.oldVkey = oldSigner.verifier().vkey();
  result.newVkey = newSigner.verifier().vkey();
  core::Status recorded = core::Status::ok();
  for (int attempt = 0; attempt < kRotationAttempts; ++attempt) {
    // The old key signs everything written so far; a gateway signing meanwhile just means
    // another round.
    AuditLog log(store, oldSigner, origin, clock);
    recorded = log.open();
    if (!recorded.isOk()) break;
    auto made = log.checkpoint();
    if (!made.isOk()) {
      recorded = made.status();
      break;
    }
    const int64_t lastSize = made->has_value() ? (*made)->treeSize : 0;
    result.lastOldCheckpointSize = lastSize;
    result.validFromSize = lastSize + 1;
    const std::string text =
        rotationNoteText(origin, result.oldVkey, result.newVkey, result.validFromSize);
    auto oldLines = signatureLines(oldSigner, text);
    auto newLines = signatureLines(newSigner, text);
    if (!oldLines.isOk() || !newLines.isOk()) {
      recorded = !oldLines.isOk() ? oldLines.status() : newLines.status();
      break;
    }
    const std::string note = text + "\n" + *oldLines + *newLines;
    const int64_t now = clock.nowMs();
    recorded = store.write([&](store::StoreTransaction& txn) -> core::Status {
      BRYGGA_ASSIGN_OR_RETURN(std::optional<store::AuditCheckpoint> last,
                              txn.auditLog().lastAuditCheckpointInUnit());
      if ((last ? last->treeSize : 0) != lastSize) {
        return core::conflict("a checkpoint was signed meanwhile");
      }
      BRYGGA_ASSIGN_OR_RETURN(std::vector<store::AuditKeyRecord> keys,
                              txn.auditLog().auditKeysInUnit());
      if (keys.empty()) {
        store::AuditKeyRecord first;
        first.seq = 1;
        first.vkey = result.oldVkey;
        first.validFromSize = 1;
        first.createdMs = now;
        BRYGGA_RETURN_IF_ERROR(txn.auditLog().appendAuditKey(first));
        keys.push_back(first);
      }
      store::AuditKeyRecord key;
      key.seq = keys.back().seq + 1;
      key.vkey = result.newVkey;
      key.validFromSize = result.validFromSize;
      key.createdMs = now;
      key.rotationNote = note;
      return txn.auditLog().appendAuditKey(key);
    });
    if (recorded.code() != core::StatusCode::kConflict) break;
  }
  if (!recorded.isOk()) {
    ::unlink(next.c_str());
    return recorded;
  }
  if (std::rename(next.c_str(), keyFile.c_str()) != 0) {
    // Recorded already: the next start (loadCurrentSigner) moves it into place.
    return core::internalError("the rotation is recorded but " + next + " could not be moved to " +
                               keyFile + ": " + std::strerror(errno) +
                               "; the gateway finishes it at its next start");
  }
  return result;
}

}  // namespace brygga::audit

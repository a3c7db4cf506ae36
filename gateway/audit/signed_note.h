#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/audit/merkle.h"
#include "gateway/core/status.h"

// Signed notes (https://c2sp.org/signed-note) with Ed25519 keys (signature type 0x01), and the
// transparency-log checkpoints carried in them (https://c2sp.org/tlog-checkpoint):
//
//   brygga.example/audit           <- origin
//   1234                           <- tree size
//   <base64 root hash>             <- RFC 9162 Merkle tree root
//                                  <- blank line ends the text
//   — brygga.example/audit <base64(4-byte key id || 64-byte Ed25519 signature over the text)>
//
// The key id is the first four bytes of SHA-256(name || "\n" || 0x01 || public key); a verifier
// key is written "name+<key id, 8 hex digits>+<base64(0x01 || public key)>".
namespace brygga::audit {

// The bytes of the file at `path` (a key, a certificate, a note); kNotFound naming the path when
// it cannot be read.
core::StatusOr<std::string> readFile(const std::string& path);

struct NoteSignature {
  std::string name;
  uint32_t keyId = 0;
  std::string signature;  // raw bytes (64 for Ed25519)
};

struct SignedNote {
  std::string text;  // up to and including the newline before the blank line
  std::vector<NoteSignature> signatures;
};

// The text and its signature lines. kInvalidArgument for anything the signed-note grammar does
// not allow (no blank line, a control character, a malformed signature line, no signature).
core::StatusOr<SignedNote> parseSignedNote(std::string_view note);

// Checks signed-note key names: non-empty, no whitespace, no '+'.
bool isValidKeyName(std::string_view name);

// Verifies notes signed by one Ed25519 key. Immutable and thread-safe.
class NoteVerifier {
 public:
  // "name+hexid+base64(0x01||key)"; the id must match the name and key.
  static core::StatusOr<NoteVerifier> fromVkey(std::string_view vkey);
  // A PEM public key ("PUBLIC KEY") of type Ed25519, known under `name`.
  static core::StatusOr<NoteVerifier> fromPublicKeyPem(const std::string& name,
                                                       std::string_view pem);
  static core::StatusOr<NoteVerifier> fromRawPublicKey(const std::string& name,
                                                       std::string_view key32);

  const std::string& name() const { return name_; }
  uint32_t keyId() const { return keyId_; }
  std::string vkey() const;
  std::string publicKeyPem() const;

  // OK when a signature line by this key (same name and id) verifies over the text. Lines of other
  // keys are ignored; kUnauthenticated when none of ours verifies.
  core::Status verify(const SignedNote& note) const;

 private:
  std::string name_;
  std::string publicKey_;  // 32 raw bytes
  uint32_t keyId_ = 0;
};

// Signs notes with an Ed25519 private key. Thread-safe.
class NoteSigner {
 public:
  // A PEM private key (PKCS#8 "PRIVATE KEY") that must be Ed25519.
  static core::StatusOr<NoteSigner> fromPrivateKeyPem(const std::string& name,
                                                      std::string_view pem);
  // Reads the key at `path`; when there is no file there, makes a new key with OpenSSL and writes
  // it (mode 0600, never overwriting a file that appears meanwhile).
  static core::StatusOr<NoteSigner> loadOrCreate(const std::string& name, const std::string& path);
  // A fresh Ed25519 private key as PKCS#8 PEM.
  static core::StatusOr<std::string> generatePrivateKeyPem();

  const NoteVerifier& verifier() const { return verifier_; }
  // `text` must end in a newline; returns text + "\n" + the signature line.
  core::StatusOr<std::string> sign(std::string_view text) const;

 private:
  struct Key;
  std::shared_ptr<Key> key_;  // EVP_PKEY, shared by copies (OpenSSL keys are thread-safe to use)
  NoteVerifier verifier_;
};

// The body of a checkpoint note.
struct Checkpoint {
  std::string origin;
  uint64_t size = 0;
  merkle::Hash root{};
  std::vector<std::string> extensions;  // optional extension lines, in order
};

std::string formatCheckpoint(const Checkpoint& checkpoint);
// A tree size as the C2SP formats write it: a decimal number of at most 19 digits without leading
// zeros. kInvalidArgument otherwise.
core::StatusOr<uint64_t> parseTreeSize(std::string_view text);
core::StatusOr<Checkpoint> parseCheckpoint(std::string_view text);

// Parses a signed checkpoint note, checks the signature of `verifier` and that its origin is
// `origin`. kInvalidArgument for a malformed note, kUnauthenticated for a bad signature.
core::StatusOr<Checkpoint> openCheckpoint(std::string_view note, const NoteVerifier& verifier,
                                          const std::string& origin);

}  // namespace brygga::audit

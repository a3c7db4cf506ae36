// libFuzzer target for the audit log's parsers of outside input: signed notes and checkpoints (an
// auditor's saved checkpoint given to `audit verify --checkpoint`), verifier keys (`--key`) and
// base64. None may crash, hang or assert; what parses must keep its invariants.
#include <string>

#include "gateway/audit/merkle.h"
#include "gateway/audit/signed_note.h"
#include "gateway/core/base64.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace brygga::audit;
  using brygga::fuzz::require;
  static const auto verifier =
      NoteVerifier::fromVkey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  const std::string_view text = brygga::fuzz::asText(data, size);

  auto note = parseSignedNote(text);
  if (note.isOk()) {
    require(!note->signatures.empty());
    require(!note->text.empty() && note->text.back() == '\n');
    // Arbitrary notes mostly fail to verify; the fuzzer looks for crashes, not for answers.
    verifier->verify(*note).ignoreError();
    auto checkpoint = parseCheckpoint(note->text);
    if (checkpoint.isOk()) require(formatCheckpoint(*checkpoint) == note->text);
  }
  openCheckpoint(text, *verifier, "PeterNeumann").ignoreError();  // crashes only, as above
  auto checkpoint = parseCheckpoint(text);
  if (checkpoint.isOk()) require(formatCheckpoint(*checkpoint) == text);
  auto key = NoteVerifier::fromVkey(text);
  if (key.isOk()) require(key->vkey() == text);
  auto decoded = brygga::core::base64Decode(text);
  if (decoded.isOk())
    require(brygga::core::base64Encode(*decoded) == text);  // one spelling per value
  auto hash = merkle::fromBase64(text);
  if (hash.isOk()) require(merkle::toBase64(*hash) == text);
  auto hex = merkle::fromHex(text);
  if (hex.isOk()) require(merkle::toHex(*hex).size() == text.size());
  return 0;
}

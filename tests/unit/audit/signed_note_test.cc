#include "gateway/audit/signed_note.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/core/base64.h"
#include "gateway/core/digest.h"
#include "tests/support/test_support.h"

namespace brygga::audit {
namespace {

using ::testing::HasSubstr;

constexpr const char* kOrigin = "brygga.test/audit";

NoteSigner newSigner(const std::string& name = kOrigin) {
  auto pem = NoteSigner::generatePrivateKeyPem();
  EXPECT_TRUE(pem.isOk());
  auto signer = NoteSigner::fromPrivateKeyPem(name, *pem);
  EXPECT_TRUE(signer.isOk()) << signer.status().toString();
  return *signer;
}

Checkpoint sampleCheckpoint() {
  Checkpoint c;
  c.origin = kOrigin;
  c.size = 1234;
  c.root = merkle::leafHash("root");
  return c;
}

TEST(SignedNote, VerifiesTheGoNotePackageExample) {
  // The example of golang.org/x/mod/sumdb/note, signed by an independent implementation.
  auto verifier =
      NoteVerifier::fromVkey("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  ASSERT_TRUE(verifier.isOk()) << verifier.status().toString();
  const std::string text =
      "If you think cryptography is the answer to your problem,\n"
      "then you don't know what your problem is.\n";
  const std::string note = text +
                           "\n\xE2\x80\x94 PeterNeumann "
                           "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqd"
                           "ngotpRZb6KE6RyyBwJnAM=\n";
  auto parsed = parseSignedNote(note);
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->text, text);
  EXPECT_TRUE(verifier->verify(*parsed).isOk());
  std::string changed = note;
  changed[3] = 'Y';
  auto reparsed = parseSignedNote(changed);
  ASSERT_TRUE(reparsed.isOk());
  EXPECT_EQ(verifier->verify(*reparsed).code(), core::StatusCode::kUnauthenticated);
}

TEST(SignedNote, KeyIdAndVerifierKeyFollowTheSpec) {
  const NoteSigner signer = newSigner();
  const NoteVerifier& v = signer.verifier();
  const std::string vkey = v.vkey();
  // name+id+base64(0x01 || key), id = SHA-256(name || \n || 0x01 || key)[:4]
  ASSERT_EQ(vkey.rfind(std::string(kOrigin) + "+", 0), 0u);
  // The key part follows the second '+' (base64 may contain '+' itself).
  const std::string keyPart = vkey.substr(vkey.find('+', std::string(kOrigin).size() + 1) + 1);
  auto key = core::base64Decode(keyPart);
  ASSERT_TRUE(key.isOk());
  ASSERT_EQ(key->size(), 33u);
  EXPECT_EQ((*key)[0], '\x01');
  const std::string digest = core::sha256(std::string(kOrigin) + "\n" + *key);
  EXPECT_EQ(vkey.substr(std::string(kOrigin).size() + 1, 8), core::toHex(digest.substr(0, 4)));

  auto again = NoteVerifier::fromVkey(vkey);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->keyId(), v.keyId());
  auto fromPem = NoteVerifier::fromPublicKeyPem(kOrigin, v.publicKeyPem());
  ASSERT_TRUE(fromPem.isOk()) << fromPem.status().toString();
  EXPECT_EQ(fromPem->vkey(), vkey);
  EXPECT_THAT(v.publicKeyPem(), HasSubstr("BEGIN PUBLIC KEY"));

  // A vkey whose id does not match is refused.
  std::string wrongId = vkey;
  wrongId[std::string(kOrigin).size() + 1] =
      wrongId[std::string(kOrigin).size() + 1] == 'a' ? 'b' : 'a';
  EXPECT_FALSE(NoteVerifier::fromVkey(wrongId).isOk());
  EXPECT_FALSE(NoteVerifier::fromVkey("no-plus-signs").isOk());
}

TEST(SignedNote, CheckpointSignatureVerifiesAndAChangedByteFails) {
  const NoteSigner signer = newSigner();
  const std::string body = formatCheckpoint(sampleCheckpoint());
  auto note = signer.sign(body);
  ASSERT_TRUE(note.isOk()) << note.status().toString();
  EXPECT_EQ(note->rfind(body + "\n\xE2\x80\x94 " + kOrigin + " ", 0), 0u) << *note;

  auto opened = openCheckpoint(*note, signer.verifier(), kOrigin);
  ASSERT_TRUE(opened.isOk()) << opened.status().toString();
  EXPECT_EQ(opened->size, 1234u);
  EXPECT_EQ(opened->root, sampleCheckpoint().root);

  // Every byte of the text and of the signature matters.
  for (size_t i = 0; i < note->size(); ++i) {
    std::string changed = *note;
    if (changed[i] == '\n') continue;
    changed[i] = static_cast<char>(changed[i] ^ 0x01);
    EXPECT_FALSE(openCheckpoint(changed, signer.verifier(), kOrigin).isOk()) << "byte " << i;
  }
  // Another key, another origin.
  EXPECT_EQ(openCheckpoint(*note, newSigner().verifier(), kOrigin).status().code(),
            core::StatusCode::kUnauthenticated);
  EXPECT_FALSE(openCheckpoint(*note, signer.verifier(), "other/audit").isOk());
}

TEST(SignedNote, FormatAndParseCheckpoints) {
  Checkpoint c = sampleCheckpoint();
  c.extensions = {"Timestamp: 1795428900000"};
  const std::string text = formatCheckpoint(c);
  EXPECT_EQ(text, std::string(kOrigin) + "\n1234\n" + merkle::toBase64(c.root) +
                      "\nTimestamp: 1795428900000\n");
  auto parsed = parseCheckpoint(text);
  ASSERT_TRUE(parsed.isOk());
  EXPECT_EQ(parsed->origin, kOrigin);
  EXPECT_EQ(parsed->size, 1234u);
  EXPECT_EQ(parsed->extensions, c.extensions);
  const std::string root = merkle::toBase64(c.root);
  for (const std::string& bad : std::vector<std::string>{
           std::string("o\n12\n"), "o\n012\n" + root + "\n", "o\n-1\n" + root + "\n",
           "o\n12\n" + root, "\n12\n" + root + "\n", std::string("o\n12\nAAAA\n")}) {
    EXPECT_FALSE(parseCheckpoint(bad).isOk()) << bad;
  }
}

TEST(SignedNote, MalformedNotesAreRefused) {
  const NoteSigner signer = newSigner();
  const std::string note = *signer.sign("hello\n");
  EXPECT_TRUE(parseSignedNote(note).isOk());
  EXPECT_FALSE(parseSignedNote("hello\n").isOk());  // no signatures
  EXPECT_FALSE(parseSignedNote("hello\n\n-- x AAAA\n").isOk());
  EXPECT_FALSE(parseSignedNote(note.substr(0, note.size() - 1)).isOk());
  EXPECT_FALSE(parseSignedNote("he\x01llo" + note.substr(5)).isOk());
  EXPECT_FALSE(signer.sign("no newline").isOk());
  EXPECT_FALSE(signer.sign("blank\n\nline\n").isOk());
  EXPECT_FALSE(isValidKeyName("a+b"));
  EXPECT_FALSE(isValidKeyName("a b"));
  EXPECT_FALSE(
      isValidKeyName("a\xC2\xA0"
                     "b"));
  EXPECT_FALSE(isValidKeyName(""));
  EXPECT_TRUE(isValidKeyName("brygga.region-halland.se/audit"));
}

TEST(SignedNote, LoadOrCreateWritesAPrivateKeyOnceWithMode0600) {
  testing::TempDir dir;
  const std::string path = dir.file("audit-signing.key");
  auto first = NoteSigner::loadOrCreate(kOrigin, path);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = NoteSigner::loadOrCreate(kOrigin, path);
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(second->verifier().vkey(), first->verifier().vkey());

  std::ofstream(dir.file("garbage.key")) << "not a key";
  auto garbage = NoteSigner::loadOrCreate(kOrigin, dir.file("garbage.key"));
  ASSERT_FALSE(garbage.isOk());
  EXPECT_THAT(garbage.status().message(), HasSubstr("garbage.key"));
  EXPECT_FALSE(NoteSigner::loadOrCreate(kOrigin, dir.file("no/such/dir/key")).isOk());
}

}  // namespace
}  // namespace brygga::audit

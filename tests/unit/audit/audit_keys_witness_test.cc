// Key rotation (audit_keys.h) and the witness push (witness.h) on a real SQLite store.
#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/audit/audit_keys.h"
#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/audit/audit_verifier.h"
#include "gateway/audit/witness.h"
#include "gateway/core/base64.h"
#include "gateway/core/digest.h"
#include "gateway/store/sqlite_store.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_support.h"

namespace brygga::audit {
namespace {

using ::testing::HasSubstr;

constexpr const char* kOrigin = "brygga.test/audit";

void append(store::Store& store, int count) {
  core::Status s = store.write([&](store::StoreTransaction& txn) {
    for (int i = 0; i < count; ++i) {
      AuditContext c;
      c.recordedMs = 1795428900000 + i;
      c.subtype = "read";
      c.action = 'R';
      c.clientId = "varberg";
      c.requestId = "req-" + std::to_string(i);
      auto seq = AuditTrail::append(txn, c);
      if (!seq.isOk()) return seq.status();
    }
    return core::Status::ok();
  });
  ASSERT_TRUE(s.isOk()) << s.toString();
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

struct StoreFixture : ::testing::Test {
  void SetUp() override {
    store::SqliteOptions options;
    options.path = dir.file("brygga.db");
    auto opened = store::openSqliteStore(options);
    ASSERT_TRUE(opened.isOk()) << opened.status().toString();
    store = std::move(opened).value();
  }
  // An AuditLog as the gateway makes it: the current key, reloaded after a rotation.
  std::unique_ptr<AuditLog> gatewayLog() {
    auto signer = loadCurrentSigner(*store, kOrigin, keyFile());
    EXPECT_TRUE(signer.isOk()) << signer.status().toString();
    auto log = std::make_unique<AuditLog>(*store, *signer, kOrigin, clock);
    store::Store* s = store.get();
    const std::string file = keyFile();
    log->setSignerReloader([s, file] { return loadCurrentSigner(*s, kOrigin, file); });
    EXPECT_TRUE(log->open().isOk());
    return log;
  }
  std::string keyFile() const { return dir.file("audit-signing.key"); }
  // A checkpoint of the first `size` records signed by `signer`, stored as an attacker with
  // write access to the database would.
  void appendCheckpoint(const NoteSigner& signer, uint64_t size) {
    std::vector<merkle::Hash> leaves;
    const auto records = store->auditLog().auditRecords(1, static_cast<int>(size));
    for (const auto& r : *records) {
      leaves.push_back(merkle::leafHash(r.json));
    }
    Checkpoint body;
    body.origin = kOrigin;
    body.size = size;
    body.root = merkle::rootHash(leaves);
    store::AuditCheckpoint row;
    row.treeSize = static_cast<int64_t>(size);
    row.rootHash = merkle::toHex(body.root);
    row.note = *signer.sign(formatCheckpoint(body));
    ASSERT_TRUE(store
                    ->write([&](store::StoreTransaction& txn) {
                      return txn.auditLog().appendAuditCheckpoint(row);
                    })
                    .isOk());
  }
  AuditVerifyResult verify(const NoteVerifier& key) {
    AuditVerifyOptions options;
    options.origin = kOrigin;
    options.key = key;
    auto result = verifyAuditLog(*store, options);
    EXPECT_TRUE(result.isOk()) << result.status().toString();
    return *result;
  }

  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::SimulatedTimeSystem clock{1795428900000};
  std::ostringstream logText;
  core::Logger logger{logText};
};

using AuditKeysTest = StoreFixture;

TEST_F(AuditKeysTest, VerifyPassesAcrossARotationFromEitherKey) {
  auto log = gatewayLog();
  const NoteVerifier oldKey = log->verifier();
  append(*store, 5);
  ASSERT_TRUE(log->checkpoint().isOk());

  append(*store, 2);  // not yet signed: the rotation's last old-key checkpoint covers them
  auto rotated = rotateSigningKey(*store, kOrigin, keyFile(), clock);
  ASSERT_TRUE(rotated.isOk()) << rotated.status().toString();
  EXPECT_EQ(rotated->oldVkey, oldKey.vkey());
  EXPECT_EQ(rotated->lastOldCheckpointSize, 7);
  EXPECT_EQ(rotated->validFromSize, 8);
  EXPECT_FALSE(std::ifstream(keyFile() + ".next").good());

  // The running log still holds the old key; its next checkpoint notices and uses the new one.
  append(*store, 3);
  auto made = log->checkpoint();
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  ASSERT_TRUE(made->has_value());
  EXPECT_EQ((*made)->treeSize, 10);
  auto newKey = NoteVerifier::fromVkey(rotated->newVkey);
  ASSERT_TRUE(newKey.isOk());
  EXPECT_EQ(log->verifier().vkey(), newKey->vkey());
  auto note = parseSignedNote((*made)->note);
  ASSERT_TRUE(note.isOk());
  EXPECT_TRUE(newKey->verify(*note).isOk());
  EXPECT_FALSE(oldKey.verify(*note).isOk());

  // Trust follows the rotation note both ways.
  for (const NoteVerifier& anchor : {oldKey, *newKey}) {
    const AuditVerifyResult result = verify(anchor);
    EXPECT_TRUE(result.intact()) << result.problem;
    EXPECT_EQ(result.checkpointsChecked, 3);  // sizes 5 and 7 (old key), 10 (new key)
  }
  // The default of `audit verify`: the key file now holds the new key.
  auto current = loadCurrentSigner(*store, kOrigin, keyFile());
  ASSERT_TRUE(current.isOk());
  EXPECT_EQ(current->verifier().vkey(), newKey->vkey());
}

TEST_F(AuditKeysTest, ACheckpointSignedByAnUnknownKeyFails) {
  auto log = gatewayLog();
  append(*store, 4);
  ASSERT_TRUE(log->checkpoint().isOk());
  append(*store, 2);
  // Someone with another key signs a checkpoint of the (genuine) records and stores it.
  auto pem = NoteSigner::generatePrivateKeyPem();
  auto stranger = NoteSigner::fromPrivateKeyPem(kOrigin, *pem);
  appendCheckpoint(*stranger, 6);
  // The gateway itself never builds on it.
  append(*store, 1);
  auto refused = log->checkpoint();
  EXPECT_THAT(refused.status().message(), HasSubstr("is not signed by this log's key"));
  const AuditVerifyResult result = verify(log->verifier());
  EXPECT_FALSE(result.intact());
  EXPECT_THAT(result.problem, HasSubstr("checkpoint of size 6 is not genuine"));
  EXPECT_EQ(result.checkpointsChecked, 0);
}

TEST_F(AuditKeysTest, AKeySlippedIntoTheTableWithoutTheOldKeysBlessingIsNotTrusted) {
  auto log = gatewayLog();
  const NoteVerifier genuine = log->verifier();
  append(*store, 3);
  ASSERT_TRUE(log->checkpoint().isOk());
  // An attacker records their own key as a "rotation", signing the note with it alone.
  auto pem = NoteSigner::generatePrivateKeyPem();
  auto attacker = NoteSigner::fromPrivateKeyPem(kOrigin, *pem);
  const std::string text =
      rotationNoteText(kOrigin, genuine.vkey(), attacker->verifier().vkey(), 4);
  const std::string note = *attacker->sign(text);
  core::Status s = store->write([&](store::StoreTransaction& txn) -> core::Status {
    BRYGGA_RETURN_IF_ERROR(txn.auditLog().appendAuditKey({1, genuine.vkey(), 1, 1, ""}));
    return txn.auditLog().appendAuditKey({2, attacker->verifier().vkey(), 4, 2, note});
  });
  ASSERT_TRUE(s.isOk()) << s.toString();
  append(*store, 2);
  appendCheckpoint(*attacker, 5);
  const AuditVerifyResult result = verify(genuine);
  EXPECT_FALSE(result.intact());
  EXPECT_THAT(result.problem, HasSubstr("no trusted signing key covers tree size 5"));
  EXPECT_THAT(result.problem, HasSubstr("rotation note of key 2 does not verify"));
}

TEST_F(AuditKeysTest, ARotationCutShortIsFinishedAtTheNextStart) {
  auto log = gatewayLog();
  append(*store, 2);
  const std::string oldPem = readFile(keyFile());
  auto rotated = rotateSigningKey(*store, kOrigin, keyFile(), clock);
  ASSERT_TRUE(rotated.isOk());
  // As if the process died after recording the rotation, before moving the key into place.
  writeFile(keyFile() + ".next", readFile(keyFile()));
  writeFile(keyFile(), oldPem);
  auto current = loadCurrentSigner(*store, kOrigin, keyFile());
  ASSERT_TRUE(current.isOk()) << current.status().toString();
  EXPECT_EQ(current->verifier().vkey(), rotated->newVkey);
  EXPECT_FALSE(std::ifstream(keyFile() + ".next").good());
  // A key file that is neither: refused, nothing signed with it.
  writeFile(keyFile(), *NoteSigner::generatePrivateKeyPem());
  EXPECT_EQ(loadCurrentSigner(*store, kOrigin, keyFile()).status().code(),
            core::StatusCode::kInvalidArgument);
}

// --- The witness ---------------------------------------------------------------------------

struct WitnessTest : StoreFixture {
  std::unique_ptr<WitnessPusher> pusher(AuditLog& log) {
    adapters::HttpPeer d;
    d.baseUrl = url();
    d.timeoutMs = 5000;
    return std::make_unique<WitnessPusher>(log, *store, url(), adapters::makeCurlHttpClient(d), 50,
                                           clock, logger);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(peer.port()) + "/w"; }

  struct Body {
    uint64_t oldSize = 0;
    std::vector<merkle::Hash> proof;
    std::string note;
  };
  static Body parseBody(const std::string& body) {
    Body out;
    std::istringstream in(body);
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line.rfind("old ", 0), 0u) << body;
    out.oldSize = std::stoull(line.substr(4));
    while (std::getline(in, line) && !line.empty()) {
      auto h = merkle::fromBase64(line);
      EXPECT_TRUE(h.isOk()) << line;
      if (h.isOk()) out.proof.push_back(*h);
    }
    out.note = body.substr(static_cast<size_t>(in.tellg()));
    return out;
  }

  testing::TestPeer peer;
};

TEST_F(WitnessTest, CheckpointsGoToTheWitnessWithConsistencyProofsThatVerify) {
  auto log = gatewayLog();
  peer.setHandler([](const testing::TestPeer::Request&) {
    testing::TestPeer::Response r;
    r.body =
        "\xE2\x80\x94 witness.example/w AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
    return r;
  });
  auto witness = pusher(*log);
  append(*store, 5);
  ASSERT_TRUE(log->checkpoint().isOk());
  ASSERT_TRUE(witness->runOnce().isOk());
  append(*store, 6);
  auto second = log->checkpoint();
  ASSERT_TRUE(second.isOk());
  ASSERT_TRUE(witness->runOnce().isOk());
  EXPECT_TRUE(witness->runOnce().isOk());  // nothing new: no request

  const auto requests = peer.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].uri, "/w/add-checkpoint");
  const Body first = parseBody(requests[0].body);
  EXPECT_EQ(first.oldSize, 0u);
  EXPECT_TRUE(first.proof.empty());
  const Body next = parseBody(requests[1].body);
  EXPECT_EQ(next.oldSize, 5u);
  EXPECT_EQ(next.note, (*second)->note);
  // What a witness does: both notes verify with the log's key, the proof links the roots.
  auto c1 = openCheckpoint(first.note, log->verifier(), kOrigin);
  auto c2 = openCheckpoint(next.note, log->verifier(), kOrigin);
  ASSERT_TRUE(c1.isOk() && c2.isOk());
  EXPECT_TRUE(merkle::verifyConsistency(c1->size, c2->size, c1->root, c2->root, next.proof));
  auto flipped = next.proof;
  flipped[0][0] ^= 1;
  EXPECT_FALSE(merkle::verifyConsistency(c1->size, c2->size, c1->root, c2->root, flipped));

  auto stored = store->auditLog().latestAuditWitness(url());
  ASSERT_TRUE(stored.isOk() && stored->has_value());
  EXPECT_EQ((*stored)->treeSize, 11);
  EXPECT_THAT((*stored)->cosignatures, HasSubstr("witness.example/w"));
  EXPECT_EQ(witness->state().witnessedSize, 11);
  EXPECT_THAT(witness->stateJson(), HasSubstr("\"witnessedSize\":11"));
}

TEST_F(WitnessTest, AConflictRestartsFromTheWitnessSizeAndFailuresAreRetried) {
  auto log = gatewayLog();
  int calls = 0;
  peer.setHandler([&](const testing::TestPeer::Request&) {
    testing::TestPeer::Response r;
    ++calls;
    if (calls == 1) {
      r.status = 503;
    } else if (calls == 2) {
      r.status = 409;  // it cosigned size 3 before (the gateway lost that answer)
      r.body = "3\n";
      r.headers["Content-Type"] = "text/x.tlog.size";
    } else {
      r.body = "\xE2\x80\x94 w AAAA\n";
    }
    return r;
  });
  auto witness = pusher(*log);
  append(*store, 3);
  ASSERT_TRUE(log->checkpoint().isOk());
  append(*store, 4);
  ASSERT_TRUE(log->checkpoint().isOk());
  EXPECT_FALSE(witness->runOnce().isOk());
  EXPECT_THAT(witness->state().lastError, HasSubstr("503"));
  ASSERT_TRUE(witness->runOnce().isOk());
  const auto requests = peer.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(parseBody(requests[1].body).oldSize, 0u);
  const Body retried = parseBody(requests[2].body);
  EXPECT_EQ(retried.oldSize, 3u);
  EXPECT_FALSE(retried.proof.empty());
  EXPECT_EQ(witness->state().witnessedSize, 7);
  EXPECT_TRUE(witness->state().lastError.empty());
}

// A witness's cosigning key, as a witness would hold it (OpenSSL, independent of the gateway).
struct TestCosigner {
  explicit TestCosigner(std::string keyName) : name(std::move(keyName)) {
    key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    unsigned char pub[32];
    size_t length = sizeof pub;
    EVP_PKEY_get_raw_public_key(key, pub, &length);
    publicKey.assign(reinterpret_cast<char*>(pub), length);
    const std::string digest = core::sha256(name + "\n" + std::string(1, '\x04') + publicKey);
    keyId = digest.substr(0, 4);
    char hex[9];
    std::snprintf(hex, sizeof hex, "%02x%02x%02x%02x", static_cast<unsigned char>(keyId[0]),
                  static_cast<unsigned char>(keyId[1]), static_cast<unsigned char>(keyId[2]),
                  static_cast<unsigned char>(keyId[3]));
    vkey = name + "+" + hex + "+" + core::base64Encode(std::string(1, '\x04') + publicKey);
  }
  ~TestCosigner() { EVP_PKEY_free(key); }
  // The cosignature line for a checkpoint's note text, at `timestamp`.
  std::string cosign(const std::string& text, uint64_t timestamp) const {
    const std::string message = "cosignature/v1\ntime " + std::to_string(timestamp) + "\n" + text;
    unsigned char sig[64];
    size_t length = sizeof sig;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key);
    EVP_DigestSign(ctx, sig, &length, reinterpret_cast<const unsigned char*>(message.data()),
                   message.size());
    EVP_MD_CTX_free(ctx);
    std::string ts(8, '\0');
    for (int i = 0; i < 8; ++i) ts[7 - i] = static_cast<char>((timestamp >> (8 * i)) & 0xff);
    return "\xE2\x80\x94 " + name + " " +
           core::base64Encode(keyId + ts + std::string(reinterpret_cast<char*>(sig), length)) +
           "\n";
  }
  std::string name, publicKey, keyId, vkey;
  EVP_PKEY* key = nullptr;
};

TEST_F(WitnessTest, WithTheWitnessKeyOnlyAValidCosignatureCounts) {
  auto log = gatewayLog();
  TestCosigner witnessKey("witness.example/w1");
  TestCosigner impostor("witness.example/w1");
  bool honest = false;
  peer.setHandler([&](const testing::TestPeer::Request& request) {
    const Body body = parseBody(request.body);
    const std::string text = parseSignedNote(body.note)->text;
    testing::TestPeer::Response r;
    r.body = (honest ? witnessKey : impostor).cosign(text, 1795428900);
    return r;
  });
  auto cosigner = CosignatureVerifier::fromVkey(witnessKey.vkey);
  ASSERT_TRUE(cosigner.isOk()) << cosigner.status().toString();
  adapters::HttpPeer d;
  d.baseUrl = url();
  WitnessPusher witness(*log, *store, url(), adapters::makeCurlHttpClient(d), 50, clock, logger,
                        *cosigner);
  append(*store, 3);
  ASSERT_TRUE(log->checkpoint().isOk());
  auto refused = witness.runOnce();
  EXPECT_FALSE(refused.isOk());
  EXPECT_THAT(refused.message(), HasSubstr("no valid cosignature by witness.example/w1"));
  EXPECT_FALSE(store->auditLog().latestAuditWitness(url())->has_value());

  honest = true;
  ASSERT_TRUE(witness.runOnce().isOk());
  EXPECT_EQ(witness.state().witnessedSize, 3);
  EXPECT_TRUE(witness.state().cosignatureVerified);
  EXPECT_THAT(witness.stateJson(), HasSubstr("\"cosignatureVerified\":true"));

  // A vkey whose id does not match its key is refused as configuration.
  std::string wrongId = witnessKey.vkey;
  wrongId[wrongId.find('+') + 1] = wrongId[wrongId.find('+') + 1] == '0' ? '1' : '0';
  EXPECT_FALSE(CosignatureVerifier::fromVkey(wrongId).isOk());
}

}  // namespace
}  // namespace brygga::audit

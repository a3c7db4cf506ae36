// Tampering with the audit log in the database file itself, as someone with access to the file
// would: the SQLite file is opened directly (the append-only triggers dropped first) and
// verifyAuditLog must catch every change and name the first bad record.
#include <sqlite3.h>

#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/audit/audit_verifier.h"
#include "gateway/audit/merkle.h"
#include "gateway/core/time_source.h"
#include "gateway/store/sqlite_store.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_support.h"

namespace brygga::audit {
namespace {

using ::testing::HasSubstr;

constexpr const char* kOrigin = "brygga.test/audit";

AuditContext contextFor(int n, const std::string& client = "halmstad") {
  AuditContext c;
  c.recordedMs = 1795428900000 + n * 1000;
  c.subtype = "read";
  c.action = 'R';
  c.httpStatus = n % 10 == 0 ? 403 : 200;
  c.clientId = client;
  c.clientTenant = client;
  c.clientRole = "municipal";
  c.clientAddress = "10.0.0.7:4431";
  c.requestId = "req-" + std::to_string(n);
  c.patient = "Patient/p" + std::to_string(n % 7);
  c.entities = {*c.patient};
  return c;
}

// Direct SQL on the database file, outside Brygga.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  void exec(const std::string& sql) {
    char* error = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << sql << ": " << (error ? error : "");
    sqlite3_free(error);
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return out;
  }
  // What an attacker does first: the append-only triggers stand in the way of UPDATE/DELETE.
  void dropTriggers() {
    for (const char* t :
         {"audit_no_update", "audit_no_delete", "audit_leaf_no_update", "audit_leaf_no_delete",
          "audit_checkpoint_no_update", "audit_checkpoint_no_delete"}) {
      exec(std::string("DROP TRIGGER ") + t);
    }
  }
  // Recomputes the chain from `fromSeq` to the end, as a careful attacker would; with `leaves`
  // the Merkle leaf hashes too.
  void rechain(int64_t fromSeq, bool leaves) {
    std::string prev = text("SELECT hash FROM audit WHERE seq = " + std::to_string(fromSeq - 1));
    if (fromSeq == 1) prev = std::string(64, '0');
    const int64_t last = std::stoll(text("SELECT MAX(seq) FROM audit"));
    for (int64_t seq = fromSeq; seq <= last; ++seq) {
      const std::string where = " WHERE seq = " + std::to_string(seq);
      const std::string json = text("SELECT json FROM audit" + where);
      const std::string hash = AuditTrail::chainHash(prev, json);
      exec("UPDATE audit SET prev_hash = '" + prev + "', hash = '" + hash + "'" + where);
      if (leaves) {
        exec("UPDATE audit_leaf SET leaf_hash = '" + merkle::toHex(merkle::leafHash(json)) + "'" +
             where);
      }
      prev = hash;
    }
  }

 private:
  sqlite3* db_ = nullptr;
};

class AuditTamperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pem = NoteSigner::generatePrivateKeyPem();
    auto signer = NoteSigner::fromPrivateKeyPem(kOrigin, *pem);
    ASSERT_TRUE(signer.isOk());
    signer_ = std::make_unique<NoteSigner>(*signer);
    // 310 records; checkpoints signed at 100, 200 and 300 (the last 10 not yet signed).
    auto store = open();
    AuditLog log(*store, *signer_, kOrigin, clock_);
    ASSERT_TRUE(log.open().isOk());
    for (int batch = 0; batch < 3; ++batch) {
      append(*store, batch * 100 + 1, batch * 100 + 100);
      auto made = log.checkpoint();
      ASSERT_TRUE(made.isOk()) << made.status().toString();
      notes_.push_back((*made)->note);
    }
    append(*store, 301, 310);
  }

  std::unique_ptr<store::Store> open() {
    store::SqliteOptions options;
    options.path = dir_.file("brygga.db");
    auto store = store::openSqliteStore(options);
    EXPECT_TRUE(store.isOk()) << store.status().toString();
    return std::move(store).value();
  }

  void append(store::Store& store, int from, int to, const std::string& client = "halmstad") {
    core::Status s = store.write([&](store::StoreTransaction& txn) {
      for (int i = from; i <= to; ++i) {
        auto seq = AuditTrail::append(txn, contextFor(i, client));
        if (!seq.isOk()) return seq.status();
      }
      return core::Status::ok();
    });
    ASSERT_TRUE(s.isOk()) << s.toString();
  }

  AuditVerifyResult verify(std::vector<std::string> given = {}) {
    auto store = open();
    AuditVerifyOptions options;
    options.origin = kOrigin;
    options.key = signer_->verifier();
    options.checkpoints = std::move(given);
    auto result = verifyAuditLog(*store, options);
    EXPECT_TRUE(result.isOk()) << result.status().toString();
    return result.isOk() ? *result : AuditVerifyResult{};
  }

  RawDb raw() { return RawDb(dir_.file("brygga.db")); }

  testing::TempDir dir_;
  testing::SimulatedTimeSystem clock_{1795428900000};
  std::unique_ptr<NoteSigner> signer_;
  std::vector<std::string> notes_;
};

TEST_F(AuditTamperTest, AnUntouchedLogIsIntact) {
  const AuditVerifyResult r = verify({notes_[0]});
  EXPECT_TRUE(r.intact()) << r.problem;
  EXPECT_EQ(r.recordsChecked, 310);
  EXPECT_EQ(r.checkpointsChecked, 3);
  EXPECT_EQ(r.latestCheckpointSize, 300);
  EXPECT_EQ(r.firstBadSeq, 0);
}

TEST_F(AuditTamperTest, AChangedEventIsNamed) {
  {
    RawDb db = raw();
    db.dropTriggers();
    db.exec("UPDATE audit SET json = replace(json, 'halmstad', 'hylte---') WHERE seq = 150");
  }
  const AuditVerifyResult r = verify();
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.firstBadSeq, 150);
  EXPECT_THAT(r.problem, HasSubstr("record 150 does not match its hash"));
}

TEST_F(AuditTamperTest, AChangedEventWithARecomputedChainIsNamedByItsLeaf) {
  {
    RawDb db = raw();
    db.dropTriggers();
    db.exec(
        "UPDATE audit SET json = replace(json, '\"outcome\":\"4\"', '\"outcome\":\"0\"')"
        " WHERE seq = 150");
    db.rechain(150, false);
  }
  const AuditVerifyResult r = verify();
  EXPECT_EQ(r.firstBadSeq, 150) << r.problem;
  EXPECT_THAT(r.problem, HasSubstr("Merkle leaf"));
}

TEST_F(AuditTamperTest, AConsistentlyRewrittenLogFailsAgainstTheSignedCheckpoint) {
  {
    RawDb db = raw();
    db.dropTriggers();
    db.exec(
        "UPDATE audit SET json = replace(json, '\"outcome\":\"4\"', '\"outcome\":\"0\"')"
        " WHERE seq = 150");
    db.rechain(150, true);  // chain and leaves: only the signatures can tell
  }
  const AuditVerifyResult r = verify();
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.firstBadSeq, 101);  // after the checkpoint of 100, which still matches
  EXPECT_THAT(r.problem, HasSubstr("the signed checkpoint of size 200"));
  EXPECT_THAT(r.problem, HasSubstr("records 101..200"));
}

TEST_F(AuditTamperTest, ADeletedRecordIsNamed) {
  {
    RawDb db = raw();
    db.dropTriggers();
    db.exec("DELETE FROM audit_leaf WHERE seq = 150");
    db.exec("DELETE FROM audit WHERE seq = 150");
  }
  const AuditVerifyResult r = verify();
  EXPECT_EQ(r.firstBadSeq, 150);
  EXPECT_THAT(r.problem, HasSubstr("record 150 is missing"));
}

TEST_F(AuditTamperTest, ADeletedRecordWithTheRestRenumberedIsNamed) {
  {
    RawDb db = raw();
    db.dropTriggers();
    db.exec("DELETE FROM audit_leaf WHERE seq = 150");
    db.exec("DELETE FROM audit WHERE seq = 150");
    for (const char* table : {"audit", "audit_leaf"}) {
      db.exec(std::string("UPDATE ") + table + " SET seq = -(seq - 1) WHERE seq > 150");
      db.exec(std::string("UPDATE ") + table + " SET seq = -seq WHERE seq < 0");
    }
  }
  const AuditVerifyResult r = verify();
  EXPECT_EQ(r.firstBadSeq, 150) << r.problem;
}

TEST_F(AuditTamperTest, AnInsertedRecordIsNamed) {
  {
    RawDb db = raw();
    db.dropTriggers();
    for (const char* table : {"audit", "audit_leaf"}) {
      db.exec(std::string("UPDATE ") + table + " SET seq = -(seq + 1) WHERE seq >= 150");
      db.exec(std::string("UPDATE ") + table + " SET seq = -seq WHERE seq < 0");
    }
    // A well-formed record in the gap, linked to its predecessor, with its leaf.
    const std::string prev = db.text("SELECT hash FROM audit WHERE seq = 149");
    const std::string json = buildAuditEvent(contextFor(9999, "laholm"), "150");
    db.exec(
        "INSERT INTO audit (seq, recorded_ms, json, prev_hash, hash, patient) VALUES (150, 0, '" +
        json + "', '" + prev + "', '" + AuditTrail::chainHash(prev, json) + "', 'Patient/p1')");
    db.exec("INSERT INTO audit_leaf (seq, leaf_hash) VALUES (150, '" +
            merkle::toHex(merkle::leafHash(json)) + "')");
  }
  const AuditVerifyResult r = verify();
  EXPECT_EQ(r.firstBadSeq, 150) << r.problem;
  EXPECT_THAT(r.problem, HasSubstr("record 150 was inserted"));
}

TEST_F(AuditTamperTest, SwappedRecordsAreNamed) {
  {
    RawDb db = raw();
    db.dropTriggers();
    db.exec("UPDATE audit SET seq = -1 WHERE seq = 120");
    db.exec("UPDATE audit SET seq = 120 WHERE seq = 180");
    db.exec("UPDATE audit SET seq = 180 WHERE seq = -1");
  }
  const AuditVerifyResult r = verify();
  EXPECT_EQ(r.firstBadSeq, 120) << r.problem;
}

TEST_F(AuditTamperTest, ATruncatedLogIsCaught) {
  {
    RawDb db = raw();
    db.dropTriggers();
    db.exec("DELETE FROM audit_leaf WHERE seq > 250");
    db.exec("DELETE FROM audit WHERE seq > 250");
  }
  const AuditVerifyResult r = verify();
  EXPECT_EQ(r.firstBadSeq, 251) << r.problem;
  EXPECT_THAT(r.problem, HasSubstr("truncated"));
  EXPECT_THAT(r.problem, HasSubstr("records 251..300"));
}

TEST_F(AuditTamperTest, RemovingUnsignedRecordsButNotTheirLeavesIsCaught) {
  {
    RawDb db = raw();
    db.dropTriggers();
    db.exec("DELETE FROM audit WHERE seq > 305");  // after the last checkpoint
  }
  const AuditVerifyResult r = verify();
  EXPECT_EQ(r.firstBadSeq, 306) << r.problem;
  EXPECT_THAT(r.problem, HasSubstr("truncated"));
}

TEST_F(AuditTamperTest, ATruncationHiddenByRemovingCheckpointsIsCaughtByASavedCheckpoint) {
  {
    RawDb db = raw();
    db.dropTriggers();
    db.exec("DELETE FROM audit_leaf WHERE seq > 250");
    db.exec("DELETE FROM audit WHERE seq > 250");
    db.exec("DELETE FROM audit_checkpoint WHERE tree_size > 250");
  }
  EXPECT_TRUE(verify().intact());                   // nothing in the file shows it...
  const AuditVerifyResult r = verify({notes_[2]});  // ...but the auditor kept checkpoint 300
  EXPECT_EQ(r.firstBadSeq, 251) << r.problem;
  EXPECT_THAT(r.problem, HasSubstr("the given checkpoint of size 300"));
}

TEST_F(AuditTamperTest, AChangedCheckpointIsCaught) {
  {
    RawDb db = raw();
    db.dropTriggers();
    // One byte of the root in the note.
    const std::string note = db.text("SELECT note FROM audit_checkpoint WHERE tree_size = 200");
    std::string changed = note;
    const size_t root = changed.find('\n', changed.find('\n') + 1) + 1;
    changed[root] = changed[root] == 'A' ? 'B' : 'A';
    db.exec("UPDATE audit_checkpoint SET note = '" + changed + "' WHERE tree_size = 200");
  }
  const AuditVerifyResult r = verify();
  EXPECT_FALSE(r.intact());
  EXPECT_EQ(r.firstBadSeq, 0);
  EXPECT_THAT(r.problem, HasSubstr("checkpoint of size 200 is not genuine"));
}

TEST_F(AuditTamperTest, ACheckpointOfAnotherLogIsASplitView) {
  // The same key signed a different log of 100 records (a fork shown to someone else).
  testing::TempDir other;
  store::SqliteOptions options;
  options.path = other.file("brygga.db");
  auto store = store::openSqliteStore(options);
  ASSERT_TRUE(store.isOk());
  append(**store, 1, 100, "varberg");
  AuditLog log(**store, *signer_, kOrigin, clock_);
  ASSERT_TRUE(log.open().isOk());
  auto fork = log.checkpoint();
  ASSERT_TRUE(fork.isOk());
  const AuditVerifyResult r = verify({(*fork)->note});
  EXPECT_FALSE(r.intact());
  EXPECT_THAT(r.problem, HasSubstr("different roots"));
}

TEST_F(AuditTamperTest, WithoutTheKeyTheCheckpointsCannotBeTrusted) {
  auto store = open();
  AuditVerifyOptions options;
  options.origin = kOrigin;
  auto result = verifyAuditLog(*store, options);
  ASSERT_FALSE(result.isOk());
  EXPECT_THAT(result.status().message(), HasSubstr("public key"));

  auto pem = NoteSigner::generatePrivateKeyPem();
  options.key = NoteSigner::fromPrivateKeyPem(kOrigin, *pem)->verifier();  // someone else's key
  auto wrongKey = verifyAuditLog(*store, options);
  ASSERT_TRUE(wrongKey.isOk());
  EXPECT_THAT(wrongKey->problem, HasSubstr("not genuine"));
}

}  // namespace
}  // namespace brygga::audit

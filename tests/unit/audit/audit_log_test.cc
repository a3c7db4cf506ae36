#include "gateway/audit/audit_log.h"

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/audit/audit_trail.h"
#include "gateway/audit/checkpointer.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_store.h"

namespace brygga::audit {
namespace {

using ::testing::HasSubstr;

constexpr const char* kOrigin = "brygga.test/audit";

AuditContext contextFor(int n, const std::string& client = "halmstad") {
  AuditContext c;
  c.recordedMs = 1795428900000 + n;
  c.subtype = "read";
  c.action = 'R';
  c.httpStatus = 200;
  c.clientId = client;
  c.clientTenant = client;
  c.requestId = "req-" + std::to_string(n);
  c.patient = "Patient/p" + std::to_string(n % 7);
  return c;
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

NoteSigner signer() {
  auto pem = NoteSigner::generatePrivateKeyPem();
  auto s = NoteSigner::fromPrivateKeyPem(kOrigin, *pem);
  EXPECT_TRUE(s.isOk());
  return *s;
}

// The leaf hashes a reader would compute from the records themselves.
std::vector<merkle::Hash> leavesOf(store::Store& store) {
  std::vector<merkle::Hash> out;
  const auto records = store.auditLog().auditRecords(1, 1 << 30);
  for (const auto& r : *records) out.push_back(merkle::leafHash(r.json));
  return out;
}

struct AuditLogTest : ::testing::Test {
  testing::TestStore store;
  testing::SimulatedTimeSystem clock{1795428900000};
  NoteSigner key = signer();
  AuditLog log{store, key, kOrigin, clock};
};

TEST_F(AuditLogTest, AppendStoresTheLeafHashOfTheRecordAsStored) {
  append(store, 1, 3);
  auto leaves = store.auditLog().auditLeaves(1, 10);
  ASSERT_TRUE(leaves.isOk());
  ASSERT_EQ(leaves->size(), 3u);
  const auto records = *store.auditLog().auditRecords(1, 10);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*leaves)[i].seq, records[i].seq);
    EXPECT_EQ((*leaves)[i].leafHash, merkle::toHex(merkle::leafHash(records[i].json)));
  }
}

TEST_F(AuditLogTest, CheckpointIsSignedAndCommitsToTheRecords) {
  ASSERT_TRUE(log.open().isOk());
  auto none = log.checkpoint();
  ASSERT_TRUE(none.isOk());
  EXPECT_FALSE(none->has_value());  // nothing to sign in an empty log

  append(store, 1, 300);  // past one block of the tree
  auto made = log.checkpoint();
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  ASSERT_TRUE(made->has_value());
  EXPECT_EQ((*made)->treeSize, 300);

  auto opened = openCheckpoint((*made)->note, log.verifier(), kOrigin);
  ASSERT_TRUE(opened.isOk()) << opened.status().toString();
  EXPECT_EQ(opened->size, 300u);
  EXPECT_EQ(opened->root, merkle::rootHash(leavesOf(store)));
  EXPECT_EQ((*made)->rootHash, merkle::toHex(opened->root));

  // Nothing new: the same checkpoint, none stored twice.
  auto again = log.checkpoint();
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ((*again)->note, (*made)->note);
  EXPECT_EQ(store.auditLog().auditCheckpoints(0, 10)->size(), 1u);
}

TEST_F(AuditLogTest, ProofsVerifyAgainstSignedCheckpoints) {
  ASSERT_TRUE(log.open().isOk());
  append(store, 1, 37);
  auto first = log.checkpoint();
  ASSERT_TRUE(first.isOk());
  append(store, 38, 600);
  auto second = log.checkpoint();
  ASSERT_TRUE(second.isOk());
  auto cp1 = openCheckpoint((*first)->note, log.verifier(), kOrigin);
  auto cp2 = openCheckpoint((*second)->note, log.verifier(), kOrigin);
  ASSERT_TRUE(cp1.isOk() && cp2.isOk());

  const std::vector<merkle::Hash> leaves = leavesOf(store);
  for (uint64_t seq : {uint64_t{1}, uint64_t{37}, uint64_t{256}, uint64_t{257}, uint64_t{600}}) {
    auto proof = log.inclusionProof(seq, 600);
    ASSERT_TRUE(proof.isOk()) << proof.status().toString();
    EXPECT_EQ(proof->leafIndex, seq - 1);
    EXPECT_EQ(proof->leafHash, leaves[seq - 1]);
    EXPECT_TRUE(merkle::verifyInclusion(seq - 1, 600, proof->leafHash, proof->hashes, cp2->root));
  }
  auto old = log.inclusionProof(5, 37);
  ASSERT_TRUE(old.isOk());
  EXPECT_TRUE(merkle::verifyInclusion(4, 37, leaves[4], old->hashes, cp1->root));

  auto consistency = log.consistencyProof(37, 600);
  ASSERT_TRUE(consistency.isOk());
  EXPECT_TRUE(merkle::verifyConsistency(37, 600, cp1->root, cp2->root, *consistency));

  EXPECT_EQ(log.inclusionProof(0, 600).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(log.inclusionProof(601, 600).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(log.inclusionProof(5, 601).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(log.consistencyProof(0, 600).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(log.consistencyProof(601, 600).status().code(), core::StatusCode::kInvalidArgument);
}

TEST_F(AuditLogTest, RefusesToSignAChangedRecord) {
  ASSERT_TRUE(log.open().isOk());
  append(store, 1, 10);
  ASSERT_TRUE(log.checkpoint().isOk());
  append(store, 11, 20);
  store.editAudit([](std::vector<store::AuditRecord>& records) {
    records[14].json.replace(records[14].json.find("halmstad"), 8, "laholm!!");
  });
  auto refused = log.checkpoint();
  ASSERT_FALSE(refused.isOk());
  EXPECT_THAT(refused.status().message(), HasSubstr("record 15"));
  EXPECT_EQ((*store.auditLog().latestAuditCheckpoint())->treeSize, 10);
}

TEST_F(AuditLogTest, RefusesToSignALogThatNoLongerMatchesTheLastCheckpoint) {
  ASSERT_TRUE(log.open().isOk());
  append(store, 1, 10);
  auto signed10 = log.checkpoint();
  ASSERT_TRUE(signed10.isOk());
  // A log rewritten consistently (other events, chain and leaves recomputed: every check on the
  // records themselves passes) under the checkpoint signed for the original, as a restarted
  // gateway would find it.
  testing::TestStore forged;
  append(forged, 1, 12, "varberg");
  ASSERT_TRUE(forged
                  .write([&](store::StoreTransaction& txn) {
                    return txn.auditLog().appendAuditCheckpoint(**signed10);
                  })
                  .isOk());
  AuditLog restarted(forged, key, kOrigin, clock);
  ASSERT_TRUE(restarted.open().isOk());
  auto refused = restarted.checkpoint();
  ASSERT_FALSE(refused.isOk());
  EXPECT_THAT(refused.status().message(), HasSubstr("no longer match the checkpoint"));
  EXPECT_EQ((*forged.auditLog().latestAuditCheckpoint())->treeSize, 10);
  // Nor does it build on a checkpoint another key signed.
  AuditLog otherKey(forged, signer(), kOrigin, clock);
  ASSERT_TRUE(otherKey.open().isOk());
  EXPECT_THAT(otherKey.checkpoint().status().message(),
              HasSubstr("is not signed by this log's key"));
}

TEST_F(AuditLogTest, RefusesToSignATruncatedLog) {
  ASSERT_TRUE(log.open().isOk());
  append(store, 1, 10);
  ASSERT_TRUE(log.checkpoint().isOk());
  store.editAudit([](std::vector<store::AuditRecord>& records) { records.resize(8); });
  AuditLog restarted(store, signer(), kOrigin, clock);
  ASSERT_TRUE(restarted.open().isOk());
  auto refused = restarted.checkpoint();
  ASSERT_FALSE(refused.isOk());
  EXPECT_THAT(refused.status().message(), HasSubstr("removed"));
}

TEST_F(AuditLogTest, OpenGivesOldRecordsTheirLeaves) {
  // Records as an older build wrote them: no leaf hash.
  ASSERT_TRUE(store
                  .write([&](store::StoreTransaction& txn) {
                    std::string prev(64, '0');
                    for (int i = 1; i <= 5; ++i) {
                      store::AuditRecord r;
                      r.seq = i;
                      r.json = buildAuditEvent(contextFor(i), std::to_string(i));
                      r.prevHash = prev;
                      r.hash = AuditTrail::chainHash(prev, r.json);
                      prev = r.hash;
                      BRYGGA_RETURN_IF_ERROR(txn.auditLog().appendAudit(r));
                    }
                    return core::Status::ok();
                  })
                  .isOk());
  EXPECT_TRUE(store.auditLog().auditLeaves(1, 10)->empty());
  ASSERT_TRUE(log.open().isOk());
  const auto leaves = store.auditLog().auditLeaves(1, 10);
  ASSERT_EQ(leaves->size(), 5u);
  const auto records = store.auditLog().auditRecords(1, 10);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ((*leaves)[i].leafHash, merkle::toHex(merkle::leafHash((*records)[i].json)));
  }
  append(store, 6, 7);
  auto made = log.checkpoint();
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  auto opened = openCheckpoint((*made)->note, log.verifier(), kOrigin);
  EXPECT_EQ(opened->root, merkle::rootHash(leavesOf(store)));
}

TEST_F(AuditLogTest, CheckpointerSignsBySizeAndByInterval) {
  std::ostringstream logText;
  core::Logger logger(logText);
  ASSERT_TRUE(log.open().isOk());
  audit::AuditConfig config;
  config.checkpointEveryRecords = 50;
  config.checkpointIntervalMs = 60000;
  Checkpointer checkpointer(log, config, clock, logger);

  append(store, 1, 49);
  checkpointer.runOnce();
  EXPECT_FALSE(
      store.auditLog().latestAuditCheckpoint()->has_value());  // neither enough nor old enough
  append(store, 50, 50);
  checkpointer.runOnce();
  ASSERT_TRUE(store.auditLog().latestAuditCheckpoint()->has_value());
  EXPECT_EQ((*store.auditLog().latestAuditCheckpoint())->treeSize, 50);

  append(store, 51, 55);
  checkpointer.runOnce();  // the interval starts now
  clock.advance(std::chrono::milliseconds(59999));
  checkpointer.runOnce();
  EXPECT_EQ((*store.auditLog().latestAuditCheckpoint())->treeSize, 50);
  clock.advance(std::chrono::milliseconds(1));
  checkpointer.runOnce();
  EXPECT_EQ((*store.auditLog().latestAuditCheckpoint())->treeSize, 55);
  EXPECT_THAT(logText.str(), HasSubstr("\"reason\":\"interval\""));
}

TEST_F(AuditLogTest, CheckpointerSignsWhatIsLeftWhenStopped) {
  std::ostringstream logText;
  core::Logger logger(logText);
  ASSERT_TRUE(log.open().isOk());
  Checkpointer checkpointer(log, audit::AuditConfig{}, clock, logger);
  checkpointer.start();
  append(store, 1, 3);
  checkpointer.stop();
  ASSERT_TRUE(store.auditLog().latestAuditCheckpoint()->has_value());
  EXPECT_EQ((*store.auditLog().latestAuditCheckpoint())->treeSize, 3);
}

}  // namespace
}  // namespace brygga::audit

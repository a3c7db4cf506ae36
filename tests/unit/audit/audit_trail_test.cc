#include "gateway/audit/audit_trail.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/core/digest.h"
#include "tests/support/test_store.h"

namespace brygga::audit {
namespace {

using ::testing::HasSubstr;

AuditContext contextFor(int n, const std::string& patient) {
  AuditContext c;
  c.recordedMs = 1795428900000 + n;
  c.subtype = "create";
  c.action = 'C';
  c.httpStatus = 201;
  c.clientId = "varberg-vsys";
  c.clientTenant = "varberg";
  c.requestId = "req-" + std::to_string(n);
  c.patient = patient;
  c.entities = {patient};
  return c;
}

// Appends `n` records, each in its own write unit.
void appendRecords(store::Store& store, int n) {
  for (int i = 1; i <= n; ++i) {
    core::Status s = store.write([&](store::StoreTransaction& txn) {
      auto seq = AuditTrail::append(txn, contextFor(i, i % 2 ? "Patient/a" : "Patient/b"));
      if (!seq.isOk()) return seq.status();
      EXPECT_EQ(*seq, i);
      return core::Status::ok();
    });
    ASSERT_TRUE(s.isOk()) << s.toString();
  }
}

// Appends `n` records in one write unit (a long chain, quickly).
void appendInOneUnit(store::Store& store, int n) {
  core::Status s = store.write([&](store::StoreTransaction& txn) {
    for (int i = 1; i <= n; ++i) {
      auto seq = AuditTrail::append(txn, contextFor(i, "Patient/a"));
      if (!seq.isOk()) return seq.status();
    }
    return core::Status::ok();
  });
  ASSERT_TRUE(s.isOk()) << s.toString();
}

std::vector<store::AuditRecord> allRecords(store::Store& store) {
  auto records = store.auditLog().auditRecords(1, 1000000);
  EXPECT_TRUE(records.isOk());
  return records.isOk() ? *records : std::vector<store::AuditRecord>{};
}

TEST(AuditTrail, ChainHashIsSha256OfPreviousHashBytesAndJson) {
  const std::string zeros(64, '0');
  EXPECT_EQ(AuditTrail::chainHash(zeros, "{}"), core::sha256Hex(std::string(32, '\0') + "{}"));
  const std::string prev = core::sha256Hex("x");
  EXPECT_EQ(AuditTrail::chainHash(prev, "{\"a\":1}"),
            core::sha256Hex(core::sha256("x") + "{\"a\":1}"));
  EXPECT_NE(AuditTrail::chainHash(prev, "{}"), AuditTrail::chainHash(zeros, "{}"));
}

TEST(AuditTrail, AppendLinksRecordsIntoAChain) {
  testing::TestStore store;
  appendRecords(store, 3);
  auto records = allRecords(store);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].prevHash, std::string(64, '0'));
  EXPECT_EQ(records[1].prevHash, records[0].hash);
  EXPECT_EQ(records[2].prevHash, records[1].hash);
  for (const auto& r : records) {
    EXPECT_EQ(r.hash, AuditTrail::chainHash(r.prevHash, r.json));
    EXPECT_THAT(r.json, HasSubstr(R"("resourceType":"AuditEvent")"));
  }
  EXPECT_EQ(records[0].patient, "Patient/a");
  EXPECT_EQ(records[1].patient, "Patient/b");
  EXPECT_EQ(records[0].recordedMs, 1795428900001);
  // Every event has its own id.
  EXPECT_NE(records[0].json.substr(0, 80), records[1].json.substr(0, 80));
}

TEST(AuditTrail, AppendIsPartOfTheCallersWriteUnit) {
  testing::TestStore store;
  appendRecords(store, 1);
  core::Status s = store.write([](store::StoreTransaction& txn) {
    auto seq = AuditTrail::append(txn, contextFor(2, "Patient/a"));
    EXPECT_TRUE(seq.isOk());
    return core::conflict("the surrounding work failed");
  });
  EXPECT_FALSE(s.isOk());
  EXPECT_EQ(allRecords(store).size(), 1u);
}

TEST(AuditTrail, IntactChainVerifies) {
  testing::TestStore store;
  appendRecords(store, 5);
  auto result = AuditTrail::verify(store);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->recordsChecked, 5);
  EXPECT_EQ(result->firstBadSeq, 0);
  EXPECT_TRUE(result->problem.empty());
}

TEST(AuditTrail, EmptyChainVerifies) {
  testing::TestStore store;
  auto result = AuditTrail::verify(store);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->recordsChecked, 0);
  EXPECT_EQ(result->firstBadSeq, 0);
}

TEST(AuditTrail, VerifyPagesThroughLongChains) {
  testing::TestStore store;
  appendInOneUnit(store, 2105);
  store.editAudit([](std::vector<store::AuditRecord>& log) { log[2049].json += " "; });
  auto result = AuditTrail::verify(store);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->firstBadSeq, 2050);
  EXPECT_EQ(result->recordsChecked, 2050);
}

TEST(AuditTrail, VerifyDetectsAChangedEvent) {
  testing::TestStore store;
  appendRecords(store, 5);
  store.editAudit([](std::vector<store::AuditRecord>& log) {
    std::string& json = log[2].json;
    json.replace(json.find("\"outcome\":\"0\""), 13, "\"outcome\":\"4\"");
  });
  auto result = AuditTrail::verify(store);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->firstBadSeq, 3);
  EXPECT_THAT(result->problem, HasSubstr("hash of record 3"));
}

TEST(AuditTrail, VerifyDetectsAChangedEventWhoseHashWasRecomputed) {
  testing::TestStore store;
  appendRecords(store, 5);
  store.editAudit([](std::vector<store::AuditRecord>& log) {
    store::AuditRecord& r = log[2];
    r.json.replace(r.json.find("Patient/a"), 9, "Patient/z");
    r.hash = AuditTrail::chainHash(r.prevHash, r.json);
  });
  auto result = AuditTrail::verify(store);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->firstBadSeq, 4);  // the next record no longer links to it
  EXPECT_THAT(result->problem, HasSubstr("prevHash of record 4"));
}

TEST(AuditTrail, VerifyDetectsADeletedRecord) {
  testing::TestStore store;
  appendRecords(store, 5);
  store.editAudit(
      [](std::vector<store::AuditRecord>& log) { log.erase(log.begin() + 2); });  // seq 3
  auto result = AuditTrail::verify(store);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->firstBadSeq, 3);
  EXPECT_EQ(result->recordsChecked, 2);
  EXPECT_THAT(result->problem, HasSubstr("record 3 is missing"));
}

TEST(AuditTrail, VerifyDetectsADeletedFirstRecord) {
  testing::TestStore store;
  appendRecords(store, 3);
  store.editAudit([](std::vector<store::AuditRecord>& log) { log.erase(log.begin()); });
  auto result = AuditTrail::verify(store);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->firstBadSeq, 1);
}

TEST(AuditTrail, VerifyDetectsAChangedPrevHash) {
  testing::TestStore store;
  appendRecords(store, 5);
  store.editAudit([](std::vector<store::AuditRecord>& log) {
    store::AuditRecord& r = log[3];  // seq 4
    r.prevHash = core::sha256Hex("forged");
    r.hash = AuditTrail::chainHash(r.prevHash, r.json);  // self-consistent, but unlinked
  });
  auto result = AuditTrail::verify(store);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->firstBadSeq, 4);
  EXPECT_THAT(result->problem, HasSubstr("prevHash of record 4"));
}

TEST(AuditTrail, VerifyDetectsAForgedStartOfTheChain) {
  testing::TestStore store;
  appendRecords(store, 2);
  store.editAudit([](std::vector<store::AuditRecord>& log) {
    log[0].prevHash = core::sha256Hex("forged");
    log[0].hash = AuditTrail::chainHash(log[0].prevHash, log[0].json);
  });
  auto result = AuditTrail::verify(store);
  ASSERT_TRUE(result.isOk());
  EXPECT_EQ(result->firstBadSeq, 1);
}

TEST(AuditTrail, AppendRefusesToExtendADamagedHash) {
  testing::TestStore store;
  appendRecords(store, 1);
  store.editAudit([](std::vector<store::AuditRecord>& log) { log[0].hash = "not-a-hash"; });
  core::Status s = store.write([](store::StoreTransaction& txn) {
    auto seq = AuditTrail::append(txn, contextFor(2, "Patient/a"));
    return seq.isOk() ? core::Status::ok() : seq.status();
  });
  EXPECT_EQ(s.code(), core::StatusCode::kInternal);
  EXPECT_EQ(allRecords(store).size(), 1u);
}

}  // namespace
}  // namespace brygga::audit

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<int64_t> idsOf(const std::vector<OutboxEntry>& entries) {
  std::vector<int64_t> ids;
  for (const OutboxEntry& e : entries) ids.push_back(e.id);
  return ids;
}

TEST(OutboxStateTest, RoundTripsThroughItsStoredForm) {
  for (OutboxState s : {OutboxState::kPending, OutboxState::kDelivered, OutboxState::kDead}) {
    EXPECT_EQ(parseOutboxState(toString(s)).value(), s);
  }
  EXPECT_STREQ(toString(OutboxState::kDead), "dead");
  EXPECT_EQ(parseOutboxState("Pending").status().code(), core::StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, EnqueuedEntryIsStoredWithIncreasingIds) {
  OutboxEntry e = outboxEntry("regional", "Patient/p1", 5000);
  e.attempts = 0;
  auto first = enqueue(e);
  auto second = enqueue(outboxEntry("regional", "Patient/p2", 5000));
  ASSERT_TRUE(first.isOk() && second.isOk());
  EXPECT_GT(*second, *first);

  auto stored = store_->outbox().outboxEntry(*first);
  ASSERT_TRUE(stored.isOk() && stored->has_value());
  const OutboxEntry& got = **stored;
  EXPECT_EQ(got.id, *first);
  EXPECT_EQ(got.destination, "regional");
  EXPECT_EQ(got.orderingKey, "Patient/p1");
  EXPECT_EQ(got.requestId, "req-Patient/p1");
  EXPECT_EQ(got.tenant, "kungsbacka");
  EXPECT_EQ(got.payload, e.payload);
  EXPECT_EQ(got.state, OutboxState::kPending);
  EXPECT_EQ(got.createdMs, 1000);
  EXPECT_EQ(got.nextAttemptMs, 5000);
  EXPECT_FALSE(store_->outbox().outboxEntry(*second + 100)->has_value());
}

TEST_P(StoreTest, DueOutboxHoldsBackOnlyTheKeyOfAnEntryThatIsNotDue) {
  // A1 is waiting for a retry at t=9000; A2 behind it must wait, B1/B2 must not.
  int64_t a1 = enqueueOrFail(outboxEntry("regional", "Patient/A", 9000));
  int64_t b1 = enqueueOrFail(outboxEntry("regional", "Patient/B", 0));
  int64_t a2 = enqueueOrFail(outboxEntry("regional", "Patient/A", 0));
  int64_t b2 = enqueueOrFail(outboxEntry("regional", "Patient/B", 0));
  int64_t other = enqueueOrFail(outboxEntry("municipal", "Patient/A", 0));

  auto due = store_->outbox().dueOutbox("regional", 5000, 10);
  ASSERT_TRUE(due.isOk()) << due.status().toString();
  EXPECT_THAT(idsOf(*due), ElementsAre(b1));  // B2 waits for B1, A2 waits for A1

  // B1 delivered: B2 is next; A still blocked.
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) {
                    return txn.outbox().updateOutbox(b1, OutboxState::kDelivered, 1, 0, "");
                  })
                  .isOk());
  EXPECT_THAT(idsOf(*store_->outbox().dueOutbox("regional", 5000, 10)), ElementsAre(b2));

  // A1's retry time comes: A1 and B2 are due, in id order.
  EXPECT_THAT(idsOf(*store_->outbox().dueOutbox("regional", 9000, 10)), ElementsAre(a1, b2));
  EXPECT_THAT(idsOf(*store_->outbox().dueOutbox("regional", 9000, 1)), ElementsAre(a1));

  // A1 dead-lettered: it no longer holds A2 back.
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) {
                    return txn.outbox().updateOutbox(a1, OutboxState::kDead, 7, 0,
                                                     "HTTP 422 from peer");
                  })
                  .isOk());
  EXPECT_THAT(idsOf(*store_->outbox().dueOutbox("regional", 5000, 10)), ElementsAre(a2, b2));

  // The other destination has its own queue for the same key.
  EXPECT_THAT(idsOf(*store_->outbox().dueOutbox("municipal", 0, 10)), ElementsAre(other));
  EXPECT_THAT(idsOf(*store_->outbox().dueOutbox("nowhere", 9000, 10)), IsEmpty());
}

TEST_P(StoreTest, EntriesWithoutOrderingKeyDoNotWaitForEachOther) {
  int64_t first = enqueueOrFail(outboxEntry("regional", "", 9000));
  int64_t second = enqueueOrFail(outboxEntry("regional", "", 0));
  EXPECT_THAT(idsOf(*store_->outbox().dueOutbox("regional", 5000, 10)), ElementsAre(second));
  EXPECT_THAT(idsOf(*store_->outbox().dueOutbox("regional", 9000, 10)), ElementsAre(first, second));
}

TEST_P(StoreTest, UpdateOutboxRecordsTheAttempt) {
  int64_t id = enqueueOrFail(outboxEntry("regional", "Patient/A", 0));
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) {
                    return txn.outbox().updateOutbox(id, OutboxState::kPending, 3, 42000,
                                                     "connection refused");
                  })
                  .isOk());
  auto entry = store_->outbox().outboxEntry(id);
  ASSERT_TRUE(entry.isOk() && entry->has_value());
  EXPECT_EQ((*entry)->state, OutboxState::kPending);
  EXPECT_EQ((*entry)->attempts, 3);
  EXPECT_EQ((*entry)->nextAttemptMs, 42000);
  EXPECT_EQ((*entry)->lastError, "connection refused");
  EXPECT_THAT(idsOf(*store_->outbox().dueOutbox("regional", 41999, 10)), IsEmpty());
  EXPECT_THAT(idsOf(*store_->outbox().dueOutbox("regional", 42000, 10)), ElementsAre(id));

  core::Status missing = store_->write([&](StoreTransaction& txn) {
    return txn.outbox().updateOutbox(id + 1, OutboxState::kDead, 1, 0, "");
  });
  EXPECT_EQ(missing.code(), core::StatusCode::kNotFound);
}

TEST_P(StoreTest, OutboxListsByDestinationAndState) {
  int64_t a = enqueueOrFail(outboxEntry("regional", "k1", 0));
  int64_t b = enqueueOrFail(outboxEntry("regional", "k2", 0));
  int64_t c = enqueueOrFail(outboxEntry("regional", "k3", 0));
  enqueueOrFail(outboxEntry("municipal", "k1", 0));
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) {
                    BRYGGA_RETURN_IF_ERROR(
                        txn.outbox().updateOutbox(a, OutboxState::kDelivered, 1, 0, ""));
                    return txn.outbox().updateOutbox(c, OutboxState::kDead, 9, 0, "gave up");
                  })
                  .isOk());
  EXPECT_THAT(idsOf(*store_->outbox().entries("regional", std::nullopt, 10)), ElementsAre(a, b, c));
  EXPECT_THAT(idsOf(*store_->outbox().entries("regional", std::nullopt, 2)), ElementsAre(a, b));
  EXPECT_THAT(idsOf(*store_->outbox().entries("regional", OutboxState::kPending, 10)),
              ElementsAre(b));
  EXPECT_THAT(idsOf(*store_->outbox().entries("regional", OutboxState::kDead, 10)), ElementsAre(c));
  EXPECT_THAT(idsOf(*store_->outbox().entries("regional", OutboxState::kDelivered, 10)),
              ElementsAre(a));
}

TEST_P(StoreTest, EnqueueNeedsADestination) {
  EXPECT_EQ(enqueue(outboxEntry("", "k", 0)).status().code(), core::StatusCode::kInvalidArgument);
}

AuditRecord auditRecord(int64_t seq, const std::string& prevHash, const std::string& patient = "") {
  AuditRecord r;
  r.seq = seq;
  r.recordedMs = 1000 * seq;
  r.json = R"({"resourceType":"AuditEvent","n":)" + std::to_string(seq) + "}";
  r.prevHash = prevHash;
  r.hash = std::string(63, 'a') + std::to_string(seq % 10);
  r.patient = patient;
  return r;
}

TEST_P(StoreTest, AuditAppendsOnlyTheNextSeqChainedToTheLastHash) {
  auto append = [&](const AuditRecord& r) {
    return store_->write([&](StoreTransaction& txn) { return txn.auditLog().appendAudit(r); });
  };
  ASSERT_TRUE(store_
                  ->write([](StoreTransaction& txn) {
                    auto last = txn.auditLog().lastAudit();
                    EXPECT_TRUE(last.isOk());
                    if (last.isOk()) {
                      EXPECT_EQ(last->seq, 0);
                      EXPECT_TRUE(last->hash.empty());
                    }
                    return core::Status::ok();
                  })
                  .isOk());

  EXPECT_EQ(append(auditRecord(2, std::string(64, '0'))).code(), core::StatusCode::kConflict);
  AuditRecord r1 = auditRecord(1, std::string(64, '0'), "Patient/p1");
  ASSERT_TRUE(append(r1).isOk());
  EXPECT_EQ(append(r1).code(), core::StatusCode::kConflict);                       // seq 1 again
  EXPECT_EQ(append(auditRecord(3, r1.hash)).code(), core::StatusCode::kConflict);  // gap
  core::Status unlinked = append(auditRecord(2, std::string(64, 'f')));
  EXPECT_EQ(unlinked.code(), core::StatusCode::kConflict);
  EXPECT_THAT(unlinked.message(), HasSubstr("chain"));
  AuditRecord r2 = auditRecord(2, r1.hash);
  ASSERT_TRUE(append(r2).isOk());
  AuditRecord r3 = auditRecord(3, r2.hash, "Patient/p1");
  ASSERT_TRUE(append(r3).isOk());

  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) {
                    auto last = txn.auditLog().lastAudit();
                    EXPECT_TRUE(last.isOk());
                    if (last.isOk()) {
                      EXPECT_EQ(last->seq, 3);
                      EXPECT_EQ(last->hash, r3.hash);
                      EXPECT_EQ(last->prevHash, r2.hash);
                      EXPECT_EQ(last->json, r3.json);
                    }
                    return core::Status::ok();
                  })
                  .isOk());

  auto all = store_->auditLog().auditRecords(1, 10);
  ASSERT_TRUE(all.isOk());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].seq, 1);
  EXPECT_EQ((*all)[2].seq, 3);
  EXPECT_EQ((*all)[1].recordedMs, 2000);
  auto tail = store_->auditLog().auditRecords(2, 1);
  ASSERT_EQ(tail->size(), 1u);
  EXPECT_EQ((*tail)[0].seq, 2);

  auto forPatient = store_->auditLog().auditRecordsForPatient("Patient/p1", 10);
  ASSERT_TRUE(forPatient.isOk());
  ASSERT_EQ(forPatient->size(), 2u);
  EXPECT_EQ((*forPatient)[0].seq, 1);
  EXPECT_EQ((*forPatient)[1].seq, 3);
  EXPECT_THAT(*store_->auditLog().auditRecordsForPatient("Patient/p2", 10), IsEmpty());
  EXPECT_THAT(*store_->auditLog().auditRecordsForPatient("", 10), IsEmpty());
}

TEST_P(StoreTest, ExchangesAreFilteredAndKeptInRecordingOrder) {
  auto exchange = [](const std::string& id, const std::string& requestId, const std::string& tenant,
                     const std::string& direction) {
    ExchangeRecord r;
    r.id = id;
    r.requestId = requestId;
    r.clientId = "journal-kungsbacka";
    r.tenant = tenant;
    r.direction = direction;
    r.interaction = direction == "inbound" ? "transaction" : "deliver";
    r.resourceTypes = "Patient,CarePlan";
    r.destination = direction == "inbound" ? "" : "regional";
    r.httpStatus = direction == "inbound" ? 200 : 0;
    r.startedMs = 1000;
    r.finishedMs = 1250;
    r.payloadSha256 = std::string(64, 'c');
    r.detail = "ok";
    return r;
  };
  ASSERT_TRUE(
      store_
          ->write([&](StoreTransaction& txn) {
            BRYGGA_RETURN_IF_ERROR(
                txn.exchangeLog().recordExchange(exchange("e1", "r1", "kungsbacka", "inbound")));
            BRYGGA_RETURN_IF_ERROR(
                txn.exchangeLog().recordExchange(exchange("e2", "r1", "kungsbacka", "outbound")));
            return txn.exchangeLog().recordExchange(exchange("e3", "r2", "varberg", "inbound"));
          })
          .isOk());

  auto all = store_->exchangeLog().exchanges({});
  ASSERT_TRUE(all.isOk()) << all.status().toString();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "e1");
  EXPECT_EQ((*all)[2].id, "e3");
  const ExchangeRecord& outbound = (*all)[1];
  EXPECT_EQ(outbound.requestId, "r1");
  EXPECT_EQ(outbound.clientId, "journal-kungsbacka");
  EXPECT_EQ(outbound.destination, "regional");
  EXPECT_EQ(outbound.httpStatus, 0);
  EXPECT_EQ(outbound.resourceTypes, "Patient,CarePlan");
  EXPECT_EQ(outbound.finishedMs, 1250);
  EXPECT_EQ(outbound.payloadSha256, std::string(64, 'c'));

  auto ids = [](const std::vector<ExchangeRecord>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.id);
    return out;
  };
  ExchangeQuery q;
  q.tenant = "kungsbacka";
  EXPECT_THAT(ids(*store_->exchangeLog().exchanges(q)), ElementsAre("e1", "e2"));
  q.direction = "outbound";
  EXPECT_THAT(ids(*store_->exchangeLog().exchanges(q)), ElementsAre("e2"));
  ExchangeQuery byRequest;
  byRequest.requestId = "r2";
  EXPECT_THAT(ids(*store_->exchangeLog().exchanges(byRequest)), ElementsAre("e3"));
  ExchangeQuery limited;
  limited.limit = 1;
  EXPECT_THAT(ids(*store_->exchangeLog().exchanges(limited)), ElementsAre("e1"));
}

}  // namespace
}  // namespace brygga::store

namespace brygga::store {
namespace {

// A notification stream's events (a Subscription's) are counted in the unit that enqueues them:
// numbers without gaps, per stream, and a unit that fails counts nothing.
TEST_P(StoreTest, EventCountersAdvanceInTheirUnitPerStream) {
  EXPECT_EQ(*store_->outbox().eventCount("Subscription/a"), 0);
  std::vector<int64_t> numbers;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store_
                    ->write([&](StoreTransaction& txn) -> core::Status {
                      BRYGGA_ASSIGN_OR_RETURN(int64_t n,
                                              txn.outbox().nextEventNumber("Subscription/a"));
                      numbers.push_back(n);
                      return core::Status::ok();
                    })
                    .isOk());
  }
  EXPECT_THAT(numbers, ElementsAre(1, 2, 3));
  core::Status failed = store_->write([&](StoreTransaction& txn) -> core::Status {
    BRYGGA_ASSIGN_OR_RETURN(int64_t n, txn.outbox().nextEventNumber("Subscription/a"));
    EXPECT_EQ(n, 4);
    EXPECT_EQ(*txn.outbox().eventCount("Subscription/a"), 4);
    return core::conflict("the unit fails after counting");
  });
  EXPECT_FALSE(failed.isOk());
  EXPECT_EQ(*store_->outbox().eventCount("Subscription/a"), 3);
  EXPECT_EQ(*store_->outbox().eventCount("Subscription/b"), 0);
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) -> core::Status {
                    BRYGGA_ASSIGN_OR_RETURN(int64_t n,
                                            txn.outbox().nextEventNumber("Subscription/b"));
                    EXPECT_EQ(n, 1);
                    return core::Status::ok();
                  })
                  .isOk());
  EXPECT_EQ(*store_->outbox().eventCount("Subscription/a"), 3);
}

}  // namespace
}  // namespace brygga::store

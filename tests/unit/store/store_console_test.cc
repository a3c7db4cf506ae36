// The store under the web console (schema 4): messages linked to their outbox entries, their
// derived status, the search paths and keyset paging, the time-to-seq estimate.
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

class ConsoleStoreTest : public StoreTest {
 protected:
  // One message as the FHIR API records it: entries enqueued, then the inbound line, in one unit.
  int64_t message(int i, const std::string& tenant, const std::vector<std::string>& destinations,
                  int httpStatus = 200, int64_t atMs = 0, const std::string& kind = "") {
    const int64_t at = atMs > 0 ? atMs : 1000000 + i * 1000;
    std::vector<int64_t> ids;
    core::Status s = store_->write([&](StoreTransaction& txn) -> core::Status {
      for (const auto& destination : destinations) {
        OutboxEntry e = outboxEntry(destination, "Patient/p" + std::to_string(i % 3), at);
        e.requestId = "req-" + std::to_string(i);
        e.createdMs = at;
        BRYGGA_ASSIGN_OR_RETURN(int64_t id, txn.outbox().enqueue(e));
        ids.push_back(id);
      }
      ExchangeRecord line;
      line.id = "line-" + std::to_string(i);
      line.requestId = "req-" + std::to_string(i);
      line.clientId = tenant;
      line.tenant = tenant;
      line.direction = "inbound";
      line.interaction = "transaction";
      line.resourceTypes = "Bundle,Patient";
      line.httpStatus = httpStatus;
      line.startedMs = at;
      line.finishedMs = at + 1;
      line.message = true;
      line.patient = "Patient/p" + std::to_string(i % 3);
      line.kind = kind;
      return txn.exchangeLog().recordExchange(line);
    });
    EXPECT_TRUE(s.isOk()) << s.toString();
    outboxIds_[i] = ids;
    return ids.empty() ? 0 : ids.front();
  }

  core::Status setEntry(int64_t id, OutboxState state, int attempts) {
    return store_->write([&](StoreTransaction& txn) {
      return txn.outbox().updateOutbox(id, state, attempts, 5, "why");
    });
  }

  std::vector<std::string> requestsOf(const MessagePage& page) {
    std::vector<std::string> out;
    for (const auto& m : page.messages) out.push_back(m.line.requestId);
    return out;
  }

  std::map<int, std::vector<int64_t>> outboxIds_;
};

TEST_P(ConsoleStoreTest, StatusIsDerivedFromTheMessagesOwnEntries) {
  message(0, "kungsbacka", {});                       // accepted: nothing to forward
  message(1, "kungsbacka", {"regional"});             // queued
  message(2, "kungsbacka", {"regional"});             // retrying
  message(3, "kungsbacka", {"regional", "varberg"});  // one delivered, one dead: dead
  message(4, "kungsbacka", {}, 422);                  // rejected
  message(5, "kungsbacka", {});                       // after an enqueueing message: still accepted
  ASSERT_TRUE(setEntry(outboxIds_[2][0], OutboxState::kPending, 1).isOk());
  ASSERT_TRUE(setEntry(outboxIds_[3][0], OutboxState::kDelivered, 1).isOk());
  ASSERT_TRUE(setEntry(outboxIds_[3][1], OutboxState::kDead, 3).isOk());
  auto page = store_->exchangeLog().messages({});
  ASSERT_TRUE(page.isOk()) << page.status().toString();
  ASSERT_EQ(page->messages.size(), 6u);
  std::map<std::string, std::string> status;
  for (const auto& m : page->messages) status[m.line.requestId] = toString(m.status);
  EXPECT_EQ(status["req-0"], "accepted");
  EXPECT_EQ(status["req-1"], "queued");
  EXPECT_EQ(status["req-2"], "retrying");
  EXPECT_EQ(status["req-3"], "dead");
  EXPECT_EQ(status["req-4"], "rejected");
  EXPECT_EQ(status["req-5"], "accepted");
  auto three = store_->exchangeLog().message(page->messages[2].line.seq, true);
  ASSERT_TRUE(three.isOk());
  ASSERT_TRUE(three->has_value());
  EXPECT_EQ((*three)->outbox.size(), 2u);
  EXPECT_FALSE((*three)->outbox[0].payload.empty());
}

TEST_P(ConsoleStoreTest, AMessageKeepsItsKindAndIsFoundByIt) {
  message(0, "kungsbacka", {"regional"}, 200, 0, "enrollment");
  message(1, "kungsbacka", {}, 200, 0, "consultation");
  message(2, "kungsbacka", {}, 422, 0, "enrollment");  // refused, still named
  message(3, "kungsbacka", {});                        // no home-care message
  MessageQuery enrollments;
  enrollments.kind = "enrollment";
  auto page = store_->exchangeLog().messages(enrollments);
  ASSERT_TRUE(page.isOk()) << page.status().toString();
  EXPECT_EQ(requestsOf(*page), (std::vector<std::string>{"req-2", "req-0"}));
  auto one = store_->exchangeLog().message(page->messages.back().line.seq, false);
  ASSERT_TRUE(one.isOk());
  ASSERT_TRUE(one->has_value());
  EXPECT_EQ((*one)->line.kind, "enrollment");
  auto all = store_->exchangeLog().messages({});
  ASSERT_TRUE(all.isOk());
  ASSERT_EQ(all->messages.size(), 4u);
  EXPECT_EQ(all->messages.front().line.kind, "");
  EXPECT_EQ(all->messages[2].line.kind, "consultation");
}

TEST_P(ConsoleStoreTest, ATenantsLastMessageIsItsNewestReceivedOrNoneWhenItNeverSentOne) {
  message(0, "kungsbacka", {}, 200, 5000);
  message(1, "halmstad", {}, 200, 6000);
  message(2, "kungsbacka", {}, 422, 7000);  // refused, still received
  auto kungsbacka = store_->exchangeLog().lastMessageAt("kungsbacka");
  ASSERT_TRUE(kungsbacka.isOk()) << kungsbacka.status().toString();
  EXPECT_EQ(*kungsbacka, std::optional<int64_t>(7000));
  EXPECT_EQ(*store_->exchangeLog().lastMessageAt("halmstad"), std::optional<int64_t>(6000));
  EXPECT_EQ(*store_->exchangeLog().lastMessageAt("hylte"), std::nullopt);
  // Another store on the same database (a restart, another gateway) reads the same.
  auto again = open();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(*again->exchangeLog().lastMessageAt("kungsbacka"), std::optional<int64_t>(7000));
}

TEST_P(ConsoleStoreTest, DeadLettersOfSeveralDestinationsPageNewestFirstWithoutGaps) {
  std::vector<std::string> expected;
  for (int i = 0; i < 30; ++i) {
    const std::string destination = i % 3 == 0 ? "varberg" : "regional";
    message(i, i % 2 ? "kungsbacka" : "halmstad", {destination});
    if (i % 4 != 1) {
      ASSERT_TRUE(setEntry(outboxIds_[i][0], OutboxState::kDead, 1).isOk());
      expected.insert(expected.begin(), "req-" + std::to_string(i));
    }
  }
  MessageQuery q;
  q.status = MessageStatus::kDead;
  q.limit = 4;
  std::vector<std::string> seen;
  for (int pages = 0; pages < 20; ++pages) {
    auto page = store_->exchangeLog().messages(q);
    ASSERT_TRUE(page.isOk());
    for (const auto& r : requestsOf(*page)) seen.push_back(r);
    if (page->next.empty()) break;
    q.cursor = page->next;
  }
  EXPECT_EQ(seen, expected);
  // With a tenant too: only its dead letters, still in order.
  MessageQuery t;
  t.status = MessageStatus::kDead;
  t.tenant = "halmstad";
  auto page = store_->exchangeLog().messages(t);
  ASSERT_TRUE(page.isOk());
  for (const auto& m : page->messages) EXPECT_EQ(m.line.tenant, "halmstad");
  EXPECT_FALSE(page->messages.empty());
}

TEST_P(ConsoleStoreTest, PatientTimeRangeAndScanBound) {
  for (int i = 0; i < 12; ++i) message(i, "kungsbacka", {"regional"});
  MessageQuery byPatient;
  byPatient.patient = "Patient/p1";
  auto page = store_->exchangeLog().messages(byPatient);
  ASSERT_TRUE(page.isOk());
  EXPECT_EQ(requestsOf(*page), (std::vector<std::string>{"req-10", "req-7", "req-4", "req-1"}));
  // Received between the 4th and the 6th message (1000 ms apart).
  MessageQuery range;
  range.fromMs = 1000000 + 4 * 1000;
  range.toMs = 1000000 + 6 * 1000;
  page = store_->exchangeLog().messages(range);
  ASSERT_TRUE(page.isOk());
  EXPECT_EQ(requestsOf(*page), (std::vector<std::string>{"req-6", "req-5", "req-4"}));
  // A filter nothing matches examines at most maxScan rows and says where to go on.
  MessageQuery none;
  none.resourceType = "Condition";
  none.limit = 2;
  none.maxScan = 5;
  page = store_->exchangeLog().messages(none);
  ASSERT_TRUE(page.isOk());
  EXPECT_TRUE(page->messages.empty());
  EXPECT_FALSE(page->next.empty());
  none.cursor = page->next;
  none.maxScan = 1000;
  page = store_->exchangeLog().messages(none);
  ASSERT_TRUE(page.isOk());
  EXPECT_TRUE(page->next.empty());
}

TEST_P(ConsoleStoreTest, SeqAtFindsTheFirstLineRecordedAtOrAfterATime) {
  for (int i = 0; i < 50; ++i) message(i, "kungsbacka", {});
  auto page = store_->exchangeLog().messages({});
  ASSERT_TRUE(page.isOk());
  auto seq =
      store_->exchangeLog().exchangeSeqAt(1000000 + 20 * 1000 + 1);  // line 20 was recorded at +1
  ASSERT_TRUE(seq.isOk());
  auto m = store_->exchangeLog().message(*seq, false);
  ASSERT_TRUE(m.isOk());
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*m)->line.requestId, "req-20");
  EXPECT_EQ(*store_->exchangeLog().exchangeSeqAt(0), 1);
  EXPECT_EQ(*store_->exchangeLog().exchangeSeqAt(99999999), 51);
}

BRYGGA_STORE_CONTRACT(ConsoleStoreTest);

}  // namespace
}  // namespace brygga::store

// The store under the delivery engine (issue 5), on every backend: units that fail alone, queue
// depth, pause and resume, dead letters, replay order.
#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

using ::testing::HasSubstr;

class DeliveryStoreTest : public StoreTest {};

TEST_P(DeliveryStoreTest, ConcurrentUnitsEachGetTheirOwnResultAndOnlyFailuresAreUndone) {
  constexpr int kThreads = 8;
  constexpr int kUnitsPerThread = 40;
  std::vector<std::thread> threads;
  std::atomic<int> wrongResults{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < kUnitsPerThread; ++n) {
        const std::string id = "p" + std::to_string(t) + "-" + std::to_string(n);
        const int kind = (t + n) % 4;  // 0, 1: succeed; 2: the work fails; 3: SQL error
        core::Status s = store_->write([&](StoreTransaction& txn) -> core::Status {
          BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(resource("Patient", id, 1, 1000)));
          if (kind == 2) return core::unprocessable("refused by the work");
          // Version 1 again: the store refuses it (kConflict), and the work returns that.
          if (kind == 3) return txn.resources().putResource(resource("Patient", id, 1, 1000));
          return core::Status::ok();
        });
        const bool shouldSucceed = kind < 2;
        if (s.isOk() != shouldSucceed) ++wrongResults;
        if (kind == 2 && s.code() != core::StatusCode::kUnprocessable) ++wrongResults;
        if (kind == 3 && s.code() != core::StatusCode::kConflict) ++wrongResults;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrongResults.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int n = 0; n < kUnitsPerThread; ++n) {
      const std::string id = "p" + std::to_string(t) + "-" + std::to_string(n);
      auto found = store_->resources().read("Patient", id);
      ASSERT_TRUE(found.isOk());
      EXPECT_EQ(found->has_value(), (t + n) % 4 < 2) << id;
    }
  }
}

TEST_P(DeliveryStoreTest, AWriteInsideAWriteUnitIsRefusedNotDeadlocked) {
  core::Status inner;
  core::Status outer = store_->write([&](StoreTransaction&) {
    inner = put(resource("Patient", "nested", 1, 1000));
    return core::Status::ok();
  });
  EXPECT_TRUE(outer.isOk());
  EXPECT_EQ(inner.code(), core::StatusCode::kInternal);
}

TEST_P(DeliveryStoreTest, PendingCountFollowsEveryStateChange) {
  EXPECT_EQ(*pending("regional"), 0);
  const int64_t a = enqueueOrFail(outboxEntry("regional", "Patient/a", 0));
  const int64_t b = enqueueOrFail(outboxEntry("regional", "Patient/b", 0));
  enqueueOrFail(outboxEntry("regional", "Patient/c", 0));
  enqueueOrFail(outboxEntry("other", "Patient/a", 0));
  EXPECT_EQ(*pending("regional"), 3);
  EXPECT_EQ(*pending("other"), 1);
  ASSERT_TRUE(setState(a, OutboxState::kDelivered, 5000).isOk());
  ASSERT_TRUE(setState(b, OutboxState::kDead, 5000).isOk());
  EXPECT_EQ(*pending("regional"), 1);
  // A replay puts a dead entry back in the queue.
  ASSERT_TRUE(setState(b, OutboxState::kPending, 6000).isOk());
  EXPECT_EQ(*pending("regional"), 2);
  // A unit that is rolled back leaves the count alone.
  core::Status refused = store_->write([&](StoreTransaction& txn) -> core::Status {
    BRYGGA_RETURN_IF_ERROR(txn.outbox().enqueue(outboxEntry("regional", "Patient/d", 0)).status());
    return core::conflict("changed my mind");
  });
  EXPECT_FALSE(refused.isOk());
  EXPECT_EQ(*pending("regional"), 2);
}

TEST_P(DeliveryStoreTest, DestinationStatesShowDepthDeadLettersOldestAgeAndPause) {
  OutboxEntry first = outboxEntry("regional", "Patient/a", 0);
  first.createdMs = 1111;
  const int64_t a = enqueueOrFail(first);
  OutboxEntry second = outboxEntry("regional", "Patient/b", 0);
  second.createdMs = 2222;
  enqueueOrFail(second);
  const int64_t dead = enqueueOrFail(outboxEntry("regional", "Patient/c", 0));
  ASSERT_TRUE(setState(a, OutboxState::kDelivered, 3000).isOk());
  ASSERT_TRUE(setState(dead, OutboxState::kDead, 3000).isOk());
  ASSERT_TRUE(store_
                  ->write([&](StoreTransaction& txn) {
                    return txn.outbox().setDestinationPaused("quiet", true, 4000, "integration");
                  })
                  .isOk());

  auto states = store_->outbox().destinationStates();
  ASSERT_TRUE(states.isOk()) << states.status().toString();
  ASSERT_EQ(states->size(), 2u);
  const DestinationState& quiet = (*states)[0];
  EXPECT_EQ(quiet.destination, "quiet");
  EXPECT_TRUE(quiet.paused);
  EXPECT_EQ(quiet.changedMs, 4000);
  EXPECT_EQ(quiet.changedBy, "integration");
  EXPECT_EQ(quiet.pending, 0);
  EXPECT_EQ(quiet.oldestPendingCreatedMs, 0);
  const DestinationState& regional = (*states)[1];
  EXPECT_EQ(regional.destination, "regional");
  EXPECT_FALSE(regional.paused);
  EXPECT_EQ(regional.pending, 1);
  EXPECT_EQ(regional.dead, 1);
  EXPECT_EQ(regional.oldestPendingCreatedMs, 2222);
}

TEST_P(DeliveryStoreTest, APauseIsPersistedAndSeenByAnotherStoreOnTheFile) {
  EXPECT_FALSE(*store_->outbox().destinationPaused("regional"));
  std::unique_ptr<Store> other = open();  // as the CLI would open it
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other
                  ->write([](StoreTransaction& txn) {
                    return txn.outbox().setDestinationPaused("regional", true, 1000, "cli");
                  })
                  .isOk());
  EXPECT_TRUE(*store_->outbox().destinationPaused("regional"));
  store_.reset();
  store_ = open();
  EXPECT_TRUE(*store_->outbox().destinationPaused("regional"));
  ASSERT_TRUE(store_
                  ->write([](StoreTransaction& txn) {
                    return txn.outbox().setDestinationPaused("regional", false, 2000,
                                                             "integration");
                  })
                  .isOk());
  EXPECT_FALSE(*other->outbox().destinationPaused("regional"));
}

TEST_P(DeliveryStoreTest, DeadLettersArePagedByIdAndFilteredByDestination) {
  std::vector<int64_t> dead;
  for (int i = 0; i < 5; ++i) {
    const int64_t id = enqueueOrFail(
        outboxEntry(i == 2 ? "other" : "regional", "Patient/" + std::to_string(i), 0));
    ASSERT_TRUE(setState(id, OutboxState::kDead, 1000).isOk());
    dead.push_back(id);
  }
  enqueueOrFail(outboxEntry("regional", "Patient/live", 0));

  auto all = store_->outbox().deadLetters(std::nullopt, 0, 100);
  ASSERT_TRUE(all.isOk());
  EXPECT_EQ(all->size(), 5u);
  auto page = store_->outbox().deadLetters(std::string("regional"), 0, 2);
  ASSERT_TRUE(page.isOk());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, dead[0]);
  EXPECT_EQ((*page)[1].id, dead[1]);
  auto next = store_->outbox().deadLetters(std::string("regional"), (*page)[1].id, 10);
  ASSERT_TRUE(next.isOk());
  ASSERT_EQ(next->size(), 2u);  // dead[2] belongs to "other"
  EXPECT_EQ((*next)[0].id, dead[3]);
  EXPECT_EQ((*next)[1].id, dead[4]);
}

TEST_P(DeliveryStoreTest, DeliveredAfterTellsWhetherNewerDataOfTheKeyReachedThePeer) {
  const int64_t old = enqueueOrFail(outboxEntry("regional", "Patient/a", 0));
  const int64_t newer = enqueueOrFail(outboxEntry("regional", "Patient/a", 0));
  const int64_t otherKey = enqueueOrFail(outboxEntry("regional", "Patient/b", 0));
  ASSERT_TRUE(setState(old, OutboxState::kDead, 1000).isOk());
  ASSERT_TRUE(setState(otherKey, OutboxState::kDelivered, 1000).isOk());
  auto ask = [&](int64_t id) {
    bool answer = false;
    EXPECT_TRUE(store_
                    ->write([&](StoreTransaction& txn) -> core::Status {
                      BRYGGA_ASSIGN_OR_RETURN(
                          answer, txn.outbox().deliveredAfter("regional", "Patient/a", id));
                      return core::Status::ok();
                    })
                    .isOk());
    return answer;
  };
  EXPECT_FALSE(ask(old));
  ASSERT_TRUE(setState(newer, OutboxState::kDelivered, 2000).isOk());
  EXPECT_TRUE(ask(old));
  EXPECT_FALSE(ask(newer));
}

BRYGGA_STORE_CONTRACT(DeliveryStoreTest);

}  // namespace
}  // namespace brygga::store

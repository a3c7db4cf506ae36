// Leases among the processes sharing a store (Store::holdsLease), and readiness.
#include <gtest/gtest.h>

#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

TEST_P(StoreTest, ALeaseOnceTakenIsKept) {
  EXPECT_TRUE(store_->holdsLease("delivery:regional"));
  EXPECT_TRUE(store_->holdsLease("delivery:regional"));
  EXPECT_TRUE(store_->holdsLease("audit:checkpoints"));
}

TEST_P(StoreTest, ALeaseIsHeldByOneStoreAtATimeAndPassesOnWhenItsHolderGoes) {
  if (GetParam() == "sqlite") {
    GTEST_SKIP() << "one process serves a SQLite file (brygga.lock): it holds every lease";
  }
  std::unique_ptr<Store> other = open();  // a second gateway on the same database
  ASSERT_TRUE(store_->holdsLease("delivery:regional"));
  EXPECT_FALSE(other->holdsLease("delivery:regional"));
  EXPECT_TRUE(other->holdsLease("delivery:municipal"));  // leases are taken one by one
  EXPECT_FALSE(store_->holdsLease("delivery:municipal"));
  // Asking again does not take more of it: the holder's going frees it at once.
  EXPECT_TRUE(store_->holdsLease("delivery:regional"));
  store_.reset();
  // The server frees a session's locks as the session ends, right after the disconnect.
  EXPECT_TRUE(brygga::testing::waitUntil([&] { return other->holdsLease("delivery:regional"); }));
}

TEST_P(StoreTest, AnInstanceOnRecordIsListedWithItsLatestBeat) {
  ASSERT_TRUE(store_->recordInstance({"host-a:1", "0.1.0", 1000, 2000}).isOk());
  ASSERT_TRUE(store_->recordInstance({"host-a:1", "0.1.0", 1000, 7000}).isOk());
  auto listed = store_->instances();
  ASSERT_TRUE(listed.isOk()) << listed.status().toString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(listed->front().id, "host-a:1");
  EXPECT_EQ(listed->front().lastSeenMs, 7000);
  if (GetParam() == "sqlite") return;  // one process serves a SQLite file
  // Another gateway on the same database: both are listed, from either.
  std::unique_ptr<Store> other = open();
  ASSERT_TRUE(other->recordInstance({"host-b:2", "0.1.0", 1500, 7500}).isOk());
  auto both = store_->instances();
  ASSERT_TRUE(both.isOk());
  ASSERT_EQ(both->size(), 2u);
  EXPECT_EQ((*both)[1].id, "host-b:2");
}

TEST_P(StoreTest, AWritableStoreSaysSoAgainAndAgain) {
  for (int i = 0; i < 3; ++i) {
    const core::Status s = store_->checkWritable();
    EXPECT_TRUE(s.isOk()) << s.toString();
  }
}

}  // namespace
}  // namespace brygga::store

// Group commit under contention: every caller gets its own unit's result, a failing unit takes
// nothing of the others with it, and nobody waits forever (callers are woken one by one and the
// writer is handed from group to group, so these are the cases that would hang if a hand-over
// were lost).
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/store/store_fixture.h"

namespace brygga::store {
namespace {

TEST_F(SqliteStoreTest, ManyConcurrentWritersEachGetTheirOwnResultAndNothingOfAFailedUnitStays) {
  constexpr int kThreads = 16;
  constexpr int kUnitsPerThread = 40;
  std::atomic<int> okCount{0};
  std::atomic<int> wrongResults{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kUnitsPerThread; ++i) {
        const std::string id = "p" + std::to_string(t) + "-" + std::to_string(i);
        const bool fails = i % 7 == 3;
        const core::Status s = store_->write([&](StoreTransaction& txn) -> core::Status {
          BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(resource("Patient", id, 1, 1000 + i)));
          if (fails) return core::conflict("refused on purpose: " + id);
          return core::Status::ok();
        });
        if (s.isOk() == fails) ++wrongResults;
        if (!fails && s.isOk()) ++okCount;
        if (fails && s.message().find(id) == std::string::npos) ++wrongResults;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrongResults.load(), 0);

  int stored = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kUnitsPerThread; ++i) {
      const std::string id = "p" + std::to_string(t) + "-" + std::to_string(i);
      auto record = store_->resources().read("Patient", id, std::nullopt);
      ASSERT_TRUE(record.isOk()) << record.status().toString();
      if (i % 7 == 3) {
        EXPECT_FALSE(record->has_value()) << id << " was refused but is stored";
      } else if (record->has_value()) {
        ++stored;
      }
    }
  }
  EXPECT_EQ(stored, okCount.load());
  EXPECT_EQ(stored, kThreads * (kUnitsPerThread - kUnitsPerThread / 7 - 1));
}

TEST_F(SqliteStoreTest, ReclaimingSpaceIsNotStarvedByAContinuousStreamOfWriteUnits) {
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 8; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const std::string id = "w" + std::to_string(t) + "-" + std::to_string(i);
        if (put(resource("Patient", id, 1, 1000 + i)).isOk()) ++written;
      }
    });
  }
  ASSERT_TRUE(testing::waitUntil([&] { return written >= 50; }));

  const auto started = std::chrono::steady_clock::now();
  const core::Status reclaimed = store_->reclaimSpace();
  const auto took = std::chrono::steady_clock::now() - started;
  const int writtenAtReclaim = written;
  // The writers carry on after it: the writer was handed back to the queued units.
  const bool carriedOn = testing::waitUntil([&] { return written >= writtenAtReclaim + 50; });
  stop = true;
  for (auto& writer : writers) writer.join();

  EXPECT_TRUE(carriedOn);
  EXPECT_TRUE(reclaimed.isOk()) << reclaimed.toString();
  EXPECT_LT(took, std::chrono::seconds(10));
}

}  // namespace
}  // namespace brygga::store

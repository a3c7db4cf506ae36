#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "gateway/core/digest.h"

namespace brygga::core {
namespace {

const std::regex kCanonical("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

TEST(TimeOrderedUuid, IsACanonicalVersion7UuidWithTheRfcVariant) {
  const std::string id = newTimeOrderedUuid();
  ASSERT_TRUE(std::regex_match(id, kCanonical)) << id;
  EXPECT_EQ(id[14], '7');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
}

TEST(TimeOrderedUuid, StartsWithTheCurrentUnixTimeInMilliseconds) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string id = newTimeOrderedUuid();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const long long stamp = std::stoll(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
  EXPECT_GE(stamp, before);
  EXPECT_LE(stamp, after);
}

TEST(TimeOrderedUuid, LaterIdsSortAfterEarlierOnesAndNoneRepeat) {
  const std::string first = newTimeOrderedUuid();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(newTimeOrderedUuid());
  EXPECT_EQ(ids.size(), 10000u);
  EXPECT_LT(first, *ids.begin());
}

TEST(RandomUuid, StaysVersion4) {
  const std::string id = newUuid();
  ASSERT_TRUE(std::regex_match(id, kCanonical)) << id;
  EXPECT_EQ(id[14], '4');
}

// The random bytes are drawn in blocks per thread: no two threads, and no two calls, may get the
// same bytes (a v4 UUID is all random, so a shared or replayed block shows as a repeat).
TEST(RandomUuid, IdsMadeOnManyThreadsAtOnceNeverRepeat) {
  constexpr int kThreads = 8;
  constexpr int kEach = 5000;
  std::vector<std::vector<std::string>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&made, t] {
      for (int i = 0; i < kEach; ++i) made[t].push_back(i % 2 == 0 ? newUuid() : randomHex(16));
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& ids : made) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
}

TEST(RandomHex, GivesTwoDigitsPerByteAtAnyLength) {
  for (int bytes : {1, 8, 16, 127, 128, 129, 1000}) {
    const std::string hex = randomHex(bytes);
    EXPECT_EQ(hex.size(), static_cast<size_t>(2 * bytes));
    EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos) << hex;
  }
  EXPECT_NE(randomHex(1000), randomHex(1000));
}

}  // namespace
}  // namespace brygga::core

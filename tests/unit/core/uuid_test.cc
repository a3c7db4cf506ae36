#include <chrono>
#include <regex>
#include <set>
#include <string>
#include <thread>

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

}  // namespace
}  // namespace brygga::core

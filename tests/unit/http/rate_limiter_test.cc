#include "gateway/http/rate_limiter.h"

#include <gtest/gtest.h>

#include "gateway/http/failed_logins.h"

namespace brygga::http {
namespace {

TEST(RateLimiterTest, ABurstThenTheSteadyRateWithRetryAfter) {
  RateLimiter limiter({2, 4});  // 2 a second, 4 saved up
  int64_t now = 1000;
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limiter.take("10.0.0.1", now), 0) << i;
  EXPECT_EQ(limiter.take("10.0.0.1", now), 1);  // empty: one token in half a second
  EXPECT_EQ(limiter.take("10.0.0.2", now), 0);  // another source has its own bucket
  now += 500;
  EXPECT_EQ(limiter.take("10.0.0.1", now), 0);
  EXPECT_GE(limiter.take("10.0.0.1", now), 1);
  now += 10000;  // refills only up to the burst
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limiter.take("10.0.0.1", now), 0) << i;
  EXPECT_EQ(limiter.take("10.0.0.1", now), 1);
}

TEST(RateLimiterTest, RetryAfterCoversTheWholeWait) {
  RateLimiter slow({0.1, 1});  // one every ten seconds
  EXPECT_EQ(slow.take("c", 0), 0);
  EXPECT_EQ(slow.take("c", 0), 10);
  EXPECT_EQ(slow.take("c", 4000), 6);
}

TEST(RateLimiterTest, OffTakesNothing) {
  RateLimiter off({0, 0});
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(off.take("x", 0), 0);
  EXPECT_EQ(off.trackedKeys(), 0u);
}

TEST(RateLimiterTest, TheTableIsBoundedAndForgetsRefilledBuckets) {
  RateLimiter limiter({1, 2}, 3);
  EXPECT_EQ(limiter.take("a", 0), 0);
  EXPECT_EQ(limiter.take("b", 0), 0);
  EXPECT_EQ(limiter.take("c", 0), 0);
  // Full of partly used buckets: a new source waits instead of the table growing.
  EXPECT_EQ(limiter.take("d", 0), 1);
  EXPECT_EQ(limiter.trackedKeys(), 3u);
  // Once the old buckets have refilled they are forgotten and make room.
  EXPECT_EQ(limiter.take("d", 5000), 0);
  EXPECT_EQ(limiter.trackedKeys(), 1u);
}

TEST(FailedLoginCounterTest, OneSummaryPerSourceAndWindowWithTheCount) {
  FailedLoginCounter counter(60000);
  for (int i = 0; i < 500; ++i) {
    counter.add("10.0.0.9", "0.0.0.0:8443", i % 2 ? "none" : "bearer token sha256:1a2b3c4d", false,
                1000 + i);
  }
  counter.add("10.0.0.7", "0.0.0.0:8443", "certificate subject CN=x (expired)", true, 30000);
  EXPECT_TRUE(counter.takeDue(60000).empty());  // no window has ended
  auto due = counter.takeDue(61000);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].source, "10.0.0.9");
  EXPECT_EQ(due[0].count, 500);
  EXPECT_EQ(due[0].firstMs, 1000);
  EXPECT_EQ(due[0].lastMs, 1499);
  EXPECT_EQ(due[0].credentials.size(), 2u);
  EXPECT_FALSE(due[0].handshake);
  // A new refusal from the same source opens a new window.
  counter.add("10.0.0.9", "0.0.0.0:8443", "none", false, 62000);
  auto rest = counter.takeAll();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_TRUE(counter.takeAll().empty());
}

TEST(FailedLoginCounterTest, SourcesBeyondTheBoundShareOneSummary) {
  FailedLoginCounter counter(1000, 2);
  for (int i = 0; i < 100; ++i) {
    counter.add("10.0.1." + std::to_string(i), "s", "credential " + std::to_string(i), false, 0);
  }
  auto all = counter.takeAll();
  ASSERT_EQ(all.size(), 3u);
  int64_t total = 0;
  for (const auto& logins : all) {
    total += logins.count;
    EXPECT_LE(logins.credentials.size(), FailedLogins::kMaxCredentials);
    if (logins.source == "other") {
      EXPECT_EQ(logins.count, 98);
    }
  }
  EXPECT_EQ(total, 100);
}

}  // namespace
}  // namespace brygga::http

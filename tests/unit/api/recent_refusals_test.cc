// The console's list of requests refused before routing: bounded, newest first, counted.
#include "gateway/api/recent_refusals.h"

#include <gtest/gtest.h>

#include <string>

namespace brygga::api {
namespace {

Refusal refusalAt(int64_t ms, int status) {
  Refusal r;
  r.atMs = ms;
  r.status = status;
  r.method = "GET";
  r.route = "/nothing";
  r.reason = "no such endpoint";
  r.source = "192.0.2.1";
  return r;
}

TEST(RecentRefusalsTest, KeepsTheNewestUpToItsCapacityAndCountsThemAll) {
  RecentRefusals refusals(3);
  EXPECT_TRUE(refusals.newest(10).empty());
  for (int i = 1; i <= 5; ++i) refusals.add(refusalAt(i * 1000, 400 + i));
  const auto kept = refusals.newest(10);
  ASSERT_EQ(kept.size(), 3u);
  EXPECT_EQ(kept[0].atMs, 5000);  // newest first
  EXPECT_EQ(kept[1].atMs, 4000);
  EXPECT_EQ(kept[2].atMs, 3000);
  EXPECT_EQ(refusals.newest(1).size(), 1u);
  EXPECT_EQ(refusals.total(), 5);
}

TEST(RecentRefusalsTest, WhatAClientSentIsCutToABoundedLength) {
  RecentRefusals refusals;
  Refusal r = refusalAt(1000, 405);
  r.method = std::string(100, 'X');
  r.reason = std::string(10000, 'y');
  refusals.add(r);
  const auto kept = refusals.newest(1);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_LE(kept[0].method.size(), 16u);
  EXPECT_LE(kept[0].reason.size(), 300u);
}

}  // namespace
}  // namespace brygga::api

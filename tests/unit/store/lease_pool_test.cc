// The read connection pool: a read waits a bounded time for a connection, then gives up (the API
// answers 503 with Retry-After) instead of queueing without limit behind slow reads.
#include "gateway/store/lease_pool.h"

#include <future>
#include <optional>
#include <vector>

#include <gtest/gtest.h>

namespace brygga::store {
namespace {

TEST(ReadPool, ACallerWaitsABoundedTimeWhenEveryConnectionIsLent) {
  int only = 7;
  LeasePool<int> pool(std::vector<int*>{&only});
  int* first = pool.acquire(0);
  ASSERT_EQ(first, &only);
  std::optional<LeasePool<int>::Lease> held(std::in_place, pool, first);
  EXPECT_EQ(pool.acquire(50), nullptr);  // gives up after 50 ms

  // A caller waiting when the connection is given back gets it.
  std::promise<void> waiting;
  auto second = std::async(std::launch::async, [&] {
    waiting.set_value();
    return pool.acquire(60000);
  });
  waiting.get_future().wait();
  held.reset();
  ASSERT_EQ(second.get(), &only);
}

TEST(ReadPool, EveryConnectionIsLentToOneCallerAtATime) {
  int a = 1, b = 2;
  LeasePool<int> pool(std::vector<int*>{&a, &b});
  int* x = pool.acquire(0);
  int* y = pool.acquire(0);
  ASSERT_NE(x, nullptr);
  ASSERT_NE(y, nullptr);
  EXPECT_NE(x, y);
  EXPECT_EQ(pool.acquire(0), nullptr);
  { LeasePool<int>::Lease back(pool, x); }
  EXPECT_EQ(pool.acquire(0), x);
}

}  // namespace
}  // namespace brygga::store

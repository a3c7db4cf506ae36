#include <gtest/gtest.h>

#include "gateway/core/digest.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "tests/support/simulated_time_system.h"

namespace brygga::core {
namespace {

TEST(Status, EveryCodeMapsToItsHttpStatus) {
  EXPECT_EQ(Status().httpStatus(), 200);
  EXPECT_EQ(invalidArgument("x").httpStatus(), 400);
  EXPECT_EQ(unauthenticated("x").httpStatus(), 401);
  EXPECT_EQ(permissionDenied("x").httpStatus(), 403);
  EXPECT_EQ(notFound("x").httpStatus(), 404);
  EXPECT_EQ(conflict("x").httpStatus(), 409);
  EXPECT_EQ(preconditionFailed("x").httpStatus(), 412);
  EXPECT_EQ(Status(StatusCode::kPayloadTooLarge, "x").httpStatus(), 413);
  EXPECT_EQ(Status(StatusCode::kUnsupportedMediaType, "x").httpStatus(), 415);
  EXPECT_EQ(unprocessable("x").httpStatus(), 422);
  EXPECT_EQ(unavailable("x").httpStatus(), 503);
  EXPECT_EQ(internalError("x").httpStatus(), 500);
}

TEST(Status, ToStringListsTheIssues) {
  Status s =
      unprocessable("bad", {Issue::error("value", "wrong check digit", "Patient.identifier[0]")});
  EXPECT_EQ(s.toString(),
            "unprocessable: bad\n  error at Patient.identifier[0]: wrong check digit");
}

StatusOr<int> half(int x) {
  if (x % 2 != 0) return invalidArgument("odd");
  return x / 2;
}

Status quarter(int x, int& out) {
  BRYGGA_ASSIGN_OR_RETURN(int h, half(x));
  BRYGGA_ASSIGN_OR_RETURN(out, half(h));
  return Status::ok();
}

TEST(StatusOr, PropagatesTheFirstError) {
  int out = 0;
  EXPECT_TRUE(quarter(8, out).isOk());
  EXPECT_EQ(out, 2);
  Status s = quarter(6, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "odd");
  // An OK status cannot masquerade as a value.
  StatusOr<int> bogus{Status::ok()};
  EXPECT_FALSE(bogus.isOk());
  EXPECT_EQ(bogus.status().code(), StatusCode::kInternal);
}

TEST(StatusOrDeathTest, ReachingForAValueThatIsNotThereAbortsNamingTheStatus) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const StatusOr<int> missing = notFound("no Patient/42");
  const char* expected = "StatusOr::value\\(\\) on an error: not-found: no Patient/42";
  EXPECT_DEATH(static_cast<void>(missing.value()), expected);
  EXPECT_DEATH(static_cast<void>(*missing), expected);
  StatusOr<std::string> text = invalidArgument("not a date");
  EXPECT_DEATH(static_cast<void>(text->size()), "invalid-argument: not a date");
  EXPECT_DEATH(static_cast<void>(std::move(text).value()), "invalid-argument: not a date");
  // A value is handed out as before.
  StatusOr<std::string> present = std::string("2026-03-29");
  EXPECT_EQ(present->size(), 10u);
  EXPECT_EQ(std::move(present).value(), "2026-03-29");
}

TEST(TimeSource, TheRealOneReadsTheMachinesClocks) {
  RealTimeSystem time;
  const int64_t before = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const MonotonicTime started = time.monotonicTime();
  EXPECT_GE(time.nowMs(), before);
  EXPECT_GE(time.monotonicTime(), started);
}

TEST(TimeSource, SimulatedTimeMovesOnlyWhenTold) {
  testing::SimulatedTimeSystem time(1000);
  const MonotonicTime started = time.monotonicTime();
  EXPECT_EQ(time.nowMs(), 1000);
  EXPECT_EQ(time.advance(std::chrono::milliseconds(250)), 0u);  // nothing sleeps on it
  EXPECT_EQ(time.nowMs(), 1250);
  EXPECT_EQ(time.monotonicTime() - started, std::chrono::milliseconds(250));
  // A wall-clock jump (NTP) leaves monotonic time alone.
  time.setSystemTimeMs(500);
  EXPECT_EQ(time.nowMs(), 500);
  EXPECT_EQ(time.monotonicTime() - started, std::chrono::milliseconds(250));
}

TEST(Digest, Sha256MatchesTheKnownVector) {
  EXPECT_EQ(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string a = newUuid(), b = newUuid();
  EXPECT_NE(a, b);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
}

}  // namespace
}  // namespace brygga::core

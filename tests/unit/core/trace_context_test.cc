#include "gateway/core/trace_context.h"

#include <gtest/gtest.h>

namespace brygga::core {
namespace {

TEST(TraceContext, ReadsAW3cTraceparentAndRefusesWhatTheRecommendationRefuses) {
  auto t = parseTraceParent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->traceId, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(t->parentId, "00f067aa0ba902b7");
  EXPECT_EQ(t->flags, "01");
  // A later version is read by its first fields.
  EXPECT_TRUE(
      parseTraceParent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-next"));
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // 00 is exact
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",        // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",        // zero parent id
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",        // uppercase
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",        // version ff
           "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",         // short trace id
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // no dash after fields
       }) {
    EXPECT_FALSE(parseTraceParent(bad).has_value()) << bad;
  }
}

TEST(TraceContext, MadeIdsAreWellFormedAndRoundTrip) {
  const std::string trace = newTraceId();
  const std::string span = newSpanId();
  EXPECT_NE(trace, newTraceId());
  const auto parsed = parseTraceParent(formatTraceParent(trace, span));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->traceId, trace);
  EXPECT_EQ(parsed->parentId, span);
  EXPECT_EQ(parsed->flags, "01");
}

}  // namespace
}  // namespace brygga::core

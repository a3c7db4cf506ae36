// W3C traceparent (issue 15): taken from the request or made for it, logged with the request and
// its delivery, and sent on to the receiver within the same trace.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "gateway/core/trace_context.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/test_personnummer.h"

namespace brygga::testing {
namespace {

constexpr const char* kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kCallerSpan = "00f067aa0ba902b7";

class TraceContextTest : public GatewayTest {
 protected:
  // The traceparent the regional EHR received with the delivery of one enrollment.
  // Each call enrolls another person (`n`), so each causes a delivery of its own.
  core::TraceParent delivered(int n, const std::map<std::string, std::string>& headers) {
    EXPECT_EQ(call("kungsbacka", "POST", "/",
                   enrollmentBundle(testPersonnummer(n), "E-" + std::to_string(n)), headers)
                  .status,
              200);
    const size_t expected = static_cast<size_t>(++deliveries_);
    EXPECT_GE(peer_.waitForRequests(expected), expected);
    const auto requests = peer_.requests();
    auto it = requests.back().headers.find("traceparent");
    EXPECT_NE(it, requests.back().headers.end());
    const auto parsed =
        it == requests.back().headers.end() ? std::nullopt : core::parseTraceParent(it->second);
    EXPECT_TRUE(parsed.has_value());
    return parsed.value_or(core::TraceParent{});
  }
  int deliveries_ = 0;

  // How many log lines of `event` carry the trace id.
  int linesWith(const std::string& log, const std::string& event, const std::string& trace) {
    int n = 0;
    size_t at = 0;
    while ((at = log.find("\"event\":\"" + event + "\"", at)) != std::string::npos) {
      const size_t end = log.find('\n', at);
      if (log.substr(at, end - at).find("\"traceId\":\"" + trace + "\"") != std::string::npos) ++n;
      at = end;
    }
    return n;
  }
};

TEST_F(TraceContextTest, TheCallersTraceReachesTheReceiverAndBothLogLines) {
  const core::TraceParent sent =
      delivered(1, {{"traceparent", std::string("00-") + kTrace + "-" + kCallerSpan + "-01"}});
  EXPECT_EQ(sent.traceId, kTrace);
  EXPECT_NE(sent.parentId, kCallerSpan);  // the delivery is a span of its own
  harness_->stop();
  const std::string log = harness_->logText();
  EXPECT_EQ(linesWith(log, "http.request", kTrace), 1) << log.substr(0, 2000);
  EXPECT_GE(
      linesWith(log, "delivery.attempt", kTrace) + linesWith(log, "delivery.delivered", kTrace), 1)
      << log.substr(0, 4000);
}

TEST_F(TraceContextTest, WithoutOrWithAMalformedTraceparentTheGatewayStartsATrace) {
  const core::TraceParent made =
      delivered(2, {{"traceparent", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"}});
  EXPECT_NE(made.traceId, "00000000000000000000000000000000");
  const core::TraceParent fresh = delivered(3, {});
  EXPECT_NE(fresh.traceId, made.traceId);
  harness_->stop();
  const std::string log = harness_->logText();
  EXPECT_EQ(linesWith(log, "http.request", made.traceId), 1);
  EXPECT_EQ(linesWith(log, "http.request", fresh.traceId), 1);
}

}  // namespace
}  // namespace brygga::testing

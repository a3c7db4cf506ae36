#include "gateway/metrics/registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "gateway/metrics/gateway_metrics.h"
#include "gateway/metrics/route_template.h"
#include "tests/support/exposition_parser.h"

namespace brygga::metrics {
namespace {

using testing::parseExposition;

TEST(Registry, CountersWithLabelsAreExposedWithHelpAndType) {
  Registry r;
  auto& requests = r.counter("brygga_requests_total", "Requests.", {"route", "status"});
  requests.with({"/fhir/{type}", "200"}).inc();
  requests.with({"/fhir/{type}", "200"}).inc(2);
  requests.with({"/fhir/{type}", "422"}).inc();

  const std::string text = r.exposition();
  EXPECT_EQ(text,
            "# HELP brygga_requests_total Requests.\n"
            "# TYPE brygga_requests_total counter\n"
            "brygga_requests_total{route=\"/fhir/{type}\",status=\"200\"} 3\n"
            "brygga_requests_total{route=\"/fhir/{type}\",status=\"422\"} 1\n");
}

TEST(Registry, LabelValuesAndHelpAreEscaped) {
  Registry r;
  r.counter("c_total", "Line one\nback\\slash \"quoted\"", {"l"}).with({"a\"b\\c\nd"}).inc();
  const std::string text = r.exposition();
  EXPECT_NE(text.find("# HELP c_total Line one\\nback\\\\slash \"quoted\"\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("c_total{l=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << text;
  auto parsed = parseExposition(text);
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_EQ(parsed.value("c_total", {{"l", "a\"b\\c\nd"}}), 1);
}

TEST(Registry, HistogramHasCumulativeBucketsInfSumAndCount) {
  Registry r;
  auto& h = r.histogram("latency_seconds", "Latency.", {"route"}, {0.1, 0.5, 1});
  auto& series = h.with({"/x"});
  series.observe(0.05);
  series.observe(0.1);  // le is inclusive
  series.observe(0.3);
  series.observe(7);

  const std::string text = r.exposition();
  EXPECT_NE(text.find("# TYPE latency_seconds histogram\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"0.5\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"), std::string::npos);
  EXPECT_NE(text.find("latency_seconds_count{route=\"/x\"} 4\n"), std::string::npos);
  auto parsed = parseExposition(text);
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_DOUBLE_EQ(parsed.value("latency_seconds_sum", {{"route", "/x"}}), 7.45);
}

TEST(Registry, GaugesAndCollectorsAreMergedInNameOrder) {
  Registry r;
  r.gauge("b_gauge", "B.").with({}).set(2.5);
  r.addCollector([](ScrapeSink& sink) {
    sink.gauge("a_depth", "Depth.", {{"destination", "regional"}}, 4);
    sink.gauge("a_depth", "Depth.", {{"destination", "varberg"}}, 0);
    sink.gauge("c_age_seconds", "Age.", {}, 1.25);
  });
  const std::string text = r.exposition();
  EXPECT_EQ(text,
            "# HELP a_depth Depth.\n# TYPE a_depth gauge\n"
            "a_depth{destination=\"regional\"} 4\na_depth{destination=\"varberg\"} 0\n"
            "# HELP b_gauge B.\n# TYPE b_gauge gauge\nb_gauge 2.5\n"
            "# HELP c_age_seconds Age.\n# TYPE c_age_seconds gauge\nc_age_seconds 1.25\n");
}

TEST(Registry, SameNameReturnsTheSameFamilyAndAClashIsNotExposed) {
  Registry r;
  auto& a = r.counter("x_total", "X.", {"k"});
  auto& b = r.counter("x_total", "X.", {"k"});
  EXPECT_EQ(&a, &b);
  r.gauge("x_total", "not a counter").with({}).set(5);  // a mistake: must not break the output
  a.with({"v"}).inc();
  auto parsed = parseExposition(r.exposition());
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_EQ(parsed.types.at("x_total"), "counter");
  EXPECT_EQ(parsed.value("x_total", {{"k", "v"}}), 1);
}

TEST(Registry, WrongLabelCountIsPaddedNotCrashed) {
  Registry r;
  auto& f = r.counter("y_total", "Y.", {"a", "b"});
  f.with({"only"}).inc();
  f.with({"1", "2", "3"}).inc();
  auto parsed = parseExposition(r.exposition());
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_EQ(parsed.value("y_total", {{"a", "only"}, {"b", ""}}), 1);
  EXPECT_EQ(parsed.value("y_total", {{"a", "1"}, {"b", "2"}}), 1);
}

TEST(Registry, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& f = r.counter("z_total", "Z.", {"t"});
  auto& h = r.histogram("z_seconds", "Z.", {}, {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        f.with({t % 2 == 0 ? "even" : "odd"}).inc();
        h.with({}).observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  auto parsed = parseExposition(r.exposition());
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_EQ(parsed.value("z_total", {{"t", "even"}}), 20000);
  EXPECT_EQ(parsed.value("z_total", {{"t", "odd"}}), 20000);
  EXPECT_EQ(parsed.value("z_seconds_count", {}), 40000);
  EXPECT_DOUBLE_EQ(parsed.value("z_seconds_sum", {}), 20000);
}

TEST(Formatting, ValuesNamesAndSpecials) {
  EXPECT_EQ(formatValue(3), "3");
  EXPECT_EQ(formatValue(0.25), "0.25");
  EXPECT_EQ(formatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(formatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(sanitizeName("brygga.http-requests", false), "brygga_http_requests");
  EXPECT_EQ(sanitizeName("9lives", true), "_lives");
  EXPECT_EQ(sanitizeName("ns:metric", false), "ns:metric");
  EXPECT_EQ(sanitizeName("ns:label", true), "ns_label");
}

TEST(RouteTemplate, KeepsNoIdentifiers) {
  auto known = [](std::string_view t) { return t == "Patient" || t == "EpisodeOfCare"; };
  EXPECT_EQ(routeTemplate("/fhir", known), "/fhir");
  EXPECT_EQ(routeTemplate("/fhir/metadata", known), "/fhir/metadata");
  EXPECT_EQ(routeTemplate("/fhir/Patient", known), "/fhir/Patient");
  EXPECT_EQ(routeTemplate("/fhir/Patient/123", known), "/fhir/Patient/{id}");
  EXPECT_EQ(routeTemplate("/fhir/Patient/123/_history/2", known),
            "/fhir/Patient/{id}/_history/{vid}");
  EXPECT_EQ(routeTemplate("/fhir/Patient/$validate", known), "/fhir/Patient/$validate");
  EXPECT_EQ(routeTemplate("/fhir/191212121212/x", known), "/fhir/{type}/{id}");
  EXPECT_EQ(routeTemplate("/fhir/Patient?identifier=x|191212121212", known), "/fhir/Patient");
  EXPECT_EQ(routeTemplate("/admin/dead-letters/17/replay"), "/admin/dead-letters/{id}/replay");
  EXPECT_EQ(routeTemplate("/admin/destinations/regional/pause"), "/admin/destinations/{id}/pause");
  EXPECT_EQ(routeTemplate("/audit/records/42"), "/audit/records/{id}");
  EXPECT_EQ(routeTemplate("/audit/forwarding"), "/audit/forwarding");
  EXPECT_EQ(routeTemplate("/console/api/messages/7/payload"), "/console/api/messages/{id}/payload");
  EXPECT_EQ(routeTemplate("/console/app.js"), "/console/{file}");
  EXPECT_EQ(routeTemplate("/wp-login.php"), "/{other}");
  EXPECT_EQ(routeTemplate("/metrics"), "/metrics");
  EXPECT_EQ(routeTemplate("/admin/a/b/c/d/e/f/g/h"), "/admin/{id}/{id}/{id}/{id}/{id}/{rest}");
  EXPECT_EQ(routeTemplate(""), "/");
}

TEST(GatewayMetrics, BoundsLabelsAClientChooses) {
  GatewayMetrics m;
  m.onRequest({"BREW", "/fhir/{type}", 405, 0.001});
  m.onValidationFailure("Patient");
  m.onValidationFailure("19121212-1212");
  auto parsed = parseExposition(m.registry().exposition());
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_EQ(parsed.value("brygga_http_requests_total",
                         {{"method", "other"}, {"route", "/fhir/{type}"}, {"status", "405"}}),
            1);
  EXPECT_EQ(parsed.value("brygga_validation_failures_total", {{"resource_type", "Patient"}}), 1);
  EXPECT_EQ(parsed.value("brygga_validation_failures_total", {{"resource_type", "other"}}), 1);
}

TEST(GatewayMetrics, DestinationFailingSinceTheFirstFailureAfterTheLastSuccess) {
  GatewayMetrics m;
  m.onDeliveryAttempt({"regional", "delivered", 200, 0.01, 1000});
  m.onDeliveryAttempt({"regional", "no_answer", 0, 2, 5000, true});
  m.onDeliveryAttempt({"regional", "retry", 503, 0.1, 9000, true});
  auto h = m.destinationHealth().at("regional");
  EXPECT_EQ(h.lastSuccessMs, 1000);
  EXPECT_EQ(h.failingSinceMs, 5000);
  EXPECT_EQ(h.consecutiveFailures, 2);
  EXPECT_EQ(h.lastStatus, 503);
  // A content refusal (4xx dead letter) says nothing about the destination being down.
  m.onDeliveryAttempt({"varberg", "dead", 400, 0.1, 9000, false});
  EXPECT_EQ(m.destinationHealth().at("varberg").failingSinceMs, 0);
  m.onDeliveryAttempt({"regional", "delivered", 200, 0.01, 12000});
  EXPECT_EQ(m.destinationHealth().at("regional").failingSinceMs, 0);

  auto parsed = parseExposition(m.registry().exposition());
  ASSERT_TRUE(parsed.ok) << parsed.error;
  EXPECT_EQ(parsed.value("brygga_delivery_attempts_total",
                         {{"destination", "regional"}, {"outcome", "delivered"}}),
            2);
  EXPECT_EQ(parsed.value("brygga_delivery_attempts_total",
                         {{"destination", "regional"}, {"outcome", "no_answer"}}),
            1);
  EXPECT_EQ(parsed.value("brygga_delivery_duration_seconds_count", {{"destination", "regional"}}),
            4);
}

}  // namespace
}  // namespace brygga::metrics

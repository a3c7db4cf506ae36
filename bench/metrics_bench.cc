// Cost of recording a metric on the hot path (issue 7): a counter increment and a histogram
// observation, through a kept reference and through a label lookup, alone and from two threads
// on the same series (contention on one cache line).
#include <benchmark/benchmark.h>

#include "gateway/metrics/gateway_metrics.h"
#include "gateway/metrics/registry.h"
#include "gateway/metrics/route_template.h"

namespace {

using brygga::metrics::Registry;

Registry& registry() {
  static Registry r;
  return r;
}

void BM_CounterIncKept(benchmark::State& state) {
  auto& c = registry().counter("bench_kept_total", "x", {"a"}).with({"v"});
  for (auto _ : state) c.inc();
  benchmark::DoNotOptimize(c.value());
}
BENCHMARK(BM_CounterIncKept)->Threads(1)->Threads(2);

void BM_CounterIncLookup(benchmark::State& state) {
  auto& f = registry().counter("bench_lookup_total", "x", {"method", "route", "status"});
  for (auto _ : state) f.with({"POST", "/fhir/{type}", "201"}).inc();
}
BENCHMARK(BM_CounterIncLookup)->Threads(1)->Threads(2);

void BM_HistogramObserveKept(benchmark::State& state) {
  auto& h = registry().histogram("bench_seconds", "x", {"route"}).with({"/fhir"});
  double v = 0.0001;
  for (auto _ : state) {
    h.observe(v);
    v = v < 20 ? v * 1.7 : 0.0001;  // spread over the buckets
  }
}
BENCHMARK(BM_HistogramObserveKept)->Threads(1)->Threads(2);

// What the HTTP server does per request: the route template and both request metrics.
void BM_RequestObserved(benchmark::State& state) {
  static brygga::metrics::GatewayMetrics metrics;
  for (auto _ : state) {
    const std::string route = brygga::metrics::routeTemplate(
        "/fhir/Patient/123/_history/2", [](std::string_view t) { return t == "Patient"; });
    metrics.onRequest({"GET", route, 200, 0.0042});
  }
}
BENCHMARK(BM_RequestObserved)->Threads(1)->Threads(2);

void BM_Exposition(benchmark::State& state) {
  brygga::metrics::GatewayMetrics metrics;
  for (int s : {200, 201, 400, 401, 403, 404, 422}) {
    for (const char* r : {"/fhir", "/fhir/Patient", "/fhir/Patient/{id}", "/admin/destinations"}) {
      metrics.onRequest({"GET", r, s, 0.01});
    }
  }
  for (auto _ : state) benchmark::DoNotOptimize(metrics.registry().exposition());
}
BENCHMARK(BM_Exposition);

}  // namespace

BENCHMARK_MAIN();

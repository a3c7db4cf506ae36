// The follow-up measures (issue 13): evaluating a year of 20,000 patients and 500,000 contacts.
// The facts are written once into a SQLite store in a temporary directory, as the write pipeline
// keeps them; each evaluation then reads them all, indexes them and evaluates. Figures in
// BENCHMARKS.md.
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <filesystem>
#include <random>

#include "gateway/core/civil_time.h"
#include "gateway/core/digest.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/measures/evaluation.h"
#include "gateway/store/sqlite_store.h"

namespace {

using namespace brygga;

constexpr int kPatients = 20000;
constexpr int kContacts = 500000;
constexpr int kRequests = 40000;
constexpr int kHeartFailure = 1000;

struct Fixture {
  std::string dir;
  std::unique_ptr<store::Store> store;
  std::shared_ptr<const mappings::MappingSet> mappings;
  measures::Period year;
};

Fixture make() {
  Fixture f;
  f.dir = (std::filesystem::temp_directory_path() /
           ("brygga-measures-bench-" + std::to_string(getpid())))
              .string();
  std::filesystem::create_directories(f.dir);
  store::SqliteOptions options;
  options.path = f.dir + "/brygga.db";
  f.store = std::move(store::openSqliteStore(options)).value();
  auto files = flows::readMappingFiles(std::string(BRYGGA_SOURCE_DIR) + "/mappings/data");
  f.mappings = std::move(mappings::MappingSet::parse(std::move(files).value())).value();
  f.year = std::move(measures::makePeriod("2026-01-01", "2026-12-31")).value();

  std::mt19937_64 rng(13);
  const auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const auto& points = f.mappings->routing().servicePoints();
  const auto& tenants = f.mappings->routing().municipalities();
  const int64_t from = f.year.fromMs;
  const int64_t span = f.year.toMs - f.year.fromMs;
  std::vector<std::string> patients;
  for (int i = 0; i < kPatients; ++i) patients.push_back(core::newTimeOrderedUuid());

  std::vector<std::pair<std::string, std::vector<store::MeasureFact>>> resources;
  const auto flush = [&](bool force) {
    if (resources.size() < 5000 && !(force && !resources.empty())) return;
    auto written = f.store->write([&](store::StoreTransaction& txn) -> core::Status {
      for (const auto& [type, facts] : resources) {
        BRYGGA_RETURN_IF_ERROR(txn.measureFacts().replaceMeasureFacts(type, facts[0].id, facts));
      }
      return core::Status::ok();
    });
    if (!written.isOk()) std::abort();
    resources.clear();
  };
  const auto fact = [](const char* type, const std::string& id, int seq, const char* kind,
                       const std::string& patient, int64_t start) {
    store::MeasureFact m;
    m.type = type;
    m.id = id;
    m.seq = seq;
    m.kind = kind;
    m.patient = patient;
    m.startMs = start;
    return m;
  };
  for (int i = 0; i < kPatients; ++i) {
    const std::string id = core::newTimeOrderedUuid();
    const int64_t start = from + pick(-span / 2, span * 9 / 10);
    const int64_t end = pick(0, 9) < 4 ? start + pick(10, 120) * core::kDayMs : 0;
    std::vector<store::MeasureFact> segments;
    auto seg = fact("EpisodeOfCare", id, 0, "episode", patients[i], start);
    seg.endMs = end;
    seg.servicePoint = points[pick(0, points.size() - 1)].hsaId;
    seg.municipality = tenants[pick(0, tenants.size() - 1)].tenant;
    seg.code = pick(0, 3) == 0 ? "short-term" : "home";
    segments.push_back(seg);
    if (pick(0, 9) == 0) {  // moved
      const int64_t moved = start + pick(1, 60) * core::kDayMs;
      segments[0].endMs = moved;
      seg.seq = 1;
      seg.startMs = moved;
      seg.endMs = end != 0 && end > moved ? end : 0;
      seg.servicePoint = points[pick(0, points.size() - 1)].hsaId;
      segments.push_back(seg);
    }
    resources.push_back({"EpisodeOfCare", segments});
    flush(false);
  }
  std::vector<std::string> contactIds;
  for (int i = 0; i < kContacts; ++i) {
    const std::string id = core::newTimeOrderedUuid();
    auto c = fact("Encounter", id, 0, "contact", patients[pick(0, kPatients - 1)],
                  from + pick(0, span - 1));
    c.code = pick(0, 9) < 4 ? "home-visit" : "consultation";
    if (i % 10 == 0) contactIds.push_back(id);
    resources.push_back({"Encounter", {c}});
    flush(false);
  }
  for (int i = 0; i < kRequests; ++i) {
    auto r = fact("Task", core::newTimeOrderedUuid(), 0, "request",
                  patients[pick(0, kPatients - 1)], from + pick(0, span - 1));
    r.flag = pick(0, 4) == 0 ? 1 : 0;
    const int64_t o = pick(0, 9);
    r.code = o < 5 ? "answered" : (o < 6 ? "declined" : "open");
    if (r.code == "answered") r.ref = contactIds[pick(0, contactIds.size() - 1)];
    resources.push_back({"Task", {r}});
    flush(false);
  }
  for (int i = 0; i < kHeartFailure; ++i) {
    const std::string& patient = patients[i * (kPatients / kHeartFailure)];
    auto d = fact("Condition", core::newTimeOrderedUuid(), 0, "diagnosis", patient, from);
    d.code = "http://hl7.org/fhir/sid/icd-10|I50.9";
    resources.push_back({"Condition", {d}});
    int64_t t = from + pick(0, span / 2);
    for (int k = 0; k < 3; ++k) {
      auto a = fact("Encounter", core::newTimeOrderedUuid(), 0, "admission", patient, t);
      a.endMs = t + pick(2, 10) * core::kDayMs;
      resources.push_back({"Encounter", {a}});
      t = a.endMs + pick(5, 60) * core::kDayMs;
    }
    flush(false);
  }
  flush(true);
  return f;
}

Fixture& fixture() {
  static Fixture f = make();
  return f;
}

// What $evaluate-measure does for each Measure, here for all five over the whole year: read every
// fact, index them, evaluate.
void BM_EvaluateYear(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    auto index = measures::FactIndex::load(f.store->measureFacts());
    for (const auto& [id, measure] : f.mappings->measures()) {
      benchmark::DoNotOptimize(measures::evaluate(measure, *index, f.year, *f.mappings));
    }
  }
}
BENCHMARK(BM_EvaluateYear)->Unit(benchmark::kMillisecond)->Iterations(5);

// Only the read and the index.
void BM_LoadFacts(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    auto index = measures::FactIndex::load(f.store->measureFacts());
    if (index->contactCount() != static_cast<size_t>(kContacts)) std::abort();
  }
}
BENCHMARK(BM_LoadFacts)->Unit(benchmark::kMillisecond)->Iterations(5);

// The follow-up page: twelve months of all five measures over one index.
void BM_EvaluateTwelveMonths(benchmark::State& state) {
  Fixture& f = fixture();
  auto loaded = measures::FactIndex::load(f.store->measureFacts());
  const measures::FactIndex& index = *loaded;
  for (auto _ : state) {
    for (int month = 1; month <= 12; ++month) {
      const measures::Period period = measures::monthPeriod(2026, month);
      for (const auto& [id, measure] : f.mappings->measures()) {
        benchmark::DoNotOptimize(measures::evaluate(measure, index, period, *f.mappings));
      }
    }
  }
}
BENCHMARK(BM_EvaluateTwelveMonths)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  fixture();
  benchmark::RunSpecifiedBenchmarks();
  std::filesystem::remove_all(fixture().dir);
  return 0;
}

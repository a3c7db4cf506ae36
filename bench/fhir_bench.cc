// The cost of the strict reader (depth, duplicate keys, UTF-8 validation, exact numbers) over
// bare RapidJSON, and of structural validation, on the enrollment Bundle.
#include <fstream>
#include <iterator>
#include <string>

#include <benchmark/benchmark.h>
#include <rapidjson/document.h>

#include "gateway/fhir/json.h"
#include "gateway/fhir/validator.h"

namespace {

const std::string& enrollmentBundle() {
  static const std::string text = [] {
    std::ifstream in(std::string(BRYGGA_SOURCE_DIR) + "/tests/testdata/enrollment-bundle.json",
                     std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }();
  return text;
}

// False (and the benchmark marked failed) when the test data could not be read.
bool haveInput(benchmark::State& state) {
  if (!enrollmentBundle().empty()) return true;
  state.SkipWithError("cannot read tests/testdata/enrollment-bundle.json");
  return false;
}

void BM_RapidJsonParse(benchmark::State& state) {
  if (!haveInput(state)) return;
  const std::string& text = enrollmentBundle();
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    benchmark::DoNotOptimize(doc.HasParseError());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_RapidJsonParse);

void BM_RapidJsonParseStrictFlags(benchmark::State& state) {
  if (!haveInput(state)) return;
  const std::string& text = enrollmentBundle();
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag |
                              rapidjson::kParseValidateEncodingFlag |
                              rapidjson::kParseFullPrecisionFlag;
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.Parse<kFlags>(text.data(), text.size());
    benchmark::DoNotOptimize(doc.HasParseError());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_RapidJsonParseStrictFlags);

void BM_ParseJson(benchmark::State& state) {
  if (!haveInput(state)) return;
  const std::string& text = enrollmentBundle();
  for (auto _ : state) {
    auto parsed = brygga::fhir::parseJson(text);
    if (!parsed.isOk()) {
      state.SkipWithError(parsed.status().message().c_str());
      break;
    }
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseJson);

void BM_Validate(benchmark::State& state) {
  auto parsed = brygga::fhir::parseJson(enrollmentBundle());
  if (!parsed.isOk()) {
    state.SkipWithError(parsed.status().message().c_str());
    return;
  }
  const auto validator = brygga::fhir::makeStructuralValidator();
  for (auto _ : state) {
    auto issues = validator->validate(parsed.value());
    benchmark::DoNotOptimize(issues);
  }
}
BENCHMARK(BM_Validate);

void BM_ParseJsonAndValidate(benchmark::State& state) {
  if (!haveInput(state)) return;
  const std::string& text = enrollmentBundle();
  const auto validator = brygga::fhir::makeStructuralValidator();
  for (auto _ : state) {
    auto parsed = brygga::fhir::parseJson(text);
    if (!parsed.isOk()) {
      state.SkipWithError(parsed.status().message().c_str());
      break;
    }
    auto issues = validator->validate(parsed.value());
    benchmark::DoNotOptimize(issues);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_ParseJsonAndValidate);

}  // namespace

BENCHMARK_MAIN();

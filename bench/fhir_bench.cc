// The cost of the strict reader (depth, duplicate keys, UTF-8 validation, exact numbers) over
// bare RapidJSON, and of definition-driven validation, on two documents:
// - enrollment: tests/testdata/enrollment-bundle.json (2.6 KB transaction Bundle, Brygga's
//   profiles on both entries);
// - practitioners: tests/testdata/r4-example-practitioner-bundle.json (76 KB collection Bundle of
//   59 Practitioners, an official FHIR R4 example: Bundle-3ad0687e-...-fcc2bf897809.json).
// Issue 3's target: validation costs at most 5x the bare RapidJSON parse of the same document.
#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include <benchmark/benchmark.h>
#include <rapidjson/document.h>

#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/validator.h"

namespace {

const std::string& testData(const std::string& name) {
  static std::map<std::string, std::string> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  std::ifstream in(std::string(BRYGGA_SOURCE_DIR) + "/tests/testdata/" + name, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return cache.emplace(name, std::move(text)).first->second;
}

// False (and the benchmark marked failed) when the test data could not be read.
bool haveInput(benchmark::State& state, const std::string& text, const char* name) {
  if (!text.empty()) return true;
  state.SkipWithError((std::string("cannot read tests/testdata/") + name).c_str());
  return false;
}

constexpr const char* kEnrollment = "enrollment-bundle.json";
constexpr const char* kPractitioners = "r4-example-practitioner-bundle.json";

void BM_RapidJsonParse(benchmark::State& state, const char* file) {
  const std::string& text = testData(file);
  if (!haveInput(state, text, file)) return;
  for (auto _ : state) {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    benchmark::DoNotOptimize(doc.HasParseError());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK_CAPTURE(BM_RapidJsonParse, enrollment, kEnrollment);
BENCHMARK_CAPTURE(BM_RapidJsonParse, practitioners, kPractitioners);

void BM_RapidJsonParseStrictFlags(benchmark::State& state, const char* file) {
  const std::string& text = testData(file);
  if (!haveInput(state, text, file)) return;
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
BENCHMARK_CAPTURE(BM_RapidJsonParseStrictFlags, enrollment, kEnrollment);

void BM_ParseJson(benchmark::State& state, const char* file) {
  const std::string& text = testData(file);
  if (!haveInput(state, text, file)) return;
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
BENCHMARK_CAPTURE(BM_ParseJson, enrollment, kEnrollment);
BENCHMARK_CAPTURE(BM_ParseJson, practitioners, kPractitioners);

void BM_Validate(benchmark::State& state, const char* file) {
  const std::string& text = testData(file);
  if (!haveInput(state, text, file)) return;
  auto parsed = brygga::fhir::parseJson(text);
  if (!parsed.isOk()) {
    state.SkipWithError(parsed.status().message().c_str());
    return;
  }
  const auto validator = brygga::fhir::makeValidator();
  if (brygga::fhir::hasErrors(validator->validate(parsed.value()))) {
    state.SkipWithError("the document does not validate; the figure would not be representative");
    return;
  }
  for (auto _ : state) {
    auto issues = validator->validate(parsed.value());
    benchmark::DoNotOptimize(issues);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}
BENCHMARK_CAPTURE(BM_Validate, enrollment, kEnrollment);
BENCHMARK_CAPTURE(BM_Validate, practitioners, kPractitioners);

void BM_ParseJsonAndValidate(benchmark::State& state, const char* file) {
  const std::string& text = testData(file);
  if (!haveInput(state, text, file)) return;
  const auto validator = brygga::fhir::makeValidator();
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
BENCHMARK_CAPTURE(BM_ParseJsonAndValidate, enrollment, kEnrollment);
BENCHMARK_CAPTURE(BM_ParseJsonAndValidate, practitioners, kPractitioners);

}  // namespace

BENCHMARK_MAIN();

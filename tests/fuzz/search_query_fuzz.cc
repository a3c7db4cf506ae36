// libFuzzer target for the FHIR search-query parser: the query string of every search a client
// sends (decoding, parameters, _lastUpdated dates and periods, identifiers, _count/_offset).
// Input: a resource type, a '?', the query. Nothing may crash, hang or assert; a query that is
// refused is kInvalidArgument, one that is accepted stays within the page limits.
#include <string>

#include "gateway/search/query.h"
#include "gateway/core/text.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace brygga;
  using fuzz::require;
  constexpr int kDefaultCount = 50;
  constexpr int kMaxCount = 500;

  const std::string text(fuzz::asText(data, size));
  const size_t mark = text.find('?');
  const std::string type = mark == std::string::npos ? "Patient" : text.substr(0, mark);
  const std::string query = mark == std::string::npos ? text : text.substr(mark + 1);

  auto params = search::parseQuery(query);
  if (!params.isOk()) {
    require(params.status().code() == core::StatusCode::kInvalidArgument);
    return 0;
  }
  for (const auto& [name, value] : *params) {
    // What percentEncode writes, parseQuery reads back as it was.
    auto again = search::parseQuery(core::percentEncode(name) + "=" + core::percentEncode(value));
    require(again.isOk() && again->size() == 1 && (*again)[0].first == name &&
            (*again)[0].second == value);
    core::parseDecimal(value).ignoreError();  // any text: a number or a clear refusal
    if (auto patient = search::normalisePatientReference(value); patient.isOk()) {
      require(patient->rfind("Patient/", 0) == 0);
    }
  }
  auto search = search::buildSearchQuery(type, *params, kDefaultCount, kMaxCount);
  if (!search.isOk()) {
    require(search.status().code() == core::StatusCode::kInvalidArgument);
    return 0;
  }
  require(search->type == type);
  require(search->count >= 0 && search->count <= kMaxCount);
  require(search->offset >= 0);
  return 0;
}

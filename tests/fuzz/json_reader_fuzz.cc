// libFuzzer target for the strict JSON reader and the structural validator: neither may crash,
// hang or assert on any input, and whatever the reader accepts must survive a round trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/resource_index.h"
#include "gateway/fhir/validator.h"

namespace {

// Invariant violations must stop the fuzzer even in builds without assertions.
void require(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace brygga;
  static const auto validator = fhir::makeValidator();

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  fhir::JsonLimits limits;
  limits.maxBytes = 1 << 20;
  auto parsed = fhir::parseJson(text, limits);
  if (!parsed.isOk()) {
    require(parsed.status().code() == core::StatusCode::kInvalidArgument ||
            parsed.status().code() == core::StatusCode::kPayloadTooLarge);
    // The error answer itself must be valid JSON.
    require(fhir::parseJson(fhir::operationOutcomeJson(parsed.status())).isOk());
    return 0;
  }
  const rapidjson::Document& doc = parsed.value();

  // What we accept, we can write back, and what we write, we accept again, unchanged.
  const std::string written = fhir::toJson(doc);
  auto reparsed = fhir::parseJson(written, fhir::JsonLimits{written.size() + 1, limits.maxDepth});
  require(reparsed.isOk());
  require(fhir::toJson(reparsed.value()) == written);

  const auto issues = validator->validate(doc);
  require(fhir::parseJson(fhir::operationOutcomeJson(issues)).isOk());
  (void)fhir::extractIndex(doc);
  (void)fhir::patientReferenceOf(doc);
  return 0;
}

// libFuzzer target for the strict JSON reader (every request body, config and mapping file goes
// through it): it may not crash, hang or assert on any input, whatever it accepts must survive a
// round trip, and whatever it refuses must be answered with a valid OperationOutcome.
#include <string>

#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace brygga;
  using fuzz::require;

  fhir::JsonLimits limits;
  limits.maxBytes = 1 << 20;
  auto parsed = fhir::parseJson(fuzz::asText(data, size), limits);
  if (!parsed.isOk()) {
    require(parsed.status().code() == core::StatusCode::kInvalidArgument ||
            parsed.status().code() == core::StatusCode::kPayloadTooLarge);
    // The error answer itself must be valid JSON.
    require(fhir::parseJson(fhir::operationOutcomeJson(parsed.status())).isOk());
    return 0;
  }
  // What we accept, we can write back, and what we write, we accept again, unchanged.
  const std::string written = fhir::toJson(parsed.value());
  auto reparsed = fhir::parseJson(written, fhir::JsonLimits{written.size() + 1, limits.maxDepth});
  require(reparsed.isOk());
  require(fhir::toJson(reparsed.value()) == written);
  return 0;
}

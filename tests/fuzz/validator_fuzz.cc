// libFuzzer target for the FHIR validator and what the API extracts from an accepted resource
// (search index values, the patient reference): seeded with real resources and Bundles, so the
// mutations reach the definitions, the invariants and the Swedish identifier rules. Nothing may
// crash, hang or assert, and every answer must be a valid OperationOutcome.
#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/resource_index.h"
#include "gateway/fhir/validator.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace brygga;
  using fuzz::require;
  static const auto validator = fhir::makeValidator();

  auto parsed = fhir::parseJson(fuzz::asText(data, size));
  if (!parsed.isOk()) return 0;  // the reader's own target covers refusals
  const auto issues = validator->validate(parsed.value());
  require(fhir::parseJson(fhir::operationOutcomeJson(issues)).isOk());
  (void)fhir::extractIndex(parsed.value());
  (void)fhir::patientReferenceOf(parsed.value());
  return 0;
}

#pragma once

#include <memory>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"

namespace brygga::fhir {

// Checks one resource (a Bundle is a resource) and reports every issue found, each with a
// FHIRPath-style expression. Implementations are immutable after construction and thread-safe.
class Validator {
 public:
  virtual ~Validator() = default;
  virtual std::vector<core::Issue> validate(const rapidjson::Value& resource) const = 0;
};

// The structural validator of the walking skeleton: resourceType known, id/meta shape,
// identifiers (system/value strings; Swedish personnummer, samordningsnummer and HSA-id rules),
// reference format, primitive date/dateTime/instant formats on the common elements, and Bundle
// rules (fullUrl, request.method/url in transaction and batch entries). The definition-driven
// validator (StructureDefinitions) replaces it behind the same interface.
std::unique_ptr<Validator> makeStructuralValidator();

}  // namespace brygga::fhir

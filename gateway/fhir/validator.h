#pragma once

#include <memory>
#include <string>
#include <string_view>
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

// The definition-driven validator. It walks a resource against the official FHIR R4
// StructureDefinitions (generated into gateway/fhir/r4/definitions.json from the package
// hl7.fhir.r4.examples 4.0.1) and reports, each with severity, issue-type code and expression:
// - structure: unknown elements, JSON shapes (arrays where max > 1, objects for complex types,
//   no empty objects, arrays or strings, no nulls), choice types (value[x] as valueString, ...),
//   primitive extensions (_birthDate), resourceType dispatch incl. contained resources, Bundle
//   entries and Parameters resources;
// - required: cardinality min (max is structure);
// - value: primitive formats (the spec's rules for id, date, dateTime, instant, time, uri, code,
//   oid, uuid, decimal, integer, positiveInt, unsignedInt, boolean, base64Binary, markdown,
//   string; real calendar dates), reference format and target types, Bundle fullUrl, and the
//   Swedish identifier rules (personnummer and samordningsnummer: format, real date, Luhn;
//   HSA-id format);
// - code-invalid: codes outside a ValueSet bound with strength required (code, Coding with its
//   system, CodeableConcept: at least one coding);
// - invariant: the spec's constraints implemented in C++ (gateway/fhir/invariants.cc), keyed by
//   their key (per-1, ext-1, ref-1, dom-2..5, bdl-*, ...).
// `meta.profile` selects Brygga's own profiles (knownProfiles()); an unknown profile is a
// warning. Definitions are compiled once per process; constructing a validator is cheap.
std::unique_ptr<Validator> makeValidator();

// Canonical URLs of Brygga's own profiles (https://brygga.se/fhir/StructureDefinition/<name>),
// sorted; only those constraining `resourceType` when it is given.
std::vector<std::string> knownProfiles(std::string_view resourceType = {});

}  // namespace brygga::fhir

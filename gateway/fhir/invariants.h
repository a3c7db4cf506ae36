#pragma once

#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/fhir/definitions.h"

// FHIR invariants (the `constraint`s of StructureDefinitions, FHIRPath in the spec) implemented
// in C++, looked up by the key the definitions carry. The R4 ones cover the data types, Bundle,
// the DomainResource rules and the resources Brygga serves; Brygga's profiles add their own keys
// (brygga-*). A key without an implementation is not checked (Definitions lists them).
namespace brygga::fhir::r4 {

// What an invariant can see besides its focus, and how it reports. Implemented by the validator.
class InvariantContext {
 public:
  virtual ~InvariantContext() = default;
  // The invariant does not hold: one issue with its key, severity and text, at the focus element
  // or at `subPath` below it (".entry[2].request"); `detail` is appended to the text.
  virtual void fail(std::string_view subPath = {}, std::string_view detail = {}) = 0;
  // %resource: the resource the focus is in. %rootResource: for a contained resource, the one
  // containing it; else the same.
  virtual const rapidjson::Value& resource() const = 0;
  virtual const rapidjson::Value& rootResource() const = 0;
  // The resource a reference points to, when it can be found: a contained resource ("#id") or
  // an entry of the enclosing Bundle (by fullUrl, urn:uuid or Type/id). nullptr otherwise.
  virtual const rapidjson::Value* resolve(std::string_view reference) const = 0;
  // Whether any reference, canonical or uri in the root resource (contained ones included) is
  // "#id".
  virtual bool referencesLocally(std::string_view id) const = 0;
  // Whether the contained resource at `index` of the root resource refers to it ("#").
  virtual bool containedRefersToContainer(size_t index) const = 0;
};

// The implementation of `key` as defined on type `typeName` (some keys, like inv-1, mean
// different rules on different types), or nullptr.
InvariantFn findInvariant(std::string_view typeName, std::string_view key);

// Swedish identifier systems, as Brygga's profiles and the identifier rules need them.
bool isPersonIdentitySystem(std::string_view system);  // personnummer or samordningsnummer
bool isHsaSystem(std::string_view system);             // any HSA-id system

}  // namespace brygga::fhir::r4

#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/fhir/swedish_identifiers.h"

namespace brygga::fhir {

// A search-index value of a resource (see SearchParameter definitions in R4).
struct IndexValue {
  std::string param;   // identifier | patient | subject | status | ...
  std::string system;  // tokens
  std::string value;   // token code, or a reference "Patient/123"
};

// The values Brygga indexes for search: identifier (system, value; canonical systems; personnummer
// normalised), patient and subject references (relative "Type/id"), status, Patient birthdate
// (the period it names: its first day in `value`, its last in `system`, so a year or month alone
// is found too),
// and the string parameters family, given, name (Patient, Practitioner: a HumanName's text,
// prefix and suffix; family and given are not repeated under it) and address-city (Patient),
// each with the text as written in `system` and folded (core::foldForSearch) in `value`. Pure.
std::vector<IndexValue> extractIndex(const rapidjson::Value& resource);

// The patient a resource concerns as "Patient/id": itself for a Patient, else its subject or
// patient reference (relative form). nullopt when none.
std::optional<std::string> patientReferenceOf(const rapidjson::Value& resource);

// The personnummer and samordningsnummer among a resource's identifiers (any accepted system
// form, with or without hyphen), normalised, without repeats, sorted.
std::vector<PersonNumber> personNumbersOf(const rapidjson::Value& resource);
// Rewrites every valid personnummer or samordningsnummer identifier of the resource to its stored
// form: the HL7 Sweden system and the 12 digits.
void normalizePersonNumbers(rapidjson::Value& resource, rapidjson::Document::AllocatorType& alloc);

// Calls `fn` on every string value whose member name is "reference", anywhere in the tree
// (iteratively), letting it replace the value. `fn` returns the new text or nullopt to keep it.
void rewriteReferences(rapidjson::Value& root, rapidjson::Document::AllocatorType& alloc,
                       const std::function<std::optional<std::string>(const std::string&)>& fn);

// Sets meta.versionId and meta.lastUpdated (creating meta when absent), and id.
void stampMeta(rapidjson::Value& resource, rapidjson::Document::AllocatorType& alloc,
               const std::string& id, int64_t version, int64_t lastUpdatedMs);

}  // namespace brygga::fhir

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/store/store.h"

namespace brygga::search {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits a URL query string into decoded name/value pairs ('+' is a space). Malformed percent
// escapes are kInvalidArgument.
core::StatusOr<QueryParams> parseQuery(const std::string& query);

// The search parameters Brygga supports for a resource type (besides _count, _offset, _format).
const std::vector<std::string>& searchParamsFor(const std::string& type);

// The _sort keys of a resource type: every search parameter it supports (searchParamsFor),
// _id and _lastUpdated included; each with - for descending. None for AuditEvent, which answers
// in the audit log's order.
std::vector<std::string> sortKeysFor(const std::string& type);

// The string search parameters (name, family, given: Patient and Practitioner; address-city:
// Patient), which take :exact and :contains (see fhir::extractIndex).
bool isStringParam(const std::string& name);

// Turns FHIR search parameters into a store query: identifier (system|value, |value, value),
// patient / subject ("Patient/1" or "1"), status (comma = or), the string parameters (`name`
// matching the family and given index rows too), _lastUpdated (ge, le, gt, lt, eq or a bare date
// meaning the whole period), _sort (sortKeysFor), _count and _offset. Unknown or unsupported
// parameters, modifiers and sort keys are kInvalidArgument with a not-supported issue that names
// the type's parameters (or sort keys).
core::StatusOr<store::SearchQuery> buildSearchQuery(const std::string& type,
                                                    const QueryParams& params, int defaultCount,
                                                    int maxCount);

// `params` without those the type does not search by (Prefer: handling=lenient): the control
// parameters (_count, _offset, _format, _pretty) and the type's own stay, with their modifiers;
// a _sort keeps the keys the type sorts by (and goes when none is left).
QueryParams withoutUnknownParams(const std::string& type, const QueryParams& params);

// _include and _revinclude (R4 3.1.1.5.4), over the patient references the store indexes:
// `_include=T:patient` (or `:subject`, `[:Patient]` optional) adds the Patients the matches of
// type T concern; `_revinclude=T:patient` adds the resources of type T that concern the matched
// Patients. `:iterate` (`_include:iterate=...`) applies it to what was included as well.
struct Include {
  bool reverse = false;
  bool iterate = false;
  std::string type;   // T: the type whose reference parameter is followed
  std::string param;  // patient | subject
};
// The includes of a search of `type`; kInvalidArgument (not-supported) for a parameter that is
// not a Patient reference of its type, or an include that cannot apply to `type` without
// :iterate.
core::StatusOr<std::vector<Include>> includesOf(const std::string& type, const QueryParams& params);

// The paging of a history (instance or type): _count, _offset and _since (a dateTime: versions
// written at or after it). Anything else is kInvalidArgument (not-supported).
core::StatusOr<store::SearchQuery> buildHistoryQuery(const std::string& type,
                                                     const QueryParams& params, int defaultCount,
                                                     int maxCount);

// How the resources of a search answer are cut down: `_elements` (the top-level elements to keep,
// besides resourceType, id and meta), `_summary=true` (the type's summary elements, see
// fhir::summaryElementsOf, without the narrative) and `_summary=data` (without the narrative).
// Each marks the resource SUBSETTED. kInvalidArgument for an element name that is not one, or
// for _summary=true with _elements.
struct ResultShape {
  std::vector<std::string> elements;
  bool dropText = false;
  bool subsetted() const { return dropText || !elements.empty(); }
};
core::StatusOr<ResultShape> resultShapeOf(const std::string& type, const QueryParams& params);

// "Patient/1", "1", or an absolute URL ending in Patient/1 -> "Patient/1"; kInvalidArgument when
// it does not name a Patient.
core::StatusOr<std::string> normalisePatientReference(const std::string& text);

}  // namespace brygga::search

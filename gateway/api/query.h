#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/core/status.h"
#include "gateway/store/store.h"

namespace brygga::api {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits a URL query string into decoded name/value pairs ('+' is a space). Malformed percent
// escapes are kInvalidArgument.
core::StatusOr<QueryParams> parseQuery(const std::string& query);
// A non-negative decimal of 1 to 18 digits (an id, a seq, a count in a query); nullopt otherwise.
std::optional<int64_t> parseDecimal(const std::string& text);

// The search parameters Brygga supports for a resource type (besides _count, _offset, _format).
const std::vector<std::string>& searchParamsFor(const std::string& type);

// Turns FHIR search parameters into a store query: identifier (system|value, |value, value),
// patient / subject ("Patient/1" or "1"), status (comma = or), _lastUpdated (ge, le, gt, lt, eq
// or a bare date meaning the whole period), _count and _offset. Unknown or unsupported
// parameters are kInvalidArgument naming them.
core::StatusOr<store::SearchQuery> buildSearchQuery(const std::string& type,
                                                    const QueryParams& params, int defaultCount,
                                                    int maxCount);

// "Patient/1", "1", or an absolute URL ending in Patient/1 -> "Patient/1"; nullopt when it
// does not name a Patient.
std::optional<std::string> normalisePatientReference(const std::string& text);

}  // namespace brygga::api

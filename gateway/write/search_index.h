#pragma once

#include <cstdint>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "gateway/store/store.h"

// What the search index holds of a resource, and the rebuild of the stored index when that
// changes (a new search parameter must find what was written before it existed, too).
namespace brygga::write {

// The extraction's version: raise it whenever searchIndexOf() indexes something new or
// differently, and every store is rebuilt once by reindexIfBehind().
//   1: the string parameters name, family, given and address-city (issue 14);
//   2: birthdate as a period (first and last day), a year or month alone included (issue 14);
//   3: family and given no longer repeated under name, which matches their rows too (issue 14).
inline constexpr int kSearchIndexVersion = 3;

// The index entries of a resource as written: fhir::extractIndex, with one "patient" entry (the
// resource's patient, whatever element names it) and no address of a protected identity (a hit
// would tell where the person lives).
std::vector<store::IndexEntry> searchIndexOf(const rapidjson::Value& resource);

// When the store's index was built by an older extraction, rebuilds the index of every current
// resource in one write unit (the gateway calls it at start, before it serves) and records
// kSearchIndexVersion. Returns how many resources were reindexed (0 when it was current).
core::StatusOr<int64_t> reindexIfBehind(store::Store& store);

}  // namespace brygga::write

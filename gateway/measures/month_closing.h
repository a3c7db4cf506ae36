#pragma once

#include <cstdint>

#include "gateway/core/status.h"
#include "gateway/store/store.h"
#include "mappings/mapping_set.h"

// When a month closes, its MeasureReports are kept (issue 13): one per Measure in force, for the
// whole month in Europe/Stockholm, stored once (store::StoredMeasureReport) and never changed,
// so that the figures service management reported stay as they were reported.
namespace brygga::measures {

// Stores the reports of the month before the Stockholm date of `nowMs`, from the second day of
// the new month on (a day's grace for late messages), those not stored yet. Returns how many it
// stored. Safe to call often and from several gateways on one database (a report already kept
// is left as it is).
core::StatusOr<int> storeClosedMonth(store::Store& store, const mappings::MappingSet& set,
                                     int64_t nowMs);

}  // namespace brygga::measures

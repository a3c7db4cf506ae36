#pragma once

#include <cstdint>
#include <string>

#include "gateway/core/status.h"
#include "gateway/measures/measures_config.h"
#include "gateway/store/store.h"
#include "mappings/mapping_set.h"

// When a month closes, its MeasureReports are kept (issue 13): one per Measure in force, for the
// whole month in Europe/Stockholm, stored once (store::StoredMeasureReport) and never changed,
// so that the figures service management reported stay as they were reported. They are read at
// /fhir/MeasureReport (api/measure_api.h) and, when the operator names a destination
// (`measures.forwardTo`), forwarded to it through the outbox like any message.
namespace brygga::measures {

// The identifier system of a kept report; its value is the report's id.
inline constexpr const char* kMeasureReportSystem = "https://brygga.se/fhir/measure-report";

// A kept report's id: "<measure>-<YYYY-MM>" (contacts-2026-11).
std::string keptReportId(const store::StoredMeasureReport& report);

// The kept report as a resource: its JSON with id, identifier (kMeasureReportSystem|id) and
// meta.lastUpdated (when it was kept). kInternal if the stored JSON is not an object.
core::StatusOr<std::string> keptReportResource(const store::StoredMeasureReport& report);

// Stores the reports of the month before the Stockholm date of `nowMs`, from the second day of
// the new month on (a day's grace for late messages), those not stored yet; with
// `config.forwardTo`, each report stored is also enqueued to that destination in the same unit
// (a transaction Bundle updating MeasureReport?identifier=..., ordered per Measure), so a report
// is forwarded exactly when it is kept. Returns how many it stored. Safe to call often and from
// several gateways on one database (a report already kept is left as it is, and not sent again).
core::StatusOr<int> storeClosedMonth(store::Store& store, const mappings::MappingSet& set,
                                     int64_t nowMs, const MeasuresConfig& config = {});

}  // namespace brygga::measures

#include "gateway/measures/month_closing.h"

#include <set>
#include <string>

#include "gateway/core/civil_time.h"
#include "gateway/measures/evaluation.h"

namespace brygga::measures {

core::StatusOr<int> storeClosedMonth(store::Store& store, const mappings::MappingSet& set,
                                     int64_t nowMs) {
  const core::CivilDate today = core::toStockholm(nowMs).date;
  if (today.day < 2) return 0;
  const int year = today.month == 1 ? today.year - 1 : today.year;
  const int month = today.month == 1 ? 12 : today.month - 1;
  const Period period = monthPeriod(year, month);
  const std::string start = period.start.iso();
  BRYGGA_ASSIGN_OR_RETURN(std::vector<store::StoredMeasureReport> kept,
                          store.measureFacts().measureReports(""));
  std::set<std::string> done;
  for (const auto& r : kept) {
    if (r.periodStart == start) done.insert(r.measure);
  }
  std::vector<store::StoredMeasureReport> reports;
  std::optional<FactIndex> index;
  for (const auto& [id, measure] : set.measures()) {
    if (done.count(id)) continue;
    if (!index) {
      BRYGGA_ASSIGN_OR_RETURN(FactIndex loaded, FactIndex::load(store.measureFacts()));
      index.emplace(std::move(loaded));
    }
    reports.push_back(
        {id, start, toMeasureReport(evaluate(measure, *index, period, set), nowMs), nowMs});
  }
  if (reports.empty()) return 0;
  int stored = 0;
  BRYGGA_RETURN_IF_ERROR(store.write([&](store::StoreTransaction& txn) -> core::Status {
    stored = 0;
    for (const auto& r : reports) {
      BRYGGA_ASSIGN_OR_RETURN(bool added, txn.measureFacts().storeMeasureReport(r));
      if (added) ++stored;
    }
    return core::Status::ok();
  }));
  return stored;
}

}  // namespace brygga::measures

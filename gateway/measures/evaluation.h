#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "gateway/core/civil_time.h"
#include "gateway/core/status.h"
#include "gateway/store/store.h"
#include "mappings/mapping_set.h"

// The evaluation of the follow-up Measures (issue 13) over the measure facts: summary
// MeasureReports for periods of whole days in Europe/Stockholm. Pure; a FactIndex is immutable
// once built and may be shared between threads.
namespace brygga::measures {

// periodStart 00:00 to the day after periodEnd 00:00, Stockholm time.
struct Period {
  core::CivilDate start;
  core::CivilDate end;  // inclusive
  int64_t fromMs = 0;
  int64_t toMs = 0;  // exclusive
};
// kInvalidArgument when a date is not YYYY-MM-DD or the end is before the start.
core::StatusOr<Period> makePeriod(std::string_view start, std::string_view end);
Period monthPeriod(int year, int month);

// The facts, indexed by kind and patient.
class FactIndex {
 public:
  explicit FactIndex(std::vector<store::MeasureFact> all);

  const std::vector<store::MeasureFact>& facts() const { return facts_; }
  // The patient's episode segment in force at `ms`: the one covering it, else the last that
  // started before it, else the first; nullptr when the patient has none.
  const store::MeasureFact* segmentAt(const std::string& patient, int64_t ms) const;

  std::vector<const store::MeasureFact*> contacts, requests, admissions, episodes;
  std::unordered_map<std::string, std::vector<const store::MeasureFact*>> episodesByPatient;
  std::unordered_map<std::string, std::vector<const store::MeasureFact*>> admissionsByPatient;
  std::unordered_map<std::string, std::vector<std::string>> diagnosesByPatient;  // system|code
  std::unordered_map<std::string, const store::MeasureFact*> contactById;

 private:
  std::vector<store::MeasureFact> facts_;
};

struct Stratum {
  std::string value;
  std::vector<std::pair<std::string, int64_t>> populations;  // code -> count
};
struct StratifierResult {
  std::string code;
  std::vector<Stratum> strata;
};
struct GroupResult {
  std::string code;
  std::vector<std::pair<std::string, int64_t>> populations;
  std::optional<double> score;  // readmission: the rate; time-to-encounter: the median minutes
  std::string scoreUnit;        // "min" or empty
  std::vector<StratifierResult> stratifiers;
  int64_t count(std::string_view population) const;
};
struct Report {
  std::string measure;  // id
  std::string url;
  Period period;
  std::vector<GroupResult> groups;
  const GroupResult* group(std::string_view code) const;
};

// Evaluates one Measure. `set`: the mappings whose service points' follow-up codes and
// municipalities make the strata (each listed even with no count).
Report evaluate(const mappings::MeasureDefinition& measure, const FactIndex& facts,
                const Period& period, const mappings::MappingSet& set);

// The MeasureReport (type summary, status complete) as JSON; `nowMs` its date.
std::string toMeasureReport(const Report& report, int64_t nowMs);

}  // namespace brygga::measures

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

// The facts, indexed for evaluation: patients, service points, municipalities and codes interned
// as small numbers, contacts and requests as compact rows, episode segments and admissions by
// patient. Built once, evaluated for many periods and measures.
class FactIndex {
 public:
  // Reads every fact from the store: the requests first, so that of the contacts only those a
  // request names are looked up by id.
  static core::StatusOr<FactIndex> load(store::MeasureFactStore& store);
  // From facts in hand.
  explicit FactIndex(const std::vector<store::MeasureFact>& facts);

  size_t contactCount() const { return contacts_.size(); }

 private:
  friend class Evaluator;
  FactIndex() = default;
  void add(const store::MeasureFact& fact);
  void finish();
  int32_t intern(std::unordered_map<std::string, int32_t>& ids, std::vector<std::string>& names,
                 const std::string& text);
  int32_t patientOf(const std::string& id);

  struct Segment {
    int32_t episode = 0;
    int32_t seq = 0;
    int64_t start = 0;
    int64_t end = 0;           // 0: open
    int32_t servicePoint = 0;  // into names_
    int32_t municipality = 0;  // into names_
    bool shortTerm = false;
  };
  struct Contact {
    int32_t patient = 0;
    bool homeVisit = false;
    int64_t start = 0;
  };
  struct Request {
    int32_t patient = 0;
    int64_t start = 0;
    char outcome = 'o';  // o open, a answered, d declined
    bool outside = false;
    int64_t encounterStart = -1;  // the start of the Encounter in its output, when known
    std::string ref;
  };
  struct Admission {
    int64_t start = 0;
    int64_t end = 0;
    int32_t id = 0;
  };
  // The patient's episode segment in force at `ms`: the one covering it, else the last that
  // started before it, else the first; nullptr when the patient has none.
  const Segment* segmentAt(int32_t patient, int64_t ms) const;

  std::unordered_map<std::string, int32_t> patientIds_;
  std::vector<std::string> patients_;
  std::unordered_map<std::string, int32_t> nameIds_;  // service points, municipalities, codes
  std::vector<std::string> names_;
  std::unordered_map<std::string, int32_t> episodeIds_;
  std::vector<std::string> episodes_;
  std::vector<std::vector<Segment>> segments_;      // by patient
  std::vector<std::vector<Admission>> admissions_;  // by patient
  std::vector<std::vector<int32_t>> diagnoses_;     // by patient: system|code into names_
  std::vector<Contact> contacts_;
  std::vector<Request> requests_;
  std::unordered_map<std::string, std::vector<size_t>> requestsByRef_;  // encounter id -> requests
  int32_t admissionCount_ = 0;
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

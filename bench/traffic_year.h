#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench/traffic.h"
#include "mappings/mapping_set.h"

// A synthetic year of home-care traffic whose follow-up figures are known by construction (issue
// 13): enrollments (home and short-term), visits and their corrections, consultation requests in
// and out of service hours with the physicians' answers, discharges, and heart-failure admissions
// from the regional EHR, each at a time the scenario chose as a Stockholm date and clock time.
// While it builds the traffic it counts, month by month, what each Measure must report, without
// the gateway's code: the service point a patient had when, the local day of every event, the
// days between a discharge and the next admission. It contains the edge cases of issue 13:
// contacts on both sides of the March and October clock changes and of the month boundaries
// around them, a discharge on a month's last day, readmission on day 30 against day 31, a
// patient who moves to a facility of another service point mid-month, and visits later
// entered in error. Deterministic for a seed. Not thread-safe.
namespace brygga::traffic {

struct Step {
  int64_t atMs = 0;  // when it is sent: the gateway's clock must read this
  Message message;   // client "region" for the regional EHR
};

// "measure/group/population" (the whole) and "measure/group/population/stratifier=value" -> the
// count, zero counts left out; "measure/group/score" -> the measureScore × 10000, rounded.
using MonthFigures = std::map<std::string, int64_t>;

class YearScenario {
 public:
  YearScenario(std::shared_ptr<const mappings::MappingSet> mappings, uint64_t seed, int year = 2026,
               int randomPatients = 30);

  int year() const { return year_; }
  // Every message, by time.
  const std::vector<Step>& steps() const { return steps_; }
  // What the MeasureReports of `month` (1-12) must say.
  const MonthFigures& expected(int month) const { return expected_.at(month); }

 private:
  struct Plan;
  void build(uint64_t seed, int randomPatients);
  void planPatient(Plan& plan);
  void count(int month, const std::string& key, const std::string& servicePoint,
             const std::string& municipality, bool stratified = true);
  void countEpisodes(const std::vector<Plan>& plans);
  void countReadmissions(const std::vector<Plan>& plans);
  void finishScores();

  std::shared_ptr<const mappings::MappingSet> mappings_;
  int year_;
  std::unique_ptr<Generator> generator_;
  std::vector<Step> steps_;
  std::map<int, MonthFigures> expected_;
  std::map<int, std::vector<double>> minutesToEncounter_;  // by month
  int64_t regionCounter_ = 0;
};

}  // namespace brygga::traffic

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/civil_time.h"
#include "gateway/core/status.h"

// Service hours of the home-care physicians: 08:00-16:30 Monday-Friday in Europe/Stockholm,
// closed on Swedish public holidays, with extra closed or open days, and the primary-care on-call
// service (allmänmedicinsk beredskapsjour) that takes over outside them. The Swedish holidays (the
// Gregorian computus and the fixed and weekday rules) and the calendar are computed here, on
// core's civil time (dates, Europe/Stockholm). Pure; thread-safe.
namespace brygga::mappings {

// Easter Sunday of `year` (Gregorian computus, anonymous algorithm).
core::CivilDate easterSunday(int year);

struct Holiday {
  core::CivilDate date;
  std::string name;
};
// The days the service treats as public holidays in `year`, in date order: New Year's Day,
// Epiphany, Good Friday, Easter Sunday, Easter Monday, May Day, Ascension Day, Whitsunday,
// National Day, Midsummer Eve (the Friday from 19 to 25 June), Midsummer Day, All Saints' Day
// (the Saturday from 31 October to 6 November), Christmas Eve, Christmas Day, Boxing Day and New
// Year's Eve. (Midsummer, Christmas and New Year's Eve are not public holidays in law but are
// closed as if they were.)
std::vector<Holiday> swedishHolidays(int year);
std::optional<std::string> swedishHoliday(const core::CivilDate& date);

// A time for `brygga hours --at`: a FHIR dateTime with a zone (2026-06-19T10:00:00+02:00, ...Z)
// or a Stockholm wall-clock time without one (2026-06-19T10:00 or 2026-06-19T10:00:00).
core::StatusOr<int64_t> parseTimeArgument(std::string_view text);

// "HH:MM" <-> minutes (24:00 allowed as an end); kInvalidArgument otherwise.
core::StatusOr<int> parseClock(std::string_view text, bool allowMidnightEnd);
std::string formatClock(int minutes);

// A weekly window: on the days in `days` (1..7 ISO weekdays; kHolidayDay for public holidays and
// extra closed days) from `fromMinute`; when `toMinute` <= `fromMinute` it runs past midnight into
// the next day.
inline constexpr int kHolidayDay = 8;
struct TimeWindow {
  std::set<int> days;
  int fromMinute = 0;
  int toMinute = 0;
};

struct CalendarDay {
  core::CivilDate date;
  std::string reason;
};

struct OpeningRules {
  std::set<int> days = {1, 2, 3, 4, 5};
  int openMinute = 8 * 60;
  int closeMinute = 16 * 60 + 30;
  bool closedOnPublicHolidays = true;
  std::map<core::CivilDate, std::string> extraClosed;
  std::map<core::CivilDate, std::string> extraOpen;
};

struct OnCallService {
  std::string name;
  std::string contact;
  std::vector<TimeWindow> hours;
};

// The answer for one moment.
struct HoursVerdict {
  enum class Why { kOpen, kOutsideHours, kClosedWeekday, kHoliday, kExtraClosed };
  int64_t atMs = 0;  // the moment asked about
  bool open = false;
  Why why = Why::kOpen;
  std::string reason;        // "Midsummer Eve", "outside service hours (08:00-16:30 Mon-Fri)"
  std::string servicePoint;  // the service point asked about, or empty
  bool onCallOpen = false;
  std::string onCallName;
  std::string onCallContact;
  std::optional<int64_t> onCallOpensMs;  // when closed and the on-call service is not open
  std::optional<int64_t> reopensMs;      // when closed: the next opening of the service

  // One line, first word "open" or "closed":
  //   "open: service hours (08:00-16:30 Mon-Fri)"
  //   "closed: Midsummer Eve; on-call service open: <name> (<contact>); service reopens ..."
  //   "closed: outside service hours (08:00-16:30 Mon-Fri); no one is available: ..."
  std::string text() const;
  // A machine code for Task.statusReason: outside-service-hours | weekend | public-holiday |
  // closed-day.
  std::string code() const;
};

// The calendar of mappings/data/service-hours.json. Immutable after parse; thread-safe.
class ServiceHours {
 public:
  // Checks the file: serviceHours days/open/close, extra days (real dates, a reason each, not both
  // closed and open), the on-call service and its windows, and per-service-point overrides (whose
  // keys must be service point codes in `servicePointCodes`).
  static core::StatusOr<ServiceHours> parse(const rapidjson::Value& json, const std::string& file,
                                            const std::set<std::string>& servicePointCodes);

  HoursVerdict at(int64_t utcMs, std::string_view servicePoint = {}) const;
  // The days from `from` (inclusive) for `days` days on which the service would be open by its
  // weekly hours but is closed: public holidays and extra closed days.
  std::vector<CalendarDay> closedDays(const core::CivilDate& from, int days,
                                      std::string_view servicePoint = {}) const;
  const OpeningRules& rules(std::string_view servicePoint = {}) const;
  const OnCallService& onCall() const { return onCall_; }
  // "08:00-16:30 Mon-Fri"
  std::string hoursText(std::string_view servicePoint = {}) const;
  bool isOpenAt(const OpeningRules& rules, const core::CivilDate& date, int minute) const;

 private:
  bool onCallOpenAt(const core::CivilDate& date, int minute, const OpeningRules& rules) const;
  std::set<int> dayKinds(const core::CivilDate& date, const OpeningRules& rules) const;

  OpeningRules defaults_;
  std::map<std::string, OpeningRules> overrides_;  // by service point code (lower case)
  OnCallService onCall_;
};

}  // namespace brygga::mappings

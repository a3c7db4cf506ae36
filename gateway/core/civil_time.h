#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/core/status.h"

// Civil time: the proleptic Gregorian calendar, UTC instants as epoch milliseconds and the civil
// date-times they are, the FHIR and HTTP text forms, and the one time zone Brygga serves,
// Europe/Stockholm. No time-zone database and no C library time functions (they depend on the
// process's TZ and locale): the EU summer-time rule is small, fixed and testable. Pure and
// thread-safe. Domain calendars (Swedish holidays, service hours) are built on it in mappings/.
namespace brygga::core {

// A calendar date. Dates from the functions below are always valid; a hand-made one may not be
// (isValidCivilDate).
struct CivilDate {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..daysInMonth
  auto operator<=>(const CivilDate&) const = default;
  std::string iso() const;  // 2026-06-19 (years 0..9999)
};

bool isLeapYear(int year);
// 28..31; `month` 1..12.
int daysInMonth(int year, int month);
bool isValidCivilDate(int year, int month, int day);

// Days since 1970-01-01 and back (Howard Hinnant's algorithms; exact for any int year).
int64_t daysFromCivil(const CivilDate& date);
CivilDate civilFromDays(int64_t days);
CivilDate addDays(const CivilDate& date, int64_t days);
// ISO weekday: 1 Monday ... 7 Sunday.
int isoWeekday(const CivilDate& date);
// "Monday" ... "Sunday"; "" for anything else.
const char* weekdayName(int isoWeekday);
// The first date from `from` (inclusive) that falls on `isoWeekday`.
CivilDate nextWeekdayOnOrAfter(const CivilDate& from, int isoWeekday);
// The last date of the month that falls on `isoWeekday` (the last Sunday of March: (y, 3, 7)).
CivilDate lastWeekdayOfMonth(int year, int month, int isoWeekday);

// YYYY-MM-DD, a real calendar date. kInvalidArgument saying what is wrong otherwise.
StatusOr<CivilDate> parseIsoDate(std::string_view text);

// A civil date and time of day, in no particular zone.
struct CivilDateTime {
  CivilDate date;
  int hour = 0;         // 0..23
  int minute = 0;       // 0..59
  int second = 0;       // 0..59
  int millisecond = 0;  // 0..999
  auto operator<=>(const CivilDateTime&) const = default;
};

inline constexpr int64_t kMinuteMs = 60 * 1000;
inline constexpr int64_t kHourMs = 60 * kMinuteMs;
inline constexpr int64_t kDayMs = 24 * kHourMs;

// A UTC instant as the civil date-time it is in UTC, and back (the inverse for every instant).
CivilDateTime civilFromUtcMs(int64_t utcMs);
int64_t utcMsFromCivil(const CivilDateTime& utc);
// YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss, no zone (a wall-clock time).
StatusOr<CivilDateTime> parseCivilDateTime(std::string_view text);

// FHIR instant with millisecond precision in UTC: 2026-11-23T10:15:00.123Z.
std::string formatInstant(int64_t utcMs);
// Parses a FHIR date, dateTime or instant to epoch milliseconds (the start of the period a partial
// date names). kInvalidArgument naming what is wrong (not the text) when it is not one of those.
StatusOr<int64_t> parseFhirDateTime(std::string_view text);
// RFC 9110 IMF-fixdate, for Last-Modified and Date headers: "Mon, 23 Nov 2026 10:15:00 GMT".
std::string formatHttpDate(int64_t utcMs);
// The IMF-fixdate back to epoch milliseconds (If-Modified-Since). The obsolete RFC 850 and asctime
// forms are kInvalidArgument (RFC 9110 lets a server ignore what it cannot parse).
StatusOr<int64_t> parseHttpDate(std::string_view text);

// --- Europe/Stockholm ---------------------------------------------------------------------------
// UTC+1, and UTC+2 from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC
// (the EU rule, in force since 1996; applied to every year).
int stockholmOffsetMinutes(int64_t utcMs);

// A Stockholm wall-clock time and the offset in force.
struct StockholmTime {
  CivilDate date;
  int minuteOfDay = 0;  // 0..1439
  int second = 0;
  int offsetMinutes = 60;
};
StockholmTime toStockholm(int64_t utcMs);

// What a Stockholm wall-clock time names. Most times name one instant. On the last Sunday of March
// the clock jumps from 02:00 to 03:00, so 02:00-02:59 names none (kSkipped); on the last Sunday
// of October it goes from 03:00 back to 02:00, so 02:00-02:59 names two (kRepeated).
struct StockholmInstants {
  enum class Kind { kUnique, kSkipped, kRepeated };
  Kind kind = Kind::kUnique;
  // kUnique: both the instant. kRepeated: the summer-time (first) and the standard-time (second)
  // instant. kSkipped: the wall-clock time read with summer time (an hour early) and with
  // standard time (an hour late on the wall clock), both of which fall outside the gap.
  int64_t earlier = 0;
  int64_t later = 0;
};
StockholmInstants stockholmInstants(const CivilDate& date, int minuteOfDay, int second = 0);
// The one instant Brygga takes for a Stockholm wall-clock time: in the autumn overlap the first
// (summer-time) one, the earlier, so "08:00 on that day" never comes later than it could; a time in
// the spring gap is read as standard time (02:30 becomes 01:30 UTC, which the clock shows as
// 03:30), as if the clock had not been put forward yet.
int64_t fromStockholm(const CivilDate& date, int minuteOfDay, int second = 0);
// 2026-06-19T10:00:00+02:00
std::string formatStockholm(int64_t utcMs);
// For people (the command line's one time convention): 2026-12-05 14:03:11 +01:00, the Stockholm
// wall-clock time with the offset in force. Machine output keeps formatInstant (UTC).
std::string formatStockholmForPeople(int64_t utcMs);

}  // namespace brygga::core

#include "gateway/core/civil_time.h"

#include <cstdio>

#include "gateway/core/text.h"

namespace brygga::core {

namespace {

int64_t floorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// Reads the `n` digits at `pos` into `out`; false when any of them is not a digit or missing.
bool readDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!isAsciiDigit(s[i])) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

const char* const kShortWeekdays[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
const char* const kShortMonths[] = {"",    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The UTC instants at which Stockholm's summer time starts and ends in `year`.
int64_t summerStartMs(int year) {
  return daysFromCivil(lastWeekdayOfMonth(year, 3, 7)) * kDayMs + kHourMs;
}
int64_t summerEndMs(int year) {
  return daysFromCivil(lastWeekdayOfMonth(year, 10, 7)) * kDayMs + kHourMs;
}

}  // namespace

// --- The calendar ---------------------------------------------------------------------------

std::string CivilDate::iso() const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

bool isLeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int daysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && isLeapYear(year) ? 29 : kDays[month - 1];
}

bool isValidCivilDate(int year, int month, int day) {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

int64_t daysFromCivil(const CivilDate& date) {
  int64_t y = date.year;
  const unsigned m = static_cast<unsigned>(date.month);
  const unsigned d = static_cast<unsigned>(date.day);
  y -= m <= 2;
  const int64_t era = floorDiv(y, 400);
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = floorDiv(z, 146097);
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

CivilDate addDays(const CivilDate& date, int64_t days) {
  return civilFromDays(daysFromCivil(date) + days);
}

int isoWeekday(const CivilDate& date) {
  // 1970-01-01 was a Thursday (4).
  const int64_t shifted = daysFromCivil(date) + 3;
  return static_cast<int>(shifted - floorDiv(shifted, 7) * 7) + 1;
}

const char* weekdayName(int weekday) {
  static const char* const kNames[] = {"",         "Monday", "Tuesday",  "Wednesday",
                                       "Thursday", "Friday", "Saturday", "Sunday"};
  return weekday >= 1 && weekday <= 7 ? kNames[weekday] : "";
}

CivilDate nextWeekdayOnOrAfter(const CivilDate& from, int weekday) {
  return addDays(from, (weekday - isoWeekday(from) + 7) % 7);
}

CivilDate lastWeekdayOfMonth(int year, int month, int weekday) {
  const CivilDate last{year, month, daysInMonth(year, month)};
  return addDays(last, -((isoWeekday(last) - weekday + 7) % 7));
}

StatusOr<CivilDate> parseIsoDate(std::string_view s) {
  int y = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !readDigits(s, 0, 4, y) ||
      !readDigits(s, 5, 2, m) || !readDigits(s, 8, 2, d)) {
    return invalidArgument("a date is written YYYY-MM-DD");
  }
  if (m < 1 || m > 12) return invalidArgument("the month must be 01 to 12");
  if (d < 1 || d > daysInMonth(y, m)) return invalidArgument("the day is not in that month");
  return CivilDate{y, m, d};
}

// --- Instants --------------------------------------------------------------------------------

CivilDateTime civilFromUtcMs(int64_t utcMs) {
  const int64_t days = floorDiv(utcMs, kDayMs);
  const int64_t msOfDay = utcMs - days * kDayMs;
  CivilDateTime t;
  t.date = civilFromDays(days);
  t.hour = static_cast<int>(msOfDay / kHourMs);
  t.minute = static_cast<int>(msOfDay % kHourMs / kMinuteMs);
  t.second = static_cast<int>(msOfDay % kMinuteMs / 1000);
  t.millisecond = static_cast<int>(msOfDay % 1000);
  return t;
}

int64_t utcMsFromCivil(const CivilDateTime& t) {
  return daysFromCivil(t.date) * kDayMs + t.hour * kHourMs + t.minute * kMinuteMs +
         t.second * 1000 + t.millisecond;
}

StatusOr<CivilDateTime> parseCivilDateTime(std::string_view s) {
  CivilDateTime t;
  BRYGGA_ASSIGN_OR_RETURN(t.date, parseIsoDate(s.substr(0, 10)));
  if (s.size() < 16 || s[10] != 'T' || !readDigits(s, 11, 2, t.hour) || s[13] != ':' ||
      !readDigits(s, 14, 2, t.minute) ||
      (s.size() != 16 && (s.size() != 19 || s[16] != ':' || !readDigits(s, 17, 2, t.second)))) {
    return invalidArgument("a date and time is written YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss");
  }
  if (t.hour > 23 || t.minute > 59 || t.second > 59) {
    return invalidArgument("the time of day is out of range");
  }
  return t;
}

std::string formatInstant(int64_t utcMs) {
  const CivilDateTime t = civilFromUtcMs(utcMs);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.date.year, t.date.month,
                t.date.day, t.hour, t.minute, t.second, t.millisecond);
  return buf;
}

StatusOr<int64_t> parseFhirDateTime(std::string_view s) {
  const auto bad = [](const std::string& why) {
    return invalidArgument("not a FHIR date, dateTime or instant: " + why);
  };
  CivilDateTime t;
  if (!readDigits(s, 0, 4, t.date.year)) return bad("it must start with a four-digit year");
  size_t pos = 4;
  if (pos < s.size()) {
    if (s[pos] != '-' || !readDigits(s, pos + 1, 2, t.date.month)) {
      return bad("the month must be -MM");
    }
    if (t.date.month < 1 || t.date.month > 12) return bad("the month must be 01 to 12");
    pos += 3;
  }
  if (pos < s.size()) {
    if (s[pos] != '-' || !readDigits(s, pos + 1, 2, t.date.day)) return bad("the day must be -DD");
    if (!isValidCivilDate(t.date.year, t.date.month, t.date.day)) {
      return bad("the day is not in that month");
    }
    pos += 3;
  }
  int offsetMinutes = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' || !readDigits(s, pos + 1, 2, t.hour) || s.size() < pos + 9 ||
        s[pos + 3] != ':' || !readDigits(s, pos + 4, 2, t.minute) || s[pos + 6] != ':' ||
        !readDigits(s, pos + 7, 2, t.second)) {
      return bad("the time must be Thh:mm:ss");
    }
    // A leap second (60) is accepted as FHIR allows it; it counts as the next second.
    if (t.hour > 23 || t.minute > 59 || t.second > 60) return bad("the time is out of range");
    pos += 9;
    if (pos < s.size() && s[pos] == '.') {
      const size_t start = ++pos;
      int scale = 100;
      while (pos < s.size() && isAsciiDigit(s[pos])) {
        t.millisecond += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return bad("a decimal point must be followed by digits");
    }
    if (pos >= s.size()) return bad("a time needs a zone (Z or +hh:mm)");
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      if (!readDigits(s, pos + 1, 2, oh) || s.size() < pos + 6 || s[pos + 3] != ':' ||
          !readDigits(s, pos + 4, 2, om) || oh > 14 || om > 59) {
        return bad("the zone must be Z or +hh:mm");
      }
      offsetMinutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
      pos += 6;
    } else {
      return bad("the zone must be Z or +hh:mm");
    }
  }
  if (pos != s.size()) return bad("there is more after it");
  return utcMsFromCivil(t) - offsetMinutes * kMinuteMs;
}

std::string formatHttpDate(int64_t utcMs) {
  const CivilDateTime t = civilFromUtcMs(utcMs);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                kShortWeekdays[isoWeekday(t.date)], t.date.day, kShortMonths[t.date.month],
                t.date.year, t.hour, t.minute, t.second);
  return buf;
}

StatusOr<int64_t> parseHttpDate(std::string_view text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed positions.
  const auto bad = [] { return invalidArgument("not an HTTP date (IMF-fixdate)"); };
  if (text.size() != 29 || text.substr(3, 2) != ", " || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.substr(25) != " GMT") {
    return bad();
  }
  const auto number = [&](size_t at, size_t length) -> int {
    int value = 0;
    for (size_t i = at; i < at + length; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  CivilDateTime t;
  t.date.day = number(5, 2);
  t.date.year = number(12, 4);
  t.hour = number(17, 2);
  t.minute = number(20, 2);
  t.second = number(23, 2);
  t.date.month = 0;
  for (int m = 1; m <= 12; ++m) {
    if (text.substr(8, 3) == kShortMonths[m]) t.date.month = m;
  }
  if (t.date.month == 0 || t.date.day < 1 || t.date.day > daysInMonth(t.date.year, t.date.month) ||
      t.date.year < 0 || t.hour < 0 || t.hour > 23 || t.minute < 0 || t.minute > 59 ||
      t.second < 0 || t.second > 59 || text.substr(0, 3) != kShortWeekdays[isoWeekday(t.date)]) {
    return bad();
  }
  return utcMsFromCivil(t);
}

// --- Europe/Stockholm ------------------------------------------------------------------------

int stockholmOffsetMinutes(int64_t utcMs) {
  // The switches are at 01:00 UTC in late March and October, so the UTC year is the right one.
  const int year = civilFromDays(floorDiv(utcMs, kDayMs)).year;
  return utcMs >= summerStartMs(year) && utcMs < summerEndMs(year) ? 120 : 60;
}

StockholmTime toStockholm(int64_t utcMs) {
  StockholmTime t;
  t.offsetMinutes = stockholmOffsetMinutes(utcMs);
  const CivilDateTime local = civilFromUtcMs(utcMs + t.offsetMinutes * kMinuteMs);
  t.date = local.date;
  t.minuteOfDay = local.hour * 60 + local.minute;
  t.second = local.second;
  return t;
}

StockholmInstants stockholmInstants(const CivilDate& date, int minuteOfDay, int second) {
  const int64_t wall = daysFromCivil(date) * kDayMs + minuteOfDay * kMinuteMs + second * 1000;
  // The two readings: with summer time (UTC+2) and with standard time (UTC+1). Each is right when
  // the offset in force at the instant it gives is the one it assumed.
  const int64_t summer = wall - 120 * kMinuteMs;
  const int64_t standard = wall - 60 * kMinuteMs;
  const bool summerHolds = stockholmOffsetMinutes(summer) == 120;
  const bool standardHolds = stockholmOffsetMinutes(standard) == 60;
  StockholmInstants out;
  out.earlier = summer;
  out.later = standard;
  if (summerHolds && standardHolds) {
    out.kind = StockholmInstants::Kind::kRepeated;
  } else if (summerHolds || standardHolds) {
    out.kind = StockholmInstants::Kind::kUnique;
    out.earlier = out.later = summerHolds ? summer : standard;
  } else {
    out.kind = StockholmInstants::Kind::kSkipped;
  }
  return out;
}

int64_t fromStockholm(const CivilDate& date, int minuteOfDay, int second) {
  const StockholmInstants at = stockholmInstants(date, minuteOfDay, second);
  switch (at.kind) {
    case StockholmInstants::Kind::kUnique:
    case StockholmInstants::Kind::kRepeated:
      return at.earlier;  // the one, or the first of two (summer time)
    case StockholmInstants::Kind::kSkipped:
      return at.later;  // read as standard time
  }
  return at.later;
}

namespace {

// The date, `separator`, hh:mm:ss, `beforeOffset` and +hh:00 (Stockholm's offsets are whole hours).
std::string formatStockholmWith(int64_t utcMs, const char* separator, const char* beforeOffset) {
  const StockholmTime t = toStockholm(utcMs);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%s%s%02d:%02d:%02d%s+%02d:00", t.date.iso().c_str(), separator,
                t.minuteOfDay / 60, t.minuteOfDay % 60, t.second, beforeOffset,
                t.offsetMinutes / 60);
  return buf;
}

}  // namespace

std::string formatStockholm(int64_t utcMs) {
  return formatStockholmWith(utcMs, "T", "");
}

std::string formatStockholmForPeople(int64_t utcMs) {
  return formatStockholmWith(utcMs, " ", " ");
}

}  // namespace brygga::core

#include "mappings/service_hours.h"

#include <algorithm>
#include <cstdio>

#include "gateway/core/clock.h"
#include "gateway/fhir/json.h"
#include "mappings/data_reader.h"

namespace brygga::mappings {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;

constexpr int64_t kMinuteMs = 60 * 1000;
constexpr int64_t kHourMs = 60 * kMinuteMs;
constexpr int64_t kDayMs = 24 * kHourMs;

const char* const kDayCodes[] = {"", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"};
const char* const kShortDays[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

int64_t floorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool isLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

LocalDate lastSunday(int year, int month) {
  LocalDate d{year, month, daysInMonth(year, month)};
  return addDays(d, -(isoWeekday(d) % 7));
}

// The first date from `first` (inclusive) that falls on `weekday`.
LocalDate firstWeekdayFrom(const LocalDate& first, int weekday) {
  return addDays(first, (weekday - isoWeekday(first) + 7) % 7);
}

bool readTwoDigits(std::string_view s, size_t pos, int& out) {
  if (pos + 2 > s.size() || s[pos] < '0' || s[pos] > '9' || s[pos + 1] < '0' || s[pos + 1] > '9')
    return false;
  out = (s[pos] - '0') * 10 + (s[pos + 1] - '0');
  return true;
}

std::string daysText(const std::set<int>& days) {
  // Consecutive runs as ranges: "Mon-Fri", "Mon-Wed, Fri".
  std::string out;
  std::vector<int> list(days.begin(), days.end());
  for (size_t i = 0; i < list.size();) {
    size_t j = i;
    while (j + 1 < list.size() && list[j + 1] == list[j] + 1 && list[j + 1] <= 7) ++j;
    if (list[i] > 7) break;
    if (!out.empty()) out += ", ";
    out += kShortDays[list[i]];
    if (j > i) {
      out += j == i + 1 ? ", " : "-";
      out += kShortDays[list[j]];
    }
    i = j + 1;
  }
  return out;
}

core::StatusOr<std::set<int>> readDays(const Value& object, const DataPlace& place,
                                       bool allowHoliday) {
  BRYGGA_ASSIGN_OR_RETURN(std::vector<std::string> names, stringArray(object, "days", place, true));
  std::set<int> days;
  for (size_t i = 0; i < names.size(); ++i) {
    int found = 0;
    for (int d = 1; d <= 8; ++d) {
      if (lowerAscii(names[i]) == kDayCodes[d]) found = d;
    }
    if (found == 0 || (found == kHolidayDay && !allowHoliday)) {
      return place.item("days", i).error("'" + names[i] +
                                         "' is not a day (mon, tue, wed, thu, fri, sat, sun" +
                                         (allowHoliday ? ", holiday)" : ")"));
    }
    days.insert(found);
  }
  if (days.empty()) return place.at("days").error("must name at least one day");
  return days;
}

core::StatusOr<int> readClockMember(const Value& object, std::string_view key,
                                    const DataPlace& place, bool allowMidnightEnd) {
  BRYGGA_ASSIGN_OR_RETURN(std::string text, requiredString(object, key, place));
  auto minutes = parseClock(text, allowMidnightEnd);
  if (!minutes.isOk()) {
    return place.at(key).error("'" + text + "' is not a time of day HH:MM" +
                               (allowMidnightEnd ? " (00:00 to 24:00)" : " (00:00 to 23:59)"));
  }
  return *minutes;
}

core::Status readDayList(const Value& object, std::string_view key, const DataPlace& place,
                         std::map<LocalDate, std::string>& out) {
  BRYGGA_ASSIGN_OR_RETURN(const Value* list, optionalArray(object, key, place));
  if (list == nullptr) return core::Status::ok();
  for (SizeType i = 0; i < list->Size(); ++i) {
    const Value& v = (*list)[i];
    const DataPlace p =
        place.item(key, i, v.IsObject() ? std::string(fhir::stringMember(v, "date")) : "");
    BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(v, {"date", "reason"}, p));
    BRYGGA_ASSIGN_OR_RETURN(std::string text, requiredString(v, "date", p));
    auto date = parseLocalDate(text);
    if (!date.isOk()) return p.at("date").error("'" + text + "' is not a date YYYY-MM-DD");
    BRYGGA_ASSIGN_OR_RETURN(std::string reason, requiredString(v, "reason", p));
    if (!out.emplace(*date, reason).second) return p.error("the date is listed twice");
  }
  return core::Status::ok();
}

core::Status readOpening(const Value& object, const DataPlace& place, OpeningRules& rules) {
  BRYGGA_ASSIGN_OR_RETURN(const Value* hours, optionalObject(object, "serviceHours", place));
  if (hours != nullptr) {
    const DataPlace hp = place.at("serviceHours");
    BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(*hours, {"days", "open", "close"}, hp));
    BRYGGA_ASSIGN_OR_RETURN(rules.days, readDays(*hours, hp, false));
    BRYGGA_ASSIGN_OR_RETURN(rules.openMinute, readClockMember(*hours, "open", hp, false));
    BRYGGA_ASSIGN_OR_RETURN(rules.closeMinute, readClockMember(*hours, "close", hp, true));
    if (rules.closeMinute <= rules.openMinute) {
      return hp.at("close").error("must be later than open");
    }
  }
  BRYGGA_ASSIGN_OR_RETURN(
      rules.closedOnPublicHolidays,
      optionalBool(object, "closedOnPublicHolidays", rules.closedOnPublicHolidays, place));
  BRYGGA_RETURN_IF_ERROR(readDayList(object, "extraClosedDays", place, rules.extraClosed));
  BRYGGA_RETURN_IF_ERROR(readDayList(object, "extraOpenDays", place, rules.extraOpen));
  for (const auto& [date, _] : rules.extraOpen) {
    if (rules.extraClosed.count(date)) {
      return place.error(date.iso() + " is both an extra closed and an extra open day");
    }
  }
  return core::Status::ok();
}

std::string whenText(int64_t atMs, int64_t nowMs) {
  const LocalTime t = toStockholm(atMs);
  const LocalTime n = toStockholm(nowMs);
  std::string clock = formatClock(t.minuteOfDay);
  if (t.date == n.date) return "at " + clock;
  return "on " + std::string(weekdayName(isoWeekday(t.date))) + " " + t.date.iso() + " at " + clock;
}

}  // namespace

// --- Calendar ------------------------------------------------------------------------------

std::string LocalDate::iso() const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

int64_t daysFromCivil(const LocalDate& date) {
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

LocalDate civilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = floorDiv(z, 146097);
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return LocalDate{static_cast<int>(y + (m <= 2)), static_cast<int>(m), static_cast<int>(d)};
}

LocalDate addDays(const LocalDate& date, int64_t days) {
  return civilFromDays(daysFromCivil(date) + days);
}

int isoWeekday(const LocalDate& date) {
  // 1970-01-01 was a Thursday (4).
  const int64_t shifted = daysFromCivil(date) + 3;
  return static_cast<int>(shifted - floorDiv(shifted, 7) * 7) + 1;
}

const char* weekdayName(int weekday) {
  static const char* const kNames[] = {"",         "Monday", "Tuesday",  "Wednesday",
                                       "Thursday", "Friday", "Saturday", "Sunday"};
  return weekday >= 1 && weekday <= 7 ? kNames[weekday] : "";
}

core::StatusOr<LocalDate> parseLocalDate(std::string_view s) {
  int y1 = 0, y2 = 0, m = 0, d = 0;
  if (s.size() != 10 || s[4] != '-' || s[7] != '-' || !readTwoDigits(s, 0, y1) ||
      !readTwoDigits(s, 2, y2) || !readTwoDigits(s, 5, m) || !readTwoDigits(s, 8, d)) {
    return core::invalidArgument("a date is written YYYY-MM-DD");
  }
  const int y = y1 * 100 + y2;
  if (m < 1 || m > 12) return core::invalidArgument("the month must be 01 to 12");
  if (d < 1 || d > daysInMonth(y, m)) return core::invalidArgument("the day is not in that month");
  return LocalDate{y, m, d};
}

LocalDate easterSunday(int year) {
  const int a = year % 19;
  const int b = year / 100;
  const int c = year % 100;
  const int d = b / 4;
  const int e = b % 4;
  const int f = (b + 8) / 25;
  const int g = (b - f + 1) / 3;
  const int h = (19 * a + b - d - g + 15) % 30;
  const int i = c / 4;
  const int k = c % 4;
  const int l = (32 + 2 * e + 2 * i - h - k) % 7;
  const int m = (a + 11 * h + 22 * l) / 451;
  const int month = (h + l - 7 * m + 114) / 31;
  const int day = (h + l - 7 * m + 114) % 31 + 1;
  return LocalDate{year, month, day};
}

std::vector<Holiday> swedishHolidays(int year) {
  const LocalDate easter = easterSunday(year);
  std::vector<Holiday> out = {
      {{year, 1, 1}, "New Year's Day"},
      {{year, 1, 6}, "Epiphany"},
      {addDays(easter, -2), "Good Friday"},
      {easter, "Easter Sunday"},
      {addDays(easter, 1), "Easter Monday"},
      {{year, 5, 1}, "May Day"},
      {addDays(easter, 39), "Ascension Day"},
      {addDays(easter, 49), "Whitsunday"},
      {{year, 6, 6}, "National Day"},
      {firstWeekdayFrom({year, 6, 19}, 5), "Midsummer Eve"},
      {firstWeekdayFrom({year, 6, 20}, 6), "Midsummer Day"},
      {firstWeekdayFrom({year, 10, 31}, 6), "All Saints' Day"},
      {{year, 12, 24}, "Christmas Eve"},
      {{year, 12, 25}, "Christmas Day"},
      {{year, 12, 26}, "Boxing Day"},
      {{year, 12, 31}, "New Year's Eve"},
  };
  std::stable_sort(out.begin(), out.end(),
                   [](const Holiday& a, const Holiday& b) { return a.date < b.date; });
  return out;
}

std::optional<std::string> swedishHoliday(const LocalDate& date) {
  for (const auto& h : swedishHolidays(date.year)) {
    if (h.date == date) return h.name;
  }
  return std::nullopt;
}

// --- Europe/Stockholm ----------------------------------------------------------------------

int stockholmOffsetMinutes(int64_t utcMs) {
  const int64_t days = floorDiv(utcMs, kDayMs);
  const int year = civilFromDays(days).year;
  const int64_t summerStart = daysFromCivil(lastSunday(year, 3)) * kDayMs + kHourMs;
  const int64_t summerEnd = daysFromCivil(lastSunday(year, 10)) * kDayMs + kHourMs;
  return utcMs >= summerStart && utcMs < summerEnd ? 120 : 60;
}

LocalTime toStockholm(int64_t utcMs) {
  LocalTime t;
  t.offsetMinutes = stockholmOffsetMinutes(utcMs);
  const int64_t local = utcMs + t.offsetMinutes * kMinuteMs;
  const int64_t days = floorDiv(local, kDayMs);
  const int64_t msOfDay = local - days * kDayMs;
  t.date = civilFromDays(days);
  t.minuteOfDay = static_cast<int>(msOfDay / kMinuteMs);
  t.second = static_cast<int>((msOfDay % kMinuteMs) / 1000);
  return t;
}

int64_t fromStockholm(const LocalDate& date, int minuteOfDay, int second) {
  const int64_t local = daysFromCivil(date) * kDayMs + minuteOfDay * kMinuteMs + second * 1000;
  const int64_t summer = local - 120 * kMinuteMs;
  if (stockholmOffsetMinutes(summer) == 120) return summer;
  return local - 60 * kMinuteMs;
}

std::string formatStockholm(int64_t utcMs) {
  const LocalTime t = toStockholm(utcMs);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d+%02d:00", t.date.iso().c_str(),
                t.minuteOfDay / 60, t.minuteOfDay % 60, t.second, t.offsetMinutes / 60);
  return buf;
}

core::StatusOr<int64_t> parseTimeArgument(std::string_view text) {
  const std::string s(text);
  const auto bad = [&] {
    return core::invalidArgument("'" + fhir::quoteForDiagnostics(text) +
                                 "' is not a time: use 2026-06-19T10:00 (Stockholm time) or "
                                 "2026-06-19T10:00:00+02:00");
  };
  if (s.size() < 16 || s[10] != 'T') return bad();
  const bool zoned = s.back() == 'Z' || s.find('+', 10) != std::string::npos ||
                     s.find('-', 10) != std::string::npos;
  if (zoned) {
    auto ms = core::parseFhirDateTime(s);
    if (!ms.isOk()) return bad();
    return *ms;
  }
  auto date = parseLocalDate(std::string_view(s).substr(0, 10));
  int hour = 0, minute = 0, second = 0;
  if (!date.isOk() || !readTwoDigits(s, 11, hour) || s[13] != ':' ||
      !readTwoDigits(s, 14, minute) || hour > 23 || minute > 59) {
    return bad();
  }
  if (s.size() == 19) {
    if (s[16] != ':' || !readTwoDigits(s, 17, second) || second > 59) return bad();
  } else if (s.size() != 16) {
    return bad();
  }
  return fromStockholm(*date, hour * 60 + minute, second);
}

core::StatusOr<int> parseClock(std::string_view text, bool allowMidnightEnd) {
  int h = 0, m = 0;
  if (text.size() != 5 || text[2] != ':' || !readTwoDigits(text, 0, h) ||
      !readTwoDigits(text, 3, m)) {
    return core::invalidArgument("a time of day is written HH:MM");
  }
  if (h == 24 && m == 0 && allowMidnightEnd) return 24 * 60;
  if (h > 23 || m > 59) {
    return core::invalidArgument(allowMidnightEnd ? "a time of day is 00:00 to 24:00"
                                                  : "a time of day is 00:00 to 23:59");
  }
  return h * 60 + m;
}

std::string formatClock(int minutes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
  return buf;
}

// --- The verdict ---------------------------------------------------------------------------

std::string HoursVerdict::text() const {
  if (open) return "open: " + reason;
  std::string out = "closed: " + reason + "; ";
  if (onCallOpen) {
    out += "on-call service open: " + onCallName;
    if (!onCallContact.empty()) out += " (" + onCallContact + ")";
  } else {
    out += "no one is available";
    if (onCallOpensMs) {
      out +=
          " until the on-call service (" + onCallName + ") opens " + whenText(*onCallOpensMs, atMs);
    }
    out += "; for an emergency call 112";
  }
  if (reopensMs) out += "; the service reopens " + whenText(*reopensMs, atMs);
  return out;
}

std::string HoursVerdict::code() const {
  switch (why) {
    case Why::kOpen:
      return "open";
    case Why::kOutsideHours:
      return "outside-service-hours";
    case Why::kClosedWeekday:
      return "weekend";
    case Why::kHoliday:
      return "public-holiday";
    case Why::kExtraClosed:
      return "closed-day";
  }
  return "closed";
}

// --- ServiceHours --------------------------------------------------------------------------

core::StatusOr<ServiceHours> ServiceHours::parse(const Value& json, const std::string& file,
                                                 const std::set<std::string>& servicePointCodes) {
  const DataPlace root{file, {}};
  BRYGGA_RETURN_IF_ERROR(
      onlyKnownMembers(json,
                       {"kind", "description", "timeZone", "serviceHours", "closedOnPublicHolidays",
                        "extraClosedDays", "extraOpenDays", "onCall", "servicePoints"},
                       root));
  BRYGGA_ASSIGN_OR_RETURN(std::string zone, requiredString(json, "timeZone", root));
  if (zone != "Europe/Stockholm") {
    return root.at("timeZone")
        .error(
            "only Europe/Stockholm is supported (its summer-time rule "
            "is built in)");
  }
  ServiceHours hours;
  if (fhir::member(json, "serviceHours") == nullptr) {
    return root.at("serviceHours").error("is required");
  }
  BRYGGA_RETURN_IF_ERROR(readOpening(json, root, hours.defaults_));

  BRYGGA_ASSIGN_OR_RETURN(const Value* onCall, requiredObject(json, "onCall", root));
  const DataPlace op = root.at("onCall");
  BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(*onCall, {"name", "contact", "hours"}, op));
  BRYGGA_ASSIGN_OR_RETURN(hours.onCall_.name, requiredString(*onCall, "name", op));
  BRYGGA_ASSIGN_OR_RETURN(hours.onCall_.contact, optionalString(*onCall, "contact", op));
  BRYGGA_ASSIGN_OR_RETURN(const Value* windows, requiredArray(*onCall, "hours", op));
  for (SizeType i = 0; i < windows->Size(); ++i) {
    const DataPlace wp = op.item("hours", i);
    const Value& w = (*windows)[i];
    BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(w, {"days", "from", "to"}, wp));
    TimeWindow window;
    BRYGGA_ASSIGN_OR_RETURN(window.days, readDays(w, wp, true));
    BRYGGA_ASSIGN_OR_RETURN(window.fromMinute, readClockMember(w, "from", wp, false));
    BRYGGA_ASSIGN_OR_RETURN(window.toMinute, readClockMember(w, "to", wp, true));
    hours.onCall_.hours.push_back(std::move(window));
  }

  BRYGGA_ASSIGN_OR_RETURN(const Value* points, optionalObject(json, "servicePoints", root));
  if (points != nullptr) {
    for (const auto& m : points->GetObject()) {
      const std::string code(m.name.GetString(), m.name.GetStringLength());
      const DataPlace sp = root.at("servicePoints").at(code);
      if (!servicePointCodes.count(lowerAscii(code))) {
        return sp.error("is not a service point code of the routing table");
      }
      BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(
          m.value, {"serviceHours", "closedOnPublicHolidays", "extraClosedDays", "extraOpenDays"},
          sp));
      OpeningRules rules = hours.defaults_;
      // An override's extra days add to the common ones; its hours replace them.
      std::map<LocalDate, std::string> closed, open;
      rules.extraClosed.swap(closed);
      rules.extraOpen.swap(open);
      BRYGGA_RETURN_IF_ERROR(readOpening(m.value, sp, rules));
      rules.extraClosed.insert(closed.begin(), closed.end());
      rules.extraOpen.insert(open.begin(), open.end());
      hours.overrides_[lowerAscii(code)] = std::move(rules);
    }
  }
  return hours;
}

const OpeningRules& ServiceHours::rules(std::string_view servicePoint) const {
  if (!servicePoint.empty()) {
    auto it = overrides_.find(lowerAscii(servicePoint));
    if (it != overrides_.end()) return it->second;
  }
  return defaults_;
}

std::string ServiceHours::hoursText(std::string_view servicePoint) const {
  const OpeningRules& r = rules(servicePoint);
  return formatClock(r.openMinute) + "-" + formatClock(r.closeMinute) + " " + daysText(r.days);
}

bool ServiceHours::isOpenAt(const OpeningRules& r, const LocalDate& date, int minute) const {
  const bool withinHours = minute >= r.openMinute && minute < r.closeMinute;
  if (r.extraOpen.count(date)) return withinHours;
  if (r.extraClosed.count(date)) return false;
  if (r.closedOnPublicHolidays && swedishHoliday(date)) return false;
  return r.days.count(isoWeekday(date)) && withinHours;
}

std::set<int> ServiceHours::dayKinds(const LocalDate& date, const OpeningRules& r) const {
  std::set<int> kinds = {isoWeekday(date)};
  if (!r.extraOpen.count(date) &&
      (r.extraClosed.count(date) || (r.closedOnPublicHolidays && swedishHoliday(date)))) {
    kinds.insert(kHolidayDay);
  }
  return kinds;
}

bool ServiceHours::onCallOpenAt(const LocalDate& date, int minute, const OpeningRules& r) const {
  const std::set<int> today = dayKinds(date, r);
  const std::set<int> yesterday = dayKinds(addDays(date, -1), r);
  auto matches = [](const std::set<int>& days, const std::set<int>& kinds) {
    return std::any_of(kinds.begin(), kinds.end(), [&](int k) { return days.count(k) > 0; });
  };
  for (const TimeWindow& w : onCall_.hours) {
    const bool overnight = w.toMinute <= w.fromMinute;
    if (matches(w.days, today) && minute >= w.fromMinute && (overnight || minute < w.toMinute)) {
      return true;
    }
    if (overnight && matches(w.days, yesterday) && minute < w.toMinute) return true;
  }
  return false;
}

HoursVerdict ServiceHours::at(int64_t utcMs, std::string_view servicePoint) const {
  const OpeningRules& r = rules(servicePoint);
  const LocalTime now = toStockholm(utcMs);
  HoursVerdict v;
  v.atMs = utcMs;
  v.servicePoint = std::string(servicePoint);
  v.onCallName = onCall_.name;
  v.onCallContact = onCall_.contact;
  const std::string hours = "(" + hoursText(servicePoint) + ")";
  if (isOpenAt(r, now.date, now.minuteOfDay)) {
    v.open = true;
    v.why = HoursVerdict::Why::kOpen;
    auto extra = r.extraOpen.find(now.date);
    v.reason = "service hours " + hours +
               (extra != r.extraOpen.end() ? "; extra open day: " + extra->second : "");
    return v;
  }
  if (auto extra = r.extraClosed.find(now.date);
      extra != r.extraClosed.end() && !r.extraOpen.count(now.date)) {
    v.why = HoursVerdict::Why::kExtraClosed;
    v.reason = extra->second;
  } else if (auto holiday = swedishHoliday(now.date);
             holiday && r.closedOnPublicHolidays && !r.extraOpen.count(now.date)) {
    v.why = HoursVerdict::Why::kHoliday;
    v.reason = *holiday;
  } else if (!r.days.count(isoWeekday(now.date)) && !r.extraOpen.count(now.date)) {
    v.why = HoursVerdict::Why::kClosedWeekday;
    v.reason = std::string(weekdayName(isoWeekday(now.date))) + ", outside service hours " + hours;
  } else {
    v.why = HoursVerdict::Why::kOutsideHours;
    v.reason = "outside service hours " + hours;
  }
  v.onCallOpen = onCallOpenAt(now.date, now.minuteOfDay, r);

  // When the service opens again, and (if nobody is on call now) when the on-call service does.
  for (int d = 0; d <= 31 && !v.reopensMs; ++d) {
    const LocalDate date = addDays(now.date, d);
    if (!isOpenAt(r, date, r.openMinute)) continue;
    const int64_t opens = fromStockholm(date, r.openMinute);
    if (opens > utcMs) v.reopensMs = opens;
  }
  if (!v.onCallOpen) {
    for (int d = 0; d <= 8; ++d) {
      const LocalDate date = addDays(now.date, d);
      const std::set<int> kinds = dayKinds(date, r);
      for (const TimeWindow& w : onCall_.hours) {
        if (!std::any_of(kinds.begin(), kinds.end(), [&](int k) { return w.days.count(k); }))
          continue;
        const int64_t starts = fromStockholm(date, w.fromMinute);
        if (starts > utcMs && (!v.onCallOpensMs || starts < *v.onCallOpensMs)) {
          v.onCallOpensMs = starts;
        }
      }
      if (v.onCallOpensMs) break;
    }
  }
  return v;
}

std::vector<CalendarDay> ServiceHours::closedDays(const LocalDate& from, int days,
                                                  std::string_view servicePoint) const {
  const OpeningRules& r = rules(servicePoint);
  std::vector<CalendarDay> out;
  for (int d = 0; d < days; ++d) {
    const LocalDate date = addDays(from, d);
    if (!r.days.count(isoWeekday(date)) || isOpenAt(r, date, r.openMinute)) continue;
    auto extra = r.extraClosed.find(date);
    if (extra != r.extraClosed.end()) {
      out.push_back({date, extra->second});
    } else if (auto holiday = swedishHoliday(date)) {
      out.push_back({date, *holiday});
    }
  }
  return out;
}

}  // namespace brygga::mappings

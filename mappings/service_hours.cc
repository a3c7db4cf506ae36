#include "mappings/service_hours.h"

#include <algorithm>
#include <cstdio>

#include "gateway/core/civil_time.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "mappings/data_reader.h"

namespace brygga::mappings {

namespace {

using rapidjson::SizeType;
using rapidjson::Value;

const char* const kDayCodes[] = {"", "mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"};
const char* const kShortDays[] = {"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

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
      if (core::lowerAscii(names[i]) == kDayCodes[d]) found = d;
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
                         std::map<core::CivilDate, std::string>& out) {
  BRYGGA_ASSIGN_OR_RETURN(const Value* list, optionalArray(object, key, place));
  if (list == nullptr) return core::Status::ok();
  for (SizeType i = 0; i < list->Size(); ++i) {
    const Value& v = (*list)[i];
    const DataPlace p =
        place.item(key, i, v.IsObject() ? std::string(fhir::stringMember(v, "date")) : "");
    BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(v, {"date", "reason"}, p));
    BRYGGA_ASSIGN_OR_RETURN(std::string text, requiredString(v, "date", p));
    auto date = core::parseIsoDate(text);
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
  const core::StockholmTime t = core::toStockholm(atMs);
  const core::StockholmTime n = core::toStockholm(nowMs);
  std::string clock = formatClock(t.minuteOfDay);
  if (t.date == n.date) return "at " + clock;
  return "on " + std::string(core::weekdayName(core::isoWeekday(t.date))) + " " + t.date.iso() +
         " at " + clock;
}

}  // namespace

// --- Calendar ------------------------------------------------------------------------------

core::CivilDate easterSunday(int year) {
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
  return core::CivilDate{year, month, day};
}

std::vector<Holiday> swedishHolidays(int year) {
  const core::CivilDate easter = easterSunday(year);
  std::vector<Holiday> out = {
      {{year, 1, 1}, "New Year's Day"},
      {{year, 1, 6}, "Epiphany"},
      {core::addDays(easter, -2), "Good Friday"},
      {easter, "Easter Sunday"},
      {core::addDays(easter, 1), "Easter Monday"},
      {{year, 5, 1}, "May Day"},
      {core::addDays(easter, 39), "Ascension Day"},
      {core::addDays(easter, 49), "Whitsunday"},
      {{year, 6, 6}, "National Day"},
      {core::nextWeekdayOnOrAfter({year, 6, 19}, 5), "Midsummer Eve"},
      {core::nextWeekdayOnOrAfter({year, 6, 20}, 6), "Midsummer Day"},
      {core::nextWeekdayOnOrAfter({year, 10, 31}, 6), "All Saints' Day"},
      {{year, 12, 24}, "Christmas Eve"},
      {{year, 12, 25}, "Christmas Day"},
      {{year, 12, 26}, "Boxing Day"},
      {{year, 12, 31}, "New Year's Eve"},
  };
  std::stable_sort(out.begin(), out.end(),
                   [](const Holiday& a, const Holiday& b) { return a.date < b.date; });
  return out;
}

std::optional<std::string> swedishHoliday(const core::CivilDate& date) {
  for (const auto& h : swedishHolidays(date.year)) {
    if (h.date == date) return h.name;
  }
  return std::nullopt;
}

// --- Times of day ---------------------------------------------------------------------------

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
  auto ms = zoned ? core::parseFhirDateTime(s) : [&]() -> core::StatusOr<int64_t> {
    BRYGGA_ASSIGN_OR_RETURN(const core::CivilDateTime wall, core::parseCivilDateTime(s));
    return core::fromStockholm(wall.date, wall.hour * 60 + wall.minute, wall.second);
  }();
  if (!ms.isOk()) return bad();
  return *ms;
}

core::StatusOr<int> parseClock(std::string_view text, bool allowMidnightEnd) {
  const auto hours = core::parseDecimal(text.substr(0, 2));
  const auto minutes = core::parseDecimal(text.substr(std::min<size_t>(text.size(), 3)));
  if (text.size() != 5 || text[2] != ':' || !hours.isOk() || !minutes.isOk()) {
    return core::invalidArgument("a time of day is written HH:MM");
  }
  const int h = static_cast<int>(*hours), m = static_cast<int>(*minutes);
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
      if (!servicePointCodes.count(core::lowerAscii(code))) {
        return sp.error("is not a service point code of the routing table");
      }
      BRYGGA_RETURN_IF_ERROR(onlyKnownMembers(
          m.value, {"serviceHours", "closedOnPublicHolidays", "extraClosedDays", "extraOpenDays"},
          sp));
      OpeningRules rules = hours.defaults_;
      // An override's extra days add to the common ones; its hours replace them.
      std::map<core::CivilDate, std::string> closed, open;
      rules.extraClosed.swap(closed);
      rules.extraOpen.swap(open);
      BRYGGA_RETURN_IF_ERROR(readOpening(m.value, sp, rules));
      rules.extraClosed.insert(closed.begin(), closed.end());
      rules.extraOpen.insert(open.begin(), open.end());
      hours.overrides_[core::lowerAscii(code)] = std::move(rules);
    }
  }
  return hours;
}

const OpeningRules& ServiceHours::rules(std::string_view servicePoint) const {
  if (!servicePoint.empty()) {
    auto it = overrides_.find(core::lowerAscii(servicePoint));
    if (it != overrides_.end()) return it->second;
  }
  return defaults_;
}

std::string ServiceHours::hoursText(std::string_view servicePoint) const {
  const OpeningRules& r = rules(servicePoint);
  return formatClock(r.openMinute) + "-" + formatClock(r.closeMinute) + " " + daysText(r.days);
}

bool ServiceHours::isOpenAt(const OpeningRules& r, const core::CivilDate& date, int minute) const {
  const bool withinHours = minute >= r.openMinute && minute < r.closeMinute;
  if (r.extraOpen.count(date)) return withinHours;
  if (r.extraClosed.count(date)) return false;
  if (r.closedOnPublicHolidays && swedishHoliday(date)) return false;
  return r.days.count(core::isoWeekday(date)) && withinHours;
}

std::set<int> ServiceHours::dayKinds(const core::CivilDate& date, const OpeningRules& r) const {
  std::set<int> kinds = {core::isoWeekday(date)};
  if (!r.extraOpen.count(date) &&
      (r.extraClosed.count(date) || (r.closedOnPublicHolidays && swedishHoliday(date)))) {
    kinds.insert(kHolidayDay);
  }
  return kinds;
}

bool ServiceHours::onCallOpenAt(const core::CivilDate& date, int minute,
                                const OpeningRules& r) const {
  const std::set<int> today = dayKinds(date, r);
  const std::set<int> yesterday = dayKinds(core::addDays(date, -1), r);
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
  const core::StockholmTime now = core::toStockholm(utcMs);
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
  } else if (!r.days.count(core::isoWeekday(now.date)) && !r.extraOpen.count(now.date)) {
    v.why = HoursVerdict::Why::kClosedWeekday;
    v.reason = std::string(core::weekdayName(core::isoWeekday(now.date))) +
               ", outside service hours " + hours;
  } else {
    v.why = HoursVerdict::Why::kOutsideHours;
    v.reason = "outside service hours " + hours;
  }
  v.onCallOpen = onCallOpenAt(now.date, now.minuteOfDay, r);

  // When the service opens again, and (if nobody is on call now) when the on-call service does.
  for (int d = 0; d <= 31 && !v.reopensMs; ++d) {
    const core::CivilDate date = core::addDays(now.date, d);
    if (!isOpenAt(r, date, r.openMinute)) continue;
    const int64_t opens = core::fromStockholm(date, r.openMinute);
    if (opens > utcMs) v.reopensMs = opens;
  }
  if (!v.onCallOpen) {
    for (int d = 0; d <= 8; ++d) {
      const core::CivilDate date = core::addDays(now.date, d);
      const std::set<int> kinds = dayKinds(date, r);
      for (const TimeWindow& w : onCall_.hours) {
        if (!std::any_of(kinds.begin(), kinds.end(), [&](int k) { return w.days.count(k); }))
          continue;
        const int64_t starts = core::fromStockholm(date, w.fromMinute);
        if (starts > utcMs && (!v.onCallOpensMs || starts < *v.onCallOpensMs)) {
          v.onCallOpensMs = starts;
        }
      }
      if (v.onCallOpensMs) break;
    }
  }
  return v;
}

std::vector<CalendarDay> ServiceHours::closedDays(const core::CivilDate& from, int days,
                                                  std::string_view servicePoint) const {
  const OpeningRules& r = rules(servicePoint);
  std::vector<CalendarDay> out;
  for (int d = 0; d < days; ++d) {
    const core::CivilDate date = core::addDays(from, d);
    if (!r.days.count(core::isoWeekday(date)) || isOpenAt(r, date, r.openMinute)) continue;
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

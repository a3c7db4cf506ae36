// Civil time: the calendar and UTC compared with the C library's timegm/gmtime_r over a long
// range, the FHIR and HTTP text forms, and Europe/Stockholm at its summer-time edges.
#include "gateway/core/civil_time.h"

#include <gtest/gtest.h>

#include <clocale>
#include <ctime>
#include <string>
#include <utility>

namespace brygga::core {
namespace {

int64_t utc(const char* fhirInstant) {
  auto ms = parseFhirDateTime(fhirInstant);
  EXPECT_TRUE(ms.isOk()) << fhirInstant << ": " << ms.status().toString();
  return ms.isOk() ? *ms : 0;
}

std::tm utcTm(int64_t seconds) {
  const std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  EXPECT_NE(gmtime_r(&t, &tm), nullptr) << seconds;
  return tm;
}

int64_t timegmOf(const CivilDateTime& c) {
  std::tm tm{};
  tm.tm_year = c.date.year - 1900;
  tm.tm_mon = c.date.month - 1;
  tm.tm_mday = c.date.day;
  tm.tm_hour = c.hour;
  tm.tm_min = c.minute;
  tm.tm_sec = c.second;
  return static_cast<int64_t>(timegm(&tm));
}

// --- The calendar ---------------------------------------------------------------------------

TEST(CivilDate, LeapYearsFollowTheGregorianRule) {
  EXPECT_FALSE(isLeapYear(1900));
  EXPECT_TRUE(isLeapYear(2000));
  EXPECT_TRUE(isLeapYear(2024));
  EXPECT_FALSE(isLeapYear(2026));
  EXPECT_FALSE(isLeapYear(2100));
  EXPECT_TRUE(isLeapYear(2400));
  EXPECT_EQ(daysInMonth(2024, 2), 29);
  EXPECT_EQ(daysInMonth(2100, 2), 28);
  EXPECT_EQ(daysInMonth(2026, 4), 30);
  EXPECT_EQ(daysInMonth(2026, 12), 31);
  EXPECT_TRUE(isValidCivilDate(2000, 2, 29));
  EXPECT_FALSE(isValidCivilDate(1900, 2, 29));
  EXPECT_FALSE(isValidCivilDate(2026, 0, 1));
  EXPECT_FALSE(isValidCivilDate(2026, 13, 1));
  EXPECT_FALSE(isValidCivilDate(2026, 4, 31));
  EXPECT_FALSE(isValidCivilDate(2026, 1, 0));
}

TEST(CivilDate, DayNumbersAgreeWithTimegmFrom1600To2400) {
  int64_t expected = daysFromCivil({1600, 1, 1});
  EXPECT_EQ(expected * kDayMs / 1000, timegmOf({{1600, 1, 1}}));
  for (int year = 1600; year <= 2400; ++year) {
    for (int month = 1; month <= 12; ++month) {
      for (int day = 1; day <= daysInMonth(year, month); ++day) {
        const CivilDate date{year, month, day};
        ASSERT_EQ(daysFromCivil(date), expected) << date.iso();
        ASSERT_EQ(civilFromDays(expected), date) << expected;
        ++expected;
      }
    }
    ASSERT_EQ(daysFromCivil({year, 12, 31}) * kDayMs / 1000, timegmOf({{year, 12, 31}})) << year;
  }
  EXPECT_EQ(daysFromCivil({1970, 1, 1}), 0);
  EXPECT_EQ(daysFromCivil({1969, 12, 31}), -1);
  EXPECT_EQ(daysFromCivil({2000, 3, 1}), 11017);
}

TEST(CivilDate, DayNumbersRoundTripFarFromTheEpoch) {
  for (int64_t days = -5'000'000; days <= 5'000'000; days += 997) {
    ASSERT_EQ(daysFromCivil(civilFromDays(days)), days);
  }
  EXPECT_EQ(civilFromDays(daysFromCivil({-4713, 11, 24})), (CivilDate{-4713, 11, 24}));
}

TEST(CivilDate, AddingDaysCrossesMonthsYearsAndLeapDays) {
  EXPECT_EQ(addDays({2024, 2, 28}, 1), (CivilDate{2024, 2, 29}));
  EXPECT_EQ(addDays({2024, 2, 28}, 2), (CivilDate{2024, 3, 1}));
  EXPECT_EQ(addDays({2026, 2, 28}, 1), (CivilDate{2026, 3, 1}));
  EXPECT_EQ(addDays({2026, 12, 31}, 1), (CivilDate{2027, 1, 1}));
  EXPECT_EQ(addDays({2025, 1, 1}, -1), (CivilDate{2024, 12, 31}));
  EXPECT_EQ(addDays({1970, 1, 1}, -1), (CivilDate{1969, 12, 31}));
  EXPECT_EQ(addDays({2026, 1, 1}, 365), (CivilDate{2027, 1, 1}));
  EXPECT_EQ(addDays({2024, 1, 1}, 365), (CivilDate{2024, 12, 31}));
}

TEST(CivilDate, WeekdaysAgreeWithGmtime) {
  EXPECT_EQ(isoWeekday({1970, 1, 1}), 4);
  EXPECT_EQ(isoWeekday({1900, 1, 1}), 1);
  EXPECT_EQ(isoWeekday({2026, 11, 23}), 1);
  EXPECT_EQ(isoWeekday({2026, 11, 29}), 7);
  EXPECT_STREQ(weekdayName(isoWeekday({2026, 3, 29})), "Sunday");
  EXPECT_STREQ(weekdayName(0), "");
  for (CivilDate d{1899, 12, 25}; d < CivilDate{2101, 1, 8}; d = addDays(d, 1)) {
    const std::tm tm = utcTm(daysFromCivil(d) * 86400);
    ASSERT_EQ(isoWeekday(d) % 7, tm.tm_wday) << d.iso();
  }
}

TEST(CivilDate, WeekdayRulesFindTheDaysTheCalendarNames) {
  // The EU summer-time Sundays of 2026 and 2027.
  EXPECT_EQ(lastWeekdayOfMonth(2026, 3, 7), (CivilDate{2026, 3, 29}));
  EXPECT_EQ(lastWeekdayOfMonth(2026, 10, 7), (CivilDate{2026, 10, 25}));
  EXPECT_EQ(lastWeekdayOfMonth(2027, 3, 7), (CivilDate{2027, 3, 28}));
  EXPECT_EQ(lastWeekdayOfMonth(2027, 10, 7), (CivilDate{2027, 10, 31}));  // the last day itself
  EXPECT_EQ(lastWeekdayOfMonth(2026, 2, 6), (CivilDate{2026, 2, 28}));
  EXPECT_EQ(nextWeekdayOnOrAfter({2026, 6, 19}, 5), (CivilDate{2026, 6, 19}));  // itself
  EXPECT_EQ(nextWeekdayOnOrAfter({2026, 6, 20}, 5), (CivilDate{2026, 6, 26}));
  EXPECT_EQ(nextWeekdayOnOrAfter({2026, 12, 28}, 5), (CivilDate{2027, 1, 1}));
}

TEST(CivilDate, IsoDatesParseAndSayWhatIsWrong) {
  EXPECT_EQ(parseIsoDate("2024-02-29").value(), (CivilDate{2024, 2, 29}));
  EXPECT_EQ(parseIsoDate("0001-01-01").value(), (CivilDate{1, 1, 1}));
  EXPECT_EQ(parseIsoDate("2026-06-19").value().iso(), "2026-06-19");
  const std::pair<const char*, const char*> cases[] = {
      {"2026-02-29", "the day is not in that month"},
      {"2026-04-31", "the day is not in that month"},
      {"2026-13-01", "the month must be 01 to 12"},
      {"2026-00-10", "the month must be 01 to 12"},
      {"2026-6-19", "a date is written YYYY-MM-DD"},
      {"2026-06-19T", "a date is written YYYY-MM-DD"},
      {"20260619", "a date is written YYYY-MM-DD"},
      {"2026-0a-19", "a date is written YYYY-MM-DD"},
      {"", "a date is written YYYY-MM-DD"},
  };
  for (const auto& [text, why] : cases) {
    const auto date = parseIsoDate(text);
    ASSERT_FALSE(date.isOk()) << text;
    EXPECT_EQ(date.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(date.status().message(), why) << text;
  }
}

// --- Instants --------------------------------------------------------------------------------

TEST(CivilDateTime, InstantsAgreeWithGmtimeAndTimegmFrom1900To2200) {
  const int64_t from = utcMsFromCivil({{1900, 1, 1}});
  const int64_t to = utcMsFromCivil({{2200, 1, 1}});
  // A step that is no multiple of a minute, hour or day, so that every field takes many values.
  for (int64_t ms = from; ms < to; ms += 7'919'013'457) {
    const CivilDateTime c = civilFromUtcMs(ms);
    // Whole seconds rounded down (before 1970 too), as a UTC instant's second is.
    const int64_t seconds = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    const std::tm tm = utcTm(seconds);
    ASSERT_EQ(c.date.year, tm.tm_year + 1900) << ms;
    ASSERT_EQ(c.date.month, tm.tm_mon + 1) << ms;
    ASSERT_EQ(c.date.day, tm.tm_mday) << ms;
    ASSERT_EQ(c.hour, tm.tm_hour) << ms;
    ASSERT_EQ(c.minute, tm.tm_min) << ms;
    ASSERT_EQ(c.second, tm.tm_sec) << ms;
    ASSERT_EQ(c.millisecond, ms - seconds * 1000);
    ASSERT_EQ(utcMsFromCivil(c), ms);
    ASSERT_EQ(timegmOf(c) * 1000 + c.millisecond, ms);
  }
}

TEST(CivilDateTime, BeforeTheEpochMillisecondsCountForward) {
  EXPECT_EQ(civilFromUtcMs(-1), (CivilDateTime{{1969, 12, 31}, 23, 59, 59, 999}));
  EXPECT_EQ(formatInstant(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(formatInstant(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatInstant(utc("2026-12-31T23:59:59.999Z") + 1), "2027-01-01T00:00:00.000Z");
}

TEST(CivilDateTime, WallClockTimesParseWithOrWithoutSeconds) {
  EXPECT_EQ(parseCivilDateTime("2026-06-19T10:00").value(),
            (CivilDateTime{{2026, 6, 19}, 10, 0, 0, 0}));
  EXPECT_EQ(parseCivilDateTime("2026-06-19T23:59:59").value(),
            (CivilDateTime{{2026, 6, 19}, 23, 59, 59, 0}));
  for (const char* bad :
       {"2026-06-19", "2026-06-19T10", "2026-06-19T10:00Z", "2026-06-19 10:00",
        "2026-06-19T10:00:0", "2026-06-19T24:00", "2026-06-19T10:60", "2026-02-30T10:00"}) {
    EXPECT_FALSE(parseCivilDateTime(bad).isOk()) << bad;
  }
}

TEST(FhirDateTime, FormatsAndParsesInstants) {
  EXPECT_EQ(formatInstant(utc("2026-11-23T10:15:00.123Z")), "2026-11-23T10:15:00.123Z");
  EXPECT_EQ(formatInstant(utc("2026-11-23T11:15:00.123+01:00")), "2026-11-23T10:15:00.123Z");
  EXPECT_EQ(formatInstant(utc("2026-11-23T05:15:00.1-05:00")), "2026-11-23T10:15:00.100Z");
  EXPECT_EQ(formatInstant(utc("2024-02-29")), "2024-02-29T00:00:00.000Z");
  EXPECT_EQ(formatInstant(utc("2026-03")), "2026-03-01T00:00:00.000Z");
  EXPECT_EQ(formatInstant(utc("2026")), "2026-01-01T00:00:00.000Z");
  // A leap second is accepted and counts as the next second.
  EXPECT_EQ(formatInstant(utc("2016-12-31T23:59:60Z")), "2017-01-01T00:00:00.000Z");
}

TEST(FhirDateTime, RejectsWhatIsNotADateSayingWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "four-digit year"},
      {"2026-13-01", "month must be 01 to 12"},
      {"2023-02-29", "day is not in that month"},
      {"2026-11-23T10:15:00", "needs a zone"},
      {"2026-11-23T25:00:00Z", "time is out of range"},
      {"2026-1-1", "month must be -MM"},
      {"yesterday", "four-digit year"},
      {"2026-11-23T10:15:00.Z", "followed by digits"},
      {"2026-11-23T10:15:00+1:00", "zone must be Z or +hh:mm"},
      {"2026-11-23T10:15:00Zz", "more after it"},
  };
  for (const auto& [bad, why] : cases) {
    const auto parsed = parseFhirDateTime(bad);
    ASSERT_FALSE(parsed.isOk()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(parsed.status().message().find(why), std::string::npos)
        << bad << ": " << parsed.status().message();
  }
}

TEST(HttpDate, IsTheImfFixdateTheCLibraryWritesInTheCLocale) {
  EXPECT_EQ(formatHttpDate(utc("1994-11-06T08:49:37Z")), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(formatHttpDate(utc("2026-11-23T10:15:00.999Z")), "Mon, 23 Nov 2026 10:15:00 GMT");
  ASSERT_NE(std::setlocale(LC_TIME, "C"), nullptr);
  for (int64_t ms = 0; ms < utc("2100-01-01T00:00:00Z"); ms += 86'399'017'003) {
    const std::tm tm = utcTm(ms / 1000);
    char expected[64];
    std::strftime(expected, sizeof expected, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    ASSERT_EQ(formatHttpDate(ms), expected) << ms;
  }
}

TEST(HttpDate, ParsesTheImfFixdateBackAndRefusesAnythingElse) {
  for (int64_t ms = 0; ms < utc("2100-01-01T00:00:00Z"); ms += 86'399'017'000) {
    const int64_t whole = ms / 1000 * 1000;
    auto parsed = parseHttpDate(formatHttpDate(whole));
    ASSERT_TRUE(parsed.isOk()) << formatHttpDate(whole);
    ASSERT_EQ(*parsed, whole);
  }
  for (const char* bad : {"Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                          "Mon, 06 Nov 1994 08:49:37 GMT", "Sun, 31 Nov 1994 08:49:37 GMT",
                          "Sun, 06 Now 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49:37 UTC", "", "Sun, 06 Nov 1994 08:4x:37 GMT"}) {
    EXPECT_FALSE(parseHttpDate(bad).isOk()) << bad;
  }
}

// --- Europe/Stockholm ------------------------------------------------------------------------

TEST(Stockholm, SummerTimeRunsFromTheLastSundayOfMarchToTheLastOfOctoberAt0100Utc) {
  // The EU dates as published for 2020-2030.
  const std::pair<CivilDate, CivilDate> kSwitches[] = {
      {{2020, 3, 29}, {2020, 10, 25}}, {{2021, 3, 28}, {2021, 10, 31}},
      {{2022, 3, 27}, {2022, 10, 30}}, {{2023, 3, 26}, {2023, 10, 29}},
      {{2024, 3, 31}, {2024, 10, 27}}, {{2025, 3, 30}, {2025, 10, 26}},
      {{2026, 3, 29}, {2026, 10, 25}}, {{2027, 3, 28}, {2027, 10, 31}},
      {{2028, 3, 26}, {2028, 10, 29}}, {{2029, 3, 25}, {2029, 10, 28}},
      {{2030, 3, 31}, {2030, 10, 27}},
  };
  for (const auto& [spring, autumn] : kSwitches) {
    const int64_t on = daysFromCivil(spring) * kDayMs + kHourMs;
    const int64_t off = daysFromCivil(autumn) * kDayMs + kHourMs;
    EXPECT_EQ(stockholmOffsetMinutes(on - 1), 60) << spring.iso();
    EXPECT_EQ(stockholmOffsetMinutes(on), 120) << spring.iso();
    EXPECT_EQ(stockholmOffsetMinutes(off - 1), 120) << autumn.iso();
    EXPECT_EQ(stockholmOffsetMinutes(off), 60) << autumn.iso();
  }
  EXPECT_EQ(stockholmOffsetMinutes(utc("2026-01-01T00:00:00Z")), 60);
  EXPECT_EQ(stockholmOffsetMinutes(utc("2026-07-01T00:00:00Z")), 120);
  EXPECT_EQ(stockholmOffsetMinutes(utc("2026-12-31T23:30:00Z")), 60);  // already 2027 there
}

TEST(Stockholm, TheWallClockJumpsForwardOn29March2026AndBackOn25October2026) {
  EXPECT_EQ(formatStockholm(utc("2026-03-29T00:59:59Z")), "2026-03-29T01:59:59+01:00");
  EXPECT_EQ(formatStockholmForPeople(utc("2026-12-05T13:03:11Z")), "2026-12-05 14:03:11 +01:00");
  EXPECT_EQ(formatStockholmForPeople(utc("2026-06-19T08:00:00Z")), "2026-06-19 10:00:00 +02:00");
  EXPECT_EQ(formatStockholm(utc("2026-03-29T01:00:00Z")), "2026-03-29T03:00:00+02:00");
  EXPECT_EQ(formatStockholm(utc("2026-10-25T00:59:59Z")), "2026-10-25T02:59:59+02:00");
  EXPECT_EQ(formatStockholm(utc("2026-10-25T01:00:00Z")), "2026-10-25T02:00:00+01:00");
  EXPECT_EQ(formatStockholm(utc("2026-06-19T08:00:00Z")), "2026-06-19T10:00:00+02:00");
  EXPECT_EQ(formatStockholm(utc("2026-01-15T09:00:00Z")), "2026-01-15T10:00:00+01:00");
  // New Year in Stockholm comes an hour before it does in UTC.
  const StockholmTime newYear = toStockholm(utc("2026-12-31T23:00:00Z"));
  EXPECT_EQ(newYear.date, (CivilDate{2027, 1, 1}));
  EXPECT_EQ(newYear.minuteOfDay, 0);
  EXPECT_EQ(newYear.offsetMinutes, 60);
}

TEST(Stockholm, TheSpringGapNamesNoInstantAndIsReadAsStandardTime) {
  const CivilDate day{2026, 3, 29};
  for (int minute : {2 * 60, 2 * 60 + 30, 2 * 60 + 59}) {
    const StockholmInstants at = stockholmInstants(day, minute);
    EXPECT_EQ(at.kind, StockholmInstants::Kind::kSkipped) << minute;
    // 02:30 read with summer time is 00:30 UTC (the clock shows 01:30), with standard time 01:30
    // UTC (the clock shows 03:30); Brygga takes the latter.
    EXPECT_EQ(at.earlier, daysFromCivil(day) * kDayMs + (minute - 120) * kMinuteMs);
    EXPECT_EQ(at.later, at.earlier + kHourMs);
    EXPECT_EQ(fromStockholm(day, minute), at.later);
  }
  EXPECT_EQ(fromStockholm(day, 2 * 60 + 30), utc("2026-03-29T01:30:00Z"));
  EXPECT_EQ(formatStockholm(fromStockholm(day, 2 * 60 + 30)), "2026-03-29T03:30:00+02:00");
  EXPECT_EQ(stockholmInstants(day, 60 + 59, 59).kind, StockholmInstants::Kind::kUnique);
  EXPECT_EQ(fromStockholm(day, 60 + 59, 59), utc("2026-03-29T00:59:59Z"));
  EXPECT_EQ(stockholmInstants(day, 3 * 60).kind, StockholmInstants::Kind::kUnique);
  EXPECT_EQ(fromStockholm(day, 3 * 60), utc("2026-03-29T01:00:00Z"));
}

TEST(Stockholm, TheAutumnOverlapNamesTwoInstantsAndTakesTheFirst) {
  const CivilDate day{2026, 10, 25};
  for (int minute : {2 * 60, 2 * 60 + 30, 2 * 60 + 59}) {
    const StockholmInstants at = stockholmInstants(day, minute);
    EXPECT_EQ(at.kind, StockholmInstants::Kind::kRepeated) << minute;
    EXPECT_EQ(at.later - at.earlier, kHourMs);
    EXPECT_EQ(toStockholm(at.earlier).offsetMinutes, 120);
    EXPECT_EQ(toStockholm(at.later).offsetMinutes, 60);
    EXPECT_EQ(toStockholm(at.earlier).minuteOfDay, minute);
    EXPECT_EQ(toStockholm(at.later).minuteOfDay, minute);
    EXPECT_EQ(fromStockholm(day, minute), at.earlier);
  }
  EXPECT_EQ(fromStockholm(day, 2 * 60 + 30), utc("2026-10-25T00:30:00Z"));
  EXPECT_EQ(stockholmInstants(day, 60 + 59).kind, StockholmInstants::Kind::kUnique);
  EXPECT_EQ(stockholmInstants(day, 3 * 60).kind, StockholmInstants::Kind::kUnique);
  EXPECT_EQ(fromStockholm(day, 3 * 60), utc("2026-10-25T02:00:00Z"));
}

TEST(Stockholm, WallClockAndInstantRoundTripEveryQuarterHourOf2020To2030) {
  for (int64_t ms = utc("2020-01-01T00:00:00Z"); ms < utc("2031-01-01T00:00:00Z");
       ms += 15 * kMinuteMs) {
    const StockholmTime local = toStockholm(ms);
    const StockholmInstants at = stockholmInstants(local.date, local.minuteOfDay, local.second);
    ASSERT_NE(at.kind, StockholmInstants::Kind::kSkipped) << formatInstant(ms);
    ASSERT_TRUE(at.earlier == ms || at.later == ms) << formatInstant(ms);
    if (at.kind == StockholmInstants::Kind::kUnique) {
      ASSERT_EQ(fromStockholm(local.date, local.minuteOfDay, local.second), ms);
    }
  }
}

}  // namespace
}  // namespace brygga::core

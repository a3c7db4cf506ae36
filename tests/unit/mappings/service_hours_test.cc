// Service hours: Swedish public holidays for any year, Europe/Stockholm summer time without a
// time-zone database, and the open/closed verdict with the on-call service.
#include "mappings/service_hours.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/core/civil_time.h"
#include "gateway/fhir/json.h"
#include "tests/support/mappings_test_util.h"

namespace brygga::mappings {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

int64_t at(const std::string& text) {
  auto ms = parseTimeArgument(text);
  EXPECT_TRUE(ms.isOk()) << text << ": " << ms.status().toString();
  return ms.isOk() ? *ms : 0;
}

TEST(Calendar, EasterFollowsTheGregorianComputus) {
  const std::pair<int, core::CivilDate> kKnown[] = {
      {1818, {1818, 3, 22}}, {1943, {1943, 4, 25}}, {1961, {1961, 4, 2}},  {2000, {2000, 4, 23}},
      {2019, {2019, 4, 21}}, {2024, {2024, 3, 31}}, {2025, {2025, 4, 20}}, {2026, {2026, 4, 5}},
      {2027, {2027, 3, 28}}, {2038, {2038, 4, 25}}, {2285, {2285, 3, 22}}};
  for (const auto& [year, date] : kKnown) EXPECT_EQ(easterSunday(year), date) << year;
}

TEST(Calendar, SwedishHolidaysOf2026) {
  const std::pair<core::CivilDate, const char*> kExpected[] = {
      {{2026, 1, 1}, "New Year's Day"},  {{2026, 1, 6}, "Epiphany"},
      {{2026, 4, 3}, "Good Friday"},     {{2026, 4, 6}, "Easter Monday"},
      {{2026, 5, 1}, "May Day"},         {{2026, 5, 14}, "Ascension Day"},
      {{2026, 6, 6}, "National Day"},    {{2026, 6, 19}, "Midsummer Eve"},
      {{2026, 12, 24}, "Christmas Eve"}, {{2026, 12, 25}, "Christmas Day"},
      {{2026, 12, 26}, "Boxing Day"},    {{2026, 12, 31}, "New Year's Eve"}};
  for (const auto& [date, name] : kExpected) {
    EXPECT_EQ(swedishHoliday(date).value_or("none"), name) << date.iso();
  }
  EXPECT_FALSE(swedishHoliday({2026, 6, 18}).has_value());
  EXPECT_FALSE(swedishHoliday({2026, 11, 23}).has_value());
}

TEST(Calendar, MidsummerEveIsTheFridayFrom19To25June) {
  EXPECT_EQ(swedishHoliday({2025, 6, 20}).value_or(""), "Midsummer Eve");
  EXPECT_EQ(swedishHoliday({2027, 6, 25}).value_or(""), "Midsummer Eve");
  EXPECT_EQ(swedishHoliday({2032, 6, 25}).value_or(""), "Midsummer Eve");
  EXPECT_EQ(swedishHoliday({2037, 6, 19}).value_or(""), "Midsummer Eve");
  for (int year = 1990; year < 2100; ++year) {
    int eves = 0;
    for (int day = 19; day <= 25; ++day) {
      if (swedishHoliday({year, 6, day}).value_or("") == "Midsummer Eve") {
        ++eves;
        EXPECT_EQ(core::isoWeekday({year, 6, day}), 5) << year;
      }
    }
    EXPECT_EQ(eves, 1) << year;
  }
}

TEST(Stockholm, WallClockTimesBecomeInstants) {
  EXPECT_EQ(at("2026-06-19T10:00"), at("2026-06-19T08:00:00Z"));
  EXPECT_EQ(at("2026-01-15T10:00:00"), at("2026-01-15T09:00:00Z"));
  // The autumn hour that occurs twice: the first (summer-time) one.
  EXPECT_EQ(at("2026-10-25T02:30"), at("2026-10-25T00:30:00Z"));
  // The spring gap is read as standard time.
  EXPECT_EQ(at("2026-03-29T02:30"), at("2026-03-29T01:30:00Z"));
  EXPECT_FALSE(parseTimeArgument("2026-06-19").isOk());
  EXPECT_FALSE(parseTimeArgument("2026-06-19T25:00").isOk());
  EXPECT_FALSE(parseTimeArgument("tomorrow").isOk());
}

class HoursTest : public ::testing::Test {
 protected:
  void SetUp() override { set_ = testing::repoMappings(); }
  HoursVerdict verdict(const std::string& when, const std::string& servicePoint = {}) {
    return set_->hours().at(at(when), servicePoint);
  }
  std::shared_ptr<const MappingSet> set_;
};

TEST_F(HoursTest, OpenOnWeekdaysFrom0800To1630StockholmTime) {
  EXPECT_TRUE(verdict("2026-11-23T08:00").open);  // Monday
  EXPECT_TRUE(verdict("2026-11-23T16:29").open);
  EXPECT_FALSE(verdict("2026-11-23T07:59").open);
  EXPECT_FALSE(verdict("2026-11-23T16:30").open);
  // Summer time: 08:00 in Stockholm is 06:00 UTC.
  EXPECT_TRUE(verdict("2026-06-17T06:00:00Z").open);
  EXPECT_FALSE(verdict("2026-06-17T05:59:00Z").open);
  EXPECT_THAT(verdict("2026-11-23T10:00").text(),
              StartsWith("open: service hours (08:00-16:30 Mon-Fri)"));
}

TEST_F(HoursTest, TheGapBefore1700SaysPlainlyThatNoOneIsAvailable) {
  HoursVerdict v = verdict("2026-11-23T16:45");
  EXPECT_FALSE(v.open);
  EXPECT_FALSE(v.onCallOpen);
  EXPECT_EQ(v.code(), "outside-service-hours");
  EXPECT_EQ(v.text(),
            "closed: outside service hours (08:00-16:30 Mon-Fri); no one is available until the "
            "on-call service (Allmänmedicinsk beredskapsjour, Region Halland) opens at 17:00; for "
            "an emergency call 112; the service reopens on Tuesday 2026-11-24 at 08:00");
}

TEST_F(HoursTest, WeekdayEveningsAndNightsGoToTheOnCallService) {
  for (const char* when : {"2026-11-23T17:00", "2026-11-23T23:30", "2026-11-24T07:59"}) {
    HoursVerdict v = verdict(when);
    EXPECT_FALSE(v.open) << when;
    EXPECT_TRUE(v.onCallOpen) << when;
    EXPECT_THAT(v.text(), StartsWith("closed: outside service hours (08:00-16:30 Mon-Fri); "
                                     "on-call service open: Allmänmedicinsk beredskapsjour"))
        << when;
  }
}

TEST_F(HoursTest, SaturdayIsClosedWithTheOnCallServiceOpen) {
  HoursVerdict v = verdict("2026-11-28T11:00");
  EXPECT_FALSE(v.open);
  EXPECT_TRUE(v.onCallOpen);
  EXPECT_EQ(v.code(), "weekend");
  EXPECT_THAT(v.text(), StartsWith("closed: Saturday, outside service hours"));
  EXPECT_THAT(v.text(), HasSubstr("the service reopens on Monday 2026-11-30 at 08:00"));
}

TEST_F(HoursTest, MidsummerEveIsClosedAllDay) {
  for (const char* when : {"2026-06-19T07:30", "2026-06-19T10:00", "2026-06-19T16:45"}) {
    HoursVerdict v = verdict(when);
    EXPECT_FALSE(v.open) << when;
    EXPECT_TRUE(v.onCallOpen) << when;
    EXPECT_EQ(v.code(), "public-holiday");
    EXPECT_THAT(v.text(), StartsWith("closed: Midsummer Eve; on-call service open: ")) << when;
    EXPECT_THAT(v.text(), HasSubstr("reopens on Monday 2026-06-22 at 08:00"));
  }
  // The day before is an ordinary Thursday.
  EXPECT_TRUE(verdict("2026-06-18T10:00").open);
}

TEST_F(HoursTest, HolidaysOfOtherYearsAreComputedToo) {
  EXPECT_THAT(verdict("2031-04-11T10:00").text(), StartsWith("closed: Good Friday"));
  EXPECT_THAT(verdict("2030-05-30T10:00").text(), StartsWith("closed: Ascension Day"));
  EXPECT_THAT(verdict("2027-12-24T09:00").text(), StartsWith("closed: Christmas Eve"));
}

TEST_F(HoursTest, ComingClosedDaysAreTheWeekdayHolidays) {
  auto days = set_->hours().closedDays({2026, 12, 20}, 14);
  ASSERT_EQ(days.size(), 4u);
  EXPECT_EQ(days[0].date, (core::CivilDate{2026, 12, 24}));
  EXPECT_EQ(days[0].reason, "Christmas Eve");
  EXPECT_EQ(days[1].date, (core::CivilDate{2026, 12, 25}));
  EXPECT_EQ(days[2].date, (core::CivilDate{2026, 12, 31}));
  EXPECT_EQ(days[3].date, (core::CivilDate{2027, 1, 1}));
}

TEST_F(HoursTest, ExtraClosedAndOpenDaysAndServicePointOverridesComeFromTheFile) {
  auto files = testing::repoMappingFiles();
  testing::editFile(files, "service-hours.json", R"("extraClosedDays": [])",
                    R"("extraClosedDays": [{"date": "2026-11-24", "reason": "Staff training"}])");
  testing::editFile(files, "service-hours.json", R"("extraOpenDays": [])",
                    R"("extraOpenDays": [{"date": "2026-06-19", "reason": "Midsummer cover"}])");
  testing::editFile(
      files, "service-hours.json", R"("servicePoints": {})",
      R"("servicePoints": {"hylte-vc": {"serviceHours": {"days": ["mon","tue","wed","thu"],
         "open": "08:00", "close": "16:00"}}})");
  auto set = MappingSet::parse(files);
  ASSERT_TRUE(set.isOk()) << set.status().toString();
  const ServiceHours& hours = (*set)->hours();
  HoursVerdict training = hours.at(at("2026-11-24T10:00"));
  EXPECT_EQ(training.text().substr(0, 24), "closed: Staff training; ");
  EXPECT_EQ(training.code(), "closed-day");
  EXPECT_TRUE(training.onCallOpen);  // a closed day counts as a holiday for the on-call service
  EXPECT_TRUE(hours.at(at("2026-06-19T10:00")).open);
  EXPECT_THAT(hours.at(at("2026-06-19T10:00")).text(), HasSubstr("Midsummer cover"));
  EXPECT_TRUE(hours.at(at("2026-11-26T15:00"), "kungsbacka").open);
  EXPECT_FALSE(hours.at(at("2026-11-26T16:15"), "hylte-vc").open);
  EXPECT_FALSE(hours.at(at("2026-11-27T10:00"), "Hylte-VC").open);  // Friday
  EXPECT_EQ(hours.hoursText("hylte-vc"), "08:00-16:00 Mon-Thu");
}

TEST(ServiceHoursFile, ErrorsNameTheFileAndTheEntry) {
  struct Case {
    const char* from;
    const char* to;
    const char* message;
  };
  const Case kCases[] = {
      {R"("close": "16:30")", R"("close": "16:70")",
       "service-hours.json: serviceHours.close: '16:70' is not a time of day"},
      {R"("extraClosedDays": [])", R"("extraClosedDays": [{"date": "2026-02-30", "reason": "x"}])",
       "service-hours.json: extraClosedDays[0] (2026-02-30).date: '2026-02-30' is not a date"},
      {R"("days": ["sat", "sun", "holiday"])", R"("days": ["sat", "sunday"])",
       "service-hours.json: onCall.hours[1].days[1]: 'sunday' is not a day"},
      {R"("servicePoints": {})", R"("servicePoints": {"hylte": {}})",
       "service-hours.json: servicePoints.hylte: is not a service point code"},
      {R"("timeZone": "Europe/Stockholm")", R"("timeZone": "Europe/Oslo")",
       "service-hours.json: timeZone: only Europe/Stockholm is supported"},
  };
  for (const auto& c : kCases) {
    auto files = testing::repoMappingFiles();
    testing::editFile(files, "service-hours.json", c.from, c.to);
    auto set = MappingSet::parse(files);
    ASSERT_FALSE(set.isOk()) << c.to;
    EXPECT_THAT(set.status().message(), StartsWith(c.message));
  }
}

}  // namespace
}  // namespace brygga::mappings

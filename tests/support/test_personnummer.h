#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace brygga::testing {

// The n-th number (0 <= n < 474,800) of a series of test-style personnummer, for tests and load
// generation that need many distinct patients: birth dates 1900-01-01 to 1912-12-31 (day n/100),
// serial 900 + n%100 and a valid Luhn check digit, formatted YYYYMMDD-NNNC. Never log them.
inline std::string testPersonnummer(int64_t n) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const auto leap = [](int year) { return year % 4 == 0 && year != 1900; };
  int64_t day = n / 100;
  const int serial = 900 + static_cast<int>(n % 100);
  int year = 1900;
  while (day >= (leap(year) ? 366 : 365)) day -= leap(year) ? 366 : 365, ++year;
  int month = 1;
  while (day >= (month == 2 && leap(year) ? 29 : kDays[month - 1])) {
    day -= month == 2 && leap(year) ? 29 : kDays[month - 1];
    ++month;
  }
  const int dayOfMonth = static_cast<int>(day) + 1;
  // Luhn over YYMMDDNNN: weights 2,1,2,... from the left, digit sums of the products.
  const int digits[9] = {year % 100 / 10, year % 10,        month / 10,
                         month % 10,      dayOfMonth / 10,  dayOfMonth % 10,
                         serial / 100,    serial / 10 % 10, serial % 10};
  int sum = 0;
  for (int i = 0; i < 9; ++i) {
    const int d = digits[i] * (i % 2 == 0 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  }
  char out[32];
  std::snprintf(out, sizeof out, "%04d%02d%02d-%03d%d", year % 10000, month % 100, dayOfMonth % 100,
                serial % 1000, (10 - sum % 10) % 10);
  return out;
}

// The birth date (YYYY-MM-DD) a personnummer from testPersonnummer() carries.
inline std::string birthDateOf(const std::string& personnummer) {
  return personnummer.substr(0, 4) + "-" + personnummer.substr(4, 2) + "-" +
         personnummer.substr(6, 2);
}

}  // namespace brygga::testing

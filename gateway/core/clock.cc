#include "gateway/core/clock.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace brygga::core {

namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool readDigits(const std::string& s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool isLeap(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int daysInMonth(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::string formatInstant(int64_t epochMs) {
  int64_t secs = epochMs / 1000;
  int64_t ms = epochMs % 1000;
  if (ms < 0) {
    ms += 1000;
    secs -= 1;
  }
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

bool parseFhirDateTime(const std::string& s, int64_t& epochMs) {
  int year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  if (!readDigits(s, 0, 4, year)) return false;
  size_t pos = 4;
  if (pos < s.size()) {
    if (s[pos] != '-' || !readDigits(s, pos + 1, 2, month) || month < 1 || month > 12) return false;
    pos += 3;
  }
  if (pos < s.size()) {
    if (s[pos] != '-' || !readDigits(s, pos + 1, 2, day) || day < 1 ||
        day > daysInMonth(year, month))
      return false;
    pos += 3;
  }
  int offsetMinutes = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' || !readDigits(s, pos + 1, 2, hour) || s.size() < pos + 9 ||
        s[pos + 3] != ':' || !readDigits(s, pos + 4, 2, minute) || s[pos + 6] != ':' ||
        !readDigits(s, pos + 7, 2, second) || hour > 23 || minute > 59 || second > 60)
      return false;
    pos += 9;
    if (pos < s.size() && s[pos] == '.') {
      size_t start = ++pos;
      int scale = 100;
      while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
        millis += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return false;
    }
    if (pos >= s.size()) return false;  // a time needs a zone
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh = 0, om = 0;
      if (!readDigits(s, pos + 1, 2, oh) || s.size() < pos + 6 || s[pos + 3] != ':' ||
          !readDigits(s, pos + 4, 2, om) || oh > 14 || om > 59)
        return false;
      offsetMinutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
      pos += 6;
    } else {
      return false;
    }
  }
  if (pos != s.size()) return false;
  int64_t days = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  epochMs = secs * 1000 + millis;
  return true;
}

}  // namespace brygga::core

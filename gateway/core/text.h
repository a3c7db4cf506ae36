#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"

// Small pieces every parser of outside text needs. ASCII only and independent of the C locale
// (the <cctype> functions are neither, and are undefined for a negative char).
namespace brygga::core {

constexpr bool isAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}
constexpr bool isAsciiAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool isAsciiAlnum(char c) {
  return isAsciiDigit(c) || isAsciiAlpha(c);
}
// Space, \t, \n, \v, \f, \r (what isspace means in the C locale).
constexpr bool isAsciiSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
constexpr char toLowerAscii(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
// `text` with A-Z lowered; every other byte (UTF-8 included) unchanged.
std::string lowerAscii(std::string_view text);

// A string as FHIR string search compares it (R4 3.1.1.4.3: "normalized by case and accent"):
// A-Z lowered and the letters of Latin-1 and Latin Extended-A (U+00C0-U+017F) reduced to their
// base letters (Å, Ä, á -> a; Ö, Ø -> o; ß -> ss; Æ -> ae). Other bytes are kept as they are.
std::string foldForSearch(std::string_view text);

// 0..15 for a hex digit of either case, -1 for anything else.
constexpr int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
constexpr bool isAsciiHexDigit(char c) {
  return hexDigitValue(c) >= 0;
}

// Query-string components (application/x-www-form-urlencoded): '+' is a space and %XX a byte.
// Strict: a '%' not followed by two hex digits is kInvalidArgument, never passed through.
StatusOr<std::string> percentDecode(std::string_view text);
// Escapes every byte but ASCII letters, digits and - . _ ~ : / as %XX (upper-case hex), so the
// text is one query-string component ('|' becomes %7C, a space %20).
std::string percentEncode(std::string_view text);

// A non-negative decimal number: 1 to 18 ASCII digits (so it always fits in int64_t), leading
// zeros allowed, nothing else (no sign, no spaces). kInvalidArgument saying what is wrong; the
// message never repeats the text.
StatusOr<int64_t> parseDecimal(std::string_view text);

// Rows as aligned columns for a terminal: the first row is the header; each column is as wide as
// its widest cell (counted in UTF-8 characters) and two spaces apart; an empty cell shows "-"; the
// last column is not padded. One line per row, each ending in '\n'.
std::string alignColumns(const std::vector<std::vector<std::string>>& rows);

}  // namespace brygga::core

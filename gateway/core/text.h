#pragma once

#include <cstdint>
#include <string_view>

#include "gateway/core/status.h"

// Small pieces every parser of outside text needs. ASCII only and independent of the C locale
// (the <cctype> functions are neither, and are undefined for a negative char).
namespace brygga::core {

constexpr bool isAsciiDigit(char c) {
  return c >= '0' && c <= '9';
}

// 0..15 for a hex digit of either case, -1 for anything else.
constexpr int hexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A non-negative decimal number: 1 to 18 ASCII digits (so it always fits in int64_t), leading
// zeros allowed, nothing else (no sign, no spaces). kInvalidArgument saying what is wrong; the
// message never repeats the text.
StatusOr<int64_t> parseDecimal(std::string_view text);

}  // namespace brygga::core

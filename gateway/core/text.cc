#include "gateway/core/text.h"

namespace brygga::core {

StatusOr<int64_t> parseDecimal(std::string_view text) {
  constexpr size_t kMaxDigits = 18;
  if (text.empty()) return invalidArgument("a number is expected and the text is empty");
  if (text.size() > kMaxDigits) return invalidArgument("a number has at most 18 digits");
  int64_t n = 0;
  for (const char c : text) {
    if (!isAsciiDigit(c)) return invalidArgument("a number has only the digits 0-9");
    n = n * 10 + (c - '0');
  }
  return n;
}

}  // namespace brygga::core

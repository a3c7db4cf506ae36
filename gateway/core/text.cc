#include "gateway/core/text.h"

namespace brygga::core {

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = toLowerAscii(c);
  return out;
}

StatusOr<std::string> percentDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      const int hi = i + 1 < text.size() ? hexDigitValue(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? hexDigitValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return invalidArgument("malformed percent escape: '%' must be followed by two hex digits");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (isAsciiAlnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == ':' ||
        ch == '/') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

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

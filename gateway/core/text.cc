#include "gateway/core/text.h"

#include <algorithm>

namespace brygga::core {

std::string lowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = toLowerAscii(c);
  return out;
}

namespace {

using namespace std::string_view_literals;

// The base letters of U+00C0..U+017F, one entry per code point ('\0': keep the character as it
// is, e.g. the multiplication and division signs; '1'..'4': the ligatures below).
constexpr std::string_view kLatinBase =
    // U+00C0-U+00FF: ÀÁÂÃÄÅ Æ Ç ÈÉÊË ÌÍÎÏ Ð Ñ ÒÓÔÕÖ × Ø ÙÚÛÜ Ý Þ ß, then the small letters.
    "aaaaaa1ceeeeiiiidnooooo\0ouuuuy23"
    "aaaaaa1ceeeeiiiidnooooo\0ouuuuy2y"
    // U+0100-U+017F: ĀāĂăĄą ĆćĈĉĊċČč Ďď Đđ ĒēĔĕĖėĘęĚě ĜĝĞğĠġĢģ ĤĥĦħ ĨĩĪīĬĭĮįİı Ĳĳ Ĵĵ Ķķĸ
    // ĹĺĻļĽľĿŀŁł ŃńŅņŇňŉŊŋ ŌōŎŏŐő Œœ ŔŕŖŗŘř ŚśŜŝŞşŠš ŢţŤťŦŧ ŨũŪūŬŭŮůŰűŲų Ŵŵ ŶŷŸ ŹźŻżŽž ſ
    "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii44jjkkk"
    "llllllllllnnnnnnnnnoooooo55rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs"sv;  // NUL inside
static_assert(kLatinBase.size() == 0x180 - 0xC0);
constexpr std::string_view kLigatures[] = {"ae", "th", "ss", "ij", "oe"};

}  // namespace

std::string foldForSearch(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += toLowerAscii(static_cast<char>(c));
      continue;
    }
    // A two-byte UTF-8 sequence for U+00C0..U+017F: lead byte C3, C4 or C5.
    if (c >= 0xC3 && c <= 0xC5 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      const unsigned codePoint = ((c & 0x1Fu) << 6) | (next & 0x3Fu);
      if ((next & 0xC0u) == 0x80u && codePoint >= 0xC0 && codePoint <= 0x17F) {
        const char base = kLatinBase[codePoint - 0xC0];
        if (base >= '1' && base <= '5') {
          out += kLigatures[base - '1'];
          ++i;
          continue;
        }
        if (base != '\0') {
          out += base;
          ++i;
          continue;
        }
      }
    }
    out += static_cast<char>(c);
  }
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

namespace {

size_t utf8Length(std::string_view text) {
  size_t n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

}  // namespace

std::string alignColumns(const std::vector<std::vector<std::string>>& rows) {
  auto cell = [](const std::vector<std::string>& row, size_t i) -> std::string_view {
    return i < row.size() && !row[i].empty() ? std::string_view(row[i]) : std::string_view("-");
  };
  size_t columns = 0;
  for (const auto& row : rows) columns = std::max(columns, row.size());
  std::vector<size_t> widths(columns, 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns; ++i) widths[i] = std::max(widths[i], utf8Length(cell(row, i)));
  }
  std::string out;
  for (const auto& row : rows) {
    for (size_t i = 0; i < columns; ++i) {
      const std::string_view text = cell(row, i);
      out += text;
      if (i + 1 < columns) out.append(widths[i] - utf8Length(text) + 2, ' ');
    }
    out += '\n';
  }
  return out;
}

}  // namespace brygga::core

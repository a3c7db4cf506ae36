#include "gateway/fhir/primitives.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "gateway/core/civil_time.h"

namespace brygga::fhir::r4 {

namespace {

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
// Java's \s, which the spec's regexes use: space, \t, \n, \x0B, \f, \r.
bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\x0B' || c == '\f' || c == '\r';
}
bool isLowerHex(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f');
}
bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Reads `n` digits at `pos` into `out`.
bool digits(std::string_view text, size_t pos, size_t n, int& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!isDigit(text[pos + i])) return false;
    out = out * 10 + (text[pos + i] - '0');
  }
  return true;
}

// YYYY, YYYY-MM or YYYY-MM-DD at the start of `text`; returns the length read (0 when none) and
// whether a full date was read. Year 0000 is not a FHIR year.
size_t scanDate(std::string_view text, bool& full) {
  full = false;
  int year = 0, month = 0, day = 0;
  if (!digits(text, 0, 4, year) || year == 0) return 0;
  if (text.size() == 4 || text[4] != '-') return 4;
  if (!digits(text, 5, 2, month) || month < 1 || month > 12) return 0;
  if (text.size() == 7 || text[7] != '-') return 7;
  if (!digits(text, 8, 2, day) || !core::isValidCivilDate(year, month, day)) return 0;
  full = true;
  return 10;
}

// hh:mm:ss(.f+)? at `pos`; returns the position after it, or npos.
size_t scanTime(std::string_view text, size_t pos) {
  int hour = 0, minute = 0, second = 0;
  if (!digits(text, pos, 2, hour) || hour > 23) return std::string_view::npos;
  if (pos + 2 >= text.size() || text[pos + 2] != ':') return std::string_view::npos;
  if (!digits(text, pos + 3, 2, minute) || minute > 59) return std::string_view::npos;
  if (pos + 5 >= text.size() || text[pos + 5] != ':') return std::string_view::npos;
  if (!digits(text, pos + 6, 2, second) || second > 60) return std::string_view::npos;
  pos += 8;
  if (pos < text.size() && text[pos] == '.') {
    const size_t start = ++pos;
    while (pos < text.size() && isDigit(text[pos])) ++pos;
    if (pos == start) return std::string_view::npos;
  }
  return pos;
}

// Z or +hh:mm / -hh:mm (hours up to 13, or 14:00), exactly to the end of `text`.
bool isZone(std::string_view text, size_t pos) {
  if (pos >= text.size()) return false;
  if (text[pos] == 'Z') return pos + 1 == text.size();
  if (text[pos] != '+' && text[pos] != '-') return false;
  int hour = 0, minute = 0;
  if (pos + 6 != text.size() || !digits(text, pos + 1, 2, hour) || text[pos + 3] != ':' ||
      !digits(text, pos + 4, 2, minute)) {
    return false;
  }
  return (hour <= 13 && minute <= 59) || (hour == 14 && minute == 0);
}

bool isAbsoluteOrRelativeText(std::string_view text) {
  return !text.empty() && isUriText(text);
}

}  // namespace

Primitive primitiveByName(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, Primitive>, 20> kNames = {{
      {"base64Binary", Primitive::kBase64Binary},
      {"boolean", Primitive::kBoolean},
      {"canonical", Primitive::kCanonical},
      {"code", Primitive::kCode},
      {"date", Primitive::kDate},
      {"dateTime", Primitive::kDateTime},
      {"decimal", Primitive::kDecimal},
      {"id", Primitive::kId},
      {"instant", Primitive::kInstant},
      {"integer", Primitive::kInteger},
      {"markdown", Primitive::kMarkdown},
      {"oid", Primitive::kOid},
      {"positiveInt", Primitive::kPositiveInt},
      {"string", Primitive::kString},
      {"time", Primitive::kTime},
      {"unsignedInt", Primitive::kUnsignedInt},
      {"uri", Primitive::kUri},
      {"url", Primitive::kUrl},
      {"uuid", Primitive::kUuid},
      {"xhtml", Primitive::kXhtml},
  }};
  for (const auto& [n, p] : kNames) {
    if (n == name) return p;
  }
  return Primitive::kNone;
}

const char* primitiveName(Primitive p) {
  switch (p) {
    case Primitive::kNone:
      return "(complex)";
    case Primitive::kBase64Binary:
      return "base64Binary";
    case Primitive::kBoolean:
      return "boolean";
    case Primitive::kCanonical:
      return "canonical";
    case Primitive::kCode:
      return "code";
    case Primitive::kDate:
      return "date";
    case Primitive::kDateTime:
      return "dateTime";
    case Primitive::kDecimal:
      return "decimal";
    case Primitive::kId:
      return "id";
    case Primitive::kInstant:
      return "instant";
    case Primitive::kInteger:
      return "integer";
    case Primitive::kMarkdown:
      return "markdown";
    case Primitive::kOid:
      return "oid";
    case Primitive::kPositiveInt:
      return "positiveInt";
    case Primitive::kString:
      return "string";
    case Primitive::kTime:
      return "time";
    case Primitive::kUnsignedInt:
      return "unsignedInt";
    case Primitive::kUri:
      return "uri";
    case Primitive::kUrl:
      return "url";
    case Primitive::kUuid:
      return "uuid";
    case Primitive::kXhtml:
      return "xhtml";
  }
  return "?";
}

bool isDate(std::string_view text) {
  bool full = false;
  const size_t n = scanDate(text, full);
  return n != 0 && n == text.size();
}

bool isDateTime(std::string_view text) {
  bool full = false;
  const size_t n = scanDate(text, full);
  if (n == 0) return false;
  if (n == text.size()) return true;
  if (!full || text[n] != 'T') return false;
  const size_t end = scanTime(text, n + 1);
  return end != std::string_view::npos && isZone(text, end);
}

bool isInstant(std::string_view text) {
  bool full = false;
  const size_t n = scanDate(text, full);
  if (!full || n >= text.size() || text[n] != 'T') return false;
  const size_t end = scanTime(text, n + 1);
  return end != std::string_view::npos && isZone(text, end);
}

bool isTime(std::string_view text) {
  return scanTime(text, 0) == text.size();
}

bool isCode(std::string_view text) {
  if (text.empty() || isSpace(text.front()) || isSpace(text.back())) return false;
  for (size_t i = 1; i < text.size(); ++i) {
    if (isSpace(text[i]) && isSpace(text[i - 1])) return false;
  }
  return true;
}

bool isFhirId(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return isAlpha(c) || isDigit(c) || c == '-' || c == '.'; });
}

bool isOidUri(std::string_view text) {
  constexpr std::string_view kPrefix = "urn:oid:";
  if (text.substr(0, kPrefix.size()) != kPrefix) return false;
  text.remove_prefix(kPrefix.size());
  if (text.size() < 3 || text[0] < '0' || text[0] > '2') return false;
  size_t pos = 1;
  while (pos < text.size()) {
    if (text[pos] != '.' || pos + 1 >= text.size() || !isDigit(text[pos + 1])) return false;
    const size_t start = ++pos;
    while (pos < text.size() && isDigit(text[pos])) ++pos;
    if (text[start] == '0' && pos - start > 1) return false;
  }
  return true;
}

bool isUuidUri(std::string_view text) {
  constexpr std::string_view kPrefix = "urn:uuid:";
  if (text.substr(0, kPrefix.size()) != kPrefix) return false;
  text.remove_prefix(kPrefix.size());
  if (text.size() != 36) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool hyphen = i == 8 || i == 13 || i == 18 || i == 23;
    if (hyphen ? text[i] != '-' : !isLowerHex(text[i])) return false;
  }
  return true;
}

bool isBase64(std::string_view text) {
  size_t count = 0, padding = 0;
  for (const char c : text) {
    if (isSpace(c)) continue;
    if (c == '=') {
      ++padding;
    } else if (padding > 0 || !(isAlpha(c) || isDigit(c) || c == '+' || c == '/')) {
      return false;  // data after padding, or not a base64 character
    }
    ++count;
  }
  return count > 0 && count % 4 == 0 && padding <= 2;
}

bool isUriText(std::string_view text) {
  return std::none_of(text.begin(), text.end(), isSpace);
}

bool isFhirString(std::string_view text) {
  return !text.empty() &&
         std::none_of(text.begin(), text.end(), [](char c) { return c == '\x0B' || c == '\f'; });
}

const char* primitiveProblem(Primitive p, const rapidjson::Value& value) {
  switch (p) {
    case Primitive::kBoolean:
      return value.IsBool() ? nullptr : "must be a JSON boolean (true or false)";
    case Primitive::kInteger:
      return value.IsInt() ? nullptr
                           : "must be a JSON number without fraction in the 32-bit integer range";
    case Primitive::kPositiveInt:
      return value.IsInt() && value.GetInt() > 0 ? nullptr : "must be a JSON integer of at least 1";
    case Primitive::kUnsignedInt:
      return value.IsInt() && value.GetInt() >= 0 ? nullptr
                                                  : "must be a JSON integer of at least 0";
    case Primitive::kDecimal:
      return value.IsNumber() ? nullptr : "must be a JSON number";
    default:
      break;
  }
  if (!value.IsString()) return "must be a JSON string";
  const std::string_view text(value.GetString(), value.GetStringLength());
  if (text.empty()) return "must not be empty (leave the element out instead)";
  switch (p) {
    case Primitive::kString:
    case Primitive::kMarkdown:
      return isFhirString(text) ? nullptr : "contains characters a FHIR string may not hold";
    case Primitive::kCode:
      return isCode(text) ? nullptr
                          : "not a valid code (no leading, trailing or repeated whitespace)";
    case Primitive::kId:
      return isFhirId(text) ? nullptr : "not a valid id (1 to 64 of A-Z, a-z, 0-9, '-' and '.')";
    case Primitive::kDate:
      return isDate(text) ? nullptr : "not a valid date (YYYY, YYYY-MM or YYYY-MM-DD, a real date)";
    case Primitive::kDateTime:
      return isDateTime(text) ? nullptr
                              : "not a valid dateTime (YYYY, YYYY-MM, YYYY-MM-DD or "
                                "YYYY-MM-DDThh:mm:ss with a time zone; a real date)";
    case Primitive::kInstant:
      return isInstant(text) ? nullptr
                             : "not a valid instant (YYYY-MM-DDThh:mm:ss(.sss) with a time zone)";
    case Primitive::kTime:
      return isTime(text) ? nullptr : "not a valid time (hh:mm:ss)";
    case Primitive::kUri:
    case Primitive::kUrl:
    case Primitive::kCanonical:
      return isAbsoluteOrRelativeText(text) ? nullptr : "a URI must not contain whitespace";
    case Primitive::kOid:
      return isOidUri(text) ? nullptr : "not a valid oid (urn:oid: followed by an OID)";
    case Primitive::kUuid:
      return isUuidUri(text) ? nullptr : "not a valid uuid (urn:uuid: and a lowercase UUID)";
    case Primitive::kBase64Binary:
      return isBase64(text) ? nullptr : "not valid base64";
    case Primitive::kXhtml:
      return xhtmlProblem(text);
    default:
      return nullptr;
  }
}

namespace {

// Elements that narrative XHTML may not contain (txt-1 allows basic HTML formatting only).
bool isForbiddenElement(std::string_view name) {
  static constexpr std::array<std::string_view, 25> kForbidden = {
      "applet", "base",     "basefont", "body",     "button", "embed",  "form",
      "frame",  "frameset", "head",     "html",     "iframe", "input",  "isindex",
      "link",   "meta",     "noframes", "noscript", "object", "option", "param",
      "script", "select",   "style",    "textarea"};
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return std::find(kForbidden.begin(), kForbidden.end(), lower) != kForbidden.end();
}

bool isNameChar(char c) {
  return isAlpha(c) || isDigit(c) || c == '-' || c == '_' || c == ':' || c == '.';
}

}  // namespace

const char* xhtmlProblem(std::string_view text, bool* noContent) {
  constexpr std::string_view kNamespace = "http://www.w3.org/1999/xhtml";
  std::vector<std::string_view> open;
  bool content = false;
  bool rootSeen = false, rootClosed = false;
  size_t pos = 0;
  while (pos < text.size()) {
    const char c = text[pos];
    if (c != '<') {
      if (!isSpace(c)) {
        if (!rootSeen || rootClosed) return "text outside the root <div>";
        content = true;
      }
      ++pos;
      continue;
    }
    if (text.compare(pos, 4, "<!--") == 0) {
      const size_t end = text.find("-->", pos + 4);
      if (end == std::string_view::npos) return "unterminated comment";
      pos = end + 3;
      continue;
    }
    if (text.compare(pos, 9, "<![CDATA[") == 0) {
      const size_t end = text.find("]]>", pos + 9);
      if (end == std::string_view::npos) return "unterminated CDATA section";
      if (end > pos + 9) content = true;
      pos = end + 3;
      continue;
    }
    if (text.compare(pos, 2, "<?") == 0 || text.compare(pos, 2, "<!") == 0) {
      const size_t end = text.find('>', pos);
      if (end == std::string_view::npos) return "unterminated declaration";
      pos = end + 1;
      continue;
    }
    const bool closing = pos + 1 < text.size() && text[pos + 1] == '/';
    size_t p = pos + (closing ? 2 : 1);
    const size_t nameStart = p;
    while (p < text.size() && isNameChar(text[p])) ++p;
    const std::string_view name = text.substr(nameStart, p - nameStart);
    if (name.empty()) return "malformed tag";
    if (closing) {
      while (p < text.size() && isSpace(text[p])) ++p;
      if (p >= text.size() || text[p] != '>') return "malformed end tag";
      if (open.empty() || open.back() != name) return "tags are not balanced";
      open.pop_back();
      if (open.empty()) rootClosed = true;
      pos = p + 1;
      continue;
    }
    if (rootClosed) return "content after the root <div>";
    if (!rootSeen) {
      if (name != "div") return "the narrative must be a single <div> element";
      rootSeen = true;
    }
    if (isForbiddenElement(name)) return "txt-1: element not allowed in narrative";
    if (name == "img") content = true;
    bool hasNamespace = false;
    bool selfClosing = false;
    while (true) {
      while (p < text.size() && isSpace(text[p])) ++p;
      if (p >= text.size()) return "unterminated tag";
      if (text[p] == '>') {
        ++p;
        break;
      }
      if (text[p] == '/' && p + 1 < text.size() && text[p + 1] == '>') {
        selfClosing = true;
        p += 2;
        break;
      }
      const size_t attrStart = p;
      while (p < text.size() && isNameChar(text[p])) ++p;
      const std::string_view attr = text.substr(attrStart, p - attrStart);
      if (attr.empty()) return "malformed attribute";
      while (p < text.size() && isSpace(text[p])) ++p;
      if (p >= text.size() || text[p] != '=') return "attribute without a value";
      ++p;
      while (p < text.size() && isSpace(text[p])) ++p;
      if (p >= text.size() || (text[p] != '"' && text[p] != '\'')) return "unquoted attribute";
      const char quote = text[p];
      const size_t valueStart = ++p;
      const size_t valueEnd = text.find(quote, valueStart);
      if (valueEnd == std::string_view::npos) return "unterminated attribute value";
      const std::string_view value = text.substr(valueStart, valueEnd - valueStart);
      p = valueEnd + 1;
      if (attr.size() > 2 && (attr[0] == 'o' || attr[0] == 'O') &&
          (attr[1] == 'n' || attr[1] == 'N')) {
        return "txt-1: event handler attributes are not allowed in narrative";
      }
      if (attr == "xmlns") {
        if (value != kNamespace) return "the narrative must be in the XHTML namespace";
        hasNamespace = true;
      }
    }
    if (open.empty() && !hasNamespace) {
      return "the root <div> must declare xmlns=\"http://www.w3.org/1999/xhtml\"";
    }
    if (!selfClosing) open.push_back(name);
    if (selfClosing && open.empty()) rootClosed = true;
    pos = p;
  }
  if (!rootSeen) return "the narrative must be a single <div> element";
  if (!open.empty()) return "tags are not balanced";
  if (!content) {
    if (noContent != nullptr) *noContent = true;
    return "txt-2: the narrative has no non-whitespace content";
  }
  return nullptr;
}

}  // namespace brygga::fhir::r4

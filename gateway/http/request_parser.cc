#include "gateway/http/request_parser.h"

#include <algorithm>
#include <cctype>

namespace brygga::http {

namespace {

constexpr size_t kMaxChunkLineBytes = 1024;
// Empty lines tolerated before a request line (RFC 9112 §2.2: some clients send a CRLF after a
// POST body).
constexpr int kMaxLeadingEmptyLines = 8;
// 18 decimal digits fit in int64_t; anything longer is refused before it could overflow.
constexpr size_t kMaxContentLengthDigits = 18;
constexpr size_t kMaxChunkSizeDigits = 15;

bool isTchar(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool isToken(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return isTchar(static_cast<unsigned char>(c)); });
}

// field-value characters: VCHAR, obs-text, SP and HTAB; no other control character.
bool isFieldValue(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool startsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && lower(s.substr(0, prefix.size())) == prefix;
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return &v;
  }
  return nullptr;
}

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

void RequestParser::reset() {
  state_ = State::kRequestLine;
  started_ = false;
  emptyLinesSkipped_ = 0;
  line_.clear();
  sawCr_ = false;
  headerBytes_ = 0;
  headerCount_ = 0;
  remaining_ = 0;
  expectsBody_ = false;
  request_ = HttpRequest();
  errorStatus_ = 0;
  errorMessage_.clear();
}

void RequestParser::fail(int status, std::string message) {
  state_ = State::kError;
  errorStatus_ = status;
  errorMessage_ = std::move(message);
}

// Appends the bytes of one line to line_ up to its CRLF (taken, not kept). Lines end in CRLF
// only: a bare LF, or a CR followed by anything but LF, is an error (a front that accepted it
// would see other line ends than we do).
size_t RequestParser::feedLine(std::string_view data, size_t limit, int tooLongStatus,
                               const char* tooLongMessage, bool& lineDone) {
  lineDone = false;
  size_t i = 0;
  while (i < data.size()) {
    if (sawCr_) {
      if (data[i] != '\n') {
        fail(400, "a line ends in CR without LF");
        return i;
      }
      sawCr_ = false;
      lineDone = true;
      return i + 1;
    }
    const size_t end = data.find_first_of("\r\n", i);
    const size_t stop = end == std::string_view::npos ? data.size() : end;
    if (line_.size() + (stop - i) > limit) {
      fail(tooLongStatus, tooLongMessage);
      return i;
    }
    line_.append(data.data() + i, stop - i);
    i = stop;
    if (i == data.size()) break;
    if (data[i] == '\n') {
      fail(400, "a line ends in LF without CR");
      return i;
    }
    sawCr_ = true;  // data[i] == '\r'
    ++i;
  }
  return i;
}

size_t RequestParser::feed(std::string_view data) {
  size_t used = 0;
  while (used < data.size() && state_ != State::kComplete && state_ != State::kError) {
    const std::string_view rest = data.substr(used);
    bool lineDone = false;
    switch (state_) {
      case State::kRequestLine: {
        used += feedLine(rest, limits_.maxRequestLineBytes, 414, "the request line is too long",
                         lineDone);
        if (!line_.empty()) started_ = true;
        if (!lineDone) break;
        if (line_.empty()) {
          if (++emptyLinesSkipped_ > kMaxLeadingEmptyLines) fail(400, "too many empty lines");
          break;
        }
        started_ = true;
        onRequestLine();
        line_.clear();
        break;
      }
      case State::kHeaders:
      case State::kTrailers: {
        const size_t budget =
            limits_.maxHeaderBytes > headerBytes_ ? limits_.maxHeaderBytes - headerBytes_ : 0;
        used += feedLine(rest, budget, 431, "the header block is too large", lineDone);
        if (!lineDone) break;
        headerBytes_ += line_.size() + 2;
        const bool trailers = state_ == State::kTrailers;
        if (line_.empty()) {
          if (trailers) {
            state_ = State::kComplete;
          } else {
            onHeadersDone();
            return used;  // the caller may answer before any body is sent
          }
        } else if (trailers) {
          onTrailerLine();
        } else {
          onHeaderLine();
        }
        line_.clear();
        break;
      }
      case State::kBody:
      case State::kChunkData: {
        const size_t take =
            static_cast<size_t>(std::min<int64_t>(remaining_, static_cast<int64_t>(rest.size())));
        request_.body.append(rest.data(), take);
        used += take;
        remaining_ -= static_cast<int64_t>(take);
        if (remaining_ == 0) {
          state_ = state_ == State::kBody ? State::kComplete : State::kChunkEnd;
        }
        break;
      }
      case State::kChunkSize:
        used += feedLine(rest, kMaxChunkLineBytes, 400, "a chunk size line is too long", lineDone);
        if (lineDone) {
          onChunkSizeLine();
          line_.clear();
        }
        break;
      case State::kChunkEnd:
        // Only the CRLF after a chunk's data: anything else means the data ran past its size.
        used += feedLine(rest, 0, 400, "a chunk's data is longer than its size", lineDone);
        if (lineDone) state_ = State::kChunkSize;
        break;
      case State::kComplete:
      case State::kError:
        break;
    }
  }
  return used;
}

void RequestParser::onRequestLine() {
  const std::string_view line(line_);
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return fail(400, "the request line has no target");
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(400, "the request line has no HTTP version");
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!isToken(method)) return fail(400, "the method is not a token");

  if (version == "HTTP/1.1") {
    request_.minorVersion = 1;
  } else if (version == "HTTP/1.0") {
    request_.minorVersion = 0;
  } else if (version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
             std::isdigit(static_cast<unsigned char>(version[5])) && version[6] == '.' &&
             std::isdigit(static_cast<unsigned char>(version[7]))) {
    return fail(505, "only HTTP/1.1 and HTTP/1.0 are served");
  } else {
    return fail(400, "the request line's HTTP version is malformed");
  }

  if (target.empty()) return fail(400, "the request target is empty");
  for (char ch : target) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f) return fail(400, "the request target has a character to encode");
  }
  if (target == "*") {
    if (method != "OPTIONS") return fail(400, "the target * is for OPTIONS only");
  } else if (target.front() != '/') {
    // absolute-form (RFC 9112 §3.2.2: a server must accept it): the path is what counts; the
    // authority is ignored like the Host header (links come from server.publicBaseUrl).
    size_t scheme = 0;
    if (startsWithNoCase(target, "http://")) {
      scheme = 7;
    } else if (startsWithNoCase(target, "https://")) {
      scheme = 8;
    } else {
      return fail(400, "the request target must be a path");
    }
    const size_t slash = target.find('/', scheme);
    const size_t query = target.find('?', scheme);
    if (slash == std::string_view::npos || (query != std::string_view::npos && query < slash)) {
      request_.target = "/";
      if (query != std::string_view::npos) request_.target.append(target.substr(query));
    } else {
      request_.target.assign(target.substr(slash));
    }
    request_.method.assign(method);
    state_ = State::kHeaders;
    return;
  }
  request_.method.assign(method);
  request_.target.assign(target);
  state_ = State::kHeaders;
}

void RequestParser::onHeaderLine() {
  if (line_.front() == ' ' || line_.front() == '\t') {
    return fail(400, "obsolete line folding in a header is not accepted");
  }
  const size_t colon = line_.find(':');
  if (colon == std::string::npos) return fail(400, "a header line has no colon");
  const std::string_view name(line_.data(), colon);
  if (!isToken(name)) return fail(400, "a header name is not a token (or has space before ':')");
  const std::string_view value = trimOws(std::string_view(line_).substr(colon + 1));
  if (!isFieldValue(value)) return fail(400, "a header value has a control character");
  if (++headerCount_ > limits_.maxHeaderCount) return fail(431, "too many header fields");
  request_.headers.emplace_back(lower(name), std::string(value));
}

void RequestParser::onTrailerLine() {
  // Checked like header lines, then dropped: nothing here acts on trailers.
  onHeaderLine();
  if (state_ != State::kError) request_.headers.pop_back();
}

void RequestParser::onHeadersDone() {
  int hosts = 0;
  int contentLengths = 0;
  int transferEncodings = 0;
  const std::string* contentLength = nullptr;
  const std::string* transferEncoding = nullptr;
  const std::string* expect = nullptr;
  request_.keepAlive = request_.minorVersion == 1;
  for (const auto& [name, value] : request_.headers) {
    if (name == "host") {
      ++hosts;
    } else if (name == "content-length") {
      ++contentLengths;
      contentLength = &value;
    } else if (name == "transfer-encoding") {
      ++transferEncodings;
      transferEncoding = &value;
    } else if (name == "expect") {
      if (expect != nullptr) return fail(417, "more than one Expect header");
      expect = &value;
    } else if (name == "connection") {
      std::string_view rest(value);
      while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string option = lower(trimOws(rest.substr(0, comma)));
        if (option == "close") {
          request_.keepAlive = false;
        } else if (option == "keep-alive" && request_.minorVersion == 0) {
          request_.keepAlive = true;
        }
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      }
    }
  }
  if (hosts > 1) return fail(400, "more than one Host header");
  if (hosts == 0 && request_.minorVersion == 1) return fail(400, "an HTTP/1.1 request needs Host");
  if (expect != nullptr) {
    if (lower(*expect) != "100-continue") return fail(417, "only Expect: 100-continue is known");
    request_.expectContinue = true;
  }

  if (transferEncodings > 0) {
    if (contentLengths > 0) {
      return fail(400, "a request must not have both Content-Length and Transfer-Encoding");
    }
    if (request_.minorVersion == 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (transferEncodings > 1) return fail(400, "more than one Transfer-Encoding header");
    if (lower(*transferEncoding) != "chunked") {
      return fail(501, "the only transfer coding served is chunked");
    }
    expectsBody_ = true;
    state_ = State::kChunkSize;
    return;
  }
  if (contentLengths > 1) return fail(400, "more than one Content-Length header");
  if (contentLengths == 1) {
    const std::string& text = *contentLength;
    if (text.empty() || text.size() > kMaxContentLengthDigits ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return fail(400, "Content-Length is not a number");
    }
    const int64_t length = std::stoll(text);
    if (length > limits_.maxBodyBytes) {
      return fail(413, "the body is larger than the limit of " +
                           std::to_string(limits_.maxBodyBytes) + " bytes");
    }
    remaining_ = length;
    expectsBody_ = length > 0;
    state_ = length > 0 ? State::kBody : State::kComplete;
    return;
  }
  // Neither: a request without a body (RFC 9112 §6.3), dispatched without waiting for one.
  state_ = State::kComplete;
}

void RequestParser::onChunkSizeLine() {
  const std::string_view line(line_);
  size_t digits = 0;
  int64_t size = 0;
  while (digits < line.size() && hexValue(line[digits]) >= 0) {
    if (digits == kMaxChunkSizeDigits) return fail(400, "a chunk size is too large");
    size = size * 16 + hexValue(line[digits]);
    ++digits;
  }
  if (digits == 0) return fail(400, "a chunk size is not hexadecimal");
  const std::string_view extension = line.substr(digits);
  // Chunk extensions are allowed and ignored; they must start with ';' and hold no control
  // characters (any other text after the size is not HTTP).
  if (!extension.empty() && (trimOws(extension).empty() || trimOws(extension).front() != ';' ||
                             !isFieldValue(extension))) {
    return fail(400, "a chunk size line has text after the size");
  }
  if (size == 0) {
    state_ = State::kTrailers;
    return;
  }
  if (static_cast<int64_t>(request_.body.size()) + size > limits_.maxBodyBytes) {
    return fail(413, "the body is larger than the limit of " +
                         std::to_string(limits_.maxBodyBytes) + " bytes");
  }
  remaining_ = size;
  state_ = State::kChunkData;
}

}  // namespace brygga::http

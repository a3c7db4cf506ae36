// libFuzzer target for the HTTP/1.1 request parser (gateway/http/request_parser.h): the bytes a
// client on the network sends. Nothing may crash, hang or assert; and the parse must not depend
// on how the bytes were split into reads (the first input byte picks a split size), which is what
// the event loop feeds it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "gateway/http/request_parser.h"

namespace {

using brygga::http::ParserLimits;
using brygga::http::RequestParser;

void require(bool condition) {
  if (!condition) std::abort();
}

// Feeds every request in `input`, `step` bytes at a time, and returns a trace of the outcomes.
std::string parseAll(std::string_view input, size_t step, const ParserLimits& limits) {
  RequestParser parser(limits);
  std::string trace;
  std::string pending;
  size_t offset = 0;
  while (true) {
    if (pending.empty()) {
      if (offset >= input.size()) break;
      pending.assign(input.substr(offset, step));
      offset += pending.size();
    }
    const size_t used = parser.feed(pending);
    require(used <= pending.size());
    pending.erase(0, used);
    if (parser.failed()) {
      require(parser.errorStatus() >= 400 && parser.errorStatus() < 600);
      trace += "E" + std::to_string(parser.errorStatus());
      return trace;
    }
    if (parser.complete()) {
      const auto& request = parser.request();
      require(!request.method.empty() && !request.target.empty());
      require(static_cast<int64_t>(request.body.size()) <= limits.maxBodyBytes);
      trace += "R" + request.method + " " + request.target + " " +
               std::to_string(request.body.size()) + ";";
      parser.reset();
    } else if (used == 0 && !parser.headersComplete()) {
      require(false);  // no progress on bytes it was given
    }
  }
  return trace;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = 1 + data[0] % 17;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
  ParserLimits limits;
  limits.maxRequestLineBytes = 512;
  limits.maxHeaderBytes = 2048;
  limits.maxHeaderCount = 20;
  limits.maxBodyBytes = 4096;
  require(parseAll(input, step, limits) == parseAll(input, input.size() + 1, limits));
  return 0;
}

#include "gateway/core/trace_context.h"

#include "gateway/core/digest.h"

namespace brygga::core {

namespace {

bool lowerHex(std::string_view s, size_t length) {
  if (s.size() != length) return false;
  bool nonZero = false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    nonZero |= c != '0';
  }
  return nonZero || length == 2;  // flags may be 00
}

}  // namespace

std::optional<TraceParent> parseTraceParent(std::string_view header) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2 = 55.
  if (header.size() < 55 || header[2] != '-' || header[35] != '-' || header[52] != '-') {
    return std::nullopt;
  }
  const std::string_view version = header.substr(0, 2);
  if (!lowerHex(version, 2) || version == "ff") return std::nullopt;
  if (version == "00" ? header.size() != 55 : header.size() > 55 && header[55] != '-') {
    return std::nullopt;
  }
  TraceParent out{std::string(header.substr(3, 32)), std::string(header.substr(36, 16)),
                  std::string(header.substr(53, 2))};
  if (!lowerHex(out.traceId, 32) || !lowerHex(out.parentId, 16) || !lowerHex(out.flags, 2)) {
    return std::nullopt;
  }
  return out;
}

std::string formatTraceParent(const std::string& traceId, const std::string& spanId,
                              const std::string& flags) {
  return "00-" + traceId + "-" + spanId + "-" + flags;
}

std::string newTraceId() {
  return randomHex(16);
}

std::string newSpanId() {
  return randomHex(8);
}

}  // namespace brygga::core

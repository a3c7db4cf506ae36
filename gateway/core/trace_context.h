#pragma once

#include <optional>
#include <string>
#include <string_view>

// W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` a request brings,
// or one made for it, so that a message can be followed from the sender through Brygga's logs to
// the delivery to its receiver.
namespace brygga::core {

struct TraceParent {
  std::string traceId;   // 32 lowercase hex digits, not all zero
  std::string parentId;  // 16 lowercase hex digits, not all zero: the caller's span
  std::string flags;     // 2 hex digits ("01": sampled)
};

// `00-<trace-id>-<parent-id>-<flags>`; a later version's header is read by its first four fields
// (as the recommendation says). nullopt for anything malformed (uppercase hex, zero ids, version
// ff, wrong lengths): the caller then starts a trace of its own.
std::optional<TraceParent> parseTraceParent(std::string_view header);

// The header for a call made within trace `traceId` from the span `spanId`.
std::string formatTraceParent(const std::string& traceId, const std::string& spanId,
                              const std::string& flags = "01");

std::string newTraceId();  // 32 random hex digits
std::string newSpanId();   // 16 random hex digits

}  // namespace brygga::core

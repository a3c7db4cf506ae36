#pragma once

#include <string>
#include <string_view>

#include "gateway/core/status.h"

namespace brygga::core {

// SHA-256 of `data`, as 32 raw bytes.
std::string sha256(std::string_view data);
// SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256Hex(std::string_view data);
std::string toHex(std::string_view bytes);
// The bytes of an even number of hex digits (either case). kInvalidArgument otherwise.
StatusOr<std::string> fromHex(std::string_view hex);
// A random (version 4) UUID in its canonical lowercase text form.
std::string newUuid();
// A time-ordered (version 7, RFC 9562) UUID: the Unix time in milliseconds, then 74 random
// bits. For ids that become database keys (resource ids, exchange lines, request ids): keys
// made in the same period land on the same few B-tree pages instead of one random page each,
// which is most of what a write unit writes. Not for secrets (its first 48 bits are the time).
std::string newTimeOrderedUuid();
// `bytes` random bytes as 2*bytes lowercase hex digits (trace and span ids).
std::string randomHex(int bytes);

}  // namespace brygga::core

#pragma once

#include <string>
#include <string_view>

#include "gateway/core/status.h"

// Standard base64 (RFC 4648 section 4, with padding), as the signed-note and checkpoint formats
// and the proof endpoints use it.
namespace brygga::audit {

std::string base64Encode(std::string_view bytes);
// Strict: only the standard alphabet, padding as RFC 4648 requires, no whitespace, and no
// non-zero bits in the padding (so every value has exactly one accepted spelling).
// kInvalidArgument saying which rule the text breaks otherwise.
core::StatusOr<std::string> base64Decode(std::string_view text);

}  // namespace brygga::audit

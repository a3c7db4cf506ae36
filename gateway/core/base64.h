#pragma once

#include <string>
#include <string_view>

#include "gateway/core/status.h"

// Base64 (RFC 4648): the standard alphabet with padding (section 4), as the signed-note and
// checkpoint formats, the proof endpoints and FHIR use it, and the URL-safe alphabet without
// padding (section 5), as JOSE uses it.
namespace brygga::core {

std::string base64Encode(std::string_view bytes);
// Strict: only the standard alphabet, padding as RFC 4648 requires, no whitespace, and no
// non-zero bits in the padding (so every value has exactly one accepted spelling).
// kInvalidArgument saying which rule the text breaks otherwise.
StatusOr<std::string> base64Decode(std::string_view text);

// base64url without padding (RFC 7515 section 2).
std::string base64UrlEncode(std::string_view bytes);
// Strict in the same way: only the URL-safe alphabet, no padding, no whitespace, zero spare bits.
StatusOr<std::string> base64UrlDecode(std::string_view text);

}  // namespace brygga::core

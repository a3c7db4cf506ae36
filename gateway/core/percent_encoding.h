#pragma once

#include <optional>
#include <string>
#include <string_view>

// Percent-encoding (RFC 3986 §2.1) of what goes into a URL query: search parameters, conditional
// URLs, form bodies.
namespace brygga::core {

// Every byte but the unreserved characters (letters, digits, - . _ ~) and ':' and '/' (which a
// query may hold as they are, and identifier systems are full of) becomes %XX.
std::string percentEncode(std::string_view text);
// %XX escapes decoded, and '+' as a space when `plusAsSpace` (query strings and form bodies);
// nullopt for a '%' not followed by two hex digits.
std::optional<std::string> percentDecode(std::string_view text, bool plusAsSpace);

}  // namespace brygga::core

#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// application/x-www-form-urlencoded (the WHATWG URL standard's form encoding), as both ends of an
// OAuth2 token request use it.
namespace brygga::auth {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Encodes one name or value: unreserved characters stay, space becomes '+', the rest %XX.
std::string formEncode(std::string_view text);
// "a=1&b=2" from the pairs, in order.
std::string formBody(const FormFields& fields);
// Decodes a whole body into its pairs, in order; nullopt when malformed (a bad %-escape, a pair
// without '=', an empty name). Repeated names are kept: the caller decides (OAuth2 refuses them).
std::optional<FormFields> formDecode(std::string_view body);

}  // namespace brygga::auth

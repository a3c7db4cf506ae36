#pragma once

#include <string>
#include <string_view>

namespace brygga::core {

// SHA-256 of `data`, as 32 raw bytes.
std::string sha256(std::string_view data);
// SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256Hex(std::string_view data);
std::string toHex(std::string_view bytes);
// A random (version 4) UUID in its canonical lowercase text form.
std::string newUuid();

}  // namespace brygga::core

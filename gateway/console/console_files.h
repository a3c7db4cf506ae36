#pragma once

#include <cstddef>

// The files of gateway/console/static, compiled in (see embed.cmake).
namespace brygga::console {

struct EmbeddedFile {
  const char* name;  // "index.html", "console.js", ...
  const unsigned char* data;
  size_t size;
};
extern const EmbeddedFile kFiles[];
extern const size_t kFileCount;

}  // namespace brygga::console

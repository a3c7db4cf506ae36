#pragma once

#include <cstddef>
#include <string_view>

// Data files compiled into the fhir library (see tools/embed_files.cc and CMakeLists.txt):
// "r4/definitions.json" (generated from the official R4 package) and "profiles/<name>.json"
// (Brygga's own StructureDefinitions).
namespace brygga::fhir::embedded {

// Defined in the generated source.
struct RawFile {
  const char* name;
  const char* const* chunks;
  size_t chunkCount;
  size_t size;
};
extern const RawFile kRawFiles[];
extern const size_t kRawFileCount;

// The content of an embedded file, or an empty view when there is none by that name. The text
// lives for the whole program; joined from its chunks on first use (thread-safe).
std::string_view file(std::string_view name);

// Names of the embedded files whose name starts with `prefix`, in build order.
template <typename Fn>
void forEachFile(std::string_view prefix, Fn&& fn) {
  for (size_t i = 0; i < kRawFileCount; ++i) {
    std::string_view name(kRawFiles[i].name);
    if (name.substr(0, prefix.size()) == prefix) fn(name);
  }
}

}  // namespace brygga::fhir::embedded

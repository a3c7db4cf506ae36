#pragma once

// What every fuzz target shares. A target is a file defining LLVMFuzzerTestOneInput; it is built
// by brygga_fuzz_target() in CMakeLists.txt as a libFuzzer binary (BRYGGA_FUZZ=ON, clang) or as a
// replay program over its corpus (fuzz_replay_main.cc), which ctest runs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace brygga::fuzz {

// Invariant violations must stop the fuzzer (and fail the corpus replay) even in builds without
// assertions.
inline void require(bool condition) {
  if (!condition) std::abort();
}

inline std::string_view asText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace brygga::fuzz

#include "gateway/fhir/embedded_files.h"

#include <memory>
#include <string>
#include <vector>

namespace brygga::fhir::embedded {

namespace {

// Joined once: the literals are split only because compilers limit one literal's length.
const std::vector<std::string>& joined() {
  static const std::vector<std::string> kFiles = [] {
    std::vector<std::string> files;
    files.reserve(kRawFileCount);
    for (size_t i = 0; i < kRawFileCount; ++i) {
      std::string text;
      text.reserve(kRawFiles[i].size);
      for (size_t c = 0; c < kRawFiles[i].chunkCount; ++c) text += kRawFiles[i].chunks[c];
      files.push_back(std::move(text));
    }
    return files;
  }();
  return kFiles;
}

}  // namespace

std::string_view file(std::string_view name) {
  for (size_t i = 0; i < kRawFileCount; ++i) {
    if (name == kRawFiles[i].name) return joined()[i];
  }
  return {};
}

}  // namespace brygga::fhir::embedded

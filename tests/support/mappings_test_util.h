#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "mappings/mapping_set.h"

namespace brygga::testing {

// (Header-only; its users link brygga::mappings.)
// The mapping files of the repository (mappings/data), read the way gateway/flows reads them.
inline std::vector<mappings::MappingFile> repoMappingFiles() {
  std::vector<mappings::MappingFile> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(BRYGGA_SOURCE_DIR) + "/mappings/data")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    files.push_back({entry.path().filename().string(), ss.str()});
  }
  return files;
}

inline std::shared_ptr<const mappings::MappingSet> repoMappings() {
  auto set = mappings::MappingSet::parse(repoMappingFiles());
  EXPECT_TRUE(set.isOk()) << set.status().toString();
  return set.isOk() ? *set : nullptr;
}

// Replaces the first occurrence of `from` in the file `name` (the test fails when absent).
inline void editFile(std::vector<mappings::MappingFile>& files, const std::string& name,
                     const std::string& from, const std::string& to) {
  auto it = std::find_if(files.begin(), files.end(), [&](const auto& f) { return f.name == name; });
  ASSERT_NE(it, files.end()) << name;
  size_t pos = it->content.find(from);
  ASSERT_NE(pos, std::string::npos) << from;
  it->content.replace(pos, from.size(), to);
}

}  // namespace brygga::testing

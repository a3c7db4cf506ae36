#pragma once

#include <string>

namespace brygga::flows {

// The home-care flows' mapping files (ConceptMaps, routing tables, service hours): mappings.*.
struct MappingsConfig {
  // Empty: the files installed with the binary, <its directory>/../share/brygga/mappings. A
  // relative path in a config file is read beside that file (the loader makes it absolute).
  std::string directory;
};

}  // namespace brygga::flows

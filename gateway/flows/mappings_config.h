#pragma once

#include <string>

namespace brygga::flows {

// The home-care flows' mapping files (ConceptMaps, routing tables, service hours): mappings.*.
struct MappingsConfig {
  // Empty: mappings/data under the working directory, else the source tree's (compiled in).
  std::string directory;
};

}  // namespace brygga::flows

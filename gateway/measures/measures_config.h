#pragma once

#include <string>

namespace brygga::measures {

// measures.* of the config file.
struct MeasuresConfig {
  // A configured destination that receives each closed month's MeasureReports (empty: none);
  // checked against `destinations` when the config is loaded.
  std::string forwardTo;
};

}  // namespace brygga::measures

#pragma once

namespace brygga::access {

// Access by care relationship (access.* in the config file).
struct AccessConfig {
  // A municipality keeps access this long after its home-care episode ended (closing notes).
  int relationshipGraceDays = 30;
};

}  // namespace brygga::access

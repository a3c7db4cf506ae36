#pragma once

#include <cstdint>

namespace brygga::api {

// What one request may hold and one answer may list (server.* in the config file). The HTTP
// server refuses a body over maxBodyBytes before reading it; the API bounds its JSON reader by
// the same figures and advertises them in the CapabilityStatement.
struct RequestLimits {
  int64_t maxBodyBytes = 8 * 1024 * 1024;
  // A Bundle with more entries is refused (413) before it is validated or written.
  int maxBundleEntries = 1000;
  int maxJsonDepth = 64;
  int defaultPageSize = 50;
  int maxPageSize = 500;
};

}  // namespace brygga::api

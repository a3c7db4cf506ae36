#pragma once

#include "gateway/api/endpoint.h"

namespace brygga::console {

// Serves the web console's page, script and style sheet below /console (GET and HEAD), from the
// copies compiled into the binary. They hold no data and need no credentials: everything the
// page shows comes from /console/api, which does. Every answer carries a Content-Security-Policy
// that allows only this origin's own scripts, styles and connections (no inline script, no
// external asset) and forbids framing.
class ConsoleStatic final : public api::Endpoint {
 public:
  api::ApiResponse handle(const api::ApiRequest& request) override;
  bool isPublic(const api::ApiRequest&) const override { return true; }
};

}  // namespace brygga::console

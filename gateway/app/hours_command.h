#pragma once

#include <map>
#include <ostream>
#include <string>

#include "gateway/app/gateway_config.h"

namespace brygga::app {

// `brygga hours --at TIME [--service-point NAME]`: whether the home-care physicians take requests
// at TIME (or on a day, --at 2026-12-24: the answer at that day's opening time) by the
// service-hours calendar of the mapping files in force (mappings.directory), so
// that the integration team can check what it configured. The first line starts with "open" or
// "closed", then the reason (`closed: Midsummer Eve; on-call service open: ...`); the lines after
// it give the time in Stockholm (2026-06-19 10:00:00 +02:00), the service point and the mappings
// version. Returns a sysexits code: 0 answered, 64 bad arguments (unknown service point, unreadable
// time), 78 bad mapping files.
int hoursCommand(const GatewayConfig& config, const std::map<std::string, std::string>& flags,
                 std::ostream& out, std::ostream& err);

}  // namespace brygga::app

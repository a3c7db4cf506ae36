#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "gateway/app/gateway_config.h"

// `brygga dead-letters ...` and `brygga destination ...`, on the database of the data dir `serve`
// uses (it may be running: a replay is picked up on the worker's next pass, a pause or resume
// before its next one). They go through the same api::AdminApi as /admin, as client "cli" with
// the integration role, so every call is recorded in the exchange log and the audit trail.
//   dead-letters list [--destination NAME]   aligned columns: id, destination, patient,
//                                             attempts, when it died, the reason
//   dead-letters show ID                      the entry as JSON: payload and the peer's answer
//   dead-letters replay ID [--force]          back to pending with attempts reset
//   destination pause NAME | resume NAME
//   destination list                          queue depth, dead letters, oldest age, paused
//   migration-report                          what schema 6 did with Patients that shared a
//                                             person number (merged, or left as duplicates)
// Output is for people (times in Europe/Stockholm with the offset); flag "json" prints the admin
// API's JSON as it is (UTC instants) instead.
// Exit codes (sysexits): 0 done, 64 usage, 65 refused (e.g. not a dead letter, or a newer
// message of the patient was delivered: --force), 66 no database or no such entry/destination,
// 74 database errors, 75 the database is busy or full (try again).
namespace brygga::app {

int deliveryCommand(const GatewayConfig& config, const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& flags, std::ostream& out,
                    std::ostream& err);

}  // namespace brygga::app

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
//   dead-letters list [--destination NAME]   aligned columns: message number, destination,
//                                             patient, attempts, when it died, the reason
//   dead-letters show MESSAGE [--destination NAME]
//                                             the dead letter: its facts, the peer's whole
//                                             answer and the Bundle sent
//   dead-letters replay MESSAGE [--destination NAME] [--force]
//                                             back to pending with attempts reset
//   MESSAGE is the message's number, the one the web console shows everywhere (the seq of its
//   inbound exchange line), never an outbox id; a message forwarded to several destinations
//   needs --destination when more than one of its copies is dead.
//   destination pause NAME | resume NAME
//   destination list                          queue depth, dead letters, oldest age, paused
//   migration-report                          what schema 6 did with Patients that shared a
//                                             person number (merged, or left as duplicates)
// Output is for people (times in Europe/Stockholm with the offset); flag "json" prints the admin
// API's JSON as it is (UTC instants) instead.
// Exit codes (sysexits): 0 done, 64 usage (also: a message with dead letters to several
// destinations and no --destination), 65 refused (e.g. not a dead letter, or a newer message of
// the patient was delivered: --force), 66 no database or no such message/destination,
// 74 database errors, 75 the database is busy or full (try again).
namespace brygga::app {

int deliveryCommand(const GatewayConfig& config, const std::vector<std::string>& args,
                    const std::map<std::string, std::string>& flags, std::ostream& out,
                    std::ostream& err);

}  // namespace brygga::app

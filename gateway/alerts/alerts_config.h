#pragma once

#include <cstdint>
#include <string>

namespace brygga::alerts {

// Alert rules, evaluated by the AlertMonitor thread; firing and resolved alerts are POSTed as JSON
// to webhookUrl (alerts.*). A threshold of 0 turns its rule off.
struct AlertsConfig {
  std::string webhookUrl;     // empty: alerts are evaluated and logged, not sent
  std::string webhookCaFile;  // CA bundle to verify an https webhook; empty: the system store
  int64_t webhookTimeoutMs = 5000;
  int64_t evaluateIntervalMs = 15000;
  // A firing alert is repeated at most this often; 0: never.
  int64_t renotifyIntervalMs = 60LL * 60 * 1000;
  bool sendResolved = true;
  int64_t queueAgeMs = 15LL * 60 * 1000;            // oldest waiting message older than this
  int64_t queueDepth = 1000;                        // this many messages waiting
  bool deadLetters = true;                          // a destination has dead letters
  int64_t destinationFailingMs = 10LL * 60 * 1000;  // every attempt failed for this long
  int64_t checkpointOverdueMs = 10LL * 60 * 1000;   // records waiting for a checkpoint this long
  std::string instance;  // names the gateway in alert texts; empty: the host name
};

}  // namespace brygga::alerts

#pragma once

#include <cstdint>
#include <string>

#include "adapters/http_client.h"
#include "gateway/auth/auth_config.h"

// The delivery engine's configuration (destinations.<name>, delivery.*).
namespace brygga::delivery {

// A peer the outbox delivers to, and how hard to try.
struct DestinationConfig {
  std::string name;  // "regional" is the EHR; a municipality's tenant for what goes back to it
  adapters::HttpPeer peer;
  int maxAttempts = 20;
  int64_t retryBaseMs = 1000;
  int64_t retryMaxMs = 5 * 60 * 1000;
  // An entry still undelivered this long after acceptance is dead; 0: no age limit.
  int64_t maxAgeMs = 0;
  // Back-pressure: writes that would enqueue to a destination with this many pending entries
  // are refused with 503 (by the API, which is handed these limits at wiring).
  int64_t maxQueueDepth = 100000;
  // Requests sent at once (lanes; at most one message per patient among them). HTTP/1.1 needs a
  // connection per lane, HTTP/2 multiplexes them on one.
  int maxInFlight = 16;
  auth::DestinationAuthConfig auth;  // how its access token is obtained (none: no Authorization)
  // The form in which the destination receives Swedish identifiers: "hl7se", "inera" or "oid"
  // (fhir::identifierFormNamed; checked when the config is loaded).
  std::string identifierForm = "hl7se";
};

struct DeliveryConfig {
  int64_t pollIntervalMs = 200;
  // 128: a worker that sends 32 per pass fell behind 64 busy senders (its recording unit waits
  // for a group commit each pass); see BENCHMARKS.md, Delivery.
  int batchSize = 128;
  int64_t retentionMs = 7LL * 24 * 60 * 60 * 1000;  // delivered payloads are deleted after this
  int64_t retentionIntervalMs = 10 * 60 * 1000;     // how often retention runs
};

}  // namespace brygga::delivery

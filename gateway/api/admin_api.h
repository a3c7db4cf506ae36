#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gateway/api/endpoint.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/auth/token_client.h"
#include "gateway/core/log.h"
#include "gateway/core/time_source.h"
#include "gateway/metrics/gateway_metrics.h"
#include "gateway/store/store.h"

namespace brygga::api {

struct AdminDependencies {
  store::Store& store;
  const core::TimeSource& clock;
  core::Logger& logger;
  // Configured destinations and their queue limits (shown beside the depth).
  std::map<std::string, int64_t> maxQueueDepth;
  // After a pause or resume committed (the running worker stops or starts at once).
  std::function<void(const std::string& destination, bool paused)> onPauseChanged;
  // After a replay committed (the worker is woken).
  std::function<void(const std::string& destination)> onReplayed;
  // The state of a destination's access token (not configured when it uses none). May be empty.
  std::function<auth::TokenHealth(const std::string& destination)> tokenHealth;
  // How the destination's last delivery attempts went (metrics::GatewayMetrics). May be empty.
  std::function<metrics::GatewayMetrics::DestinationHealth(const std::string& destination)>
      deliveryHealth;
};

// Operating the delivery engine over HTTP, below /admin, for the integration role only (401
// without credentials, 403 for other roles). Answers are JSON (application/json); errors are
// OperationOutcomes.
//   GET  /admin/destinations                         every destination: paused, queue depth
//                                                    (pending), its limit, dead letters, age of
//                                                    the oldest pending message, and for one
//                                                    that uses OAuth2 its token ("token": valid,
//                                                    expires, failing since, failures in a
//                                                    row, next attempt, last error), and its
//                                                    health at a glance: "health": {"state":
//                                                    "paused" | "failing" | "dead-letters" |
//                                                    "ok", "since", "lastStatus", "detail"
//                                                    (in English), and for a failing one
//                                                    "failures" in a row or "tokenError"}
//   POST /admin/destinations/{name}/pause            the worker sends nothing until resumed
//   POST /admin/destinations/{name}/resume
//   GET  /admin/dead-letters[?destination=&after=ID&limit=N]
//                                                    dead letters by id (paged by `after`).
//                                                    Each entry has its outbox `id` (what the
//                                                    calls below take) and `message`, the
//                                                    number of its message (the console's)
//   GET  /admin/dead-letters/{id}                    one outbox entry with its payload and the
//                                                    peer's answer (lastError)
//   POST /admin/dead-letters/{id}/replay[?force=true]
//                                                    back to pending with attempts reset. 409
//                                                    when it is not dead, or when a newer entry
//                                                    of the same patient was delivered since
//                                                    (the old Bundle would overwrite newer data
//                                                    at the peer) unless force=true.
//   POST /admin/held/{id}/release[?force=true]
//                                                    a message a block (spärr) held, back to
//                                                    pending; 409 while the block still stands
//                                                    unless force=true (lifting a block
//                                                    releases nothing by itself).
// Every call is recorded through the ExchangeRecorder (exchange line + AuditEvent); a pause,
// resume or replay in the same write unit as the change. The `brygga dead-letters` and `brygga
// destination` commands use this class too, as client "cli", so both paths behave and are
// audited alike. Thread-safe.
class AdminApi final : public Endpoint {
 public:
  explicit AdminApi(AdminDependencies deps);

  ApiResponse handle(const ApiRequest& request) override;

 private:
  ApiResponse dispatch(const ApiRequest& request, Trace& trace, int64_t started, bool& recorded);
  ApiResponse destinations();
  ApiResponse setPaused(const ApiRequest& request, const std::string& name, bool paused,
                        Trace& trace, int64_t started, bool& recorded);
  ApiResponse deadLetters(const ApiRequest& request);
  ApiResponse deadLetter(const std::string& idText, Trace& trace);
  // Makes a dead letter (replay) or a held message (release) pending again, in one unit with
  // its exchange line and AuditEvent; `from` is the state it must be in.
  ApiResponse requeue(const ApiRequest& request, const std::string& idText, store::OutboxState from,
                      Trace& trace, int64_t started, bool& recorded);
  bool isKnownDestination(const std::string& name);
  // The number of the message `entry` is a forwarded copy of (the seq of its inbound exchange
  // line, as the console shows it); 0 when that line is no longer kept.
  int64_t messageOf(const store::OutboxEntry& entry);

  AdminDependencies deps_;
  ExchangeRecorder recorder_;
};

}  // namespace brygga::api

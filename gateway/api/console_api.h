#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gateway/api/endpoint.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/api/recent_refusals.h"
#include "gateway/core/log.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/time_source.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/store/store.h"

namespace brygga::api {

struct ConsoleDependencies {
  store::Store& store;
  core::TimeSystem& clock;  // also paces the live summaries
  core::Logger& logger;
  // The delivery engine's operations (AdminApi): replay, pause, resume and the destinations are
  // forwarded to it, so the console and /admin share one implementation and one audit trail.
  Endpoint& admin;
  // This gateway's id on the store (host:pid), so the summary can mark it among the others.
  std::string instanceId;
  // The mapping files in force: their routing table names the municipalities (tenants) the
  // summary always lists, each with the time since its last message. Null: none listed.
  const flows::MappingRegistry* mappings = nullptr;
  // The requests the HTTP layer refused before an endpoint saw them. Null: none listed.
  const RecentRefusals* refusals = nullptr;
};

// The web console's JSON API, below /console/api, for the integration role only (401 without
// credentials, 403 for other roles); errors are OperationOutcomes, answers application/json.
//   GET  /session                      who is logged in
//   GET  /summary[?window=SECONDS]     counts per tenant and destination over the last window
//                                      (300, 3600 or 86400 s): received, accepted, rejected,
//                                      delivered, retried, dead; every municipality of the
//                                      routing table always, with its last message and how long
//                                      it has been silent; the destinations' queues now;
//                                      every gateway on the store (several on one PostgreSQL):
//                                      version, started, last seen, alive, which one answered;
//                                      the charts' series over the window. Their figures are
//                                      kept whether a console is open or not: the gateway folds
//                                      the exchange log into minute buckets and samples each
//                                      queue's depth every 15 s, in memory for 24 h (the
//                                      longest window). After a restart the counts and delivery
//                                      times come back from the log; the queue depths start anew
//   GET  /messages?from=&to=&tenant=&patient=&kind=&type=&status=&requestId=&cursor=&limit=
//                                      the message search, newest first, keyset paged (`next`);
//                                      each message names its kind (store::kMessageKinds).
//                                      `patient` takes a personnummer or samordningsnummer
//                                      (resolved to the Patient through the identifier index;
//                                      only the Patient reference is recorded), Patient/ID or ID;
//                                      `note` says (in English) and `noteCode` names
//                                      ("no-patient", "several-patients") what the patient
//                                      filter found
//   GET  /messages/{seq}               the message: its exchange steps, outbox entries with the
//                                      peer's answers, outcome, mapping version, audit records
//   GET  /messages/{seq}/payload       the forwarded Bundles (patient content: audited)
//   GET  /destinations, POST /destinations/{name}/pause|resume,
//   POST /dead-letters/{id}/replay[?force=true]   as /admin (forwarded to AdminApi)
//   GET  /events[?window=SECONDS]      the summary, with its series, as Server-Sent Events: one
//                                      `summary` event at once and every 2 s while the client
//                                      reads; at most 16 at a time (503 beyond). The answer
//                                      holds no worker (core::EventStream)
//   GET  /audit                        the latest signed checkpoint, its age, records after it
//   GET  /refusals                     the requests refused before an endpoint saw them (404,
//                                      405, 413, 401 ...), newest first: time, status, method,
//                                      route template, reason, sender (client and tenant when
//                                      identified, the source address); kept in memory only
// Searches and views of a message are recorded (exchange line + AuditEvent naming the patient);
// the summary, session, audit status and refusals, which name no patient, are not, so a console
// polling every two seconds does not fill the audit log. Thread-safe.
class ConsoleApi final : public Endpoint {
 public:
  explicit ConsoleApi(ConsoleDependencies deps);
  ~ConsoleApi() override;

  ApiResponse handle(const ApiRequest& request) override;

 private:
  struct Counts {
    int64_t received = 0, accepted = 0, declined = 0, rejected = 0, delivered = 0, retried = 0,
            dead = 0;
  };
  ApiResponse dispatch(const ApiRequest& request, Trace& trace, bool& record);
  ApiResponse summary(const ApiRequest& request);
  ApiResponse messages(const ApiRequest& request, Trace& trace);
  ApiResponse message(const std::string& seqText, bool payload, Trace& trace);
  ApiResponse auditStatus();
  ApiResponse refusals();
  ApiResponse events(const ApiRequest& request);
  // The live summaries: a stream subscribes when its head is written and is sent the summary
  // over its window every kEventIntervalMs until its connection closes.
  class SummaryStream;
  struct Subscriber {
    int64_t windowS = 0;
    std::function<bool(std::string)> send;
  };
  uint64_t subscribe(int64_t windowS, std::function<bool(std::string)> send);
  void unsubscribe(uint64_t id);
  void endStream(uint64_t id);
  core::PeriodicTask::Next publish();
  core::Status appendGateways(std::string& out, int64_t now);
  static core::StatusOr<int64_t> windowOf(const std::string& query);
  // The summary over the last `windowS` seconds, with the charts' series (see /summary).
  core::StatusOr<std::string> summaryJson(int64_t windowS);
  std::vector<std::pair<std::string, std::string>> tenantsOf(
      const std::map<std::string, Counts>& totals) const;
  core::Status appendTenants(std::string& out,
                             const std::vector<std::pair<std::string, std::string>>& tenants,
                             const std::map<std::string, Counts>& totals, int64_t now);
  void appendSeries(std::string& out, int64_t windowS, int64_t now,
                    const std::vector<std::pair<std::string, std::string>>& tenants,
                    const std::vector<std::string>& destinations);
  ApiResponse forward(const ApiRequest& request, const std::string& adminPath);
  // Folds the exchange lines written since the last call into the minute buckets.
  core::Status catchUp();
  // The publisher's pass while no console listens: catchUp() and sampleDepths(), so that the
  // charts' window has its history when a console opens. Takes countsMutex_.
  void sample();
  // Records each destination's queue depth now in its minute (the largest sampled counts);
  // returns the destinations' states. countsMutex_ held.
  core::StatusOr<std::vector<store::DestinationState>> sampleDepths(int64_t now);

  ConsoleDependencies deps_;
  ExchangeRecorder recorder_;

  std::mutex countsMutex_;
  bool countsStarted_ = false;
  int64_t countedSeq_ = 0;
  // minute (epoch ms / 60000) -> "tenant:NAME" | "destination:NAME" -> counts
  std::map<int64_t, std::map<std::string, Counts>> buckets_;
  // When each message that is to be forwarded was received (by request id), so that its
  // delivery gives the time it took; oldest first for trimming.
  std::unordered_map<std::string, int64_t> receivedAt_;
  std::deque<std::pair<int64_t, std::string>> receivedOrder_;
  // minute -> delivery times (received to acknowledged), ms; at most kMaxLatencySamples each.
  std::map<int64_t, std::vector<int64_t>> latencies_;
  // minute -> destination -> the largest queue depth sampled in it (at least every
  // kSampleIntervalMs, console open or not); trimmed to the longest window, like the buckets.
  std::map<int64_t, std::map<std::string, int64_t>> depths_;
  bool sampleFailing_ = false;  // the last sample() failed (logged once)

  std::mutex feedMutex_;                        // what follows; held while sending
  std::map<uint64_t, Subscriber> subscribers_;  // streams started
  size_t streams_ = 0;                          // streams answered and not yet ended
  uint64_t nextSubscriber_ = 1;
  core::PeriodicTask publisher_;  // last: stopped before anything it uses goes
};

}  // namespace brygga::api

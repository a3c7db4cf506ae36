#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gateway/api/endpoint.h"
#include "gateway/core/log.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/store/store.h"

namespace brygga::mappings {
class MappingSet;
}

namespace brygga::api {

// What one inbound request did, for its exchange-log line and its AuditEvent.
struct Trace {
  std::string interaction = "unknown";  // BALP subtype (a restful-interaction code or an operation)
  char action = 'E';                    // C R U D E
  std::optional<std::string> patient;   // "Patient/123"
  std::vector<std::string> entities;    // "Type/id"
  std::set<std::string> types;
  std::string query;
  bool audited = true;  // false only for unauthenticated, data-free answers (metadata)
  // The mapping files in force for the request; their version goes into the exchange line.
  std::shared_ptr<const mappings::MappingSet> mappings;
  std::string kind;      // what the message is (store::kMessageKinds); empty: not known
  std::string flowNote;  // what the flows decided, PHI-free ("task rejected: public-holiday")
  // A refusal the caller must not be able to tell from "not found", said in the audit record
  // only: "refused: a block against tenant:varberg stands" (PHI-free).
  std::string accessNote;
  // The request's exchange line and AuditEvent were committed with what it wrote (a write unit
  // records its own); otherwise they are recorded in a unit of their own after the answer.
  bool recorded = false;
};

// True for the interactions that make an inbound line a message in the console (writes:
// create, update, patch, delete, transaction, batch).
bool isMessageInteraction(const std::string& interaction);

// Writes the exchange-log line and the AuditEvent of an inbound request into a write unit, so
// that they commit with (or without) what the request changed. Stateless apart from the clock.
class ExchangeRecorder {
 public:
  explicit ExchangeRecorder(const core::TimeSource& clock) : clock_(clock) {}

  // `detail` is short and PHI-free: an issue code and expression, never diagnostics.
  core::Status record(store::StoreTransaction& txn, const ApiRequest& request, int status,
                      const Trace& trace, int64_t startedMs, const std::string& detail) const;

  // Records in a write unit of its own (reads, refusals, failed writes).
  core::Status recordAlone(store::Store& store, const ApiRequest& request, int status,
                           const Trace& trace, int64_t startedMs, const std::string& detail) const;

  // Records `response` in a write unit of its own and returns it. An access that cannot be
  // recorded is not served: the failure is logged (audit.write_failed) and a successful answer
  // becomes the recording's error.
  ApiResponse recordAnswer(store::Store& store, const ApiRequest& request, ApiResponse response,
                           const Trace& trace, int64_t startedMs, core::Logger& logger) const;

  // The PHI-free detail of an answer: "ok", or the first issue's code and expression of its
  // OperationOutcome.
  static std::string detailOf(int status, const std::string& body);

 private:
  const core::TimeSource& clock_;
};

}  // namespace brygga::api

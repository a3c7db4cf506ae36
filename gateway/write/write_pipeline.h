#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/access/access_policy.h"
#include "gateway/core/client_role.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/store/store.h"

namespace brygga::flows {
class FlowRouter;
}
namespace brygga::mappings {
class MappingSet;
}
namespace brygga::subscriptions {
class Subscriptions;
}

// The write path (issue 11): what one write unit does with the creates and updates of a request,
// apart from HTTP. The FHIR API parses and validates a body into WriteOps and answers from their
// outcome; everything between (conditionals, one Patient per person, access by care relationship
// and ownership, the flows' checks and completions, the writes with their index, identities,
// relationships and blocks, the outbox entries with back-pressure, and the request's own record)
// happens here, in one store write unit, all or nothing.
namespace brygga::write {

// One create, update or delete (a single interaction, or one entry of a transaction or batch).
// A DELETE has no resource and is a unit of its own.
struct WriteOp {
  size_t entryIndex = 0;
  std::string method;  // POST | PUT | DELETE
  std::string type;
  std::string id;         // PUT or DELETE Type/id
  std::string condition;  // If-None-Exist (POST) or the query of a conditional PUT or DELETE
  std::optional<int64_t> ifMatch;
  std::string fullUrl;
  rapidjson::Value* resource = nullptr;                     // points into the request document
  rapidjson::Document::AllocatorType* allocator = nullptr;  // that document's allocator
  // Outcome
  bool matchedExisting =
      false;  // a conditional create (or a known person) found one: nothing written
  bool created = false;
  // A DELETE that removed a resource (false: there was nothing the caller may see to delete).
  bool deleted = false;
  store::ResourceRecord record;
  std::string outcome;  // an OperationOutcome the flows answer with (a request out of hours)
};

// Who writes: the authenticated client behind one request.
struct Writer {
  core::ClientRole role = core::ClientRole::kMunicipal;
  std::string tenant;
  std::string clientId;
  std::string requestId;
  std::string traceId;  // W3C trace id, carried into the outbox entries
};

// What the unit decided, for the request's own record (written inside the same unit).
struct UnitResult {
  const std::vector<WriteOp>& ops;
  std::string flowNote;  // what the flows decided, PHI-free ("task rejected: public-holiday")
};

// Writes the request's exchange line and AuditEvent into the unit, so that they commit with
// what it changed (or not at all).
using RecordInUnit = std::function<core::Status(store::StoreTransaction&, const UnitResult&)>;

struct PipelineDependencies {
  store::Store& store;
  const core::TimeSource& clock;
  access::AccessConfig access;
  // The home-care flows; null: resources are stored and nothing is checked or forwarded.
  flows::FlowRouter* flows = nullptr;
  // Back-pressure: a unit that would enqueue to a destination whose pending queue has reached
  // its limit here is refused with kUnavailable (back_pressure.h).
  std::map<std::string, int64_t> maxQueueDepth;
  // Called after a unit that enqueued to the destination has committed.
  std::function<void(const std::string& destination)> onEnqueued;
  // Topic-based Subscriptions: a Subscription's checks and status, and the notifications a unit
  // causes (enqueued in it, without back-pressure: a subscriber's outage must not stop the
  // flows). Null: a Subscription cannot be written.
  subscriptions::Subscriptions* subscriptions = nullptr;
};

// Thread-safe (stateless apart from its dependencies; the store serializes the units).
class WritePipeline {
 public:
  explicit WritePipeline(PipelineDependencies deps);

  // Runs `ops` in one write unit: the flows prepare them (when `mappings` is set: the set in
  // force for the request), conditionals resolve, access is decided, the resources are written,
  // the flows route them to the outbox, and `record` writes the request's record last. Any error
  // leaves nothing written; on success every op carries its outcome (record, created,
  // matchedExisting, deleted, outcome). `ops` are processed in the order given. A DELETE is
  // alone in its unit; the flows forward no deletes (a peer's record is corrected by an update,
  // e.g. to entered-in-error).
  core::Status commit(const Writer& writer, std::vector<WriteOp>& ops,
                      const std::shared_ptr<const mappings::MappingSet>& mappings,
                      const RecordInUnit& record);

  // "Bundle.entry[3]: " for an entry of a Bundle, "" for a single interaction.
  static std::string entryPrefix(const WriteOp& op);

  // What `ops` are as a home-care message (flows::FlowRouter::kindOf), known before the unit
  // runs, so that a refused message is named too.
  static std::string kindOf(std::vector<WriteOp>& ops);

 private:
  access::CallerAccess accessOf(const Writer& writer) const;
  core::StatusOr<std::vector<std::string>> matches(store::StoreTransaction& txn,
                                                   const access::CallerAccess& ca,
                                                   const std::string& type,
                                                   const std::string& condition);
  core::Status prepareFlows(store::StoreTransaction& txn, const Writer& writer,
                            std::vector<WriteOp>& ops, const mappings::MappingSet& set,
                            std::string& flowNote);
  core::Status applyOps(store::StoreTransaction& txn, const Writer& writer,
                        std::vector<WriteOp>& ops, const mappings::MappingSet* set);
  core::Status applyDelete(store::StoreTransaction& txn, const access::CallerAccess& ca,
                           WriteOp& op);
  core::Status route(store::StoreTransaction& txn, const Writer& writer, std::vector<WriteOp>& ops,
                     const mappings::MappingSet& set, std::vector<std::string>& enqueuedTo);
  core::Status notify(store::StoreTransaction& txn, const Writer& writer, std::vector<WriteOp>& ops,
                      const mappings::MappingSet* set, std::vector<std::string>& enqueuedTo);

  PipelineDependencies deps_;
  const access::AccessPolicy policy_;
};

// A weak ETag for a version: W/"3".
std::string weakEtag(int64_t version);

}  // namespace brygga::write

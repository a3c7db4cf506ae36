#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/access/access_policy.h"
#include "gateway/core/client_role.h"
#include "gateway/core/log.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/delivery/entry_routing.h"
#include "gateway/store/store.h"
#include "gateway/subscriptions/subscription_spec.h"
#include "gateway/subscriptions/subscriptions_config.h"

namespace brygga::mappings {
class MappingSet;
}

// Topic-based Subscriptions (the R4 Subscriptions Backport IG, issue 14). A Subscription is a
// destination a client registers instead of one an operator configures: its notifications
// (handshake, heartbeats, events) are outbox entries of the one destination kDestination, ordered
// per subscription, delivered by the same DeliveryWorker as everything else (retries, dead
// letters, replay, audit, the console), each to its own endpoint (this class is the worker's
// EntryRouting).
//
// The path of an event: the write unit of a home-care message (WritePipeline) asks
// notificationsFor() with the message's kind; the topic it raises, the subscriptions on it whose
// filters hold and whose subscriber may read the patient (gateway/access, as for a read: the
// subscriber is the party that registered it) each get a notification numbered by its own
// counter (store: event_counter), enqueued in the same unit. A subscriber that may not read the
// patient gets nothing, not even a number, so the count tells it nothing either.
//
// Thread-safe. The registered subscriptions are cached: loaded at start, refreshed after every
// unit that writes one (changed()) and when another gateway on the store announces one.
namespace brygga::subscriptions {

// Who writes: the client behind a request.
struct Author {
  core::ClientRole role = core::ClientRole::kMunicipal;
  std::string tenant;
  std::string clientId;
  std::string requestId;
  std::string traceId;
};

// A resource a write unit wrote, after the write.
struct Written {
  const store::ResourceRecord* record = nullptr;
  bool created = false;
};

class Subscriptions final : public delivery::EntryRouting {
 public:
  // The search index of a resource (write::searchIndexOf), for the status changes it writes.
  using IndexOf = std::function<std::vector<store::IndexEntry>(const rapidjson::Value&)>;

  Subscriptions(SubscriptionsConfig config, store::Store& store, access::AccessConfig access,
                core::TimeSystem& time, core::Logger& logger, IndexOf indexOf);
  ~Subscriptions() override;

  // Reads the subscriptions on record.
  core::Status load();

  // In the unit, before `author` writes a Subscription (`current`: the version it replaces):
  // checks it (a topic Brygga has, a rest-hook to an endpoint the client may register, known
  // filters and content, a heartbeat no shorter than allowed) and sets its status: off when the
  // client says off; requested when it is new, its endpoint changed, or it was off or in error;
  // otherwise what it was. kUnprocessable with the issues when it cannot be served.
  core::Status prepare(const Author& author, rapidjson::Value& resource,
                       rapidjson::Document::AllocatorType& allocator,
                       const std::optional<store::ResourceRecord>& current) const;

  // In the unit, after its writes: a handshake for each Subscription written as requested, and
  // for a home-care message of `kind` an event notification to each subscription on the topic it
  // raises whose filters hold and whose subscriber may read the patient. `set`: the mappings in
  // force (service points), null when there are none.
  core::StatusOr<std::vector<store::OutboxEntry>> notificationsFor(
      store::StoreTransaction& txn, const Author& author, const std::string& kind,
      const std::vector<Written>& written, const mappings::MappingSet* set);

  // After a unit that wrote a Subscription committed: the cache follows, and the other gateways
  // on the store are told.
  void changed();

  // GET Subscription/<id>/$status: the searchset Bundle with its status Parameters.
  core::StatusOr<std::string> statusOf(const store::ResourceRecord& subscription);

  // The heartbeat thread and the announcements of other gateways. `onEnqueued` is called after
  // a heartbeat was enqueued (to wake the worker).
  void start(std::function<void()> onEnqueued);
  void stop();
  // One heartbeat pass (for tests and the thread): enqueues the heartbeats that are due;
  // returns how many.
  int heartbeatOnce();

  // delivery::EntryRouting
  core::StatusOr<std::optional<Address>> addressOf(const store::OutboxEntry& entry,
                                                   std::string& gone) override;
  core::Status recorded(store::StoreTransaction& txn, const store::OutboxEntry& entry,
                        store::OutboxState state, const std::string& lastError) override;
  std::string patientOf(const store::OutboxEntry& entry) override;

 private:
  struct Registered {
    SubscriptionSpec spec;
    std::string owner;  // the record's tenant: a municipality, or "region"
  };

  bool endpointAllowed(const std::string& clientId, const std::string& endpoint) const;
  // Whether it takes notifications now (not off, not past its end).
  bool live(const Registered& r, int64_t nowMs) const;
  store::OutboxEntry entryFor(const Registered& r, const Author& author,
                              const std::string& payload);
  core::Status setStatus(store::StoreTransaction& txn, const std::string& id,
                         const std::string& status, const std::string& error);
  std::optional<Registered> find(const std::string& id) const;

  const SubscriptionsConfig config_;
  store::Store& store_;
  const access::AccessPolicy policy_;
  core::TimeSystem& time_;
  core::Logger& logger_;
  const IndexOf indexOf_;

  mutable std::mutex mutex_;
  std::map<std::string, Registered> registered_;  // by id, every one not deleted
  std::map<std::string, int64_t> lastSentMs_;     // by id: the last notification enqueued
  std::function<void()> onEnqueued_;
  core::PeriodicTask heartbeats_;
  std::unique_ptr<store::Store::Subscription> announcements_;
};

}  // namespace brygga::subscriptions

#include "gateway/subscriptions/subscriptions.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "gateway/core/digest.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_index.h"
#include "gateway/subscriptions/notifications.h"
#include "mappings/mapping_set.h"
#include "mappings/residence.h"

namespace brygga::subscriptions {

namespace {

using core::Issue;
using core::Status;
using core::StatusOr;

constexpr std::string_view kStreamPrefix = "Subscription/";
// At most this long between heartbeat passes, so that a new subscription's first heartbeat is
// not late by more than this.
constexpr int64_t kHeartbeatPassMs = 1000;

std::string streamOf(const std::string& id) {
  return std::string(kStreamPrefix) + id;
}

// "Subscription/<id>" -> "<id>"; empty when the key is no subscription's.
std::string idOf(const store::OutboxEntry& entry) {
  if (entry.orderingKey.rfind(kStreamPrefix, 0) != 0) return {};
  return entry.orderingKey.substr(kStreamPrefix.size());
}

// The subscriber's access: the party that registered it, read as the client it is.
access::CallerAccess subscriberAccess(const access::AccessPolicy& policy, const std::string& owner,
                                      int64_t nowMs) {
  if (owner == access::kRegionParty) {
    return policy.forCaller(core::ClientRole::kRegional, "", nowMs);
  }
  return policy.forCaller(core::ClientRole::kMunicipal, owner, nowMs);
}

bool counts(const store::CareRelationship& r, int64_t nowMs, int64_t graceMs) {
  if (r.active && (r.endedMs == 0 || r.endedMs > nowMs)) return true;
  return r.endedMs != 0 && r.endedMs + graceMs > nowMs;
}

}  // namespace

Subscriptions::Subscriptions(SubscriptionsConfig config, store::Store& store,
                             access::AccessConfig access, core::TimeSystem& time,
                             core::Logger& logger, IndexOf indexOf)
    : config_(std::move(config)),
      store_(store),
      policy_(access),
      time_(time),
      logger_(logger),
      indexOf_(std::move(indexOf)),
      heartbeats_(time) {}

Subscriptions::~Subscriptions() {
  stop();
}

Status Subscriptions::load() {
  std::map<std::string, Registered> loaded;
  store::SearchQuery query;
  query.type = "Subscription";
  query.count = 500;
  for (query.offset = 0;; query.offset += query.count) {
    BRYGGA_ASSIGN_OR_RETURN(store::SearchPage page, store_.resources().search(query));
    for (const store::ResourceRecord& record : page.records) {
      auto doc = fhir::parseJson(record.json);
      if (!doc.isOk()) continue;
      auto spec = readSubscription(*doc);
      if (!spec.isOk()) {
        // Stored by an older build that allowed it: it stays on record and notifies nobody.
        logger_.warn("subscriptions.unreadable",
                     {{"subscription", record.id}, {"error", spec.status().message()}});
        continue;
      }
      spec->id = record.id;
      loaded[record.id] = Registered{std::move(spec).value(), record.tenant};
    }
    if (static_cast<int>(page.records.size()) < query.count) break;
  }
  std::lock_guard lock(mutex_);
  const int64_t now = time_.nowMs();
  for (const auto& [id, _] : loaded) lastSentMs_.try_emplace(id, now);
  registered_ = std::move(loaded);
  return Status::ok();
}

bool Subscriptions::endpointAllowed(const std::string& clientId,
                                    const std::string& endpoint) const {
  auto it = config_.allowedEndpoints.find(clientId);
  if (it == config_.allowedEndpoints.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const std::string& prefix) {
    return endpoint.size() >= prefix.size() && endpoint.compare(0, prefix.size(), prefix) == 0;
  });
}

bool Subscriptions::live(const Registered& r, int64_t nowMs) const {
  if (r.spec.status == "off") return false;
  return r.spec.endMs == 0 || r.spec.endMs > nowMs;
}

Status Subscriptions::prepare(const Author& author, rapidjson::Value& resource,
                              rapidjson::Document::AllocatorType& allocator,
                              const std::optional<store::ResourceRecord>& current) const {
  BRYGGA_ASSIGN_OR_RETURN(SubscriptionSpec spec, readSubscription(resource));
  if (!endpointAllowed(author.clientId, spec.endpoint)) {
    const std::string why =
        "this client may not register that endpoint: the operator names the endpoints each "
        "client may register (subscriptions.allowedEndpoints)";
    return Status(core::StatusCode::kPermissionDenied, why,
                  {Issue::error("forbidden", why, "Subscription.channel.endpoint")});
  }
  if (spec.heartbeatPeriodS > 0 && spec.heartbeatPeriodS < config_.minHeartbeatSeconds) {
    return core::unprocessable(
        "the heartbeat period is too short",
        {Issue::error("value",
                      "at least " + std::to_string(config_.minHeartbeatSeconds) + " seconds",
                      "Subscription.channel.extension")});
  }
  std::string status = "requested";
  if (spec.status == "off") {
    status = "off";
  } else if (current && !current->deleted) {
    auto before = fhir::parseJson(current->json);
    if (before.isOk()) {
      auto old = readSubscription(*before);
      if (old.isOk() && old->status != "off" && old->status != "error" &&
          old->endpoint == spec.endpoint) {
        status = old->status;
      }
    }
  }
  rapidjson::Value* s = fhir::mutableMember(resource, "status");
  if (s == nullptr) {
    resource.AddMember("status", rapidjson::Value(status.c_str(), allocator), allocator);
  } else {
    s->SetString(status.c_str(), allocator);
  }
  // The error a server recorded is its own to set.
  if (status == "requested") resource.RemoveMember("error");
  return Status::ok();
}

store::OutboxEntry Subscriptions::entryFor(const Registered& r, const Author& author,
                                           const std::string& payload) {
  store::OutboxEntry entry;
  entry.destination = kDestination;
  entry.orderingKey = streamOf(r.spec.id);
  entry.requestId = author.requestId.empty() ? core::newTimeOrderedUuid() : author.requestId;
  entry.tenant = r.owner;
  entry.payload = payload;
  entry.createdMs = time_.nowMs();
  entry.nextAttemptMs = entry.createdMs;
  entry.party = r.owner == access::kRegionParty ? std::string(access::kRegionParty)
                                                : access::tenantParty(r.owner);
  entry.traceId = author.traceId;
  std::lock_guard lock(mutex_);
  lastSentMs_[r.spec.id] = entry.createdMs;
  return entry;
}

StatusOr<std::vector<store::OutboxEntry>> Subscriptions::notificationsFor(
    store::StoreTransaction& txn, const Author& author, const std::string& kind,
    const std::vector<Written>& written, const mappings::MappingSet* set) {
  std::vector<store::OutboxEntry> out;
  const int64_t now = time_.nowMs();
  // Handshakes: each Subscription this unit asked to be (re)started.
  for (const Written& w : written) {
    if (w.record == nullptr || w.record->type != "Subscription" || w.record->deleted) continue;
    BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, fhir::parseJson(w.record->json));
    BRYGGA_ASSIGN_OR_RETURN(SubscriptionSpec spec, readSubscription(doc));
    if (spec.status != "requested") continue;
    spec.id = w.record->id;
    BRYGGA_ASSIGN_OR_RETURN(const int64_t events, txn.outbox().eventCount(streamOf(spec.id)));
    Notification n;
    n.baseUrl = config_.baseUrl;
    n.subscriptionId = spec.id;
    n.topic = spec.topic;
    n.status = spec.status;
    n.type = NotificationType::kHandshake;
    n.eventsSinceStart = events;
    n.nowMs = now;
    out.push_back(entryFor(Registered{spec, w.record->tenant}, author, notificationBundle(n)));
  }

  const Topic* topic = topicForKind(kind);
  if (topic == nullptr) return out;
  std::vector<Registered> candidates;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, r] : registered_) {
      if (r.spec.topic == topic && live(r, now)) candidates.push_back(r);
    }
  }
  if (candidates.empty()) return out;

  // The focus: what the unit wrote of the topic's types, the first type first.
  std::vector<EventResource> focus;
  std::string patientId;
  for (const std::string& type : topic->focusTypes) {
    for (const Written& w : written) {
      if (w.record == nullptr || w.record->type != type || w.record->deleted) continue;
      focus.push_back({w.record->type, w.record->id, w.record->json, w.created});
      if (patientId.empty()) patientId = w.record->patientId;
    }
  }
  // Every topic is about a patient's care: nothing without one.
  if (focus.empty() || patientId.empty()) return out;
  BRYGGA_ASSIGN_OR_RETURN(store::PatientAccessFacts facts, txn.resources().accessFacts(patientId));

  // The municipalities whose home care the patient is in (or was, within the grace period), and
  // their service points; the latter read only when a filter asks.
  const int64_t graceMs = policy_.graceMs();
  std::set<std::string> municipalities;
  for (const store::CareRelationship& r : facts.relationships) {
    if (counts(r, now, graceMs)) municipalities.insert(r.tenant);
  }
  std::optional<std::set<std::string>> servicePoints;
  auto servicePointsOf = [&]() -> StatusOr<const std::set<std::string>*> {
    if (servicePoints) return &*servicePoints;
    servicePoints.emplace();
    if (set == nullptr) return &*servicePoints;
    for (const store::CareRelationship& r : facts.relationships) {
      if (!counts(r, now, graceMs)) continue;
      BRYGGA_ASSIGN_OR_RETURN(std::optional<store::ResourceRecord> episode,
                              txn.resources().readCurrent("EpisodeOfCare", r.episodeId));
      if (!episode || episode->deleted) continue;
      BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, fhir::parseJson(episode->json));
      if (auto hsa = mappings::stampedServicePoint(doc)) {
        if (const auto* sp = set->routing().servicePointByHsaId(*hsa)) {
          servicePoints->insert(sp->code);
        }
      }
    }
    return &*servicePoints;
  };

  for (const Registered& r : candidates) {
    bool holds = true;
    for (const Filter& f : r.spec.filters) {
      if (f.parameter == "patient") {
        holds = f.value == "Patient/" + patientId;
      } else if (f.parameter == "municipality") {
        holds = municipalities.count(f.value) > 0;
      } else if (f.parameter == "service-point") {
        BRYGGA_ASSIGN_OR_RETURN(const std::set<std::string>* points, servicePointsOf());
        holds = points->count(f.value) > 0;
      } else {
        holds = false;
      }
      if (!holds) break;
    }
    if (!holds) continue;
    // Only what the subscriber may read; one that may not gets nothing, not even a number.
    if (!subscriberAccess(policy_, r.owner, now).readPatient(facts).allowed()) continue;
    BRYGGA_ASSIGN_OR_RETURN(const int64_t number,
                            txn.outbox().nextEventNumber(streamOf(r.spec.id)));
    Notification n;
    n.baseUrl = config_.baseUrl;
    n.subscriptionId = r.spec.id;
    n.topic = topic;
    n.status = r.spec.status;
    n.type = NotificationType::kEventNotification;
    n.eventsSinceStart = number;
    n.eventNumber = number;
    n.nowMs = now;
    n.content = r.spec.content;
    n.focus = focus;
    n.patientId = patientId;
    out.push_back(entryFor(r, author, notificationBundle(n)));
  }
  return out;
}

void Subscriptions::changed() {
  if (Status s = load(); !s.isOk()) {
    logger_.error("subscriptions.load_failed", {{"error", s.message()}});
  }
  store_.announce("subscriptions");
}

StatusOr<std::string> Subscriptions::statusOf(const store::ResourceRecord& subscription) {
  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, fhir::parseJson(subscription.json));
  Notification n;
  n.baseUrl = config_.baseUrl;
  n.subscriptionId = subscription.id;
  n.topic = topicByUrl(fhir::stringMember(doc, "criteria"));
  n.status = std::string(fhir::stringMember(doc, "status"));
  n.type = NotificationType::kQueryStatus;
  BRYGGA_ASSIGN_OR_RETURN(n.eventsSinceStart,
                          store_.outbox().eventCount(streamOf(subscription.id)));
  n.nowMs = time_.nowMs();
  return statusBundle(n);
}

std::optional<Subscriptions::Registered> Subscriptions::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = registered_.find(id);
  if (it == registered_.end()) return std::nullopt;
  return it->second;
}

int Subscriptions::heartbeatOnce() {
  // One gateway among those sharing the store sends them.
  if (!store_.holdsLease("subscriptions:heartbeat")) return 0;
  const int64_t now = time_.nowMs();
  std::vector<Registered> due;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, r] : registered_) {
      if (r.spec.heartbeatPeriodS <= 0 || !live(r, now) || r.spec.status == "requested") continue;
      auto last = lastSentMs_.try_emplace(id, now).first->second;
      if (now - last >= r.spec.heartbeatPeriodS * 1000) due.push_back(r);
    }
  }
  int sent = 0;
  for (const Registered& r : due) {
    // The count read in the unit that enqueues, so that it is exact where the heartbeat stands in
    // the subscription's ordered queue.
    Status written = store_.write([&](store::StoreTransaction& txn) -> Status {
      Notification n;
      n.baseUrl = config_.baseUrl;
      n.subscriptionId = r.spec.id;
      n.topic = r.spec.topic;
      n.status = r.spec.status;
      n.type = NotificationType::kHeartbeat;
      BRYGGA_ASSIGN_OR_RETURN(n.eventsSinceStart, txn.outbox().eventCount(streamOf(r.spec.id)));
      n.nowMs = now;
      return txn.outbox().enqueue(entryFor(r, Author{}, notificationBundle(n))).status();
    });
    if (written.isOk()) {
      ++sent;
    } else {
      logger_.warn("subscriptions.heartbeat_failed",
                   {{"subscription", r.spec.id}, {"error", written.message()}});
    }
  }
  return sent;
}

void Subscriptions::start(std::function<void()> onEnqueued) {
  onEnqueued_ = std::move(onEnqueued);
  announcements_ = store_.listen("subscriptions", [this] {
    if (Status s = load(); !s.isOk()) {
      logger_.error("subscriptions.load_failed", {{"error", s.message()}});
    }
  });
  heartbeats_.start([this] {
    if (heartbeatOnce() > 0 && onEnqueued_) onEnqueued_();
    return core::PeriodicTask::Next::after(kHeartbeatPassMs);
  });
}

void Subscriptions::stop() {
  heartbeats_.stop();
  announcements_.reset();
}

StatusOr<std::optional<delivery::EntryRouting::Address>> Subscriptions::addressOf(
    const store::OutboxEntry& entry, std::string& gone) {
  const std::string id = idOf(entry);
  std::optional<Registered> r = find(id);
  if (!r) {
    // Committed with its entry but not yet in the cache (the worker can pass between a unit's
    // commit and changed()): the store says whether it is there.
    BRYGGA_ASSIGN_OR_RETURN(std::optional<store::ResourceRecord> record,
                            store_.resources().read("Subscription", id));
    if (record && !record->deleted) {
      auto doc = fhir::parseJson(record->json);
      auto spec =
          doc.isOk() ? readSubscription(*doc) : core::StatusOr<SubscriptionSpec>(doc.status());
      if (spec.isOk()) {
        spec->id = id;
        r = Registered{std::move(spec).value(), record->tenant};
      }
    }
  }
  if (!r) {
    gone = "the subscription is gone";
    return std::optional<Address>();
  }
  if (r->spec.status == "off") {
    gone = "the subscription is off";
    return std::optional<Address>();
  }
  if (r->spec.endMs != 0 && r->spec.endMs <= time_.nowMs()) {
    gone = "the subscription has ended";
    return std::optional<Address>();
  }
  return std::optional<Address>(Address{r->spec.endpoint, r->spec.headers});
}

Status Subscriptions::recorded(store::StoreTransaction& txn, const store::OutboxEntry& entry,
                               store::OutboxState state, const std::string& lastError) {
  const std::string id = idOf(entry);
  if (id.empty()) return Status::ok();
  if (state == store::OutboxState::kDelivered) return setStatus(txn, id, "active", "");
  if (state == store::OutboxState::kDead) return setStatus(txn, id, "error", lastError);
  return Status::ok();
}

Status Subscriptions::setStatus(store::StoreTransaction& txn, const std::string& id,
                                const std::string& status, const std::string& error) {
  BRYGGA_ASSIGN_OR_RETURN(std::optional<store::ResourceRecord> current,
                          txn.resources().readCurrent("Subscription", id));
  if (!current || current->deleted) return Status::ok();
  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, fhir::parseJson(current->json));
  const std::string before(fhir::stringMember(doc, "status"));
  // Off is the client's to change; active follows a delivery only from requested or error.
  if (before == "off" || before == status) return Status::ok();
  if (status == "active" && before != "requested" && before != "error") return Status::ok();
  auto& a = doc.GetAllocator();
  fhir::mutableMember(doc, "status")->SetString(status.c_str(), a);
  doc.RemoveMember("error");
  if (!error.empty()) doc.AddMember("error", rapidjson::Value(error.c_str(), a), a);
  store::ResourceWrite write;
  write.record.type = "Subscription";
  write.record.id = id;
  write.record.version = current->version + 1;
  write.record.lastUpdatedMs = time_.nowMs();
  write.record.tenant = current->tenant;
  fhir::stampMeta(doc, a, id, write.record.version, write.record.lastUpdatedMs);
  write.record.json = fhir::toJson(doc);
  write.index = indexOf_(doc);
  BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(write));
  std::lock_guard lock(mutex_);
  if (auto it = registered_.find(id); it != registered_.end()) it->second.spec.status = status;
  logger_.info("subscriptions.status", {{"subscription", id}, {"status", status}});
  return Status::ok();
}

std::string Subscriptions::patientOf(const store::OutboxEntry& entry) {
  auto doc = fhir::parseJson(entry.payload);
  if (!doc.isOk()) return {};
  // The notification-event's additional-context names the patient (content id-only and up).
  const std::string marker = "Patient/";
  std::string found;
  const rapidjson::Value& root = *doc;
  fhir::forEachObject(root, [&](const rapidjson::Value& object) {
    if (!found.empty() || fhir::stringMember(object, "name") != "additional-context") return;
    const rapidjson::Value* ref = fhir::member(object, "valueReference");
    if (ref == nullptr || !ref->IsObject()) return;
    const std::string_view text = fhir::stringMember(*ref, "reference");
    const size_t at = text.rfind(marker);
    if (at != std::string_view::npos && (at == 0 || text[at - 1] == '/')) {
      found = std::string(text.substr(at));
    }
  });
  return found;
}

}  // namespace brygga::subscriptions

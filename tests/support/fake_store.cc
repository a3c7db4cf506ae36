#include "tests/support/fake_store.h"

#include <algorithm>
#include <exception>
#include <set>
#include <tuple>

namespace brygga::testing {

namespace {

using core::Status;
using core::StatusOr;
using store::AuditRecord;
using store::OutboxEntry;
using store::OutboxState;
using store::ResourceRecord;
using State = FakeStore::State;

const FakeStore::Version* currentVersion(const State& state, const std::string& type,
                                         const std::string& id) {
  auto it = state.resources.find({type, id});
  if (it == state.resources.end() || it->second.empty()) return nullptr;
  return &it->second.back();
}

bool matches(const FakeStore::Version& v, const store::SearchCriterion& criterion) {
  for (const store::IndexEntry& entry : v.index) {
    if (entry.param != criterion.param) continue;
    if (criterion.system && entry.system != *criterion.system) continue;
    if (std::find(criterion.values.begin(), criterion.values.end(), entry.value) !=
        criterion.values.end()) {
      return true;
    }
  }
  return false;
}

// The fake keeps no facts of access (schema 6): a query that asks for visibility is an error
// here rather than an answer that ignores it.
core::Status noVisibility(const store::SearchQuery& query) {
  if (!query.visibility) return core::Status::ok();
  return core::internalError("FakeStore does not implement visibility; use a SqliteStore");
}

store::SearchPage searchState(const State& state, const store::SearchQuery& query) {
  std::vector<ResourceRecord> hits;
  for (const auto& [key, versions] : state.resources) {
    if (key.first != query.type || versions.empty()) continue;
    const FakeStore::Version& v = versions.back();
    if (v.record.deleted) continue;
    if (query.tenant && v.record.tenant != *query.tenant) continue;
    if (query.lastUpdatedGeMs && v.record.lastUpdatedMs < *query.lastUpdatedGeMs) continue;
    if (query.lastUpdatedLeMs && v.record.lastUpdatedMs > *query.lastUpdatedLeMs) continue;
    bool all = true;
    for (const store::SearchCriterion& c : query.criteria) {
      if (!matches(v, c)) {
        all = false;
        break;
      }
    }
    if (all) hits.push_back(v.record);
  }
  std::sort(hits.begin(), hits.end(), [](const ResourceRecord& a, const ResourceRecord& b) {
    return std::tie(a.lastUpdatedMs, a.id) < std::tie(b.lastUpdatedMs, b.id);
  });
  store::SearchPage page;
  page.total = static_cast<int64_t>(hits.size());
  const size_t from = static_cast<size_t>(std::max(query.offset, 0));
  for (size_t i = from; i < hits.size() && page.records.size() < static_cast<size_t>(query.count);
       ++i) {
    page.records.push_back(hits[i]);
  }
  return page;
}

AuditRecord lastAuditOf(const State& state) {
  return state.audit.empty() ? AuditRecord{} : state.audit.back();
}

class FakeTransaction final : public store::StoreTransaction {
 public:
  explicit FakeTransaction(State& state) : state_(state) {}

  StatusOr<std::optional<ResourceRecord>> readCurrent(const std::string& type,
                                                      const std::string& id) override {
    const FakeStore::Version* v = currentVersion(state_, type, id);
    if (v == nullptr) return std::optional<ResourceRecord>();
    return std::optional<ResourceRecord>(v->record);
  }

  StatusOr<std::vector<std::string>> findByIdentifier(const std::string& type,
                                                      const std::string& system,
                                                      const std::string& value) override {
    store::SearchQuery query;
    query.type = type;
    query.criteria.push_back({"identifier", system, {value}});
    query.count = 1 << 30;
    std::vector<std::string> ids;
    for (const ResourceRecord& r : searchState(state_, query).records) ids.push_back(r.id);
    return ids;
  }

  StatusOr<store::SearchPage> search(const store::SearchQuery& query) override {
    BRYGGA_RETURN_IF_ERROR(noVisibility(query));
    return searchState(state_, query);
  }

  Status putResource(const store::ResourceWrite& write) override {
    auto& versions = state_.resources[{write.record.type, write.record.id}];
    const int64_t current = versions.empty() ? 0 : versions.back().record.version;
    if (write.record.version != current + 1) {
      return core::conflict(write.record.type + "/" + write.record.id + " is at version " +
                            std::to_string(current));
    }
    versions.push_back({write.record, write.index});
    return Status::ok();
  }

  StatusOr<int64_t> enqueue(const OutboxEntry& entry) override {
    OutboxEntry stored = entry;
    stored.id = state_.nextOutboxId++;
    state_.outbox[stored.id] = stored;
    return stored.id;
  }

  Status updateOutbox(int64_t id, OutboxState state, int attempts, int64_t nextAttemptMs,
                      const std::string& lastError) override {
    auto it = state_.outbox.find(id);
    if (it == state_.outbox.end()) return core::notFound("no outbox entry " + std::to_string(id));
    it->second.state = state;
    it->second.attempts = attempts;
    it->second.nextAttemptMs = nextAttemptMs;
    it->second.lastError = lastError;
    return Status::ok();
  }

  Status recordExchange(const store::ExchangeRecord& record) override {
    state_.exchanges.push_back(record);
    return Status::ok();
  }

  StatusOr<AuditRecord> lastAudit() override { return lastAuditOf(state_); }

  Status appendAudit(const AuditRecord& record) override {
    const AuditRecord last = lastAuditOf(state_);
    if (record.seq != last.seq + 1) {
      return core::conflict("audit seq " + std::to_string(record.seq) + " after " +
                            std::to_string(last.seq));
    }
    if (last.seq > 0 && record.prevHash != last.hash) {
      return core::conflict("audit record " + std::to_string(record.seq) +
                            " does not link to the last record's hash");
    }
    state_.audit.push_back(record);
    return Status::ok();
  }

  Status putAuditLeaf(int64_t seq, const std::string& leafHash) override {
    if (seq < 1 || seq > static_cast<int64_t>(state_.audit.size())) {
      return core::internalError("no audit record " + std::to_string(seq) + " for a leaf");
    }
    if (!state_.auditLeaves.emplace(seq, leafHash).second) {
      return core::internalError("audit record " + std::to_string(seq) + " has a leaf already");
    }
    return Status::ok();
  }

  Status appendAuditCheckpoint(const store::AuditCheckpoint& checkpoint) override {
    if (!state_.checkpoints.empty() && checkpoint.treeSize <= state_.checkpoints.back().treeSize) {
      return core::conflict("checkpoint size " + std::to_string(checkpoint.treeSize) +
                            " does not follow " +
                            std::to_string(state_.checkpoints.back().treeSize));
    }
    state_.checkpoints.push_back(checkpoint);
    return Status::ok();
  }

  StatusOr<std::optional<OutboxEntry>> readOutbox(int64_t id) override {
    auto it = state_.outbox.find(id);
    if (it == state_.outbox.end()) return std::optional<OutboxEntry>();
    return std::optional<OutboxEntry>(it->second);
  }

  StatusOr<int64_t> pendingCount(const std::string& destination) override {
    int64_t n = 0;
    for (const auto& [id, e] : state_.outbox) {
      if (e.destination == destination && e.state == OutboxState::kPending) ++n;
    }
    return n;
  }

  StatusOr<bool> deliveredAfter(const std::string& destination, const std::string& orderingKey,
                                int64_t id) override {
    for (auto it = state_.outbox.upper_bound(id); it != state_.outbox.end(); ++it) {
      const OutboxEntry& e = it->second;
      if (e.destination == destination && e.orderingKey == orderingKey &&
          e.state == OutboxState::kDelivered) {
        return true;
      }
    }
    return false;
  }

  Status setDestinationPaused(const std::string& destination, bool paused, int64_t atMs,
                              const std::string& by) override {
    store::DestinationState& d = state_.destinations[destination];
    d.destination = destination;
    d.paused = paused;
    d.changedMs = atMs;
    d.changedBy = by;
    return Status::ok();
  }

 private:
  State& state_;
};

}  // namespace

Status FakeStore::write(const std::function<Status(store::StoreTransaction&)>& work) {
  std::lock_guard writeLock(writeMutex_);
  State copy;
  {
    std::lock_guard lock(mutex_);
    if (failCount_ > 0) {
      --failCount_;
      return *failWith_;
    }
    copy = state_;
  }
  FakeTransaction txn(copy);
  Status status;
  try {
    status = work(txn);
  } catch (const std::exception& e) {
    status = core::internalError(std::string("write unit threw: ") + e.what());
  } catch (...) {
    status = core::internalError("write unit threw");
  }
  if (!status.isOk()) return status;
  std::lock_guard lock(mutex_);
  state_ = std::move(copy);
  ++committed_;
  return Status::ok();
}

StatusOr<std::optional<ResourceRecord>> FakeStore::read(const std::string& type,
                                                        const std::string& id,
                                                        std::optional<int64_t> version) {
  std::lock_guard lock(mutex_);
  auto it = state_.resources.find({type, id});
  if (it == state_.resources.end() || it->second.empty()) {
    return std::optional<ResourceRecord>();
  }
  if (!version) return std::optional<ResourceRecord>(it->second.back().record);
  for (const Version& v : it->second) {
    if (v.record.version == *version) return std::optional<ResourceRecord>(v.record);
  }
  return std::optional<ResourceRecord>();
}

StatusOr<std::vector<ResourceRecord>> FakeStore::history(const std::string& type,
                                                         const std::string& id) {
  std::lock_guard lock(mutex_);
  std::vector<ResourceRecord> out;
  auto it = state_.resources.find({type, id});
  if (it == state_.resources.end()) return out;
  for (auto v = it->second.rbegin(); v != it->second.rend(); ++v) out.push_back(v->record);
  return out;
}

StatusOr<store::SearchPage> FakeStore::search(const store::SearchQuery& query) {
  std::lock_guard lock(mutex_);
  BRYGGA_RETURN_IF_ERROR(noVisibility(query));
  return searchState(state_, query);
}

StatusOr<store::SearchPage> FakeStore::typeHistory(const store::SearchQuery& query) {
  std::lock_guard lock(mutex_);
  BRYGGA_RETURN_IF_ERROR(noVisibility(query));
  std::vector<ResourceRecord> all;
  for (const auto& [key, versions] : state_.resources) {
    if (key.first != query.type) continue;
    for (const Version& v : versions) {
      if (!query.lastUpdatedGeMs || v.record.lastUpdatedMs >= *query.lastUpdatedGeMs) {
        all.push_back(v.record);
      }
    }
  }
  std::sort(all.begin(), all.end(), [](const ResourceRecord& a, const ResourceRecord& b) {
    return std::tie(b.lastUpdatedMs, b.id, b.version) < std::tie(a.lastUpdatedMs, a.id, a.version);
  });
  store::SearchPage page;
  page.total = static_cast<int64_t>(all.size());
  const size_t from = std::min(all.size(), static_cast<size_t>(std::max(query.offset, 0)));
  const size_t to = std::min(all.size(), from + static_cast<size_t>(std::max(query.count, 0)));
  page.records.assign(all.begin() + static_cast<std::ptrdiff_t>(from),
                      all.begin() + static_cast<std::ptrdiff_t>(to));
  return page;
}

StatusOr<std::vector<store::ExchangeRecord>> FakeStore::exchanges(
    const store::ExchangeQuery& query) {
  std::lock_guard lock(mutex_);
  std::vector<store::ExchangeRecord> out;
  for (const store::ExchangeRecord& r : state_.exchanges) {
    if (static_cast<int>(out.size()) >= query.limit) break;
    if (query.tenant && r.tenant != *query.tenant) continue;
    if (query.requestId && r.requestId != *query.requestId) continue;
    if (query.direction && r.direction != *query.direction) continue;
    out.push_back(r);
  }
  return out;
}

StatusOr<std::vector<OutboxEntry>> FakeStore::dueOutbox(const std::string& destination,
                                                        int64_t nowMs, int limit) {
  std::lock_guard lock(mutex_);
  std::vector<OutboxEntry> out;
  std::set<std::string> seenKeys;
  for (const auto& [id, entry] : state_.outbox) {  // ascending id
    if (entry.destination != destination || entry.state != OutboxState::kPending) continue;
    if (!entry.orderingKey.empty() && !seenKeys.insert(entry.orderingKey).second) continue;
    if (entry.nextAttemptMs > nowMs) continue;
    out.push_back(entry);
    if (static_cast<int>(out.size()) >= limit) break;
  }
  return out;
}

StatusOr<std::optional<OutboxEntry>> FakeStore::outboxEntry(int64_t id) {
  std::lock_guard lock(mutex_);
  auto it = state_.outbox.find(id);
  if (it == state_.outbox.end()) return std::optional<OutboxEntry>();
  return std::optional<OutboxEntry>(it->second);
}

StatusOr<std::vector<OutboxEntry>> FakeStore::outbox(const std::string& destination,
                                                     std::optional<OutboxState> state, int limit) {
  std::lock_guard lock(mutex_);
  std::vector<OutboxEntry> out;
  for (const auto& [id, entry] : state_.outbox) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (entry.destination != destination) continue;
    if (state && entry.state != *state) continue;
    out.push_back(entry);
  }
  return out;
}

StatusOr<std::vector<AuditRecord>> FakeStore::auditRecords(int64_t fromSeq, int limit) {
  std::lock_guard lock(mutex_);
  std::vector<AuditRecord> out;
  for (const AuditRecord& r : state_.audit) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (r.seq >= fromSeq) out.push_back(r);
  }
  return out;
}

StatusOr<std::vector<AuditRecord>> FakeStore::auditRecordsForPatient(const std::string& patient,
                                                                     int limit) {
  std::lock_guard lock(mutex_);
  std::vector<AuditRecord> out;
  for (const AuditRecord& r : state_.audit) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (r.patient == patient) out.push_back(r);
  }
  return out;
}

StatusOr<std::vector<store::AuditLeaf>> FakeStore::auditLeaves(int64_t fromSeq, int limit) {
  std::lock_guard lock(mutex_);
  std::vector<store::AuditLeaf> out;
  for (auto it = state_.auditLeaves.lower_bound(fromSeq);
       it != state_.auditLeaves.end() && static_cast<int>(out.size()) < limit; ++it) {
    out.push_back({it->first, it->second});
  }
  return out;
}

StatusOr<std::vector<store::AuditCheckpoint>> FakeStore::auditCheckpoints(int64_t fromTreeSize,
                                                                          int limit) {
  std::lock_guard lock(mutex_);
  std::vector<store::AuditCheckpoint> out;
  for (const store::AuditCheckpoint& c : state_.checkpoints) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (c.treeSize >= fromTreeSize) out.push_back(c);
  }
  return out;
}

StatusOr<std::optional<store::AuditCheckpoint>> FakeStore::latestAuditCheckpoint() {
  std::lock_guard lock(mutex_);
  if (state_.checkpoints.empty()) return std::optional<store::AuditCheckpoint>();
  return std::optional<store::AuditCheckpoint>(state_.checkpoints.back());
}

StatusOr<std::vector<store::DestinationState>> FakeStore::destinationStates() {
  std::lock_guard lock(mutex_);
  std::map<std::string, store::DestinationState> states = state_.destinations;
  for (const auto& [id, e] : state_.outbox) {
    store::DestinationState& d = states[e.destination];
    d.destination = e.destination;
    if (e.state == OutboxState::kPending) {
      if (d.pending++ == 0) d.oldestPendingCreatedMs = e.createdMs;
    } else if (e.state == OutboxState::kDead) {
      ++d.dead;
    }
  }
  std::vector<store::DestinationState> out;
  for (auto& [name, d] : states) out.push_back(d);
  return out;
}

StatusOr<bool> FakeStore::destinationPaused(const std::string& destination) {
  std::lock_guard lock(mutex_);
  auto it = state_.destinations.find(destination);
  return it != state_.destinations.end() && it->second.paused;
}

StatusOr<std::vector<OutboxEntry>> FakeStore::deadLetters(
    const std::optional<std::string>& destination, int64_t afterId, int limit) {
  std::lock_guard lock(mutex_);
  std::vector<OutboxEntry> out;
  for (auto it = state_.outbox.upper_bound(afterId);
       it != state_.outbox.end() && static_cast<int>(out.size()) < limit; ++it) {
    if (it->second.state != OutboxState::kDead) continue;
    if (destination && it->second.destination != *destination) continue;
    out.push_back(it->second);
  }
  return out;
}

StatusOr<int64_t> FakeStore::purgeDelivered(int64_t deliveredBeforeMs, int limit) {
  std::lock_guard writeLock(writeMutex_);
  std::lock_guard lock(mutex_);
  int64_t purged = 0;
  for (auto it = state_.outbox.begin(); it != state_.outbox.end() && purged < limit;) {
    if (it->second.state == OutboxState::kDelivered &&
        it->second.nextAttemptMs < deliveredBeforeMs) {
      it = state_.outbox.erase(it);
      ++purged;
    } else {
      ++it;
    }
  }
  return purged;
}

Status FakeStore::reclaimSpace() {
  return Status::ok();
}

Status FakeStore::checkWritable() {
  return Status::ok();
}

void FakeStore::failWrites(Status status, int count) {
  std::lock_guard lock(mutex_);
  failWith_ = std::move(status);
  failCount_ = count;
}

void FakeStore::editAudit(const std::function<void(std::vector<AuditRecord>&)>& edit) {
  std::lock_guard lock(mutex_);
  edit(state_.audit);
}

int FakeStore::committedWrites() const {
  std::lock_guard lock(mutex_);
  return committed_;
}

}  // namespace brygga::testing

#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/store/store.h"

namespace brygga::testing {

// An in-memory store::Store for unit tests of code above the store. It keeps the contract callers
// rely on: a write unit is all-or-nothing (it works on a copy that replaces the state only when
// the unit returns OK), write units are serialized, putResource enforces version = current + 1,
// dueOutbox returns only the oldest pending entry of each ordering key (an empty key is its own
// key per entry), appendAudit enforces seq = last + 1 and prevHash = last hash. Thread-safe.
// Nothing is durable.
class FakeStore final : public store::Store {
 public:
  FakeStore() = default;

  core::Status write(const std::function<core::Status(store::StoreTransaction&)>& work) override;
  core::StatusOr<std::optional<store::ResourceRecord>> read(
      const std::string& type, const std::string& id, std::optional<int64_t> version = {}) override;
  core::StatusOr<std::vector<store::ResourceRecord>> history(const std::string& type,
                                                             const std::string& id) override;
  core::StatusOr<store::SearchPage> search(const store::SearchQuery& query) override;
  core::StatusOr<store::SearchPage> typeHistory(const store::SearchQuery& query) override;
  core::StatusOr<std::vector<store::ExchangeRecord>> exchanges(
      const store::ExchangeQuery& query) override;
  core::StatusOr<std::vector<store::OutboxEntry>> dueOutbox(const std::string& destination,
                                                            int64_t nowMs, int limit) override;
  core::StatusOr<std::optional<store::OutboxEntry>> outboxEntry(int64_t id) override;
  core::StatusOr<std::vector<store::OutboxEntry>> outbox(const std::string& destination,
                                                         std::optional<store::OutboxState> state,
                                                         int limit) override;
  core::StatusOr<std::vector<store::AuditRecord>> auditRecords(int64_t fromSeq, int limit) override;
  core::StatusOr<std::vector<store::AuditRecord>> auditRecordsForPatient(const std::string& patient,
                                                                         int limit) override;
  core::StatusOr<std::vector<store::AuditLeaf>> auditLeaves(int64_t fromSeq, int limit) override;
  core::StatusOr<std::vector<store::AuditCheckpoint>> auditCheckpoints(int64_t fromTreeSize,
                                                                       int limit) override;
  core::StatusOr<std::optional<store::AuditCheckpoint>> latestAuditCheckpoint() override;
  core::StatusOr<std::vector<store::DestinationState>> destinationStates() override;
  core::StatusOr<bool> destinationPaused(const std::string& destination) override;
  core::StatusOr<std::vector<store::OutboxEntry>> deadLetters(
      const std::optional<std::string>& destination, int64_t afterId, int limit) override;
  core::StatusOr<int64_t> purgeDelivered(int64_t deliveredBeforeMs, int limit) override;
  core::Status reclaimSpace() override;
  core::Status checkWritable() override;

  // Test hooks.
  // The next `count` write units fail with `status` before running their work.
  void failWrites(core::Status status, int count = 1);
  // Direct access to the stored audit chain, to simulate tampering.
  void editAudit(const std::function<void(std::vector<store::AuditRecord>&)>& edit);
  // How many write units were committed.
  int committedWrites() const;

  // The whole state; public so that the transaction class in fake_store.cc can work on a copy.
  struct Version {
    store::ResourceRecord record;
    std::vector<store::IndexEntry> index;
  };
  struct State {
    std::map<std::pair<std::string, std::string>, std::vector<Version>> resources;  // oldest first
    std::vector<store::ExchangeRecord> exchanges;
    std::map<int64_t, store::OutboxEntry> outbox;
    int64_t nextOutboxId = 1;
    std::vector<store::AuditRecord> audit;
    std::map<int64_t, std::string> auditLeaves;  // seq -> leaf hash
    std::vector<store::AuditCheckpoint> checkpoints;
    std::map<std::string, store::DestinationState> destinations;  // pause state by name
  };

 private:
  std::mutex writeMutex_;     // serializes write units
  mutable std::mutex mutex_;  // guards the fields below
  State state_;
  std::optional<core::Status> failWith_;
  int failCount_ = 0;
  int committed_ = 0;
};

}  // namespace brygga::testing

#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/store/store.h"
#include "tests/support/test_support.h"

namespace brygga::testing {

// The real SQLite store in a temporary directory, for unit tests of code above the store, with
// hooks a test needs to drive failures: write units that fail before they run, a count of the
// committed ones, and tampering with the audit chain outside Brygga (as someone with the file
// would). Every read and write is the real store's.
class TestStore final : public store::Store {
 public:
  TestStore();
  ~TestStore() override;

  core::Status write(const std::function<core::Status(store::StoreTransaction&)>& work) override;
  store::ResourceStore& resources() override { return store_->resources(); }
  store::OutboxStore& outbox() override { return store_->outbox(); }
  store::AuditLogStore& auditLog() override { return store_->auditLog(); }
  store::ExchangeLogStore& exchangeLog() override { return store_->exchangeLog(); }
  store::MeasureFactStore& measureFacts() override { return store_->measureFacts(); }
  core::Status checkWritable() override { return store_->checkWritable(); }
  core::Status reclaimSpace() override { return store_->reclaimSpace(); }
  bool holdsLease(const std::string& name) override { return store_->holdsLease(name); }
  core::Status recordInstance(const store::InstanceRecord& instance) override {
    return store_->recordInstance(instance);
  }
  core::StatusOr<std::vector<store::InstanceRecord>> instances() override {
    return store_->instances();
  }
  void announce(const std::string& topic) override { store_->announce(topic); }
  std::unique_ptr<Subscription> listen(const std::string& topic,
                                       std::function<void()> listener) override {
    return store_->listen(topic, std::move(listener));
  }

  // The next `count` write units fail with `status` before running their work.
  void failWrites(core::Status status, int count = 1);
  // How many write units were committed.
  int committedWrites() const { return committed_.load(); }
  // Rewrites the stored audit records (not their leaves or checkpoints) as `edit` leaves them,
  // with SQL on the database file past the append-only triggers.
  void editAudit(const std::function<void(std::vector<store::AuditRecord>&)>& edit);

 private:
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::mutex mutex_;  // guards the failure hook
  std::optional<core::Status> failWith_;
  int failCount_ = 0;
  std::atomic<int> committed_{0};
};

}  // namespace brygga::testing

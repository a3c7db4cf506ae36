#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include "gateway/store/store.h"

// Internal to gateway/store: one SQLite connection and the SQL Brygga runs on it.
namespace brygga::store::sqlite {

// Result columns of a query, extracted by POCO into one vector per column.
struct RecordColumns {
  std::vector<std::string> type, id, tenant, json;
  std::vector<Poco::Int64> version, lastUpdatedMs, deleted;
  void bindTo(Poco::Data::Statement& statement);
  void clear();
  std::vector<ResourceRecord> take();
};

struct OutboxColumns {
  std::vector<Poco::Int64> id, createdMs, nextAttemptMs;
  std::vector<std::string> destination, orderingKey, requestId, tenant, payload, state, lastError;
  std::vector<int> attempts;
  void bindTo(Poco::Data::Statement& statement);
  void clear();
  std::vector<OutboxEntry> take();
};

struct AuditColumns {
  std::vector<Poco::Int64> seq, recordedMs;
  std::vector<std::string> json, prevHash, hash, patient;
  void bindTo(Poco::Data::Statement& statement);
  void clear();
  std::vector<AuditRecord> take();
};

// A POCO Data session on the database file with the PRAGMAs every Brygga connection needs (WAL,
// synchronous=FULL, foreign keys, busy timeout). The fixed statements are compiled on first use
// and kept for the connection's life, their parameters and result columns bound to buffers of
// this object, so running one again only rebinds and steps.
//
// Not thread-safe: SqliteStore lends a connection to one thread at a time. Database errors are
// thrown as Poco::Exception; SqliteStore turns them into Status at its edge. The caller decides
// transactions (begin/commit/rollback); the methods here only run SQL.
class Connection {
 public:
  enum class Role { kWriter, kReader };

  Connection(const std::string& path, Role role);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Poco::Data::Session& session() { return session_; }

  // BEGIN IMMEDIATE (writer: takes the write lock now, so the unit cannot fail later on a lock
  // upgrade) or BEGIN (reader: one snapshot for several statements).
  void begin(bool immediate);
  void commit();
  // Never throws: SQLite may already have rolled back after an error such as SQLITE_FULL.
  void rollback() noexcept;
  // PRAGMA max_page_count for a size bound in bytes.
  void limitSize(int64_t maxBytes);

  std::optional<ResourceRecord> readCurrent(const std::string& type, const std::string& id);
  std::optional<ResourceRecord> readVersion(const std::string& type, const std::string& id,
                                            int64_t version);
  std::vector<ResourceRecord> history(const std::string& type, const std::string& id);
  // 0 when the resource has never been written.
  int64_t currentVersion(const std::string& type, const std::string& id);
  std::vector<std::string> findByIdentifier(const std::string& type, const std::string& system,
                                            const std::string& value);
  // Run inside a transaction so that the total and the page come from one snapshot.
  SearchPage search(const SearchQuery& query);
  // Writes the version, moves the head and replaces the search index; no version check.
  void insertResource(const ResourceWrite& write);

  int64_t insertOutbox(const OutboxEntry& entry);
  // False when there is no entry `id`.
  bool updateOutbox(int64_t id, OutboxState state, int attempts, int64_t nextAttemptMs,
                    const std::string& lastError);
  std::vector<OutboxEntry> dueOutbox(const std::string& destination, int64_t nowMs, int limit);
  std::optional<OutboxEntry> outboxEntry(int64_t id);
  std::vector<OutboxEntry> outbox(const std::string& destination, std::optional<OutboxState> state,
                                  int limit);

  void insertExchange(const ExchangeRecord& record);
  std::vector<ExchangeRecord> exchanges(const ExchangeQuery& query);

  AuditRecord lastAudit();
  void insertAudit(const AuditRecord& record);
  std::vector<AuditRecord> auditFrom(int64_t fromSeq, int limit);
  std::vector<AuditRecord> auditForPatient(const std::string& patient, int limit);

  void heartbeat();

 private:
  using Slot = std::unique_ptr<Poco::Data::Statement>;
  // The statement in `slot`, compiled by `setup` the first time.
  Poco::Data::Statement& prepared(Slot& slot,
                                  const std::function<void(Poco::Data::Statement&)>& setup);
  // Executes a kept statement; a statement that failed is dropped and compiled afresh next time,
  // since POCO leaves its state undefined.
  std::size_t run(Slot& slot);

  Poco::Data::Session session_;

  // Parameter buffers the kept statements are bound to.
  std::string type_, id_, system_, value_, text_;
  Poco::Int64 version_ = 0, number_ = 0, deletedIn_ = 0;
  int limit_ = 0;
  ResourceRecord recordIn_;
  IndexEntry indexIn_;
  OutboxEntry outboxIn_;
  std::string outboxStateIn_;
  ExchangeRecord exchangeIn_;
  AuditRecord auditIn_;

  // Result buffers.
  RecordColumns records_;
  OutboxColumns outboxRows_;
  AuditColumns auditRows_;
  std::vector<std::string> ids_;
  std::vector<Poco::Int64> numbers_;

  Slot begin_, beginImmediate_, commit_, rollback_;
  Slot selectCurrent_, selectVersion_, selectHistory_, selectCurrentVersion_, findByIdentifier_;
  Slot insertVersion_, upsertCurrent_, deleteIndex_, insertIndex_;
  Slot insertOutbox_, updateOutbox_, dueOutbox_, outboxEntry_, outboxAll_, outboxInState_;
  Slot insertExchange_;
  Slot lastAudit_, insertAudit_, auditFrom_, auditForPatient_;
  Slot heartbeat_;
};

}  // namespace brygga::store::sqlite

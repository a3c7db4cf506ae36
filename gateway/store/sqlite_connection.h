#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <Poco/Data/Session.h>
#include <Poco/Data/Statement.h>

#include "gateway/store/sqlite_statement.h"
#include "gateway/store/store.h"

// Internal to gateway/store: one SQLite connection and the SQL Brygga runs on it.
namespace brygga::store::sqlite {

// Result columns of a query, extracted by POCO into one vector per column.
struct RecordColumns {
  std::vector<std::string> type, id, tenant, json, patientId;
  std::vector<Poco::Int64> version, lastUpdatedMs, deleted;
  void bindTo(Poco::Data::Statement& statement);
  void clear();
  std::vector<ResourceRecord> take();
};

struct OutboxColumns {
  std::vector<Poco::Int64> id, createdMs, nextAttemptMs;
  std::vector<std::string> destination, orderingKey, requestId, tenant, payload, state, lastError,
      party, traceId;
  std::vector<int> attempts;
  void bindTo(Poco::Data::Statement& statement);
  void clear();
  std::vector<OutboxEntry> take();
};

// The outbox columns, and one row of them read from a Query over them (in that order).
const char* outboxColumns();
OutboxEntry outboxOf(const Query& q);
// The exchange-log columns (all of them, schema 4's links included), and one row of them.
const char* exchangeColumns();
ExchangeRecord exchangeOf(const Query& q);

// A POCO Data session on the database file with the PRAGMAs every Brygga connection needs (WAL,
// synchronous=FULL, foreign keys, busy timeout). The statements of the write path and of point
// reads are compiled once and kept for the connection's life (statements_, see
// sqlite_statement.h), so running one again only rebinds and steps; a few listings still go
// through POCO statements, which POCO compiles again on every execute.
//
// Not thread-safe: SqliteStore lends a connection to one thread at a time. Database errors are
// thrown as Poco::Exception; SqliteStore turns them into Status at its edge. The caller decides
// transactions (begin/commit/rollback); the methods here only run SQL.
class Connection {
 public:
  // kCheckpointer: copies committed WAL frames into the database file in the background
  // (SqliteStore), so that the writer's COMMIT does not.
  enum class Role { kWriter, kReader, kCheckpointer };

  Connection(const std::string& path, Role role);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Poco::Data::Session& session() { return session_; }

  // BEGIN IMMEDIATE (writer: takes the write lock now, so the unit cannot fail later on a lock
  // upgrade) or BEGIN (reader: one snapshot for several statements).
  void begin(bool immediate);
  // PRAGMA wal_checkpoint(PASSIVE): copies what no reader still needs from the WAL into the
  // database file and syncs it, without waiting for (or blocking) the writer or the readers.
  // Returns the frames the WAL holds (copied or not).
  int64_t checkpointPassive();
  // PRAGMA wal_checkpoint(RESTART): copies what is left and waits (busy_timeout) for the readers
  // still on the WAL, so that the next write starts it again from the beginning. Only while no
  // write is running (the store holds its writer). True when the WAL was restarted.
  bool checkpointRestart();
  void commit();
  // Never throws: SQLite may already have rolled back after an error such as SQLITE_FULL.
  void rollback() noexcept;
  // One write unit inside a group commit: SAVEPOINT unit ... RELEASE unit, or ROLLBACK TO unit
  // (and RELEASE) to undo just that unit. rollbackToSavepoint() never throws; false means the
  // savepoint is gone because SQLite rolled back the whole transaction (SQLITE_FULL, I/O error).
  void savepoint();
  void releaseSavepoint();
  bool rollbackToSavepoint() noexcept;
  // PRAGMA max_page_count for a size bound in bytes.
  void limitSize(int64_t maxBytes);

  std::optional<ResourceRecord> readCurrent(const std::string& type, const std::string& id);
  std::optional<ResourceRecord> readVersion(const std::string& type, const std::string& id,
                                            int64_t version);
  std::vector<ResourceRecord> history(const std::string& type, const std::string& id);
  SearchPage typeHistory(const SearchQuery& query);
  // 0 when the resource has never been written.
  int64_t currentVersion(const std::string& type, const std::string& id);
  // The search index rows of a resource; `replace`: its earlier rows removed first.
  void writeIndex(const std::string& type, const std::string& id,
                  const std::vector<IndexEntry>& index, bool replace);
  int searchIndexVersion();
  void setSearchIndexVersion(int version);
  std::vector<std::string> findByIdentifier(const std::string& type, const std::string& system,
                                            const std::string& value);
  // Run inside a transaction so that the total and the page come from one snapshot.
  SearchPage search(const SearchQuery& query);
  // Writes the version, moves the head and replaces the search index; no version check.
  void insertResource(const ResourceWrite& write);

  // Schema 6, the facts of access (sqlite_access.cc). Sets the Patient's person numbers; returns
  // the one another Patient holds (nothing is changed then), else nullopt.
  std::optional<PersonIdentity> setIdentities(const std::string& patientId,
                                              const std::vector<PersonIdentity>& identities,
                                              bool replace);
  std::optional<std::string> patientByNumber(const std::string& kind, const std::string& number);
  void setRelationship(const std::string& episodeId,
                       const std::optional<CareRelationship>& relationship);
  void setBlocks(const std::string& consentId, const std::vector<PatientBlock>& blocks);
  PatientAccessFacts accessFacts(const std::string& patientId);
  bool holdOutbox(int64_t id, int64_t atMs, const std::string& reason);
  std::vector<OutboxEntry> heldOutbox(const std::optional<std::string>& destination,
                                      int64_t afterId, int limit);
  std::vector<MigrationReportEntry> migrationReport();

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
  // The last record's seq and hash only (what an append chains to), without its JSON.
  AuditRecord lastAuditLink();
  void insertAudit(const AuditRecord& record);
  std::vector<AuditRecord> auditFrom(int64_t fromSeq, int limit);
  std::vector<AuditRecord> auditForPatient(const std::string& patient, int limit);

  // The audit transparency log (sqlite_audit_log.cc).
  void insertAuditLeaf(int64_t seq, const std::string& leafHash);
  std::vector<AuditLeaf> auditLeaves(int64_t fromSeq, int limit);
  void insertCheckpoint(const AuditCheckpoint& checkpoint);
  std::vector<AuditCheckpoint> checkpoints(int64_t fromTreeSize, int limit);
  std::optional<AuditCheckpoint> lastCheckpoint();
  // Schema 5: forwarding cursors, witness cosignatures, signing keys (sqlite_audit_log.cc).
  int64_t forwardCursor(const std::string& sink);
  void setForwardCursor(const std::string& sink, int64_t lastSeq, int64_t atMs);
  void insertWitness(const AuditWitnessRecord& record);
  std::optional<AuditWitnessRecord> latestWitness(const std::string& witness);
  void insertAuditKey(const AuditKeyRecord& key);
  std::vector<AuditKeyRecord> auditKeys();

  void heartbeat();

  // Operating the delivery engine (sqlite_delivery.cc).
  int64_t pendingCount(const std::string& destination);
  bool deliveredAfter(const std::string& destination, const std::string& orderingKey, int64_t id);
  void setPaused(const std::string& destination, bool paused, int64_t atMs, const std::string& by);
  std::vector<DestinationState> destinationStates();
  bool paused(const std::string& destination);
  int64_t nextEventNumber(const std::string& stream);
  int64_t eventCount(const std::string& stream);
  std::vector<OutboxEntry> deadLetters(const std::optional<std::string>& destination,
                                       int64_t afterId, int limit);
  // Entries in `state` ("dead", "held") of one destination or all, id > afterId, by id.
  std::vector<OutboxEntry> outboxInState(const char* state,
                                         const std::optional<std::string>& destination,
                                         int64_t afterId, int limit);
  // Deletes up to `limit` entries delivered before `beforeMs`; returns how many.
  int64_t purgeDelivered(int64_t beforeMs, int limit);
  // Outside any transaction: incremental_vacuum, then a TRUNCATE checkpoint so the freed pages
  // leave the database file and the WAL.
  void reclaimSpace();
  // A file made before auto_vacuum=INCREMENTAL was set is rebuilt once (VACUUM); outside any
  // transaction.
  void convertToIncrementalVacuum();

  // The web console's message search (schema 4, sqlite_console.cc). Run inside a read
  // transaction so that a page comes from one snapshot.
  MessagePage messages(const MessageQuery& query);
  std::optional<Message> message(int64_t seq, bool withPayload);
  std::vector<ExchangeRecord> requestExchanges(const std::string& requestId, int limit);
  std::vector<ExchangeRecord> exchangesAfter(int64_t afterSeq, int limit);
  int64_t exchangeSeqAt(int64_t ms);
  std::optional<int64_t> lastMessageAt(const std::string& tenant);
  int64_t auditSize();

  // The follow-up measures' facts and stored reports (sqlite_measures.cc).
  std::vector<MeasureFact> measureFactsOf(const std::string& type, const std::string& id);
  void replaceMeasureFacts(const std::string& type, const std::string& id,
                           const std::vector<MeasureFact>& facts);
  void forEachMeasureFact(std::string_view type,
                          const std::function<void(const MeasureFact&)>& visit);
  bool storeMeasureReport(const StoredMeasureReport& report);
  std::vector<StoredMeasureReport> measureReports(const std::string& measure);

 private:
  using Slot = std::unique_ptr<Poco::Data::Statement>;
  // The statement in `slot`, compiled by `setup` the first time.
  Poco::Data::Statement& prepared(Slot& slot,
                                  const std::function<void(Poco::Data::Statement&)>& setup);
  // Executes a kept statement; a statement that failed is dropped and compiled afresh next time,
  // since POCO leaves its state undefined.
  std::size_t run(Slot& slot);

  Poco::Data::Session session_;
  // The hot statements, compiled once (see sqlite_statement.h). Declared after session_ so that
  // they are finalized before it closes the database.
  StatementCache statements_;

  // Parameter buffers the kept POCO statements are bound to.
  std::string type_, id_, text_;
  Poco::Int64 number_ = 0;
  int limit_ = 0;
  std::string outboxStateIn_;

  // Result buffers.
  RecordColumns records_;
  OutboxColumns outboxRows_;

  // The statements still run through POCO (listings; the hot ones are in statements_).
  Slot selectHistory_;
  Slot outboxAll_, outboxInState_;

  // sqlite_console.cc
  Message messageOf(ExchangeRecord line, bool withPayload);
};

}  // namespace brygga::store::sqlite

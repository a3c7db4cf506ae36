#include "gateway/store/sqlite_store.h"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Exception.h>

#include "gateway/store/group_commit.h"
#include "gateway/store/lease_pool.h"
#include "gateway/store/sqlite_connection.h"
#include "gateway/store/sqlite_schema.h"

namespace brygga::store {

namespace {

using sqlite::Connection;

// The Status for what a database call threw. Disk full and lock timeouts are conditions a sender
// can retry later (503); everything else is ours to fix (500).
Status statusOf(const std::string& operation, const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const Poco::Data::SQLite::DatabaseFullException&) {
    return core::unavailable("the disk is full (or the database reached its size limit): " +
                             operation + " failed and nothing of the write unit was stored");
  } catch (const Poco::Data::SQLite::DBLockedException&) {
    return core::unavailable("the database is locked by another writer: " + operation);
  } catch (const Poco::Data::SQLite::TableLockedException&) {
    return core::unavailable("the database is locked by another writer: " + operation);
  } catch (const Poco::Exception& e) {
    return core::internalError("database error in " + operation + ": " + e.displayText());
  } catch (const std::exception& e) {
    return core::internalError("database error in " + operation + ": " + e.what());
  } catch (...) {
    return core::internalError("database error in " + operation);
  }
}

// Runs `f` (returning Status or StatusOr<T>) and turns anything it throws into a Status.
template <typename F>
auto guarded(const std::string& operation, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    return statusOf(operation, std::current_exception());
  }
}

// The answer to a person number another Patient holds: recognisable (isDuplicatePerson), and
// without the number itself.
Status duplicatePerson(const PersonIdentity& identity) {
  const std::string text = std::string("another Patient holds this ") +
                           (identity.kind == "pnr" ? "personnummer" : "samordningsnummer") +
                           ": one person is one Patient";
  return {core::StatusCode::kConflict,
          text,
          {core::Issue::error("duplicate", text, "Patient.identifier")}};
}

// The operations of one write unit on the writer connection. After the first database error the
// unit is doomed: SQLite may already have rolled it back (SQLITE_FULL does), so running further
// statements would write outside any transaction. Every later call returns that error and write()
// rolls back even if the work returns OK.
class SqliteTransaction final : public StoreTransaction,
                                public ResourceUnit,
                                public OutboxUnit,
                                public AuditLogUnit,
                                public ExchangeLogUnit,
                                public MeasureFactUnit {
 public:
  explicit SqliteTransaction(Connection& connection) : connection_(connection) {}

  ResourceUnit& resources() override { return *this; }
  OutboxUnit& outbox() override { return *this; }
  AuditLogUnit& auditLog() override { return *this; }
  ExchangeLogUnit& exchangeLog() override { return *this; }
  MeasureFactUnit& measureFacts() override { return *this; }

  const std::optional<Status>& failure() const { return errors_.failure(); }

  StatusOr<std::optional<ResourceRecord>> readCurrent(const std::string& type,
                                                      const std::string& id) override {
    return run("readCurrent", [&]() -> StatusOr<std::optional<ResourceRecord>> {
      return connection_.readCurrent(type, id);
    });
  }

  StatusOr<std::vector<std::string>> findByIdentifier(const std::string& type,
                                                      const std::string& system,
                                                      const std::string& value) override {
    return run("findByIdentifier", [&]() -> StatusOr<std::vector<std::string>> {
      return connection_.findByIdentifier(type, system, value);
    });
  }

  StatusOr<SearchPage> search(const SearchQuery& query) override {
    return run("search", [&]() -> StatusOr<SearchPage> { return connection_.search(query); });
  }

  Status replaceIndex(const std::string& type, const std::string& id,
                      const std::vector<IndexEntry>& index) override {
    return run("replaceIndex", [&]() -> Status {
      connection_.writeIndex(type, id, index, /*replace=*/true);
      return Status::ok();
    });
  }

  StatusOr<int> searchIndexVersion() override {
    return run("searchIndexVersion",
               [&]() -> StatusOr<int> { return connection_.searchIndexVersion(); });
  }

  Status setSearchIndexVersion(int version) override {
    return run("setSearchIndexVersion", [&]() -> Status {
      connection_.setSearchIndexVersion(version);
      return Status::ok();
    });
  }

  Status putResource(const ResourceWrite& write) override {
    const ResourceRecord& record = write.record;
    if (record.type.empty() || record.id.empty()) {
      return core::invalidArgument("a stored resource needs a type and an id");
    }
    return run("putResource", [&]() -> Status {
      // The optimistic check. The unit holds the write lock (BEGIN IMMEDIATE), so nothing can
      // move the head between this read and the insert below.
      const int64_t current = connection_.currentVersion(record.type, record.id);
      if (record.version != current + 1) {
        return core::conflict("version conflict on " + record.type + "/" + record.id +
                              ": it is at version " + std::to_string(current) +
                              ", the write was for version " + std::to_string(record.version));
      }
      // The facts of access, in the same unit. A person number another Patient holds fails
      // here, on the key, before anything of this write is stored.
      if (record.type == "Patient") {
        if (auto taken = connection_.setIdentities(record.id, write.identities, current > 0)) {
          return duplicatePerson(*taken);
        }
      } else if (record.type == "EpisodeOfCare") {
        connection_.setRelationship(record.id, write.relationship);
      } else if (record.type == "Consent") {
        connection_.setBlocks(record.id, write.blocks);
      }
      connection_.insertResource(write);
      return Status::ok();
    });
  }

  StatusOr<std::optional<std::string>> patientByNumber(const std::string& kind,
                                                       const std::string& number) override {
    return run("patientByNumber", [&]() -> StatusOr<std::optional<std::string>> {
      return connection_.patientByNumber(kind, number);
    });
  }

  StatusOr<PatientAccessFacts> accessFacts(const std::string& patientId) override {
    return run("accessFacts", [&]() -> StatusOr<PatientAccessFacts> {
      return connection_.accessFacts(patientId);
    });
  }

  Status holdOutbox(int64_t id, int64_t atMs, const std::string& reason) override {
    return run("holdOutbox", [&]() -> Status {
      if (!connection_.holdOutbox(id, atMs, reason)) {
        return core::notFound("no pending outbox entry " + std::to_string(id));
      }
      return Status::ok();
    });
  }

  StatusOr<int64_t> nextEventNumber(const std::string& stream) override {
    if (stream.empty()) return core::invalidArgument("no event stream named");
    return run("nextEventNumber",
               [&]() -> StatusOr<int64_t> { return connection_.nextEventNumber(stream); });
  }

  StatusOr<int64_t> eventCount(const std::string& stream) override {
    return run("eventCount", [&]() -> StatusOr<int64_t> { return connection_.eventCount(stream); });
  }

  StatusOr<int64_t> enqueue(const OutboxEntry& entry) override {
    if (entry.destination.empty()) return core::invalidArgument("outbox entry without destination");
    return run("enqueue", [&]() -> StatusOr<int64_t> { return connection_.insertOutbox(entry); });
  }

  Status updateOutbox(int64_t id, OutboxState state, int attempts, int64_t nextAttemptMs,
                      const std::string& lastError) override {
    return run("updateOutbox", [&]() -> Status {
      if (!connection_.updateOutbox(id, state, attempts, nextAttemptMs, lastError)) {
        return core::notFound("no outbox entry " + std::to_string(id));
      }
      return Status::ok();
    });
  }

  Status recordExchange(const ExchangeRecord& record) override {
    return run("recordExchange", [&]() -> Status {
      connection_.insertExchange(record);
      return Status::ok();
    });
  }

  StatusOr<std::vector<MeasureFact>> measureFactsOf(const std::string& type,
                                                    const std::string& id) override {
    return run("measureFactsOf", [&]() -> StatusOr<std::vector<MeasureFact>> {
      return connection_.measureFactsOf(type, id);
    });
  }

  Status replaceMeasureFacts(const std::string& type, const std::string& id,
                             const std::vector<MeasureFact>& facts) override {
    return run("replaceMeasureFacts", [&]() -> Status {
      connection_.replaceMeasureFacts(type, id, facts);
      return Status::ok();
    });
  }

  StatusOr<bool> storeMeasureReport(const StoredMeasureReport& report) override {
    return run("storeMeasureReport",
               [&]() -> StatusOr<bool> { return connection_.storeMeasureReport(report); });
  }

  StatusOr<AuditRecord> lastAudit() override {
    return run("lastAudit", [&]() -> StatusOr<AuditRecord> { return connection_.lastAudit(); });
  }

  Status appendAudit(const AuditRecord& record) override {
    return run("appendAudit", [&]() -> Status {
      const AuditRecord last = connection_.lastAuditLink();
      if (record.seq != last.seq + 1) {
        return core::conflict("audit record " + std::to_string(record.seq) +
                              " does not follow the last one, " + std::to_string(last.seq));
      }
      // A record that does not link to its predecessor would break the chain for every record
      // after it; refusing it here keeps a caller bug from looking like tampering.
      if (last.seq > 0 && record.prevHash != last.hash) {
        return core::conflict("audit record " + std::to_string(record.seq) +
                              " does not chain to the hash of record " + std::to_string(last.seq));
      }
      connection_.insertAudit(record);
      return Status::ok();
    });
  }

  Status putAuditLeaf(int64_t seq, const std::string& leafHash) override {
    return run("putAuditLeaf", [&]() -> Status {
      connection_.insertAuditLeaf(seq, leafHash);
      return Status::ok();
    });
  }

  Status appendAuditCheckpoint(const AuditCheckpoint& checkpoint) override {
    return run("appendAuditCheckpoint", [&]() -> Status {
      const std::optional<AuditCheckpoint> last = connection_.lastCheckpoint();
      if (last && checkpoint.treeSize <= last->treeSize) {
        return core::conflict("audit checkpoint of size " + std::to_string(checkpoint.treeSize) +
                              " does not follow the last one, of size " +
                              std::to_string(last->treeSize));
      }
      connection_.insertCheckpoint(checkpoint);
      return Status::ok();
    });
  }

  Status setAuditForwardCursor(const std::string& sink, int64_t lastSeq, int64_t atMs) override {
    return run("setAuditForwardCursor", [&]() -> Status {
      const int64_t current = connection_.forwardCursor(sink);
      if (lastSeq < current) {
        return core::conflict("the forwarding cursor of " + sink + " is at " +
                              std::to_string(current) + ", not moving it back to " +
                              std::to_string(lastSeq));
      }
      connection_.setForwardCursor(sink, lastSeq, atMs);
      return Status::ok();
    });
  }

  Status appendAuditWitness(const AuditWitnessRecord& record) override {
    return run("appendAuditWitness", [&]() -> Status {
      connection_.insertWitness(record);
      return Status::ok();
    });
  }

  Status appendAuditKey(const AuditKeyRecord& key) override {
    return run("appendAuditKey", [&]() -> Status {
      const std::vector<AuditKeyRecord> keys = connection_.auditKeys();
      const int64_t lastSeq = keys.empty() ? 0 : keys.back().seq;
      if (key.seq != lastSeq + 1) {
        return core::conflict("audit key " + std::to_string(key.seq) +
                              " does not follow the last one, " + std::to_string(lastSeq));
      }
      const std::optional<AuditCheckpoint> last = connection_.lastCheckpoint();
      if (!keys.empty() && ((last && key.validFromSize <= last->treeSize) ||
                            key.validFromSize < keys.back().validFromSize)) {
        return core::conflict("a new audit key must take over after the last checkpoint");
      }
      connection_.insertAuditKey(key);
      return Status::ok();
    });
  }

  StatusOr<std::vector<AuditKeyRecord>> auditKeysInUnit() override {
    return run("auditKeysInUnit",
               [&]() -> StatusOr<std::vector<AuditKeyRecord>> { return connection_.auditKeys(); });
  }

  StatusOr<std::optional<AuditCheckpoint>> lastAuditCheckpointInUnit() override {
    return run("lastAuditCheckpointInUnit", [&]() -> StatusOr<std::optional<AuditCheckpoint>> {
      return connection_.lastCheckpoint();
    });
  }

  StatusOr<std::optional<OutboxEntry>> readOutbox(int64_t id) override {
    return run("readOutbox", [&]() -> StatusOr<std::optional<OutboxEntry>> {
      return connection_.outboxEntry(id);
    });
  }

  StatusOr<int64_t> pendingCount(const std::string& destination) override {
    return run("pendingCount",
               [&]() -> StatusOr<int64_t> { return connection_.pendingCount(destination); });
  }

  StatusOr<bool> deliveredAfter(const std::string& destination, const std::string& orderingKey,
                                int64_t id) override {
    return run("deliveredAfter", [&]() -> StatusOr<bool> {
      return connection_.deliveredAfter(destination, orderingKey, id);
    });
  }

  Status setDestinationPaused(const std::string& destination, bool paused, int64_t atMs,
                              const std::string& by) override {
    if (destination.empty()) return core::invalidArgument("no destination named");
    return run("setDestinationPaused", [&]() -> Status {
      connection_.setPaused(destination, paused, atMs, by);
      return Status::ok();
    });
  }

  StatusOr<int64_t> purgeDelivered(int64_t beforeMs, int limit) {
    return run("purgeDelivered",
               [&]() -> StatusOr<int64_t> { return connection_.purgeDelivered(beforeMs, limit); });
  }

  Status heartbeat() {
    return run("heartbeat", [&]() -> Status {
      connection_.heartbeat();
      return Status::ok();
    });
  }

 private:
  template <typename F>
  auto run(const char* operation, F&& f) -> decltype(f()) {
    return errors_.run(operation, std::forward<F>(f));
  }

  Connection& connection_;
  UnitErrors<statusOf> errors_;
};

// The writer connection as GroupCommit drives it.
struct SqliteGroupWriter {
  Connection& c;
  template <typename F>
  static Status step(const char* operation, F&& f) {
    return guarded(operation, [&]() -> Status {
      f();
      return Status::ok();
    });
  }
  Status begin() {
    return step("BEGIN IMMEDIATE", [&] { c.begin(true); });
  }
  Status savepoint() {
    return step("SAVEPOINT", [&] { c.savepoint(); });
  }
  Status release() {
    return step("RELEASE", [&] { c.releaseSavepoint(); });
  }
  bool rollbackToSavepoint() { return c.rollbackToSavepoint(); }
  Status commit() {
    return step("COMMIT", [&] { c.commit(); });
  }
  void rollback() { c.rollback(); }
  Status runUnit(const std::function<Status(SqliteTransaction&)>& work) {
    SqliteTransaction txn(c);
    return runWork(work, txn);
  }
};

class SqliteStore final : public Store,
                          public ResourceStore,
                          public OutboxStore,
                          public AuditLogStore,
                          public ExchangeLogStore,
                          public MeasureFactStore {
 public:
  SqliteStore(std::unique_ptr<Connection> writer, std::vector<std::unique_ptr<Connection>> readers,
              std::unique_ptr<Connection> checkpointer, int maxUnitsPerCommit,
              int64_t readPoolWaitMs)
      : maxUnitsPerCommit_(static_cast<size_t>(maxUnitsPerCommit)),
        readPoolWaitMs_(readPoolWaitMs),
        writer_(std::move(writer)),
        readerConnections_(std::move(readers)),
        readers_(readerConnections_),
        checkpointer_(std::move(checkpointer)),
        checkpointThread_([this] { checkpointLoop(); }) {}

  ~SqliteStore() override {
    {
      std::lock_guard lock(checkpointMutex_);
      stopping_ = true;
    }
    checkpointWake_.notify_all();
    checkpointThread_.join();
  }

  Status write(const std::function<Status(StoreTransaction&)>& work) override {
    return unit([&](SqliteTransaction& txn) { return work(txn); });
  }

  ResourceStore& resources() override { return *this; }
  OutboxStore& outbox() override { return *this; }
  AuditLogStore& auditLog() override { return *this; }
  ExchangeLogStore& exchangeLog() override { return *this; }
  MeasureFactStore& measureFacts() override { return *this; }

  Status forEachMeasureFact(std::string_view type,
                            const std::function<void(const MeasureFact&)>& visit) override {
    return onReader("forEachMeasureFact", [&](Connection& c) -> Status {
      c.forEachMeasureFact(type, visit);
      return Status::ok();
    });
  }

  StatusOr<std::vector<StoredMeasureReport>> measureReports(const std::string& measure) override {
    return onReader("measureReports",
                    [&](Connection& c) -> StatusOr<std::vector<StoredMeasureReport>> {
                      return c.measureReports(measure);
                    });
  }

  StatusOr<std::optional<ResourceRecord>> read(const std::string& type, const std::string& id,
                                               std::optional<int64_t> version) override {
    return onReader("read", [&](Connection& c) -> StatusOr<std::optional<ResourceRecord>> {
      return version ? c.readVersion(type, id, *version) : c.readCurrent(type, id);
    });
  }

  StatusOr<std::vector<ResourceRecord>> history(const std::string& type,
                                                const std::string& id) override {
    return onReader("history", [&](Connection& c) -> StatusOr<std::vector<ResourceRecord>> {
      return c.history(type, id);
    });
  }

  StatusOr<SearchPage> search(const SearchQuery& query) override {
    return pageOnReader("search", [&](Connection& c) { return c.search(query); });
  }

  StatusOr<SearchPage> typeHistory(const SearchQuery& query) override {
    return pageOnReader("typeHistory", [&](Connection& c) { return c.typeHistory(query); });
  }

  StatusOr<std::optional<std::string>> patientByNumber(const std::string& kind,
                                                       const std::string& number) override {
    return onReader("patientByNumber", [&](Connection& c) -> StatusOr<std::optional<std::string>> {
      return c.patientByNumber(kind, number);
    });
  }

  StatusOr<PatientAccessFacts> accessFacts(const std::string& patientId) override {
    return onReader("accessFacts", [&](Connection& c) -> StatusOr<PatientAccessFacts> {
      // One snapshot for the relationships and the blocks.
      c.begin(false);
      try {
        PatientAccessFacts facts = c.accessFacts(patientId);
        c.rollback();
        return facts;
      } catch (...) {
        c.rollback();
        throw;
      }
    });
  }

  StatusOr<std::vector<OutboxEntry>> heldOutbox(const std::optional<std::string>& destination,
                                                int64_t afterId, int limit) override {
    return onReader("heldOutbox", [&](Connection& c) -> StatusOr<std::vector<OutboxEntry>> {
      return c.heldOutbox(destination, afterId, limit);
    });
  }

  StatusOr<std::vector<MigrationReportEntry>> migrationReport() override {
    return onReader("migrationReport",
                    [&](Connection& c) -> StatusOr<std::vector<MigrationReportEntry>> {
                      return c.migrationReport();
                    });
  }

  StatusOr<std::vector<ExchangeRecord>> exchanges(const ExchangeQuery& query) override {
    return onReader("exchanges", [&](Connection& c) -> StatusOr<std::vector<ExchangeRecord>> {
      return c.exchanges(query);
    });
  }

  StatusOr<std::vector<OutboxEntry>> dueOutbox(const std::string& destination, int64_t nowMs,
                                               int limit) override {
    return onReader("dueOutbox", [&](Connection& c) -> StatusOr<std::vector<OutboxEntry>> {
      return c.dueOutbox(destination, nowMs, limit);
    });
  }

  StatusOr<std::optional<OutboxEntry>> outboxEntry(int64_t id) override {
    return onReader("outboxEntry", [&](Connection& c) -> StatusOr<std::optional<OutboxEntry>> {
      return c.outboxEntry(id);
    });
  }

  StatusOr<std::vector<OutboxEntry>> entries(const std::string& destination,
                                             std::optional<OutboxState> state, int limit) override {
    return onReader("outbox", [&](Connection& c) -> StatusOr<std::vector<OutboxEntry>> {
      return c.outbox(destination, state, limit);
    });
  }

  StatusOr<std::vector<AuditRecord>> auditRecords(int64_t fromSeq, int limit) override {
    return onReader("auditRecords", [&](Connection& c) -> StatusOr<std::vector<AuditRecord>> {
      return c.auditFrom(fromSeq, limit);
    });
  }

  StatusOr<std::vector<AuditRecord>> auditRecordsForPatient(const std::string& patient,
                                                            int limit) override {
    return onReader("auditRecordsForPatient",
                    [&](Connection& c) -> StatusOr<std::vector<AuditRecord>> {
                      return c.auditForPatient(patient, limit);
                    });
  }

  StatusOr<std::vector<AuditLeaf>> auditLeaves(int64_t fromSeq, int limit) override {
    return onReader("auditLeaves", [&](Connection& c) -> StatusOr<std::vector<AuditLeaf>> {
      return c.auditLeaves(fromSeq, limit);
    });
  }

  StatusOr<std::vector<AuditCheckpoint>> auditCheckpoints(int64_t fromTreeSize,
                                                          int limit) override {
    return onReader("auditCheckpoints",
                    [&](Connection& c) -> StatusOr<std::vector<AuditCheckpoint>> {
                      return c.checkpoints(fromTreeSize, limit);
                    });
  }

  StatusOr<std::optional<AuditCheckpoint>> latestAuditCheckpoint() override {
    return onReader("latestAuditCheckpoint",
                    [&](Connection& c) -> StatusOr<std::optional<AuditCheckpoint>> {
                      return c.lastCheckpoint();
                    });
  }

  StatusOr<int64_t> auditForwardCursor(const std::string& sink) override {
    return onReader("auditForwardCursor",
                    [&](Connection& c) -> StatusOr<int64_t> { return c.forwardCursor(sink); });
  }

  StatusOr<std::optional<AuditWitnessRecord>> latestAuditWitness(
      const std::string& witness) override {
    return onReader("latestAuditWitness",
                    [&](Connection& c) -> StatusOr<std::optional<AuditWitnessRecord>> {
                      return c.latestWitness(witness);
                    });
  }

  StatusOr<std::vector<AuditKeyRecord>> auditKeys() override {
    return onReader("auditKeys", [&](Connection& c) -> StatusOr<std::vector<AuditKeyRecord>> {
      return c.auditKeys();
    });
  }

  StatusOr<std::vector<DestinationState>> destinationStates() override {
    return onReader("destinationStates",
                    [&](Connection& c) -> StatusOr<std::vector<DestinationState>> {
                      return c.destinationStates();
                    });
  }

  StatusOr<bool> destinationPaused(const std::string& destination) override {
    return onReader("destinationPaused",
                    [&](Connection& c) -> StatusOr<bool> { return c.paused(destination); });
  }

  StatusOr<int64_t> eventCount(const std::string& stream) override {
    return onReader("eventCount",
                    [&](Connection& c) -> StatusOr<int64_t> { return c.eventCount(stream); });
  }

  StatusOr<std::vector<OutboxEntry>> deadLetters(const std::optional<std::string>& destination,
                                                 int64_t afterId, int limit) override {
    return onReader("deadLetters", [&](Connection& c) -> StatusOr<std::vector<OutboxEntry>> {
      return c.deadLetters(destination, afterId, limit);
    });
  }

  StatusOr<int64_t> purgeDelivered(int64_t deliveredBeforeMs, int limit) override {
    int64_t purged = 0;
    Status s = unit([&](SqliteTransaction& txn) -> Status {
      BRYGGA_ASSIGN_OR_RETURN(purged, txn.purgeDelivered(deliveredBeforeMs, limit));
      return Status::ok();
    });
    if (!s.isOk()) return s;
    return purged;
  }

  Status reclaimSpace() override {
    return exclusive("reclaimSpace", [](Connection& writer) { writer.reclaimSpace(); });
  }

  StatusOr<MessagePage> messages(const MessageQuery& query) override {
    return onReader("messages", [&](Connection& c) -> StatusOr<MessagePage> {
      c.begin(false);
      try {
        MessagePage page = c.messages(query);
        c.rollback();
        return page;
      } catch (...) {
        c.rollback();
        throw;
      }
    });
  }

  StatusOr<std::optional<Message>> message(int64_t seq, bool withPayload) override {
    return onReader("message", [&](Connection& c) -> StatusOr<std::optional<Message>> {
      return c.message(seq, withPayload);
    });
  }

  StatusOr<std::vector<ExchangeRecord>> requestExchanges(const std::string& requestId,
                                                         int limit) override {
    return onReader("requestExchanges",
                    [&](Connection& c) -> StatusOr<std::vector<ExchangeRecord>> {
                      return c.requestExchanges(requestId, limit);
                    });
  }

  StatusOr<std::vector<ExchangeRecord>> exchangesAfter(int64_t afterSeq, int limit) override {
    return onReader("exchangesAfter", [&](Connection& c) -> StatusOr<std::vector<ExchangeRecord>> {
      return c.exchangesAfter(afterSeq, limit);
    });
  }

  StatusOr<int64_t> exchangeSeqAt(int64_t ms) override {
    return onReader("exchangeSeqAt",
                    [&](Connection& c) -> StatusOr<int64_t> { return c.exchangeSeqAt(ms); });
  }

  StatusOr<std::optional<int64_t>> lastMessageAt(const std::string& tenant) override {
    return onReader("lastMessageAt", [&](Connection& c) -> StatusOr<std::optional<int64_t>> {
      return c.lastMessageAt(tenant);
    });
  }

  StatusOr<int64_t> auditSize() override {
    return onReader("auditSize", [&](Connection& c) -> StatusOr<int64_t> { return c.auditSize(); });
  }

  Status checkWritable() override {
    return unit([](SqliteTransaction& txn) { return txn.heartbeat(); });
  }

  // One process serves a database file (serve holds brygga.lock in its data dir): it holds
  // every lease.
  bool holdsLease(const std::string&) override { return true; }
  Status recordInstance(const InstanceRecord& instance) override {
    std::lock_guard lock(instanceMutex_);
    instance_ = instance;
    return Status::ok();
  }
  StatusOr<std::vector<InstanceRecord>> instances() override {
    std::lock_guard lock(instanceMutex_);
    if (!instance_) return std::vector<InstanceRecord>{};
    return std::vector<InstanceRecord>{*instance_};
  }
  void announce(const std::string&) override {}
  std::unique_ptr<Subscription> listen(const std::string&, std::function<void()>) override {
    return std::make_unique<Subscription>();
  }

 private:
  // A page and its total read in one snapshot, so that `total` agrees with the records.
  template <typename F>
  StatusOr<SearchPage> pageOnReader(const char* operation, F&& f) {
    return onReader(operation, [&](Connection& c) -> StatusOr<SearchPage> {
      c.begin(false);
      try {
        SearchPage page = f(c);
        c.commit();
        return page;
      } catch (...) {
        c.rollback();
        throw;
      }
    });
  }

  template <typename F>
  auto onReader(const char* operation, F&& f) -> decltype(f(std::declval<Connection&>())) {
    Connection* connection = readers_.acquire(readPoolWaitMs_);
    if (connection == nullptr) {
      return core::unavailable("every read connection of the database stayed busy for " +
                               std::to_string(readPoolWaitMs_) + " ms; try again");
    }
    LeasePool<Connection>::Lease lease(readers_, connection);
    return guarded(operation, [&] { return f(*lease); });
  }

  Status unit(const std::function<Status(SqliteTransaction&)>& work) {
    return commits_.run(work, [this](auto&& use, auto&&) {
      SqliteGroupWriter writer{*writer_};
      use(writer);
    });
  }

  // Runs `f` on the writer connection outside any transaction (VACUUM and checkpoints cannot
  // run inside one), as if it were a group: write units queue meanwhile.
  Status exclusive(const char* operation, const std::function<void(Connection&)>& f) {
    return commits_.exclusive([&] {
      return guarded(operation, [&]() -> Status {
        f(*writer_);
        return Status::ok();
      });
    });
  }

  // The background checkpointer: every kCheckpointInterval it copies what the WAL holds into
  // the database file (PASSIVE: it never waits for the writer or a reader, nor makes them wait),
  // on a connection of its own, so that the writer's COMMIT only appends to the WAL and syncs it.
  //
  // Under a steady load a passive checkpoint never finds the WAL fully copied (commits go on
  // meanwhile), and only a fully copied WAL starts again from its beginning. So once the WAL
  // holds kRestartFrames, the thread copies once more (the frames left are then those of a few
  // milliseconds) and holds the writer just long enough to copy that rest and restart the WAL.
  // Without this the WAL grew to the writer's own backstop (sqlite_connection.cc,
  // kWriterAutoCheckpointPages), where one COMMIT copied up to a turn's frames and synced the
  // database file while every unit waited: the fixed-rate p99 (BENCHMARKS.md, issue 11). The
  // backstop stays for a thread that falls behind. A failure is tried again at the next turn.
  static constexpr auto kCheckpointInterval = std::chrono::milliseconds(100);
  static constexpr int64_t kRestartFrames = 4096;  // 16 MiB of 4 KiB pages
  void checkpointLoop() {
    // A reader still on the WAL (a backup, a long listing) keeps it from restarting; the next try
    // then waits until the WAL has grown by as much again, so that such a reader does not cost
    // the writer a hold at every turn.
    int64_t restartAt = kRestartFrames;
    std::unique_lock lock(checkpointMutex_);
    while (!checkpointWake_.wait_for(lock, kCheckpointInterval, [this] { return stopping_; })) {
      lock.unlock();
      try {
        const int64_t frames = checkpointer_->checkpointPassive();
        if (frames < kRestartFrames) restartAt = kRestartFrames;
        if (frames >= restartAt) {
          checkpointer_->checkpointPassive();
          bool restarted = false;
          (void)exclusive("wal_checkpoint(RESTART)",
                          [&](Connection&) { restarted = checkpointer_->checkpointRestart(); });
          restartAt = restarted ? kRestartFrames : frames + kRestartFrames;
        }
      } catch (const std::exception&) {
        // Busy or failing disk: the WAL keeps the data; the next turn tries again.
      }
      lock.lock();
    }
  }

  const size_t maxUnitsPerCommit_;
  std::mutex instanceMutex_;
  std::optional<InstanceRecord> instance_;  // the one process serving the file
  const int64_t readPoolWaitMs_;
  // See group_commit.h: units share a BEGIN IMMEDIATE ... COMMIT (one fsync) on the writer.
  GroupCommit<SqliteTransaction> commits_{maxUnitsPerCommit_};
  std::unique_ptr<Connection> writer_;
  std::vector<std::unique_ptr<Connection>> readerConnections_;
  LeasePool<Connection> readers_;
  std::unique_ptr<Connection> checkpointer_;
  std::mutex checkpointMutex_;
  std::condition_variable checkpointWake_;
  bool stopping_ = false;         // guarded by checkpointMutex_
  std::thread checkpointThread_;  // last: it starts once everything it uses is in place
};

}  // namespace

StatusOr<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options) {
  if (options.path.empty()) return core::invalidArgument("store: the database path is empty");
  if (options.readConnections < 1) {
    return core::invalidArgument("store: readConnections must be at least 1");
  }
  if (options.maxUnitsPerCommit < 1) {
    return core::invalidArgument("store: maxUnitsPerCommit must be at least 1");
  }
  if (options.readPoolWaitMs < 1) {
    return core::invalidArgument("store: readPoolWaitMs must be at least 1");
  }
  if (options.maxDatabaseBytes < 0) {
    return core::invalidArgument("store: maxDatabaseBytes must not be negative");
  }
  // Checked here because SQLite would only say "unable to open database file".
  std::error_code error;
  const std::filesystem::path directory =
      std::filesystem::absolute(options.path, error).parent_path();
  if (error || !std::filesystem::is_directory(directory, error)) {
    return core::internalError("cannot open the database " + options.path + ": the directory " +
                               directory.string() + " does not exist");
  }
  static std::once_flag registered;
  std::call_once(registered, [] {
    // No count of SQLite's memory in use: keeping it takes a process-wide mutex around every
    // allocation SQLite makes (dozens per write unit, on the group commit's critical section).
    // Brygga never asks for the count. Possible only before SQLite initializes; if something
    // initialized it first, the count stays on, which is only slower.
    (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    Poco::Data::SQLite::Connector::registerConnector();
  });

  try {
    // The writer first: it switches the file to WAL and creates the schema the readers expect.
    auto writer = std::make_unique<Connection>(options.path, Connection::Role::kWriter);
    BRYGGA_RETURN_IF_ERROR(sqlite::migrate(writer->session()));
    writer->convertToIncrementalVacuum();
    if (options.maxDatabaseBytes > 0) writer->limitSize(options.maxDatabaseBytes);
    std::vector<std::unique_ptr<Connection>> readers;
    for (int i = 0; i < options.readConnections; ++i) {
      readers.push_back(std::make_unique<Connection>(options.path, Connection::Role::kReader));
    }
    auto checkpointer = std::make_unique<Connection>(options.path, Connection::Role::kCheckpointer);
    return std::unique_ptr<Store>(
        new SqliteStore(std::move(writer), std::move(readers), std::move(checkpointer),
                        options.maxUnitsPerCommit, options.readPoolWaitMs));
  } catch (const Poco::Exception& e) {
    return core::internalError("cannot open the database " + options.path + ": " + e.displayText());
  } catch (const std::exception& e) {
    return core::internalError("cannot open the database " + options.path + ": " + e.what());
  }
}

}  // namespace brygga::store

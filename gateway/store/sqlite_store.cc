#include "gateway/store/sqlite_store.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <Poco/Data/SQLite/Connector.h>
#include <Poco/Data/SQLite/SQLiteException.h>
#include <Poco/Exception.h>

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

// The operations of one write unit on the writer connection. After the first database error the
// unit is doomed: SQLite may already have rolled it back (SQLITE_FULL does), so running further
// statements would write outside any transaction. Every later call returns that error and write()
// rolls back even if the work returns OK.
class SqliteTransaction final : public StoreTransaction {
 public:
  explicit SqliteTransaction(Connection& connection) : connection_(connection) {}

  const std::optional<Status>& failure() const { return failure_; }

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
      connection_.insertResource(write);
      return Status::ok();
    });
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

  StatusOr<AuditRecord> lastAudit() override {
    return run("lastAudit", [&]() -> StatusOr<AuditRecord> { return connection_.lastAudit(); });
  }

  Status appendAudit(const AuditRecord& record) override {
    return run("appendAudit", [&]() -> Status {
      const AuditRecord last = connection_.lastAudit();
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

  Status heartbeat() {
    return run("heartbeat", [&]() -> Status {
      connection_.heartbeat();
      return Status::ok();
    });
  }

 private:
  template <typename F>
  auto run(const char* operation, F&& f) -> decltype(f()) {
    if (failure_) return *failure_;
    try {
      return f();
    } catch (...) {
      failure_ = statusOf(operation, std::current_exception());
      return *failure_;
    }
  }

  Connection& connection_;
  std::optional<Status> failure_;
};

// Reader connections lent to one thread at a time. Reads wait only when all are busy.
class ReaderPool {
 public:
  explicit ReaderPool(std::vector<std::unique_ptr<Connection>> connections)
      : connections_(std::move(connections)) {
    for (auto& connection : connections_) idle_.push_back(connection.get());
  }

  class Lease {
   public:
    Lease(ReaderPool& pool, Connection* connection) : pool_(pool), connection_(connection) {}
    ~Lease() { pool_.giveBack(connection_); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() const { return *connection_; }

   private:
    ReaderPool& pool_;
    Connection* connection_;
  };

  Lease acquire() {
    std::unique_lock lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    Connection* connection = idle_.back();
    idle_.pop_back();
    return Lease(*this, connection);
  }

 private:
  void giveBack(Connection* connection) {
    {
      std::lock_guard lock(mutex_);
      idle_.push_back(connection);
    }
    available_.notify_one();
  }

  std::vector<std::unique_ptr<Connection>> connections_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<Connection*> idle_;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(std::unique_ptr<Connection> writer, std::vector<std::unique_ptr<Connection>> readers)
      : writer_(std::move(writer)), readers_(std::move(readers)) {}

  Status write(const std::function<Status(StoreTransaction&)>& work) override {
    return unit([&](SqliteTransaction& txn) { return work(txn); });
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
    return onReader("search", [&](Connection& c) -> StatusOr<SearchPage> {
      // One snapshot for the count and the page, so `total` agrees with the records.
      c.begin(false);
      try {
        SearchPage page = c.search(query);
        c.commit();
        return page;
      } catch (...) {
        c.rollback();
        throw;
      }
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

  StatusOr<std::vector<OutboxEntry>> outbox(const std::string& destination,
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

  Status checkWritable() override {
    return unit([](SqliteTransaction& txn) { return txn.heartbeat(); });
  }

 private:
  template <typename F>
  auto onReader(const char* operation, F&& f) -> decltype(f(std::declval<Connection&>())) {
    ReaderPool::Lease lease = readers_.acquire();
    return guarded(operation, [&] { return f(*lease); });
  }

  // One write unit: BEGIN IMMEDIATE, the work, COMMIT (durable: synchronous=FULL), or ROLLBACK
  // when the work fails, throws or met a database error.
  Status unit(const std::function<Status(SqliteTransaction&)>& work) {
    // Write units are serialized by writeMutex_; a unit started from inside another on the same
    // thread would wait for itself forever.
    if (writerThread_.load() == std::this_thread::get_id()) {
      return core::internalError("Store::write called inside a write unit");
    }
    std::lock_guard lock(writeMutex_);
    writerThread_.store(std::this_thread::get_id());
    struct ClearWriter {
      std::atomic<std::thread::id>& thread;
      ~ClearWriter() { thread.store(std::thread::id()); }
    } clearWriter{writerThread_};

    Status begun = guarded("BEGIN IMMEDIATE", [&]() -> Status {
      writer_->begin(true);
      return Status::ok();
    });
    if (!begun.isOk()) {
      writer_->rollback();  // in case a transaction was somehow left open
      return begun;
    }

    SqliteTransaction txn(*writer_);
    Status result;
    try {
      result = work(txn);
    } catch (const std::exception& e) {
      result = core::internalError(std::string("write unit threw: ") + e.what());
    } catch (...) {
      result = core::internalError("write unit threw");
    }
    if (result.isOk() && txn.failure()) result = *txn.failure();
    if (!result.isOk()) {
      writer_->rollback();
      return result;
    }
    Status committed = guarded("COMMIT", [&]() -> Status {
      writer_->commit();
      return Status::ok();
    });
    if (!committed.isOk()) writer_->rollback();
    return committed;
  }

  std::mutex writeMutex_;
  std::atomic<std::thread::id> writerThread_{};
  std::unique_ptr<Connection> writer_;
  ReaderPool readers_;
};

}  // namespace

StatusOr<std::unique_ptr<Store>> openSqliteStore(const SqliteOptions& options) {
  if (options.path.empty()) return core::invalidArgument("store: the database path is empty");
  if (options.readConnections < 1) {
    return core::invalidArgument("store: readConnections must be at least 1");
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
  std::call_once(registered, [] { Poco::Data::SQLite::Connector::registerConnector(); });

  try {
    // The writer first: it switches the file to WAL and creates the schema the readers expect.
    auto writer = std::make_unique<Connection>(options.path, Connection::Role::kWriter);
    BRYGGA_RETURN_IF_ERROR(sqlite::migrate(writer->session()));
    if (options.maxDatabaseBytes > 0) writer->limitSize(options.maxDatabaseBytes);
    std::vector<std::unique_ptr<Connection>> readers;
    for (int i = 0; i < options.readConnections; ++i) {
      readers.push_back(std::make_unique<Connection>(options.path, Connection::Role::kReader));
    }
    return std::unique_ptr<Store>(new SqliteStore(std::move(writer), std::move(readers)));
  } catch (const Poco::Exception& e) {
    return core::internalError("cannot open the database " + options.path + ": " + e.displayText());
  } catch (const std::exception& e) {
    return core::internalError("cannot open the database " + options.path + ": " + e.what());
  }
}

}  // namespace brygga::store

// PostgreSQL implementation of the store (postgres_store.h): the SQL of every role on a libpq
// connection, the write units, the pools.
#include "gateway/store/postgres_store.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <variant>

#include <unistd.h>

#include "gateway/core/text.h"
#include "gateway/store/group_commit.h"
#include "gateway/store/lease_pool.h"
#include "gateway/store/pg_connection.h"
#include "gateway/store/postgres_schema.h"
#include "gateway/store/search_sql.h"
#include "gateway/store/store_rows.h"

namespace brygga::store {

namespace {

using pg::Connection;
using pg::Params;
using pg::PgError;
using pg::Result;

// Every group of write units takes this transaction-level advisory lock first (postgres_store.h).
constexpr int64_t kWriteUnitLock = 7426827100;
// Units sharing one transaction and its commit, at most (as SQLite's default).
constexpr size_t kMaxUnitsPerCommit = 64;
// A request is answered within this long (the console's time filters, as in SQLite's).
constexpr int64_t kRecordingSlackMs = 120000;
// One unit enqueues at most this many entries for one message.
constexpr int kMaxEntriesPerMessage = 256;

constexpr const char* kCurrentJoin =
    " FROM resource_current c JOIN resource_version v"
    " ON v.type = c.type AND v.id = c.id AND v.version = c.version";
constexpr const char* kVersionJoin =
    " FROM resource_version v LEFT JOIN resource_current c ON c.type = v.type AND c.id = v.id";
using rows::kAuditColumns;
using rows::kExchangeColumns;
using rows::kOutboxColumns;
using rows::kOutboxColumnsNoPayload;
using rows::kRecordColumns;
constexpr const char* kCheckpointColumns = "tree_size, created_ms, root_hash, note";

int nonNegative(int n) {
  return std::max(n, 0);
}

Status statusOf(const std::string& operation, const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const PgError& e) {
    if (e.connectionLost()) {
      return core::unavailable("the database cannot be reached (" + operation +
                               "); nothing of the write unit was stored unless it had committed");
    }
    const std::string& state = e.sqlstate();
    if (state.rfind("53", 0) == 0) {  // insufficient resources: disk full, out of memory
      return core::unavailable("the database is out of resources: " + operation +
                               " failed and nothing of the write unit was stored");
    }
    if (state == "40001" || state == "40P01") {
      return core::unavailable("the database aborted a conflicting transaction: " + operation);
    }
    return core::internalError("database error in " + operation + ": " + e.what());
  } catch (const std::exception& e) {
    return core::internalError("database error in " + operation + ": " + e.what());
  } catch (...) {
    return core::internalError("database error in " + operation);
  }
}

template <typename F>
auto guarded(const std::string& operation, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (...) {
    return statusOf(operation, std::current_exception());
  }
}

Status duplicatePerson(const PersonIdentity& identity) {
  const std::string text = std::string("another Patient holds this ") +
                           (identity.kind == "pnr" ? "personnummer" : "samordningsnummer") +
                           ": one person is one Patient";
  return {core::StatusCode::kConflict,
          text,
          {core::Issue::error("duplicate", text, "Patient.identifier")}};
}

// ---- Rows.

// One row of a result, as store_rows.h reads it.
struct Row {
  const Result& result;
  int row;
  std::string text(int column) const { return result.text(row, column); }
  int64_t integer(int column) const { return result.integer(row, column); }
};

OutboxEntry outboxOf(const Result& r, int row) {
  return rows::outboxOf(Row{r, row});
}

ExchangeRecord exchangeOf(const Result& r, int row) {
  return rows::exchangeOf(Row{r, row});
}

template <typename T, T (*of)(const Row&)>
std::vector<T> all(const Result& r) {
  std::vector<T> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back(of(Row{r, i}));
  return out;
}

std::vector<ResourceRecord> recordsOf(const Result& r) {
  return all<ResourceRecord, rows::recordOf<Row>>(r);
}

std::vector<OutboxEntry> outboxesOf(const Result& r) {
  return all<OutboxEntry, rows::outboxOf<Row>>(r);
}

std::vector<ExchangeRecord> exchangesOf(const Result& r) {
  return all<ExchangeRecord, rows::exchangeOf<Row>>(r);
}

std::vector<AuditRecord> auditsOf(const Result& r) {
  return all<AuditRecord, rows::auditOf<Row>>(r);
}

std::vector<AuditCheckpoint> checkpointsOf(const Result& r) {
  std::vector<AuditCheckpoint> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.integer(i, 0), r.integer(i, 1), r.text(i, 2), r.text(i, 3)});
  }
  return out;
}

// ---- The SQL, on whichever connection (a write unit's or a reader's).

// A shared statement's parameters (search_sql.h) as libpq's.
Params paramsOf(const sql::Sql& statement) {
  Params params;
  for (const auto& param : statement.params) {
    std::visit([&](const auto& value) { params.add(value); }, param);
  }
  return params;
}

std::optional<ResourceRecord> readCurrent(Connection& c, const std::string& type,
                                          const std::string& id) {
  static const std::string kSql =
      std::string("SELECT ") + kRecordColumns + kCurrentJoin + " WHERE c.type = ? AND c.id = ?";
  Result r = c.exec(kSql, Params().add(type).add(id));
  if (r.rows() == 0) return std::nullopt;
  return rows::recordOf(Row{r, 0});
}

std::optional<ResourceRecord> readVersion(Connection& c, const std::string& type,
                                          const std::string& id, int64_t version) {
  static const std::string kSql = std::string("SELECT ") + kRecordColumns + kVersionJoin +
                                  " WHERE v.type = ? AND v.id = ? AND v.version = ?";
  Result r = c.exec(kSql, Params().add(type).add(id).add(version));
  if (r.rows() == 0) return std::nullopt;
  return rows::recordOf(Row{r, 0});
}

std::vector<ResourceRecord> history(Connection& c, const std::string& type, const std::string& id) {
  static const std::string kSql = std::string("SELECT ") + kRecordColumns + kVersionJoin +
                                  " WHERE v.type = ? AND v.id = ? ORDER BY v.version DESC";
  return recordsOf(c.exec(kSql, Params().add(type).add(id)));
}

std::vector<std::string> findByIdentifier(Connection& c, const std::string& type,
                                          const std::string& system, const std::string& value) {
  Result r = c.exec(
      "SELECT c.id FROM search_index s JOIN resource_current c ON c.type = s.type AND c.id = s.id"
      " WHERE s.type = ? AND s.param = 'identifier' AND s.value = ? AND s.system = ?"
      " AND c.deleted = 0 ORDER BY s.id",
      Params().add(type).add(value).add(system));
  std::vector<std::string> ids;
  for (int i = 0; i < r.rows(); ++i) ids.push_back(r.text(i, 0));
  return ids;
}

SearchPage search(Connection& c, const SearchQuery& query) {
  SearchPage page;
  const std::optional<sql::Sql> where = sql::searchWhere(query);
  if (!where) return page;
  const int offset = nonNegative(query.offset);
  const int limit = nonNegative(query.count);
  if (limit > 0) {
    sql::Sql select;
    select.text = std::string("SELECT ") + kRecordColumns + kCurrentJoin;
    select.append(*where);
    select.append(sql::searchOrder(query, false));
    select.add(" LIMIT ?", int64_t{limit});
    select.add(" OFFSET ?", int64_t{offset});
    page.records = recordsOf(c.exec(select.text, paramsOf(select)));
    if (offset == 0 && static_cast<int>(page.records.size()) < limit) {
      page.total = static_cast<int64_t>(page.records.size());
      return page;
    }
  }
  sql::Sql count;
  count.text = "SELECT COUNT(*) FROM resource_current c";
  count.append(*where);
  page.total = c.exec(count.text, paramsOf(count)).integer(0, 0);
  return page;
}

SearchPage typeHistory(Connection& c, const SearchQuery& query) {
  SearchPage page;
  const sql::Sql where = sql::historyWhere(query);
  if (const int limit = nonNegative(query.count); limit > 0) {
    sql::Sql select;
    select.text = std::string("SELECT ") + kRecordColumns + kVersionJoin;
    select.append(where);
    select.text += " ORDER BY v.last_updated_ms DESC, v.id DESC, v.version DESC";
    select.add(" LIMIT ?", int64_t{limit});
    select.add(" OFFSET ?", int64_t{nonNegative(query.offset)});
    page.records = recordsOf(c.exec(select.text, paramsOf(select)));
  }
  sql::Sql count;
  count.text = std::string("SELECT COUNT(*)") + kVersionJoin;
  count.append(where);
  page.total = c.exec(count.text, paramsOf(count)).integer(0, 0);
  return page;
}

std::optional<std::string> patientByNumber(Connection& c, const std::string& kind,
                                           const std::string& number) {
  Result r = c.exec("SELECT patient_id FROM patient_identity WHERE kind = ? AND number = ?",
                    Params().add(kind).add(number));
  if (r.rows() == 0) return std::nullopt;
  return r.text(0, 0);
}

PatientAccessFacts accessFacts(Connection& c, const std::string& patientId) {
  Result r = c.exec(
      "SELECT 0, episode_id, tenant, active, 0, ended_ms FROM care_relationship"
      " WHERE patient_id = ?"
      " UNION ALL SELECT 1, consent_id, party, active, start_ms, end_ms FROM patient_block"
      " WHERE patient_id = ? ORDER BY 1, 2, 3",
      Params().add(patientId).add(patientId));
  PatientAccessFacts facts;
  for (int i = 0; i < r.rows(); ++i) {
    if (r.integer(i, 0) == 0) {
      facts.relationships.push_back(
          {r.text(i, 1), patientId, r.text(i, 2), r.integer(i, 3) != 0, r.integer(i, 5)});
    } else {
      facts.blocks.push_back({r.text(i, 1), patientId, r.text(i, 2), r.integer(i, 3) != 0,
                              r.integer(i, 4), r.integer(i, 5)});
    }
  }
  return facts;
}

std::optional<OutboxEntry> outboxEntry(Connection& c, int64_t id) {
  static const std::string kSql =
      std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE id = ?";
  Result r = c.exec(kSql, Params().add(id));
  if (r.rows() == 0) return std::nullopt;
  return outboxOf(r, 0);
}

std::vector<OutboxEntry> outboxInState(Connection& c, const char* state,
                                       const std::optional<std::string>& destination,
                                       int64_t afterId, int limit) {
  Params params;
  params.add(state);
  if (destination) params.add(*destination);
  params.add(afterId).add(nonNegative(limit));
  return outboxesOf(
      c.exec(std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE state = ?" +
                 (destination ? " AND destination = ?" : "") + " AND id > ? ORDER BY id LIMIT ?",
             params));
}

std::optional<AuditCheckpoint> lastCheckpoint(Connection& c) {
  auto rows = checkpointsOf(c.exec(std::string("SELECT ") + kCheckpointColumns +
                                   " FROM audit_checkpoint ORDER BY tree_size DESC LIMIT 1"));
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::vector<AuditKeyRecord> auditKeys(Connection& c) {
  Result r = c.exec(
      "SELECT seq, vkey, valid_from_size, created_ms, rotation_note FROM audit_key ORDER BY seq");
  std::vector<AuditKeyRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back({r.integer(i, 0), r.text(i, 1), r.integer(i, 2), r.integer(i, 3), r.text(i, 4)});
  }
  return out;
}

// ---- The follow-up measures' facts (schema 6).

constexpr const char* kMeasureFactColumns =
    "type, id, seq, kind, patient, start_ms, end_ms, service_point, municipality, code, flag, ref";

std::vector<MeasureFact> measureFactRows(const Result& r) {
  std::vector<MeasureFact> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    MeasureFact f;
    f.type = r.text(i, 0);
    f.id = r.text(i, 1);
    f.seq = static_cast<int>(r.integer(i, 2));
    f.kind = r.text(i, 3);
    f.patient = r.text(i, 4);
    f.startMs = r.integer(i, 5);
    f.endMs = r.integer(i, 6);
    f.servicePoint = r.text(i, 7);
    f.municipality = r.text(i, 8);
    f.code = r.text(i, 9);
    f.flag = r.integer(i, 10);
    f.ref = r.text(i, 11);
    out.push_back(std::move(f));
  }
  return out;
}

// ---- The write unit.

// The operations of one write unit on its connection, inside the unit's transaction. After the
// first database error the transaction is aborted: every later call returns that error and
// write() rolls back even if the work returns OK.
class PgTransaction final : public StoreTransaction,
                            public ResourceUnit,
                            public OutboxUnit,
                            public AuditLogUnit,
                            public ExchangeLogUnit,
                            public MeasureFactUnit {
 public:
  explicit PgTransaction(Connection& connection) : c_(connection) {}

  const std::optional<Status>& failure() const { return errors_.failure(); }

  ResourceUnit& resources() override { return *this; }
  OutboxUnit& outbox() override { return *this; }
  AuditLogUnit& auditLog() override { return *this; }
  ExchangeLogUnit& exchangeLog() override { return *this; }
  MeasureFactUnit& measureFacts() override { return *this; }

  StatusOr<std::vector<MeasureFact>> measureFactsOf(const std::string& type,
                                                    const std::string& id) override {
    return run("measureFactsOf", [&]() -> StatusOr<std::vector<MeasureFact>> {
      return measureFactRows(
          c_.exec(std::string("SELECT ") + kMeasureFactColumns +
                      " FROM measure_fact WHERE type = ? AND id = ? ORDER BY seq",
                  Params().add(type).add(id)));
    });
  }

  Status replaceMeasureFacts(const std::string& type, const std::string& id,
                             const std::vector<MeasureFact>& facts) override {
    return run("replaceMeasureFacts", [&]() -> Status {
      c_.exec("DELETE FROM measure_fact WHERE type = ? AND id = ?", Params().add(type).add(id));
      for (const MeasureFact& f : facts) {
        c_.exec(std::string("INSERT INTO measure_fact (") + kMeasureFactColumns +
                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                Params()
                    .add(type)
                    .add(id)
                    .add(f.seq)
                    .add(f.kind)
                    .add(f.patient)
                    .add(f.startMs)
                    .add(f.endMs)
                    .add(f.servicePoint)
                    .add(f.municipality)
                    .add(f.code)
                    .add(f.flag)
                    .add(f.ref));
      }
      return Status::ok();
    });
  }

  StatusOr<bool> storeMeasureReport(const StoredMeasureReport& report) override {
    return run("storeMeasureReport", [&]() -> StatusOr<bool> {
      return c_.exec(
                   "INSERT INTO measure_report (measure, period_start, json, created_ms)"
                   " VALUES (?, ?, ?, ?) ON CONFLICT (measure, period_start) DO NOTHING",
                   Params()
                       .add(report.measure)
                       .add(report.periodStart)
                       .add(report.json)
                       .add(report.createdMs))
                 .affected() > 0;
    });
  }

  StatusOr<std::optional<ResourceRecord>> readCurrent(const std::string& type,
                                                      const std::string& id) override {
    return run("readCurrent", [&]() -> StatusOr<std::optional<ResourceRecord>> {
      return store::readCurrent(c_, type, id);
    });
  }

  StatusOr<std::vector<std::string>> findByIdentifier(const std::string& type,
                                                      const std::string& system,
                                                      const std::string& value) override {
    return run("findByIdentifier", [&]() -> StatusOr<std::vector<std::string>> {
      return store::findByIdentifier(c_, type, system, value);
    });
  }

  StatusOr<SearchPage> search(const SearchQuery& query) override {
    return run("search", [&]() -> StatusOr<SearchPage> { return store::search(c_, query); });
  }

  Status putResource(const ResourceWrite& write) override {
    const ResourceRecord& r = write.record;
    if (r.type.empty() || r.id.empty()) {
      return core::invalidArgument("a stored resource needs a type and an id");
    }
    return run("putResource", [&]() -> Status {
      // The optimistic check; the unit holds the write lock, so nothing moves the head meanwhile.
      Result head = c_.exec("SELECT version FROM resource_current WHERE type = ? AND id = ?",
                            Params().add(r.type).add(r.id));
      const int64_t current = head.rows() > 0 ? head.integer(0, 0) : 0;
      if (r.version != current + 1) {
        return core::conflict("version conflict on " + r.type + "/" + r.id + ": it is at version " +
                              std::to_string(current) + ", the write was for version " +
                              std::to_string(r.version));
      }
      if (r.type == "Patient") {
        if (current > 0) {
          c_.exec("DELETE FROM patient_identity WHERE patient_id = ?", Params().add(r.id));
        }
        for (const PersonIdentity& identity : write.identities) {
          // The key decides: the row is inserted, or the one holding the number is returned.
          Result holder = c_.exec(
              "INSERT INTO patient_identity (kind, number, patient_id) VALUES (?, ?, ?)"
              " ON CONFLICT (kind, number) DO UPDATE SET patient_id = patient_identity.patient_id"
              " RETURNING patient_id",
              Params().add(identity.kind).add(identity.number).add(r.id));
          if (holder.rows() > 0 && holder.text(0, 0) != r.id) return duplicatePerson(identity);
        }
      } else if (r.type == "EpisodeOfCare") {
        if (write.relationship) {
          const CareRelationship& rel = *write.relationship;
          c_.exec(
              "INSERT INTO care_relationship (episode_id, patient_id, tenant, active, ended_ms)"
              " VALUES (?, ?, ?, ?, ?) ON CONFLICT (episode_id) DO UPDATE SET"
              " patient_id = excluded.patient_id, tenant = excluded.tenant,"
              " active = excluded.active, ended_ms = excluded.ended_ms",
              Params()
                  .add(r.id)
                  .add(rel.patientId)
                  .add(rel.tenant)
                  .add(rel.active)
                  .add(rel.endedMs));
        } else {
          c_.exec("DELETE FROM care_relationship WHERE episode_id = ?", Params().add(r.id));
        }
      } else if (r.type == "Consent") {
        c_.exec("DELETE FROM patient_block WHERE consent_id = ?", Params().add(r.id));
        for (const PatientBlock& b : write.blocks) {
          c_.exec(
              "INSERT INTO patient_block (consent_id, party, patient_id, active, start_ms, end_ms)"
              " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
              Params()
                  .add(r.id)
                  .add(b.party)
                  .add(b.patientId)
                  .add(b.active)
                  .add(b.startMs)
                  .add(b.endMs));
        }
      }
      c_.exec(
          "INSERT INTO resource_version (type, id, version, last_updated_ms, deleted, tenant, json)"
          " VALUES (?, ?, ?, ?, ?, ?, ?)",
          Params()
              .add(r.type)
              .add(r.id)
              .add(r.version)
              .add(r.lastUpdatedMs)
              .add(r.deleted)
              .add(r.tenant)
              .add(r.json));
      c_.exec(
          "INSERT INTO resource_current"
          " (type, id, version, last_updated_ms, deleted, tenant, patient_id)"
          " VALUES (?, ?, ?, ?, ?, ?, ?)"
          " ON CONFLICT (type, id) DO UPDATE SET version = excluded.version,"
          " last_updated_ms = excluded.last_updated_ms, deleted = excluded.deleted,"
          " tenant = excluded.tenant, patient_id = excluded.patient_id",
          Params()
              .add(r.type)
              .add(r.id)
              .add(r.version)
              .add(r.lastUpdatedMs)
              .add(r.deleted)
              .add(r.tenant)
              .add(r.patientId));
      writeIndex(r.type, r.id, write.index, /*replace=*/r.version > 1);
      return Status::ok();
    });
  }

  Status replaceIndex(const std::string& type, const std::string& id,
                      const std::vector<IndexEntry>& index) override {
    return run("replaceIndex", [&]() -> Status {
      writeIndex(type, id, index, /*replace=*/true);
      return Status::ok();
    });
  }

  StatusOr<int> searchIndexVersion() override {
    return run("searchIndexVersion", [&]() -> StatusOr<int> {
      Result r = c_.exec("SELECT version FROM search_index_state WHERE id = 1");
      return r.rows() > 0 ? static_cast<int>(r.integer(0, 0)) : 0;
    });
  }

  Status setSearchIndexVersion(int version) override {
    return run("setSearchIndexVersion", [&]() -> Status {
      c_.exec("UPDATE search_index_state SET version = ? WHERE id = 1",
              Params().add(static_cast<int64_t>(version)));
      return Status::ok();
    });
  }

  StatusOr<std::optional<std::string>> patientByNumber(const std::string& kind,
                                                       const std::string& number) override {
    return run("patientByNumber", [&]() -> StatusOr<std::optional<std::string>> {
      return store::patientByNumber(c_, kind, number);
    });
  }

  StatusOr<PatientAccessFacts> accessFacts(const std::string& patientId) override {
    return run("accessFacts",
               [&]() -> StatusOr<PatientAccessFacts> { return store::accessFacts(c_, patientId); });
  }

  StatusOr<int64_t> enqueue(const OutboxEntry& e) override {
    if (e.destination.empty()) return core::invalidArgument("outbox entry without destination");
    return run("enqueue", [&]() -> StatusOr<int64_t> {
      return c_
          .exec(
              "INSERT INTO outbox (destination, ordering_key, request_id, tenant, payload, state,"
              " attempts, created_ms, next_attempt_ms, last_error, party, trace_id)"
              " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
              Params()
                  .add(e.destination)
                  .add(e.orderingKey)
                  .add(e.requestId)
                  .add(e.tenant)
                  .add(e.payload)
                  .add(toString(e.state))
                  .add(e.attempts)
                  .add(e.createdMs)
                  .add(e.nextAttemptMs)
                  .add(e.lastError)
                  .add(e.party)
                  .add(e.traceId))
          .integer(0, 0);
    });
  }

  Status updateOutbox(int64_t id, OutboxState state, int attempts, int64_t nextAttemptMs,
                      const std::string& lastError) override {
    return run("updateOutbox", [&]() -> Status {
      const int64_t changed =
          c_.exec(
                "UPDATE outbox SET state = ?, attempts = ?, next_attempt_ms = ?, last_error = ?"
                " WHERE id = ?",
                Params()
                    .add(toString(state))
                    .add(attempts)
                    .add(nextAttemptMs)
                    .add(lastError)
                    .add(id))
              .affected();
      if (changed == 0) return core::notFound("no outbox entry " + std::to_string(id));
      return Status::ok();
    });
  }

  StatusOr<std::optional<OutboxEntry>> readOutbox(int64_t id) override {
    return run("readOutbox", [&]() -> StatusOr<std::optional<OutboxEntry>> {
      return store::outboxEntry(c_, id);
    });
  }

  StatusOr<int64_t> pendingCount(const std::string& destination) override {
    return run("pendingCount", [&]() -> StatusOr<int64_t> {
      Result r = c_.exec("SELECT pending FROM destination_state WHERE destination = ?",
                         Params().add(destination));
      return r.rows() > 0 ? r.integer(0, 0) : 0;
    });
  }

  StatusOr<int64_t> nextEventNumber(const std::string& stream) override {
    if (stream.empty()) return core::invalidArgument("no event stream named");
    return run("nextEventNumber", [&]() -> StatusOr<int64_t> {
      Result r = c_.exec(
          "INSERT INTO event_counter (stream, events) VALUES (?, 1) ON CONFLICT (stream)"
          " DO UPDATE SET events = event_counter.events + 1 RETURNING events",
          Params().add(stream));
      return r.integer(0, 0);
    });
  }

  StatusOr<int64_t> eventCount(const std::string& stream) override {
    return run("eventCount", [&]() -> StatusOr<int64_t> {
      Result r = c_.exec("SELECT events FROM event_counter WHERE stream = ?", Params().add(stream));
      return r.rows() > 0 ? r.integer(0, 0) : 0;
    });
  }

  StatusOr<bool> deliveredAfter(const std::string& destination, const std::string& orderingKey,
                                int64_t id) override {
    return run("deliveredAfter", [&]() -> StatusOr<bool> {
      return c_.exec(
                   "SELECT 1 FROM outbox WHERE destination = ? AND ordering_key = ?"
                   " AND state = 'delivered' AND id > ? LIMIT 1",
                   Params().add(destination).add(orderingKey).add(id))
                 .rows() > 0;
    });
  }

  Status setDestinationPaused(const std::string& destination, bool paused, int64_t atMs,
                              const std::string& by) override {
    if (destination.empty()) return core::invalidArgument("no destination named");
    return run("setDestinationPaused", [&]() -> Status {
      c_.exec(
          "INSERT INTO destination_state (destination, paused, changed_ms, changed_by)"
          " VALUES (?, ?, ?, ?) ON CONFLICT (destination) DO UPDATE SET"
          " paused = excluded.paused, changed_ms = excluded.changed_ms,"
          " changed_by = excluded.changed_by",
          Params().add(destination).add(paused).add(atMs).add(by));
      return Status::ok();
    });
  }

  Status holdOutbox(int64_t id, int64_t atMs, const std::string& reason) override {
    return run("holdOutbox", [&]() -> Status {
      const int64_t changed = c_.exec(
                                    "UPDATE outbox SET state = 'held', next_attempt_ms = ?,"
                                    " last_error = ? WHERE id = ? AND state = 'pending'",
                                    Params().add(atMs).add(reason).add(id))
                                  .affected();
      if (changed == 0) return core::notFound("no pending outbox entry " + std::to_string(id));
      return Status::ok();
    });
  }

  Status recordExchange(const ExchangeRecord& record) override {
    return run("recordExchange", [&]() -> Status {
      c_.exec(
          "INSERT INTO exchange (id, request_id, client_id, tenant, direction, interaction,"
          " resource_types, destination, http_status, started_ms, finished_ms, payload_sha256,"
          " detail, message, patient, kind, outbox_last, audit_seq)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
          " CASE WHEN ?::int <> 0 THEN (SELECT COALESCE(MAX(id), 0) FROM outbox) ELSE 0 END,"
          " CASE WHEN ?::int <> 0 THEN (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit) ELSE 0 END)",
          Params()
              .add(record.id)
              .add(record.requestId)
              .add(record.clientId)
              .add(record.tenant)
              .add(record.direction)
              .add(record.interaction)
              .add(record.resourceTypes)
              .add(record.destination)
              .add(record.httpStatus)
              .add(record.startedMs)
              .add(record.finishedMs)
              .add(record.payloadSha256)
              .add(record.detail)
              .add(record.message)
              .add(record.patient)
              .add(record.kind)
              .add(record.message)
              .add(record.message || record.direction == "outbound"));
      return Status::ok();
    });
  }

  StatusOr<AuditRecord> lastAudit() override {
    return run("lastAudit", [&]() -> StatusOr<AuditRecord> {
      auto last = auditsOf(c_.exec(std::string("SELECT ") + kAuditColumns +
                                   " FROM audit ORDER BY seq DESC LIMIT 1"));
      return last.empty() ? AuditRecord{} : last.front();
    });
  }

  Status appendAudit(const AuditRecord& record) override {
    return run("appendAudit", [&]() -> Status {
      Result last = c_.exec("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1");
      const int64_t lastSeq = last.rows() > 0 ? last.integer(0, 0) : 0;
      if (record.seq != lastSeq + 1) {
        return core::conflict("audit record " + std::to_string(record.seq) +
                              " does not follow the last one, " + std::to_string(lastSeq));
      }
      if (lastSeq > 0 && record.prevHash != last.text(0, 1)) {
        return core::conflict("audit record " + std::to_string(record.seq) +
                              " does not chain to the hash of record " + std::to_string(lastSeq));
      }
      c_.exec(std::string("INSERT INTO audit (") + kAuditColumns + ") VALUES (?, ?, ?, ?, ?, ?)",
              Params()
                  .add(record.seq)
                  .add(record.recordedMs)
                  .add(record.json)
                  .add(record.prevHash)
                  .add(record.hash)
                  .add(record.patient));
      return Status::ok();
    });
  }

  Status putAuditLeaf(int64_t seq, const std::string& leafHash) override {
    return run("putAuditLeaf", [&]() -> Status {
      c_.exec("INSERT INTO audit_leaf (seq, leaf_hash) VALUES (?, ?)",
              Params().add(seq).add(leafHash));
      return Status::ok();
    });
  }

  Status appendAuditCheckpoint(const AuditCheckpoint& checkpoint) override {
    return run("appendAuditCheckpoint", [&]() -> Status {
      const std::optional<AuditCheckpoint> last = lastCheckpoint(c_);
      if (last && checkpoint.treeSize <= last->treeSize) {
        return core::conflict("audit checkpoint of size " + std::to_string(checkpoint.treeSize) +
                              " does not follow the last one, of size " +
                              std::to_string(last->treeSize));
      }
      c_.exec(std::string("INSERT INTO audit_checkpoint (") + kCheckpointColumns +
                  ") VALUES (?, ?, ?, ?)",
              Params()
                  .add(checkpoint.treeSize)
                  .add(checkpoint.createdMs)
                  .add(checkpoint.rootHash)
                  .add(checkpoint.note));
      return Status::ok();
    });
  }

  Status setAuditForwardCursor(const std::string& sink, int64_t lastSeq, int64_t atMs) override {
    return run("setAuditForwardCursor", [&]() -> Status {
      Result r =
          c_.exec("SELECT last_seq FROM audit_forward_cursor WHERE sink = ?", Params().add(sink));
      const int64_t current = r.rows() > 0 ? r.integer(0, 0) : 0;
      if (lastSeq < current) {
        return core::conflict("the forwarding cursor of " + sink + " is at " +
                              std::to_string(current) + ", not moving it back to " +
                              std::to_string(lastSeq));
      }
      c_.exec(
          "INSERT INTO audit_forward_cursor (sink, last_seq, updated_ms) VALUES (?, ?, ?)"
          " ON CONFLICT (sink) DO UPDATE SET last_seq = excluded.last_seq,"
          " updated_ms = excluded.updated_ms",
          Params().add(sink).add(lastSeq).add(atMs));
      return Status::ok();
    });
  }

  Status appendAuditWitness(const AuditWitnessRecord& record) override {
    return run("appendAuditWitness", [&]() -> Status {
      c_.exec(
          "INSERT INTO audit_witness (witness, tree_size, witnessed_ms, cosignatures)"
          " VALUES (?, ?, ?, ?)",
          Params()
              .add(record.witness)
              .add(record.treeSize)
              .add(record.witnessedMs)
              .add(record.cosignatures));
      return Status::ok();
    });
  }

  Status appendAuditKey(const AuditKeyRecord& key) override {
    return run("appendAuditKey", [&]() -> Status {
      const std::vector<AuditKeyRecord> keys = store::auditKeys(c_);
      const int64_t lastSeq = keys.empty() ? 0 : keys.back().seq;
      if (key.seq != lastSeq + 1) {
        return core::conflict("audit key " + std::to_string(key.seq) +
                              " does not follow the last one, " + std::to_string(lastSeq));
      }
      const std::optional<AuditCheckpoint> last = lastCheckpoint(c_);
      if (!keys.empty() && ((last && key.validFromSize <= last->treeSize) ||
                            key.validFromSize < keys.back().validFromSize)) {
        return core::conflict("a new audit key must take over after the last checkpoint");
      }
      c_.exec(
          "INSERT INTO audit_key (seq, vkey, valid_from_size, created_ms, rotation_note)"
          " VALUES (?, ?, ?, ?, ?)",
          Params()
              .add(key.seq)
              .add(key.vkey)
              .add(key.validFromSize)
              .add(key.createdMs)
              .add(key.rotationNote));
      return Status::ok();
    });
  }

  StatusOr<std::vector<AuditKeyRecord>> auditKeysInUnit() override {
    return run("auditKeysInUnit",
               [&]() -> StatusOr<std::vector<AuditKeyRecord>> { return store::auditKeys(c_); });
  }

  StatusOr<std::optional<AuditCheckpoint>> lastAuditCheckpointInUnit() override {
    return run("lastAuditCheckpointInUnit",
               [&]() -> StatusOr<std::optional<AuditCheckpoint>> { return lastCheckpoint(c_); });
  }

  StatusOr<int64_t> purgeDelivered(int64_t beforeMs, int limit) {
    return run("purgeDelivered", [&]() -> StatusOr<int64_t> {
      return c_
          .exec(
              "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox"
              " WHERE state = 'delivered' AND next_attempt_ms < ?"
              " ORDER BY next_attempt_ms LIMIT ?)",
              Params().add(beforeMs).add(nonNegative(limit)))
          .affected();
    });
  }

  Status heartbeat() {
    return run("heartbeat", [&]() -> Status {
      c_.exec(
          "INSERT INTO heartbeat (id, beats) VALUES (1, 1)"
          " ON CONFLICT (id) DO UPDATE SET beats = heartbeat.beats + 1");
      return Status::ok();
    });
  }

 private:
  template <typename F>
  auto run(const char* operation, F&& f) -> decltype(f()) {
    return errors_.run(operation, std::forward<F>(f));
  }

  // The search index rows of a resource; `replace`: its earlier rows removed first.
  void writeIndex(const std::string& type, const std::string& id,
                  const std::vector<IndexEntry>& index, bool replace) {
    if (replace) {
      c_.exec("DELETE FROM search_index WHERE type = ? AND id = ?", Params().add(type).add(id));
    }
    for (const IndexEntry& entry : index) {
      c_.exec(
          "INSERT INTO search_index (type, id, param, system, value) VALUES (?, ?, ?, ?, ?)"
          " ON CONFLICT DO NOTHING",
          Params().add(type).add(id).add(entry.param).add(entry.system).add(entry.value));
    }
  }

  Connection& c_;
  UnitErrors<statusOf> errors_;
};

// ---- The store.

// A writer connection as GroupCommit drives it.
struct PgGroupWriter {
  Connection& c;
  template <typename F>
  static Status step(const char* operation, F&& f) {
    return guarded(operation, [&]() -> Status {
      f();
      return Status::ok();
    });
  }
  Status begin() {
    return step("BEGIN", [&] {
      c.execScript("BEGIN");
      c.exec("SELECT pg_advisory_xact_lock(?)", Params().add(kWriteUnitLock));
    });
  }
  Status savepoint() {
    return step("SAVEPOINT", [&] { c.execScript("SAVEPOINT unit"); });
  }
  Status release() {
    return step("RELEASE", [&] { c.execScript("RELEASE SAVEPOINT unit"); });
  }
  bool rollbackToSavepoint() {
    try {
      c.execScript("ROLLBACK TO SAVEPOINT unit; RELEASE SAVEPOINT unit");
      return true;
    } catch (const PgError&) {
      return false;  // the transaction (or the connection) is gone
    }
  }
  Status commit() {
    return step("COMMIT", [&] { c.execScript("COMMIT"); });
  }
  void rollback() {
    try {
      c.execScript("ROLLBACK");
    } catch (const PgError&) {
      // The connection is gone; the server rolls the transaction back with it.
    }
  }
  Status runUnit(const std::function<Status(PgTransaction&)>& work) {
    PgTransaction txn(c);
    return runWork(work, txn);
  }
};

// A LISTEN on a connection and a thread of its own; reconnects and listens again when the
// connection is lost.
class Listener final : public Store::Subscription {
 public:
  // Returns once the LISTEN is in place (or its first attempt failed, or kFirstListenMs passed),
  // so that what is announced after listen() returned is heard: a gateway that has started hears
  // its peers.
  Listener(std::string conninfo, std::string channel, std::string self,
           std::function<void()> listener)
      : conninfo_(std::move(conninfo)),
        channel_(std::move(channel)),
        self_(std::move(self)),
        listener_(std::move(listener)),
        thread_([this] { run(); }) {
    std::unique_lock lock(mutex_);
    stopped_.wait_for(lock, std::chrono::milliseconds(kFirstListenMs),
                      [this] { return firstAttempted_ || stop_; });
  }
  ~Listener() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    stopped_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    std::unique_ptr<Connection> connection;
    bool listenedBefore = false;
    while (!stopping()) {
      try {
        if (!connection || !connection->healthy()) {
          connection = std::make_unique<Connection>(conninfo_);
          connection->execScript("LISTEN " + channel_);
          attempted();
          // What was announced while this was not listening is lost: after a reconnect, act as
          // if something had been announced (the listeners reload what they follow).
          if (listenedBefore) listener_();
          listenedBefore = true;
        }
        for (const std::string& from : connection->waitForNotifications(kWaitMs)) {
          if (from != self_) listener_();
        }
      } catch (const PgError&) {
        connection.reset();
        attempted();
        // The database is away: try again in a while, or stop.
        std::unique_lock lock(mutex_);
        stopped_.wait_for(lock, std::chrono::milliseconds(kRetryMs), [this] { return stop_; });
      }
    }
  }
  bool stopping() {
    std::lock_guard lock(mutex_);
    return stop_;
  }
  void attempted() {
    {
      std::lock_guard lock(mutex_);
      if (firstAttempted_) return;
      firstAttempted_ = true;
    }
    stopped_.notify_all();
  }

  static constexpr int kWaitMs = 200;          // how soon a stop is noticed
  static constexpr int kRetryMs = 1000;        // between attempts to reconnect
  static constexpr int kFirstListenMs = 5000;  // the longest listen() waits for its LISTEN
  const std::string conninfo_;
  const std::string channel_;
  const std::string self_;
  const std::function<void()> listener_;
  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stop_ = false;
  bool firstAttempted_ = false;
  std::thread thread_;  // last: started when everything it uses is ready
};

// The channel of a topic: a PostgreSQL identifier of our own making.
std::string channelOf(const std::string& topic) {
  std::string channel = "brygga_";
  for (char ch : topic) channel += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return channel;
}

// This process among those on the database (its announcements carry it, so it skips its own).
std::string newProcessId() {
  std::random_device random;
  return std::to_string(getpid()) + "-" + std::to_string(random()) + std::to_string(random());
}

class PgStore final : public Store,
                      public ResourceStore,
                      public OutboxStore,
                      public AuditLogStore,
                      public ExchangeLogStore,
                      public MeasureFactStore {
 public:
  PgStore(std::string conninfo, std::vector<std::unique_ptr<Connection>> writers,
          std::vector<std::unique_ptr<Connection>> readers, int64_t poolWaitMs)
      : conninfo_(std::move(conninfo)),
        poolWaitMs_(poolWaitMs),
        writerConnections_(std::move(writers)),
        readerConnections_(std::move(readers)),
        writers_(writerConnections_),
        readers_(readerConnections_) {}

  ResourceStore& resources() override { return *this; }
  OutboxStore& outbox() override { return *this; }
  AuditLogStore& auditLog() override { return *this; }
  ExchangeLogStore& exchangeLog() override { return *this; }
  MeasureFactStore& measureFacts() override { return *this; }

  Status forEachMeasureFact(std::string_view type,
                            const std::function<void(const MeasureFact&)>& visit) override {
    return onReader("forEachMeasureFact", [&](Connection& c) -> Status {
      for (const MeasureFact& f :
           measureFactRows(c.exec(std::string("SELECT ") + kMeasureFactColumns +
                                      " FROM measure_fact WHERE ? = '' OR type = ?",
                                  Params().add(type).add(type)))) {
        visit(f);
      }
      return Status::ok();
    });
  }

  StatusOr<std::vector<StoredMeasureReport>> measureReports(const std::string& measure) override {
    return onReader("measureReports",
                    [&](Connection& c) -> StatusOr<std::vector<StoredMeasureReport>> {
                      Result r = c.exec(
                          "SELECT measure, period_start, json, created_ms FROM measure_report"
                          " WHERE ? = '' OR measure = ? ORDER BY measure, period_start",
                          Params().add(measure).add(measure));
                      std::vector<StoredMeasureReport> out;
                      for (int i = 0; i < r.rows(); ++i) {
                        out.push_back({r.text(i, 0), r.text(i, 1), r.text(i, 2), r.integer(i, 3)});
                      }
                      return out;
                    });
  }

  Status write(const std::function<Status(StoreTransaction&)>& work) override {
    return unit([&](PgTransaction& txn) { return work(txn); });
  }

  Status checkWritable() override {
    return unit([](PgTransaction& txn) { return txn.heartbeat(); });
  }

  // A lease is a session-level advisory lock on a connection of its own: the server releases it
  // when this process's connection ends (exit, SIGKILL, a network failure), and another process's
  // next try takes it.
  bool holdsLease(const std::string& name) override {
    std::lock_guard lock(leaseMutex_);
    try {
      if (!leaseConnection_ || !leaseConnection_->healthy()) {
        held_.clear();  // a lost connection lost its locks with it
        if (!leaseConnection_) {
          leaseConnection_ = std::make_unique<Connection>(conninfo_);
        } else {
          leaseConnection_->reconnect();
        }
      }
      if (held_.count(name) > 0) {
        leaseConnection_->exec("SELECT 1");  // still connected, so still held
        return true;
      }
      // Session advisory locks stack: taken only when not yet held.
      if (leaseConnection_
              ->exec("SELECT pg_try_advisory_lock(742682, hashtext(?))", Params().add(name))
              .text(0, 0) == "t") {
        held_.insert(name);
        return true;
      }
      return false;
    } catch (const PgError&) {
      held_.clear();
      return false;
    }
  }

  Status reclaimSpace() override {
    // Deleted rows are made reusable by the server's autovacuum; a plain VACUUM of the outbox
    // (where retention deletes) does it now without locking writers out.
    return onConnection(writers_, "reclaimSpace", [&](Connection& c) -> Status {
      c.execScript("VACUUM outbox");
      return Status::ok();
    });
  }

  Status recordInstance(const InstanceRecord& instance) override {
    // Autocommit on a reader: one row of its own, no lock with the write units.
    return onReader("recordInstance", [&](Connection& c) -> Status {
      c.exec(
          "INSERT INTO instance (id, version, started_ms, last_seen_ms) VALUES (?, ?, ?, ?)"
          " ON CONFLICT (id) DO UPDATE SET version = excluded.version,"
          " started_ms = excluded.started_ms, last_seen_ms = excluded.last_seen_ms",
          Params()
              .add(instance.id)
              .add(instance.version)
              .add(instance.startedMs)
              .add(instance.lastSeenMs));
      return Status::ok();
    });
  }

  StatusOr<std::vector<InstanceRecord>> instances() override {
    return onReader("instances", [&](Connection& c) -> StatusOr<std::vector<InstanceRecord>> {
      Result r = c.exec("SELECT id, version, started_ms, last_seen_ms FROM instance ORDER BY id");
      std::vector<InstanceRecord> out;
      for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.text(i, 0), r.text(i, 1), r.integer(i, 2), r.integer(i, 3)});
      }
      return out;
    });
  }

  void announce(const std::string& topic) override {
    // On a reader (autocommit): the others hear it at once. Best effort: a process that misses
    // an announcement (its connection was down) acts on the next one, or on its own reload.
    onReader("announce", [&](Connection& c) -> Status {
      c.exec("SELECT pg_notify(?, ?)", Params().add(channelOf(topic)).add(processId_));
      return Status::ok();
    }).ignoreError();
  }

  std::unique_ptr<Subscription> listen(const std::string& topic,
                                       std::function<void()> listener) override {
    return std::make_unique<Listener>(conninfo_, channelOf(topic), processId_, std::move(listener));
  }

  // ResourceStore
  StatusOr<std::optional<ResourceRecord>> read(const std::string& type, const std::string& id,
                                               std::optional<int64_t> version) override {
    return onReader("read", [&](Connection& c) -> StatusOr<std::optional<ResourceRecord>> {
      return version ? readVersion(c, type, id, *version) : readCurrent(c, type, id);
    });
  }

  StatusOr<std::vector<ResourceRecord>> history(const std::string& type,
                                                const std::string& id) override {
    return onReader("history", [&](Connection& c) -> StatusOr<std::vector<ResourceRecord>> {
      return store::history(c, type, id);
    });
  }

  StatusOr<SearchPage> search(const SearchQuery& query) override {
    return snapshot("search", [&](Connection& c) { return store::search(c, query); });
  }

  StatusOr<SearchPage> typeHistory(const SearchQuery& query) override {
    return snapshot("typeHistory", [&](Connection& c) { return store::typeHistory(c, query); });
  }

  StatusOr<std::optional<std::string>> patientByNumber(const std::string& kind,
                                                       const std::string& number) override {
    return onReader("patientByNumber", [&](Connection& c) -> StatusOr<std::optional<std::string>> {
      return store::patientByNumber(c, kind, number);
    });
  }

  StatusOr<PatientAccessFacts> accessFacts(const std::string& patientId) override {
    return onReader("accessFacts", [&](Connection& c) -> StatusOr<PatientAccessFacts> {
      return store::accessFacts(c, patientId);  // one statement: one snapshot
    });
  }

  StatusOr<std::vector<MigrationReportEntry>> migrationReport() override {
    // A PostgreSQL database starts at the model with one Patient per person number: there was
    // never a merge of duplicates to report.
    return std::vector<MigrationReportEntry>{};
  }

  // OutboxStore
  StatusOr<std::vector<OutboxEntry>> dueOutbox(const std::string& destination, int64_t nowMs,
                                               int limit) override {
    return onReader("dueOutbox", [&](Connection& c) -> StatusOr<std::vector<OutboxEntry>> {
      static const std::string kSql =
          std::string("SELECT ") + kOutboxColumns +
          " FROM outbox o"
          " WHERE o.destination = ? AND o.state = 'pending' AND o.next_attempt_ms <= ?"
          " AND (o.ordering_key = '' OR o.id = (SELECT MIN(p.id) FROM outbox p"
          "   WHERE p.destination = o.destination AND p.ordering_key = o.ordering_key"
          "   AND p.state = 'pending'))"
          " ORDER BY o.id LIMIT ?";
      return outboxesOf(c.exec(kSql, Params().add(destination).add(nowMs).add(nonNegative(limit))));
    });
  }

  StatusOr<std::optional<OutboxEntry>> outboxEntry(int64_t id) override {
    return onReader("outboxEntry", [&](Connection& c) -> StatusOr<std::optional<OutboxEntry>> {
      return store::outboxEntry(c, id);
    });
  }

  StatusOr<std::vector<OutboxEntry>> entries(const std::string& destination,
                                             std::optional<OutboxState> state, int limit) override {
    return onReader("outbox", [&](Connection& c) -> StatusOr<std::vector<OutboxEntry>> {
      if (state) {
        return outboxesOf(
            c.exec(std::string("SELECT ") + kOutboxColumns +
                       " FROM outbox WHERE destination = ? AND state = ?"
                       " ORDER BY id LIMIT ?",
                   Params().add(destination).add(toString(*state)).add(nonNegative(limit))));
      }
      return outboxesOf(c.exec(std::string("SELECT ") + kOutboxColumns +
                                   " FROM outbox WHERE destination = ? ORDER BY id LIMIT ?",
                               Params().add(destination).add(nonNegative(limit))));
    });
  }

  StatusOr<std::vector<DestinationState>> destinationStates() override {
    return onReader("destinationStates",
                    [&](Connection& c) -> StatusOr<std::vector<DestinationState>> {
                      Result r = c.exec(
                          "SELECT d.destination, d.paused, d.changed_ms, d.changed_by, d.pending,"
                          " (SELECT COUNT(*) FROM outbox o WHERE o.destination = d.destination"
                          "   AND o.state = 'dead'),"
                          " COALESCE((SELECT o.created_ms FROM outbox o"
                          "   WHERE o.destination = d.destination AND o.state = 'pending'"
                          "   ORDER BY o.id LIMIT 1), 0)"
                          " FROM destination_state d ORDER BY d.destination");
                      std::vector<DestinationState> states;
                      for (int i = 0; i < r.rows(); ++i) {
                        DestinationState s;
                        s.destination = r.text(i, 0);
                        s.paused = r.integer(i, 1) != 0;
                        s.changedMs = r.integer(i, 2);
                        s.changedBy = r.text(i, 3);
                        s.pending = r.integer(i, 4);
                        s.dead = r.integer(i, 5);
                        s.oldestPendingCreatedMs = r.integer(i, 6);
                        states.push_back(std::move(s));
                      }
                      return states;
                    });
  }

  StatusOr<int64_t> eventCount(const std::string& stream) override {
    return onReader("eventCount", [&](Connection& c) -> StatusOr<int64_t> {
      Result r = c.exec("SELECT events FROM event_counter WHERE stream = ?", Params().add(stream));
      return r.rows() > 0 ? r.integer(0, 0) : 0;
    });
  }

  StatusOr<bool> destinationPaused(const std::string& destination) override {
    return onReader("destinationPaused", [&](Connection& c) -> StatusOr<bool> {
      Result r = c.exec("SELECT paused FROM destination_state WHERE destination = ?",
                        Params().add(destination));
      return r.rows() > 0 && r.integer(0, 0) != 0;
    });
  }

  StatusOr<std::vector<OutboxEntry>> deadLetters(const std::optional<std::string>& destination,
                                                 int64_t afterId, int limit) override {
    return onReader("deadLetters", [&](Connection& c) -> StatusOr<std::vector<OutboxEntry>> {
      return outboxInState(c, "dead", destination, afterId, limit);
    });
  }

  StatusOr<std::vector<OutboxEntry>> heldOutbox(const std::optional<std::string>& destination,
                                                int64_t afterId, int limit) override {
    return onReader("heldOutbox", [&](Connection& c) -> StatusOr<std::vector<OutboxEntry>> {
      return outboxInState(c, "held", destination, afterId, limit);
    });
  }

  StatusOr<int64_t> purgeDelivered(int64_t deliveredBeforeMs, int limit) override {
    int64_t purged = 0;
    Status s = unit([&](PgTransaction& txn) -> Status {
      BRYGGA_ASSIGN_OR_RETURN(purged, txn.purgeDelivered(deliveredBeforeMs, limit));
      return Status::ok();
    });
    if (!s.isOk()) return s;
    return purged;
  }

  // AuditLogStore
  StatusOr<std::vector<AuditRecord>> auditRecords(int64_t fromSeq, int limit) override {
    return onReader("auditRecords", [&](Connection& c) -> StatusOr<std::vector<AuditRecord>> {
      return auditsOf(c.exec(std::string("SELECT ") + kAuditColumns +
                                 " FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?",
                             Params().add(fromSeq).add(nonNegative(limit))));
    });
  }

  StatusOr<std::vector<AuditRecord>> auditRecordsForPatient(const std::string& patient,
                                                            int limit) override {
    return onReader("auditRecordsForPatient",
                    [&](Connection& c) -> StatusOr<std::vector<AuditRecord>> {
                      return auditsOf(c.exec(std::string("SELECT ") + kAuditColumns +
                                                 " FROM audit WHERE patient = ? AND patient <> ''"
                                                 " ORDER BY seq LIMIT ?",
                                             Params().add(patient).add(nonNegative(limit))));
                    });
  }

  StatusOr<std::vector<AuditLeaf>> auditLeaves(int64_t fromSeq, int limit) override {
    return onReader("auditLeaves", [&](Connection& c) -> StatusOr<std::vector<AuditLeaf>> {
      Result r = c.exec("SELECT seq, leaf_hash FROM audit_leaf WHERE seq >= ? ORDER BY seq LIMIT ?",
                        Params().add(fromSeq).add(nonNegative(limit)));
      std::vector<AuditLeaf> out;
      for (int i = 0; i < r.rows(); ++i) out.push_back({r.integer(i, 0), r.text(i, 1)});
      return out;
    });
  }

  StatusOr<std::vector<AuditCheckpoint>> auditCheckpoints(int64_t fromTreeSize,
                                                          int limit) override {
    return onReader(
        "auditCheckpoints", [&](Connection& c) -> StatusOr<std::vector<AuditCheckpoint>> {
          return checkpointsOf(c.exec(std::string("SELECT ") + kCheckpointColumns +
                                          " FROM audit_checkpoint WHERE tree_size >= ?"
                                          " ORDER BY tree_size LIMIT ?",
                                      Params().add(fromTreeSize).add(nonNegative(limit))));
        });
  }

  StatusOr<std::optional<AuditCheckpoint>> latestAuditCheckpoint() override {
    return onReader("latestAuditCheckpoint",
                    [&](Connection& c) -> StatusOr<std::optional<AuditCheckpoint>> {
                      return lastCheckpoint(c);
                    });
  }

  StatusOr<int64_t> auditForwardCursor(const std::string& sink) override {
    return onReader("auditForwardCursor", [&](Connection& c) -> StatusOr<int64_t> {
      Result r =
          c.exec("SELECT last_seq FROM audit_forward_cursor WHERE sink = ?", Params().add(sink));
      return r.rows() > 0 ? r.integer(0, 0) : 0;
    });
  }

  StatusOr<std::optional<AuditWitnessRecord>> latestAuditWitness(
      const std::string& witness) override {
    return onReader(
        "latestAuditWitness", [&](Connection& c) -> StatusOr<std::optional<AuditWitnessRecord>> {
          Result r = c.exec(
              "SELECT tree_size, witnessed_ms, cosignatures FROM audit_witness"
              " WHERE witness = ? ORDER BY tree_size DESC LIMIT 1",
              Params().add(witness));
          if (r.rows() == 0) return std::optional<AuditWitnessRecord>{};
          return std::optional<AuditWitnessRecord>(
              AuditWitnessRecord{witness, r.integer(0, 0), r.integer(0, 1), r.text(0, 2)});
        });
  }

  StatusOr<std::vector<AuditKeyRecord>> auditKeys() override {
    return onReader("auditKeys", [&](Connection& c) -> StatusOr<std::vector<AuditKeyRecord>> {
      return store::auditKeys(c);
    });
  }

  StatusOr<int64_t> auditSize() override {
    return onReader("auditSize", [&](Connection& c) -> StatusOr<int64_t> {
      return c.exec("SELECT COALESCE(MAX(seq), 0) FROM audit").integer(0, 0);
    });
  }

  // ExchangeLogStore
  StatusOr<std::vector<ExchangeRecord>> exchanges(const ExchangeQuery& query) override {
    return onReader("exchanges", [&](Connection& c) -> StatusOr<std::vector<ExchangeRecord>> {
      std::string sql = std::string("SELECT ") + kExchangeColumns + " FROM exchange WHERE 1 = 1";
      Params params;
      if (query.tenant) sql += " AND tenant = ?", params.add(*query.tenant);
      if (query.requestId) sql += " AND request_id = ?", params.add(*query.requestId);
      if (query.direction) sql += " AND direction = ?", params.add(*query.direction);
      sql += " ORDER BY seq LIMIT ?";
      params.add(nonNegative(query.limit));
      return exchangesOf(c.exec(sql, params));
    });
  }

  StatusOr<MessagePage> messages(const MessageQuery& query) override {
    return snapshot("messages", [&](Connection& c) { return messagesOn(c, query); });
  }

  StatusOr<std::optional<Message>> message(int64_t seq, bool withPayload) override {
    return onReader("message", [&](Connection& c) -> StatusOr<std::optional<Message>> {
      Result r = c.exec(std::string("SELECT ") + kExchangeColumns +
                            " FROM exchange WHERE seq = ? AND message = 1",
                        Params().add(seq));
      if (r.rows() == 0) return std::optional<Message>{};
      return std::optional<Message>(messageOf(c, exchangeOf(r, 0), withPayload));
    });
  }

  StatusOr<std::vector<ExchangeRecord>> requestExchanges(const std::string& requestId,
                                                         int limit) override {
    return onReader("requestExchanges",
                    [&](Connection& c) -> StatusOr<std::vector<ExchangeRecord>> {
                      return exchangesOf(c.exec(std::string("SELECT ") + kExchangeColumns +
                                                    " FROM exchange WHERE request_id = ?"
                                                    " ORDER BY seq LIMIT ?",
                                                Params().add(requestId).add(nonNegative(limit))));
                    });
  }

  StatusOr<std::vector<ExchangeRecord>> exchangesAfter(int64_t afterSeq, int limit) override {
    return onReader("exchangesAfter", [&](Connection& c) -> StatusOr<std::vector<ExchangeRecord>> {
      return exchangesOf(c.exec(std::string("SELECT ") + kExchangeColumns +
                                    " FROM exchange WHERE seq > ? ORDER BY seq LIMIT ?",
                                Params().add(afterSeq).add(nonNegative(limit))));
    });
  }

  StatusOr<int64_t> exchangeSeqAt(int64_t ms) override {
    return onReader("exchangeSeqAt",
                    [&](Connection& c) -> StatusOr<int64_t> { return seqAt(c, ms); });
  }

  StatusOr<std::optional<int64_t>> lastMessageAt(const std::string& tenant) override {
    return onReader("lastMessageAt", [&](Connection& c) -> StatusOr<std::optional<int64_t>> {
      Result r = c.exec(
          "SELECT started_ms FROM exchange WHERE message = 1 AND tenant = ?"
          " ORDER BY seq DESC LIMIT 1",
          Params().add(tenant));
      if (r.rows() == 0) return std::optional<int64_t>();
      return std::optional<int64_t>(r.integer(0, 0));
    });
  }

 private:
  static int64_t seqAt(Connection& c, int64_t ms) {
    // Inbound lines are recorded in their write unit, which run one after the other, so their
    // times grow with seq: the first at or after `ms` by the index on inbound times.
    return c
        .exec(
            "SELECT COALESCE((SELECT seq FROM exchange WHERE direction = 'inbound'"
            " AND finished_ms >= ? ORDER BY finished_ms, seq LIMIT 1),"
            " (SELECT COALESCE(MAX(seq), 0) + 1 FROM exchange))",
            Params().add(ms))
        .integer(0, 0);
  }

  // The message of an inbound line: its outbox entries (enqueued in its unit just before the
  // line, so consecutive ids ending at outbox_last; delivered ones may be purged) and its status.
  static Message messageOf(Connection& c, ExchangeRecord line, bool withPayload) {
    Message m;
    if (line.outboxLast > 0) {
      Result r =
          c.exec(std::string("SELECT ") + (withPayload ? kOutboxColumns : kOutboxColumnsNoPayload) +
                     " FROM outbox WHERE id <= ? ORDER BY id DESC LIMIT ?",
                 Params().add(line.outboxLast).add(kMaxEntriesPerMessage));
      for (int i = 0; i < r.rows(); ++i) {
        OutboxEntry e = outboxOf(r, i);
        if (e.requestId != line.requestId || e.createdMs > line.finishedMs) break;
        m.outbox.push_back(std::move(e));
      }
      std::reverse(m.outbox.begin(), m.outbox.end());
    }
    m.status = messageStatusOf(line, m.outbox, [&] {
      return c.exec(
                  "SELECT 1 FROM exchange WHERE request_id = ? AND direction = 'outbound'"
                  " AND http_status BETWEEN 200 AND 299 LIMIT 1",
                  Params().add(line.requestId))
                 .rows() > 0;
    });
    m.line = std::move(line);
    return m;
  }

  // The console's search: the message lines newest first below the cursor, narrowed in SQL by
  // what indexes serve (request, patient, refused, tenant, an outbox state), at most maxScan of
  // them, checked one by one against the rest of the query.
  static MessagePage messagesOn(Connection& c, const MessageQuery& query) {
    MessagePage page;
    const int limit = std::clamp(query.limit, 1, 1000);
    const int maxScan = std::max(query.maxScan, limit);
    int64_t high = std::numeric_limits<int64_t>::max();  // exclusive
    int64_t low = 0;
    if (!query.cursor.empty()) {
      if (query.cursor[0] != 's') return page;
      high = core::parseDecimal(std::string_view(query.cursor).substr(1)).valueOr(0);
    }
    if (query.toMs) high = std::min(high, seqAt(c, *query.toMs + kRecordingSlackMs));
    if (query.fromMs) low = seqAt(c, *query.fromMs);
    if (high <= low) return page;
    std::string sql = std::string("SELECT ") + kExchangeColumns +
                      " FROM exchange e WHERE e.message = 1 AND e.seq < ? AND e.seq >= ?";
    Params params;
    params.add(high).add(low);
    if (query.requestId) sql += " AND e.request_id = ?", params.add(*query.requestId);
    if (query.patient) sql += " AND e.patient = ? AND e.patient <> ''", params.add(*query.patient);
    if (query.tenant) sql += " AND e.tenant = ?", params.add(*query.tenant);
    if (query.status) {
      switch (*query.status) {
        case MessageStatus::kRejected:
          sql += " AND e.http_status >= 400";
          break;
        case MessageStatus::kDead:
        case MessageStatus::kHeld:
        case MessageStatus::kQueued:
        case MessageStatus::kRetrying:
          sql +=
              " AND EXISTS (SELECT 1 FROM outbox o WHERE o.request_id = e.request_id"
              " AND o.state = ?)";
          params.add(*query.status == MessageStatus::kDead   ? "dead"
                     : *query.status == MessageStatus::kHeld ? "held"
                                                             : "pending");
          break;
        default:
          break;
      }
    }
    sql += " ORDER BY e.seq DESC LIMIT ?";
    params.add(maxScan);
    Result r = c.exec(sql, params);
    int64_t lastSeq = 0;
    for (int i = 0; i < r.rows(); ++i) {
      ExchangeRecord line = exchangeOf(r, i);
      lastSeq = line.seq;
      if (!matchesMessageFilters(line, query)) continue;
      Message m = messageOf(c, std::move(line), false);
      if (query.status && m.status != *query.status) continue;
      page.messages.push_back(std::move(m));
      if (static_cast<int>(page.messages.size()) >= limit) {
        page.next = "s" + std::to_string(lastSeq);
        return page;
      }
    }
    if (r.rows() == maxScan && lastSeq > low) page.next = "s" + std::to_string(lastSeq);
    return page;
  }

  // Write units, group-committed (group_commit.h) on a writer connection: each group one
  // transaction behind the advisory lock that serializes units across every gateway.
  Status unit(const std::function<Status(PgTransaction&)>& work) {
    return commits_.run(work, [this](auto&& use, auto&& unavailable) {
      Connection* connection = writers_.acquire(poolWaitMs_);
      if (connection == nullptr) {
        unavailable(core::unavailable("every database connection stayed busy for " +
                                      std::to_string(poolWaitMs_) + " ms; try again"));
        return;
      }
      LeasePool<Connection>::Lease lease(writers_, connection);
      const Status connected = guarded("connect", [&]() -> Status {
        if (!connection->healthy()) connection->reconnect();
        return Status::ok();
      });
      if (!connected.isOk()) {
        unavailable(connected);
        return;
      }
      PgGroupWriter writer{*connection};
      use(writer);
    });
  }

  // A page and its total, or a console page, read in one snapshot.
  template <typename F>
  auto snapshot(const char* operation, F&& f)
      -> StatusOr<decltype(f(std::declval<Connection&>()))> {
    using T = decltype(f(std::declval<Connection&>()));
    return onReader(operation, [&](Connection& c) -> StatusOr<T> {
      c.execScript("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      try {
        T out = f(c);
        c.execScript("COMMIT");
        return out;
      } catch (...) {
        try {
          c.execScript("ROLLBACK");
        } catch (const PgError&) {
          // The connection is gone.
        }
        throw;
      }
    });
  }

  template <typename F>
  auto onReader(const char* operation, F&& f) -> decltype(f(std::declval<Connection&>())) {
    return onConnection(readers_, operation, std::forward<F>(f));
  }

  // Leases a connection of `pool` (connecting it again first if it was lost) and runs `f` on it.
  template <typename F>
  auto onConnection(LeasePool<Connection>& pool, const char* operation, F&& f)
      -> decltype(f(std::declval<Connection&>())) {
    Connection* connection = pool.acquire(poolWaitMs_);
    if (connection == nullptr) {
      return core::unavailable("every database connection stayed busy for " +
                               std::to_string(poolWaitMs_) + " ms; try again");
    }
    LeasePool<Connection>::Lease lease(pool, connection);
    return guarded(operation, [&]() -> decltype(f(std::declval<Connection&>())) {
      if (!connection->healthy()) connection->reconnect();
      return f(*connection);
    });
  }

  GroupCommit<PgTransaction> commits_{kMaxUnitsPerCommit};
  const std::string conninfo_;
  const std::string processId_ = newProcessId();
  const int64_t poolWaitMs_;
  std::mutex leaseMutex_;  // guards the lease connection and held_
  std::unique_ptr<Connection> leaseConnection_;
  std::set<std::string> held_;
  std::vector<std::unique_ptr<Connection>> writerConnections_;
  std::vector<std::unique_ptr<Connection>> readerConnections_;
  LeasePool<Connection> writers_;
  LeasePool<Connection> readers_;
};

// libpq's conninfo for the URI with the password added (as a separate key=value, so that the
// URI's own parameters stay as they are).
std::string conninfoOf(const PostgresOptions& options) {
  std::string conninfo = options.url;
  if (options.password.empty()) return conninfo;
  const bool hasQuery = conninfo.find('?') != std::string::npos;
  std::string encoded;
  for (unsigned char ch : options.password) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      encoded += static_cast<char>(ch);
    } else {
      static const char* kHex = "0123456789ABCDEF";
      encoded += '%';
      encoded += kHex[ch >> 4];
      encoded += kHex[ch & 15];
    }
  }
  return conninfo + (hasQuery ? "&" : "?") + "password=" + encoded;
}

}  // namespace

StatusOr<std::unique_ptr<Store>> openPostgresStore(const PostgresOptions& options) {
  if (options.url.rfind("postgresql://", 0) != 0 && options.url.rfind("postgres://", 0) != 0) {
    return core::invalidArgument(
        "storage.postgresql.url must be a libpq URI (postgresql://user@host:port/database)");
  }
  if (options.writeConnections < 1 || options.readConnections < 1) {
    return core::invalidArgument("storage.postgresql: the pools need at least one connection each");
  }
  if (options.poolWaitMs < 1) return core::invalidArgument("storage: poolWaitMs must be positive");
  const std::string conninfo = conninfoOf(options);
  try {
    std::vector<std::unique_ptr<Connection>> writers, readers;
    for (int i = 0; i < options.writeConnections; ++i) {
      writers.push_back(std::make_unique<Connection>(conninfo));
    }
    BRYGGA_RETURN_IF_ERROR(pg::migrate(*writers.front()));
    for (int i = 0; i < options.readConnections; ++i) {
      readers.push_back(std::make_unique<Connection>(conninfo));
    }
    return std::unique_ptr<Store>(std::make_unique<PgStore>(
        conninfo, std::move(writers), std::move(readers), options.poolWaitMs));
  } catch (const PgError& e) {
    // libpq's message names the host and the reason, never the password.
    return core::unavailable(std::string("cannot connect to PostgreSQL: ") + e.what());
  }
}

}  // namespace brygga::store

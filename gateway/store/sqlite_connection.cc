#include "gateway/store/sqlite_connection.h"

#include <algorithm>
#include <utility>
#include <variant>

#include <Poco/Data/Binding.h>
#include <Poco/Data/Extraction.h>
#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Exception.h>

#include "gateway/store/search_sql.h"
#include "gateway/store/store_rows.h"

namespace brygga::store::sqlite {

namespace {

using namespace Poco::Data::Keywords;
using Poco::Data::Statement;

constexpr int kBusyTimeoutMs = 5000;
constexpr int kRestartWaitMs = 10;
constexpr int64_t kWalSizeLimitBytes = 64 << 20;
// The writer checkpoints by itself only when the WAL holds this many pages (64 MiB of 4 KiB
// pages): the store's background checkpointer keeps it far below; this is the backstop should it
// fall behind.
constexpr int kWriterAutoCheckpointPages = 16384;
// POCO keeps retrying a failed open until this many seconds have passed (60 by default); a file
// that cannot be opened will not become openable while a start-up waits.
constexpr std::size_t kOpenTimeoutSeconds = 5;

// Column lists in the order the *Columns::bindTo functions extract them.
// The patient id is the current version's (c, joined in every query that reads records).
using rows::kAuditColumns;
using rows::kOutboxColumns;
using rows::kRecordColumns;

constexpr const char* kCurrentJoin =
    " FROM resource_current c JOIN resource_version v"
    " ON v.type = c.type AND v.id = c.id AND v.version = c.version";
// A version with its resource's current row (for the patient id).
constexpr const char* kVersionJoin =
    " FROM resource_version v LEFT JOIN resource_current c ON c.type = v.type AND c.id = v.id";

// Binds a shared statement's parameters (search_sql.h) to a query, in order.
void bindAll(const sql::Sql& statement, Query& query) {
  for (const auto& param : statement.params) {
    std::visit([&](const auto& value) { query.bind(value); }, param);
  }
}

template <typename T>
std::optional<T> firstOf(std::vector<T> rows) {
  if (rows.empty()) return std::nullopt;
  return std::move(rows.front());
}

int nonNegative(int n) {
  return std::max(n, 0);
}

ResourceRecord recordOf(const Query& q) {
  return rows::recordOf(q);
}

}  // namespace

const char* outboxColumns() {
  return kOutboxColumns;
}

const char* exchangeColumns() {
  return rows::kExchangeColumns;
}

ExchangeRecord exchangeOf(const Query& q) {
  return rows::exchangeOf(q);
}

OutboxEntry outboxOf(const Query& q) {
  return rows::outboxOf(q);
}

void RecordColumns::bindTo(Statement& statement) {
  statement, into(type), into(id), into(version), into(lastUpdatedMs), into(deleted), into(tenant),
      into(json), into(patientId);
}

void RecordColumns::clear() {
  for (auto* v : {&type, &id, &tenant, &json, &patientId}) v->clear();
  for (auto* v : {&version, &lastUpdatedMs, &deleted}) v->clear();
}

std::vector<ResourceRecord> RecordColumns::take() {
  std::vector<ResourceRecord> out(type.size());
  for (size_t i = 0; i < out.size(); ++i) {
    ResourceRecord& r = out[i];
    r.type = std::move(type[i]);
    r.id = std::move(id[i]);
    r.version = version[i];
    r.lastUpdatedMs = lastUpdatedMs[i];
    r.deleted = deleted[i] != 0;
    r.tenant = std::move(tenant[i]);
    r.json = std::move(json[i]);
    r.patientId = std::move(patientId[i]);
  }
  clear();
  return out;
}

void OutboxColumns::bindTo(Statement& statement) {
  statement, into(id), into(destination), into(orderingKey), into(requestId), into(tenant),
      into(payload), into(state), into(attempts), into(createdMs), into(nextAttemptMs),
      into(lastError), into(party), into(traceId);
}

void OutboxColumns::clear() {
  for (auto* v : {&id, &createdMs, &nextAttemptMs}) v->clear();
  for (auto* v : {&destination, &orderingKey, &requestId, &tenant, &payload, &state, &lastError,
                  &party, &traceId}) {
    v->clear();
  }
  attempts.clear();
}

std::vector<OutboxEntry> OutboxColumns::take() {
  std::vector<OutboxEntry> out(id.size());
  for (size_t i = 0; i < out.size(); ++i) {
    OutboxEntry& e = out[i];
    e.id = id[i];
    e.destination = std::move(destination[i]);
    e.orderingKey = std::move(orderingKey[i]);
    e.requestId = std::move(requestId[i]);
    e.tenant = std::move(tenant[i]);
    e.payload = std::move(payload[i]);
    // The CHECK constraint admits only the three stored forms.
    e.state = parseOutboxState(state[i]).valueOr(OutboxState::kDead);
    e.attempts = attempts[i];
    e.createdMs = createdMs[i];
    e.nextAttemptMs = nextAttemptMs[i];
    e.lastError = std::move(lastError[i]);
    e.party = std::move(party[i]);
    e.traceId = std::move(traceId[i]);
  }
  clear();
  return out;
}

Connection::Connection(const std::string& path, Role role)
    : session_("SQLite", path, kOpenTimeoutSeconds),
      statements_(Poco::Data::SQLite::Utility::dbHandle(session_)) {
  // First, so that the PRAGMAs below wait for a writer in another process instead of failing.
  session_ << "PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs), now;
  if (role == Role::kWriter) {
    // Freed pages can then be given back to the file system (Store::reclaimSpace). It takes
    // effect only on a new, empty file, and only before the switch to WAL below; older files are
    // converted once when the store opens (convertToIncrementalVacuum).
    session_ << "PRAGMA auto_vacuum = INCREMENTAL", now;
  }
  std::string journalMode;
  session_ << "PRAGMA main.journal_mode = WAL", into(journalMode), now;
  if (journalMode != "wal") {
    // Without WAL readers would block the writer and vice versa; refuse rather than run slowly.
    throw Poco::Data::DataException("the database cannot use WAL journaling (journal_mode is " +
                                    journalMode + ")");
  }
  // FULL: the WAL is fsync'ed at every commit, so an OK from write() survives power loss. This
  // is what a 2xx to a sender rests on.
  session_ << "PRAGMA synchronous = FULL", now;
  session_ << "PRAGMA foreign_keys = ON", now;
  if (role == Role::kWriter) {
    // The WAL file is truncated back to this after a checkpoint instead of keeping its peak size.
    session_ << "PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimitBytes), now;
    // Each write unit of a group commit is a SAVEPOINT, so SQLite keeps the original of every
    // page a unit changes in a sub-journal until COMMIT. In a temporary file (the default) past
    // 64 KiB that was a write() per page, 70 % of all bytes the gateway wrote; in memory it costs
    // at most the group's changed pages (a few MiB). The WAL and its fsync are unaffected.
    session_ << "PRAGMA temp_store = MEMORY", now;
    // A checkpoint inside COMMIT (SQLite's default, every 1,000 pages) copies pages and syncs the
    // database file while every write unit waits; the background checkpointer does it instead.
    session_ << "PRAGMA wal_autocheckpoint = " + std::to_string(kWriterAutoCheckpointPages), now;
  } else if (role == Role::kCheckpointer) {
    session_ << "PRAGMA wal_autocheckpoint = 0", now;
    // Its restart (checkpointRestart) runs while the writer is held: it waits this long at most
    // for the readers still on the WAL, then gives up until the next turn.
    session_ << "PRAGMA busy_timeout = " + std::to_string(kRestartWaitMs), now;
  } else {
    session_ << "PRAGMA query_only = ON", now;
  }
}

Connection::~Connection() = default;

int64_t Connection::checkpointPassive() {
  Query q(statements_.get("PRAGMA wal_checkpoint(PASSIVE)"));
  int64_t frames = 0;
  // One row: busy, frames in the WAL, frames copied (-1 and -1 when not in WAL mode).
  if (q.next()) frames = std::max<int64_t>(q.integer(1), 0);
  q.run();
  return frames;
}

bool Connection::checkpointRestart() {
  Query q(statements_.get("PRAGMA wal_checkpoint(RESTART)"));
  const bool restarted = q.next() && q.integer(0) == 0;
  q.run();
  return restarted;
}

Statement& Connection::prepared(Slot& slot, const std::function<void(Statement&)>& setup) {
  if (!slot) {
    auto statement = std::make_unique<Statement>(session_);
    setup(*statement);
    slot = std::move(statement);
  }
  return *slot;
}

std::size_t Connection::run(Slot& slot) {
  try {
    return slot->execute();
  } catch (...) {
    slot.reset();
    throw;
  }
}

void Connection::begin(bool immediate) {
  Query(statements_.get(immediate ? "BEGIN IMMEDIATE" : "BEGIN")).run();
}

void Connection::commit() {
  Query(statements_.get("COMMIT")).run();
}

void Connection::rollback() noexcept {
  try {
    Query(statements_.get("ROLLBACK")).run();
  } catch (...) {
    // "no transaction is active": SQLite rolled back by itself (SQLITE_FULL, I/O error).
  }
}

void Connection::savepoint() {
  Query(statements_.get("SAVEPOINT unit")).run();
}

void Connection::releaseSavepoint() {
  Query(statements_.get("RELEASE unit")).run();
}

bool Connection::rollbackToSavepoint() noexcept {
  try {
    Query(statements_.get("ROLLBACK TO unit")).run();
    releaseSavepoint();
    return true;
  } catch (...) {
    // "no such savepoint": the transaction itself is gone.
    return false;
  }
}

void Connection::limitSize(int64_t maxBytes) {
  Poco::Int64 pageSize = 0;
  session_ << "PRAGMA page_size", into(pageSize), now;
  const int64_t pages = std::max<int64_t>(1, maxBytes / std::max<int64_t>(pageSize, 1));
  session_ << "PRAGMA max_page_count = " + std::to_string(pages), now;
}

std::optional<ResourceRecord> Connection::readCurrent(const std::string& type,
                                                      const std::string& id) {
  static const std::string kSql =
      std::string("SELECT ") + kRecordColumns + kCurrentJoin + " WHERE c.type = ? AND c.id = ?";
  Query q(statements_.get(kSql));
  q.bind(type).bind(id);
  if (!q.next()) return std::nullopt;
  return recordOf(q);
}

std::optional<ResourceRecord> Connection::readVersion(const std::string& type,
                                                      const std::string& id, int64_t version) {
  static const std::string kSql = std::string("SELECT ") + kRecordColumns + kVersionJoin +
                                  " WHERE v.type = ? AND v.id = ? AND v.version = ?";
  Query q(statements_.get(kSql));
  q.bind(type).bind(id).bind(version);
  if (!q.next()) return std::nullopt;
  return recordOf(q);
}

std::vector<ResourceRecord> Connection::history(const std::string& type, const std::string& id) {
  prepared(selectHistory_, [this](Statement& s) {
    s << "SELECT " << kRecordColumns << kVersionJoin
      << " WHERE v.type = ? AND v.id = ? ORDER BY v.version DESC",
        use(type_), use(id_);
    records_.bindTo(s);
  });
  type_ = type;
  id_ = id;
  records_.clear();
  run(selectHistory_);
  return records_.take();
}

SearchPage Connection::typeHistory(const SearchQuery& query) {
  SearchPage page;
  const sql::Sql where = sql::historyWhere(query);
  if (const int limit = nonNegative(query.count); limit > 0) {
    sql::Sql select;
    select.text = std::string("SELECT ") + kRecordColumns + kVersionJoin;
    select.append(where);
    select.text += " ORDER BY v.last_updated_ms DESC, v.id DESC, v.version DESC";
    select.add(" LIMIT ?", int64_t{limit});
    select.add(" OFFSET ?", int64_t{nonNegative(query.offset)});
    Query q(statements_.get(select.text));
    bindAll(select, q);
    while (q.next()) page.records.push_back(recordOf(q));
  }
  sql::Sql count;
  count.text = std::string("SELECT COUNT(*)") + kVersionJoin;
  count.append(where);
  Query q(statements_.get(count.text));
  bindAll(count, q);
  page.total = q.next() ? q.integer(0) : 0;
  return page;
}

int64_t Connection::currentVersion(const std::string& type, const std::string& id) {
  Query q(statements_.get("SELECT version FROM resource_current WHERE type = ? AND id = ?"));
  q.bind(type).bind(id);
  return q.next() ? q.integer(0) : 0;
}

std::vector<std::string> Connection::findByIdentifier(const std::string& type,
                                                      const std::string& system,
                                                      const std::string& value) {
  // CROSS JOIN: from the search_index key to the few matching heads, never the other way
  // round (see search()). s.id is already in key order.
  Query q(statements_.get(
      "SELECT c.id FROM search_index s CROSS JOIN resource_current c"
      " ON c.type = s.type AND c.id = s.id"
      " WHERE s.type = ? AND s.param = 'identifier' AND s.value = ? AND s.system = ?"
      " AND c.deleted = 0 ORDER BY s.id"));
  q.bind(type).bind(value).bind(system);
  std::vector<std::string> ids;
  while (q.next()) ids.push_back(q.text(0));
  return ids;
}

SearchPage Connection::search(const SearchQuery& query) {
  SearchPage page;
  const std::optional<sql::Sql> where = sql::searchWhere(query);
  if (!where) return page;  // a criterion that matches nothing
  const int offset = nonNegative(query.offset);
  const int limit = nonNegative(query.count);
  if (limit > 0) {
    sql::Sql select;
    select.text = std::string("SELECT ") + kRecordColumns + kCurrentJoin;
    select.append(*where);
    // With criteria the matches are few and sorting them is cheap; the unary + keeps SQLite (which
    // has no statistics) from walking every resource of the type in resource_current_by_updated
    // order just to skip that sort. Without criteria that walk is the right plan.
    select.append(sql::searchOrder(query, !query.criteria.empty()));
    select.add(" LIMIT ?", int64_t{limit});
    select.add(" OFFSET ?", int64_t{offset});
    Query q(statements_.get(select.text));
    bindAll(select, q);
    while (q.next()) page.records.push_back(recordOf(q));
    // A first page that is not full holds every match: no need to count them (the conditional
    // create and update of every write unit ask exactly this).
    if (offset == 0 && static_cast<int>(page.records.size()) < limit) {
      page.total = static_cast<int64_t>(page.records.size());
      return page;
    }
  }
  sql::Sql count;
  count.text = "SELECT COUNT(*) FROM resource_current c";
  count.append(*where);
  Query q(statements_.get(count.text));
  bindAll(count, q);
  page.total = q.next() ? q.integer(0) : 0;
  return page;
}

void Connection::insertResource(const ResourceWrite& write) {
  const ResourceRecord& r = write.record;
  const int64_t deleted = r.deleted ? 1 : 0;
  Query(statements_.get("INSERT INTO resource_version"
                        " (type, id, version, last_updated_ms, deleted, tenant, json)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)"))
      .bind(r.type)
      .bind(r.id)
      .bind(r.version)
      .bind(r.lastUpdatedMs)
      .bind(deleted)
      .bind(r.tenant)
      .bind(r.json)
      .run();
  Query(statements_.get("INSERT INTO resource_current"
                        " (type, id, version, last_updated_ms, deleted, tenant, patient_id)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT (type, id) DO UPDATE SET version = excluded.version,"
                        " last_updated_ms = excluded.last_updated_ms, deleted = excluded.deleted,"
                        " tenant = excluded.tenant, patient_id = excluded.patient_id"))
      .bind(r.type)
      .bind(r.id)
      .bind(r.version)
      .bind(r.lastUpdatedMs)
      .bind(deleted)
      .bind(r.tenant)
      .bind(r.patientId)
      .run();
  // The first version has no index rows to remove.
  writeIndex(r.type, r.id, write.index, /*replace=*/r.version > 1);
}

void Connection::writeIndex(const std::string& type, const std::string& id,
                            const std::vector<IndexEntry>& index, bool replace) {
  if (replace) {
    Query(statements_.get("DELETE FROM search_index WHERE type = ? AND id = ?"))
        .bind(type)
        .bind(id)
        .run();
  }
  for (const IndexEntry& entry : index) {
    // A value extracted twice (two identical identifiers) is one row.
    Query(statements_.get(
              "INSERT INTO search_index (type, id, param, system, value) VALUES (?, ?, ?, ?, ?)"
              " ON CONFLICT DO NOTHING"))
        .bind(type)
        .bind(id)
        .bind(entry.param)
        .bind(entry.system)
        .bind(entry.value)
        .run();
  }
}

int Connection::searchIndexVersion() {
  Query q(statements_.get("SELECT version FROM search_index_state WHERE id = 1"));
  return q.next() ? static_cast<int>(q.integer(0)) : 0;
}

void Connection::setSearchIndexVersion(int version) {
  Query(statements_.get("UPDATE search_index_state SET version = ? WHERE id = 1"))
      .bind(static_cast<int64_t>(version))
      .run();
}

int64_t Connection::insertOutbox(const OutboxEntry& entry) {
  Query q(statements_.get(
      "INSERT INTO outbox (destination, ordering_key, request_id, tenant, payload, state,"
      " attempts, created_ms, next_attempt_ms, last_error, party, trace_id)"
      " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"));
  q.bind(entry.destination)
      .bind(entry.orderingKey)
      .bind(entry.requestId)
      .bind(entry.tenant)
      .bind(entry.payload)
      .bind(toString(entry.state))
      .bind(entry.attempts)
      .bind(entry.createdMs)
      .bind(entry.nextAttemptMs)
      .bind(entry.lastError)
      .bind(entry.party)
      .bind(entry.traceId);
  if (!q.next()) throw Poco::Data::DataException("outbox insert returned no id");
  const int64_t id = q.integer(0);
  q.run();
  return id;
}

bool Connection::updateOutbox(int64_t id, OutboxState state, int attempts, int64_t nextAttemptMs,
                              const std::string& lastError) {
  return Query(statements_.get("UPDATE outbox SET state = ?, attempts = ?, next_attempt_ms = ?,"
                               " last_error = ? WHERE id = ?"))
             .bind(toString(state))
             .bind(attempts)
             .bind(nextAttemptMs)
             .bind(lastError)
             .bind(id)
             .run() > 0;
}

std::vector<OutboxEntry> Connection::dueOutbox(const std::string& destination, int64_t nowMs,
                                               int limit) {
  // Walks the destination's pending entries in id order; an entry is due when its time has
  // come and no older entry of its key is still pending (the per-patient order). An empty key
  // orders nothing. The lookups are outbox_by_state and outbox_by_key.
  static const std::string kSql =
      std::string("SELECT ") + kOutboxColumns +
      " FROM outbox o"
      " WHERE o.destination = ? AND o.state = 'pending' AND o.next_attempt_ms <= ?"
      " AND (o.ordering_key = '' OR o.id = (SELECT MIN(p.id) FROM outbox p"
      "   WHERE p.destination = o.destination AND p.ordering_key = o.ordering_key"
      "   AND p.state = 'pending'))"
      " ORDER BY o.id LIMIT ?";
  Query q(statements_.get(kSql));
  q.bind(destination).bind(nowMs).bind(nonNegative(limit));
  std::vector<OutboxEntry> entries;
  while (q.next()) entries.push_back(outboxOf(q));
  return entries;
}

std::optional<OutboxEntry> Connection::outboxEntry(int64_t id) {
  static const std::string kSql =
      std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE id = ?";
  Query q(statements_.get(kSql));
  q.bind(id);
  if (!q.next()) return std::nullopt;
  return outboxOf(q);
}

std::vector<OutboxEntry> Connection::outbox(const std::string& destination,
                                            std::optional<OutboxState> state, int limit) {
  text_ = destination;
  limit_ = nonNegative(limit);
  outboxRows_.clear();
  if (state) {
    prepared(outboxInState_, [this](Statement& s) {
      s << "SELECT " << kOutboxColumns
        << " FROM outbox WHERE destination = ? AND state = ? ORDER BY id LIMIT ?",
          use(text_), use(outboxStateIn_), use(limit_);
      outboxRows_.bindTo(s);
    });
    outboxStateIn_ = toString(*state);
    run(outboxInState_);
  } else {
    prepared(outboxAll_, [this](Statement& s) {
      s << "SELECT " << kOutboxColumns << " FROM outbox WHERE destination = ? ORDER BY id LIMIT ?",
          use(text_), use(limit_);
      outboxRows_.bindTo(s);
    });
    run(outboxAll_);
  }
  return outboxRows_.take();
}

void Connection::insertExchange(const ExchangeRecord& record) {
  Query(statements_.get(
            "INSERT INTO exchange (id, request_id, client_id, tenant, direction, interaction,"
            " resource_types, destination, http_status, started_ms, finished_ms, payload_sha256,"
            " detail, message, patient, kind, outbox_last, audit_seq)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
            // Schema 4's links for the console (see ExchangeRecord), only on the lines it shows
            // steps of: two seeks to the last row of a table, no index entry.
            " CASE WHEN ? <> 0 THEN (SELECT COALESCE(MAX(id), 0) FROM outbox) ELSE 0 END,"
            " CASE WHEN ? <> 0 THEN (SELECT COALESCE(MAX(seq), 0) + 1 FROM audit) ELSE 0 END)"))
      .bind(record.id)
      .bind(record.requestId)
      .bind(record.clientId)
      .bind(record.tenant)
      .bind(record.direction)
      .bind(record.interaction)
      .bind(record.resourceTypes)
      .bind(record.destination)
      .bind(record.httpStatus)
      .bind(record.startedMs)
      .bind(record.finishedMs)
      .bind(record.payloadSha256)
      .bind(record.detail)
      .bind(record.message ? 1 : 0)
      .bind(record.patient)
      .bind(record.kind)
      .bind(record.message ? 1 : 0)
      .bind(record.message || record.direction == "outbound" ? 1 : 0)
      .run();
}

std::vector<ExchangeRecord> Connection::exchanges(const ExchangeQuery& query) {
  // At most eight shapes of this statement (one per combination of filters), each compiled once.
  std::string sql = std::string("SELECT ") + exchangeColumns() + " FROM exchange WHERE 1 = 1";
  if (query.tenant) sql += " AND tenant = ?";
  if (query.requestId) sql += " AND request_id = ?";
  if (query.direction) sql += " AND direction = ?";
  sql += " ORDER BY seq LIMIT ?";
  Query q(statements_.get(sql));
  if (query.tenant) q.bind(*query.tenant);
  if (query.requestId) q.bind(*query.requestId);
  if (query.direction) q.bind(*query.direction);
  q.bind(nonNegative(query.limit));
  std::vector<ExchangeRecord> out;
  while (q.next()) out.push_back(exchangeOf(q));
  return out;
}

AuditRecord Connection::lastAudit() {
  static const std::string kSql =
      std::string("SELECT ") + kAuditColumns + " FROM audit ORDER BY seq DESC LIMIT 1";
  Query q(statements_.get(kSql));
  if (!q.next()) return AuditRecord{};
  return rows::auditOf(q);
}

AuditRecord Connection::lastAuditLink() {
  Query q(statements_.get("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
  AuditRecord r;
  if (!q.next()) return r;
  r.seq = q.integer(0);
  r.hash = q.text(1);
  return r;
}

void Connection::insertAudit(const AuditRecord& record) {
  static const std::string kSql =
      std::string("INSERT INTO audit (") + kAuditColumns + ") VALUES (?, ?, ?, ?, ?, ?)";
  Query(statements_.get(kSql))
      .bind(record.seq)
      .bind(record.recordedMs)
      .bind(record.json)
      .bind(record.prevHash)
      .bind(record.hash)
      .bind(record.patient)
      .run();
}

std::vector<AuditRecord> Connection::auditFrom(int64_t fromSeq, int limit) {
  // Kept: the checkpointer and the audit forwarders read the new records every few seconds.
  static const std::string kSql =
      std::string("SELECT ") + kAuditColumns + " FROM audit WHERE seq >= ? ORDER BY seq LIMIT ?";
  Query q(statements_.get(kSql));
  q.bind(fromSeq).bind(nonNegative(limit));
  std::vector<AuditRecord> out;
  while (q.next()) out.push_back(rows::auditOf(q));
  return out;
}

std::vector<AuditRecord> Connection::auditForPatient(const std::string& patient, int limit) {
  // `patient <> ''` lets SQLite use the partial index audit_by_patient.
  static const std::string kSql = std::string("SELECT ") + kAuditColumns +
                                  " FROM audit WHERE patient = ? AND patient <> ''"
                                  " ORDER BY seq LIMIT ?";
  Query q(statements_.get(kSql));
  q.bind(patient).bind(nonNegative(limit));
  std::vector<AuditRecord> out;
  while (q.next()) out.push_back(rows::auditOf(q));
  return out;
}

void Connection::heartbeat() {
  Query(statements_.get("INSERT INTO heartbeat (id, beats) VALUES (1, 1)"
                        " ON CONFLICT (id) DO UPDATE SET beats = beats + 1"))
      .run();
}

}  // namespace brygga::store::sqlite

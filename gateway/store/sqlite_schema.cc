#include "gateway/store/sqlite_schema.h"

#include <string>
#include <vector>

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <Poco/Exception.h>

namespace brygga::store::sqlite {

namespace {

using namespace Poco::Data::Keywords;

struct Migration {
  int version;
  std::vector<const char*> statements;
  // Run after the statements, in the same transaction: data that SQL alone cannot move.
  void (*data)(sqlite3* db) = nullptr;
};

// The triggers that keep destination_state.pending (schema 2; created again when schema 6
// rebuilds the outbox).
constexpr const char* kOutboxPendingInsert =
    "CREATE TRIGGER outbox_pending_insert AFTER INSERT ON outbox"
    " WHEN NEW.state = 'pending' BEGIN"
    " INSERT INTO destination_state (destination, pending) VALUES (NEW.destination, 1)"
    " ON CONFLICT (destination) DO UPDATE SET pending = pending + 1; END";
constexpr const char* kOutboxPendingUpdate =
    "CREATE TRIGGER outbox_pending_update AFTER UPDATE OF state ON outbox"
    " WHEN (OLD.state = 'pending') <> (NEW.state = 'pending') BEGIN"
    " INSERT INTO destination_state (destination, pending)"
    " VALUES (NEW.destination, CASE WHEN NEW.state = 'pending' THEN 1 ELSE 0 END)"
    " ON CONFLICT (destination) DO UPDATE SET pending = pending +"
    " CASE WHEN NEW.state = 'pending' THEN 1 ELSE -1 END; END";
constexpr const char* kOutboxPendingDelete =
    "CREATE TRIGGER outbox_pending_delete AFTER DELETE ON outbox"
    " WHEN OLD.state = 'pending' BEGIN"
    " UPDATE destination_state SET pending = pending - 1"
    " WHERE destination = OLD.destination; END";

// Append-only: a released step is never edited, a change is a new step. The DDL keeps to what
// PostgreSQL also accepts (apart from WITHOUT ROWID and AUTOINCREMENT) so a second implementation
// can mirror it.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       {
           // Every version ever written; `json` is the resource as served (meta already set).
           "CREATE TABLE resource_version ("
           " type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,"
           " last_updated_ms INTEGER NOT NULL, deleted INTEGER NOT NULL, tenant TEXT NOT NULL,"
           " json TEXT NOT NULL,"
           " PRIMARY KEY (type, id, version))",
           // The head of each resource: what reads, searches and the version check look at.
           "CREATE TABLE resource_current ("
           " type TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,"
           " last_updated_ms INTEGER NOT NULL, deleted INTEGER NOT NULL, tenant TEXT NOT NULL,"
           " PRIMARY KEY (type, id),"
           " FOREIGN KEY (type, id, version) REFERENCES resource_version (type, id, version)"
           ") WITHOUT ROWID",
           // Searches without criteria walk these in result order.
           "CREATE INDEX resource_current_by_updated"
           " ON resource_current (type, last_updated_ms, id)",
           "CREATE INDEX resource_current_by_tenant"
           " ON resource_current (type, tenant, last_updated_ms, id)",
           // Search values of the current version only; replaced on every put. The key leads with
           // what a criterion binds (type, param, value[, system]) and ends with the id it yields.
           "CREATE TABLE search_index ("
           " type TEXT NOT NULL, id TEXT NOT NULL, param TEXT NOT NULL, system TEXT NOT NULL,"
           " value TEXT NOT NULL,"
           " PRIMARY KEY (type, param, value, system, id)"
           ") WITHOUT ROWID",
           "CREATE INDEX search_index_by_resource ON search_index (type, id)",
           "CREATE TABLE exchange ("
           " seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, request_id TEXT NOT NULL,"
           " client_id TEXT NOT NULL, tenant TEXT NOT NULL, direction TEXT NOT NULL,"
           " interaction TEXT NOT NULL, resource_types TEXT NOT NULL,"
           " destination TEXT NOT NULL, http_status INTEGER NOT NULL,"
           " started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL,"
           " payload_sha256 TEXT NOT NULL, detail TEXT NOT NULL)",
           "CREATE INDEX exchange_by_request ON exchange (request_id, seq)",
           "CREATE INDEX exchange_by_tenant ON exchange (tenant, seq)",
           // AUTOINCREMENT: ids are never reused, even after the newest entries are purged, so
           // id order stays acceptance order for the life of the database.
           "CREATE TABLE outbox ("
           " id INTEGER PRIMARY KEY AUTOINCREMENT, destination TEXT NOT NULL,"
           " ordering_key TEXT NOT NULL, request_id TEXT NOT NULL, tenant TEXT NOT NULL,"
           " payload TEXT NOT NULL,"
           " state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),"
           " attempts INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
           " next_attempt_ms INTEGER NOT NULL, last_error TEXT NOT NULL)",
           // dueOutbox walks a destination's pending entries by id (by_state) and asks, per
           // entry, for the oldest pending id of its key (by_key: all four columns are bound, so
           // that is the first index entry, whatever history the key has).
           "CREATE INDEX outbox_by_state ON outbox (destination, state, id)",
           "CREATE INDEX outbox_by_key ON outbox (destination, ordering_key, state, id)",
           "CREATE TABLE audit ("
           " seq INTEGER PRIMARY KEY, recorded_ms INTEGER NOT NULL, json TEXT NOT NULL,"
           " prev_hash TEXT NOT NULL, hash TEXT NOT NULL, patient TEXT NOT NULL)",
           "CREATE INDEX audit_by_patient ON audit (patient, seq) WHERE patient <> ''",
           // The API has no way to change the audit log; these keep a stray statement (or a
           // hand-run UPDATE) from doing it either. Tampering with the file itself is what the
           // hash chain is for.
           "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
           " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
           "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
           " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
           // checkWritable() bumps this single row.
           "CREATE TABLE heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), beats INTEGER NOT NULL)",
       }},
      // 2: the delivery engine (dead letters, paused destinations, retention).
      {2,
       {
           // One row per destination that has a queue or was ever paused. `pending` is kept by
           // the triggers below, so back-pressure can check a queue's depth inside every write
           // unit in constant time instead of counting it.
           "CREATE TABLE destination_state ("
           " destination TEXT PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0,"
           " changed_ms INTEGER NOT NULL DEFAULT 0, changed_by TEXT NOT NULL DEFAULT '',"
           " pending INTEGER NOT NULL DEFAULT 0"
           ") WITHOUT ROWID",
           "INSERT INTO destination_state (destination, pending)"
           " SELECT destination, SUM(state = 'pending') FROM outbox GROUP BY destination",
           kOutboxPendingInsert,
           kOutboxPendingUpdate,
           kOutboxPendingDelete,
           // Retention finds delivered entries by when they were delivered (next_attempt_ms is
           // that time once an entry is delivered); partial, so pending traffic does not pay.
           "CREATE INDEX outbox_delivered ON outbox (next_attempt_ms, id)"
           " WHERE state = 'delivered'",
       }},
      // 3: the audit transparency log (Merkle checkpoints).
      {3,
       {
           // The RFC 9162 leaf hash of each audit record, written with it, so the Merkle tree
           // can be rebuilt at start-up from 32 bytes per record instead of every event. Records
           // from before this step get theirs when the gateway starts (gateway/audit).
           "CREATE TABLE audit_leaf ("
           " seq INTEGER PRIMARY KEY REFERENCES audit (seq), leaf_hash TEXT NOT NULL)",
           // Signed checkpoints (C2SP tlog-checkpoint notes) of the tree, by size.
           "CREATE TABLE audit_checkpoint ("
           " tree_size INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL,"
           " root_hash TEXT NOT NULL, note TEXT NOT NULL)",
           // Append-only like the audit table; the signatures are what detects file tampering.
           "CREATE TRIGGER audit_leaf_no_update BEFORE UPDATE ON audit_leaf"
           " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
           "CREATE TRIGGER audit_leaf_no_delete BEFORE DELETE ON audit_leaf"
           " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
           "CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint"
           " BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
           "CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint"
           " BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END",
       }},
      // 4: the web console's message search (gateway/api/console_api.h). A message is an
      // inbound write; its line says so, names the patient and links to its outbox entries and
      // AuditEvent (see ExchangeRecord), so a search needs no table of its own. One index entry
      // per accepted message (by patient); a refused one adds a second.
      {4,
       {
           "ALTER TABLE exchange ADD COLUMN message INTEGER NOT NULL DEFAULT 0",
           "ALTER TABLE exchange ADD COLUMN patient TEXT NOT NULL DEFAULT ''",
           "ALTER TABLE exchange ADD COLUMN outbox_last INTEGER NOT NULL DEFAULT 0",
           "ALTER TABLE exchange ADD COLUMN audit_seq INTEGER NOT NULL DEFAULT 0",
           "CREATE INDEX exchange_message_by_patient ON exchange (patient, seq)"
           " WHERE message = 1 AND patient <> ''",
           "CREATE INDEX exchange_message_rejected ON exchange (seq)"
           " WHERE message = 1 AND http_status >= 400",
       }},
      // 5: audit forwarding, witness cosignatures, signing-key rotation (gateway/audit).
      {5,
       {
           // The last audit seq each forwarding sink (syslog, fhir) has handed over; the audit
           // table itself is the queue, so this is the only write forwarding makes.
           "CREATE TABLE audit_forward_cursor ("
           " sink TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, updated_ms INTEGER NOT NULL)",
           // Checkpoints a witness cosigned, with its cosignature lines.
           "CREATE TABLE audit_witness ("
           " witness TEXT NOT NULL, tree_size INTEGER NOT NULL, witnessed_ms INTEGER NOT NULL,"
           " cosignatures TEXT NOT NULL, PRIMARY KEY (witness, tree_size))",
           // Every key that signs or signed checkpoints, in rotation order (audit_keys.h).
           "CREATE TABLE audit_key ("
           " seq INTEGER PRIMARY KEY, vkey TEXT NOT NULL UNIQUE,"
           " valid_from_size INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
           " rotation_note TEXT NOT NULL)",
           "CREATE TRIGGER audit_key_no_update BEFORE UPDATE ON audit_key"
           " BEGIN SELECT RAISE(ABORT, 'audit keys are append-only'); END",
           "CREATE TRIGGER audit_key_no_delete BEFORE DELETE ON audit_key"
           " BEGIN SELECT RAISE(ABORT, 'audit keys are append-only'); END",
       }},
      // 6: access by care relationship (gateway/access). The facts a decision rests on are kept
      // beside the resources they come from, written in the same unit by the write pipeline.
      {6,
       {
           // The Patient a current resource concerns (its own id for a Patient), so a search
           // joins on what the caller may see.
           "ALTER TABLE resource_current ADD COLUMN patient_id TEXT NOT NULL DEFAULT ''",
           // One person, one Patient: the key, not a search, keeps a number on one Patient.
           "CREATE TABLE patient_identity ("
           " kind TEXT NOT NULL CHECK (kind IN ('pnr', 'snr')), number TEXT NOT NULL,"
           " patient_id TEXT NOT NULL, PRIMARY KEY (kind, number)) WITHOUT ROWID",
           "CREATE INDEX patient_identity_by_patient ON patient_identity (patient_id)",
           // One row per municipal EpisodeOfCare (its current version).
           "CREATE TABLE care_relationship ("
           " episode_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, tenant TEXT NOT NULL,"
           " active INTEGER NOT NULL, ended_ms INTEGER NOT NULL) WITHOUT ROWID",
           "CREATE INDEX care_relationship_by_patient ON care_relationship (patient_id)",
           "CREATE INDEX care_relationship_by_tenant ON care_relationship (tenant, patient_id)",
           // The blocks (spärr) each Consent puts, one row per blocked party.
           "CREATE TABLE patient_block ("
           " consent_id TEXT NOT NULL, party TEXT NOT NULL, patient_id TEXT NOT NULL,"
           " active INTEGER NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL,"
           " PRIMARY KEY (consent_id, party)) WITHOUT ROWID",
           "CREATE INDEX patient_block_by_patient ON patient_block (patient_id, party)",
           // What this step did with Patients that shared a person number.
           "CREATE TABLE migration_report ("
           " id INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL, kind TEXT NOT NULL,"
           " subject TEXT NOT NULL, detail TEXT NOT NULL)",
           // The outbox gets the state `held` (a block stands against the receiving party) and
           // the party itself; a CHECK constraint cannot change, so the table is rebuilt, keeping
           // its AUTOINCREMENT counter (ids are never reused).
           "CREATE TABLE outbox_v6 ("
           " id INTEGER PRIMARY KEY AUTOINCREMENT, destination TEXT NOT NULL,"
           " ordering_key TEXT NOT NULL, request_id TEXT NOT NULL, tenant TEXT NOT NULL,"
           " payload TEXT NOT NULL,"
           " state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'held')),"
           " attempts INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
           " next_attempt_ms INTEGER NOT NULL, last_error TEXT NOT NULL,"
           " party TEXT NOT NULL DEFAULT '')",
           "INSERT INTO outbox_v6 (id, destination, ordering_key, request_id, tenant, payload,"
           " state, attempts, created_ms, next_attempt_ms, last_error)"
           " SELECT id, destination, ordering_key, request_id, tenant, payload, state, attempts,"
           " created_ms, next_attempt_ms, last_error FROM outbox",
           "INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_v6', 0"
           " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox_v6')",
           "UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence"
           " WHERE name = 'outbox'), 0)) WHERE name = 'outbox_v6'",
           "DROP TABLE outbox",
           "ALTER TABLE outbox_v6 RENAME TO outbox",
           "CREATE INDEX outbox_by_state ON outbox (destination, state, id)",
           "CREATE INDEX outbox_by_key ON outbox (destination, ordering_key, state, id)",
           "CREATE INDEX outbox_delivered ON outbox (next_attempt_ms, id)"
           " WHERE state = 'delivered'",
           "CREATE INDEX outbox_held ON outbox (id) WHERE state = 'held'",
           kOutboxPendingInsert,
           kOutboxPendingUpdate,
           kOutboxPendingDelete,
       },
       &migrateAccessFacts},
      // 7: a search's visibility asks care_relationship by the row's patient (a correlated
      // EXISTS on care_relationship_by_patient), so the index by tenant, which only the earlier
      // uncorrelated IN read, is one b-tree written per enrollment for nothing.
      {7, {"DROP INDEX care_relationship_by_tenant"}},
      // 8: the W3C trace id of the request that caused an outbox entry (issue 15).
      {8, {"ALTER TABLE outbox ADD COLUMN trace_id TEXT NOT NULL DEFAULT ''"}},
      // 9: Patient birthdate in the search index (issue 14), for the Patients already stored.
      {9,
       {"INSERT OR IGNORE INTO search_index (type, id, param, system, value)"
        " SELECT c.type, c.id, 'birthdate', '', json_extract(v.json, '$.birthDate')"
        " FROM resource_current c JOIN resource_version v"
        " ON v.type = c.type AND v.id = c.id AND v.version = c.version"
        " WHERE c.type = 'Patient' AND c.deleted = 0"
        " AND length(json_extract(v.json, '$.birthDate')) = 10"}},
      // 10: which extraction the search index was built with (issue 14's string parameters);
      // the gateway rebuilds the index of what is stored when its own is newer.
      {10,
       {"CREATE TABLE search_index_state (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " version INTEGER NOT NULL)",
        "INSERT INTO search_index_state (id, version) VALUES (1, 0)"}},
      // 11: what a message is (enrollment, visit note, ...), recorded at intake (issue 15).
      // The last message of each tenant (the console's "silent for"), one seek each.
      {11,
       {"ALTER TABLE exchange ADD COLUMN kind TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX exchange_message_by_tenant ON exchange (tenant, seq) WHERE message = 1"}},
      // 12: the event counter of each notification stream (a Subscription's events since its
      // start, issue 14), advanced in the unit that enqueues the event.
      {12, {"CREATE TABLE event_counter (stream TEXT PRIMARY KEY, events INTEGER NOT NULL)"}},
      // 13: the follow-up measures' facts, per resource, and the closed months' reports (issue
      // 13). Facts are replaced with their resource in its write unit.
      {13,
       {"CREATE TABLE measure_fact (type TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,"
        " kind TEXT NOT NULL, patient TEXT NOT NULL, start_ms INTEGER NOT NULL,"
        " end_ms INTEGER NOT NULL, service_point TEXT NOT NULL, municipality TEXT NOT NULL,"
        " code TEXT NOT NULL, flag INTEGER NOT NULL, ref TEXT NOT NULL,"
        " PRIMARY KEY (type, id, seq)) WITHOUT ROWID",
        "CREATE TABLE measure_report (measure TEXT NOT NULL, period_start TEXT NOT NULL,"
        " json TEXT NOT NULL, created_ms INTEGER NOT NULL, PRIMARY KEY (measure, period_start))"}},
      // 14: no index of the heads by tenant. Since access follows care relationships (schema 6)
      // only a conditional on an owned type names a tenant, and its identifier finds the record;
      // the index only cost every write two B-tree entries (BENCHMARKS.md, issue 11).
      {14, {"DROP INDEX resource_current_by_tenant"}},
  };
  return kMigrations;
}

}  // namespace

core::Status migrate(Poco::Data::Session& session, int target) {
  try {
    // IMMEDIATE: two processes opening a fresh file at once must not both create the schema.
    session << "BEGIN IMMEDIATE", now;
    try {
      session << "CREATE TABLE IF NOT EXISTS schema_version ("
                 " version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
          now;
      int current = 0;
      session << "SELECT COALESCE(MAX(version), 0) FROM schema_version", into(current), now;
      if (current > kSchemaVersion) {
        session << "ROLLBACK", now;
        return core::internalError("the database has schema version " + std::to_string(current) +
                                   "; this build knows up to " + std::to_string(kSchemaVersion));
      }
      for (const Migration& migration : migrations()) {
        if (migration.version <= current || migration.version > target) continue;
        for (const char* statement : migration.statements) session << statement, now;
        if (migration.data != nullptr) {
          migration.data(Poco::Data::SQLite::Utility::dbHandle(session));
        }
        int version = migration.version;
        session << "INSERT INTO schema_version (version, applied_at)"
                   " VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
            use(version), now;
      }
      session << "COMMIT", now;
    } catch (...) {
      try {
        session << "ROLLBACK", now;
      } catch (const Poco::Exception&) {
        // SQLite may already have rolled back; the original error is the one to report.
      }
      throw;
    }
  } catch (const Poco::Exception& e) {
    return core::internalError("cannot create or migrate the database schema: " + e.displayText());
  }
  return core::Status::ok();
}

}  // namespace brygga::store::sqlite

// The PostgreSQL schema and its migrations (postgres_store.h). Mirrors the SQLite schema's model
// (sqlite_schema.cc) as of its version 10, in PostgreSQL's own terms: identity columns, plpgsql
// triggers, text in byte order (COLLATE "C", as SQLite compares) so that ids sort alike on both.
#include "gateway/store/postgres_schema.h"

#include <string>
#include <vector>

namespace brygga::store::pg {

namespace {

struct Migration {
  int version;
  std::vector<const char*> statements;
};

// Append-only: a released step is never edited, a change is a new step.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kMigrations = {
      {1,
       {
           // Every version ever written; `json` is the resource as served (meta already set).
           "CREATE TABLE resource_version ("
           " type TEXT COLLATE \"C\" NOT NULL, id TEXT COLLATE \"C\" NOT NULL,"
           " version BIGINT NOT NULL, last_updated_ms BIGINT NOT NULL, deleted INTEGER NOT NULL,"
           " tenant TEXT COLLATE \"C\" NOT NULL, json TEXT NOT NULL,"
           " PRIMARY KEY (type, id, version))",
           // The head of each resource: what reads, searches and the version check look at.
           "CREATE TABLE resource_current ("
           " type TEXT COLLATE \"C\" NOT NULL, id TEXT COLLATE \"C\" NOT NULL,"
           " version BIGINT NOT NULL, last_updated_ms BIGINT NOT NULL, deleted INTEGER NOT NULL,"
           " tenant TEXT COLLATE \"C\" NOT NULL, patient_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
           " PRIMARY KEY (type, id),"
           " FOREIGN KEY (type, id, version) REFERENCES resource_version (type, id, version))",
           "CREATE INDEX resource_current_by_updated ON resource_current (type, last_updated_ms, "
           "id)",
           "CREATE INDEX resource_current_by_tenant"
           " ON resource_current (type, tenant, last_updated_ms, id)",
           "CREATE INDEX resource_current_by_patient ON resource_current (patient_id)",
           // Search values of the current version only; replaced on every put.
           "CREATE TABLE search_index ("
           " type TEXT COLLATE \"C\" NOT NULL, id TEXT COLLATE \"C\" NOT NULL,"
           " param TEXT COLLATE \"C\" NOT NULL, system TEXT COLLATE \"C\" NOT NULL,"
           " value TEXT COLLATE \"C\" NOT NULL, PRIMARY KEY (type, param, value, system, id))",
           "CREATE INDEX search_index_by_resource ON search_index (type, id)",
           // The exchange log. seq: an identity, so ids are never reused; write units are
           // serialized, so seq order is the order lines were committed in.
           "CREATE TABLE exchange ("
           " seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
           " request_id TEXT COLLATE \"C\" NOT NULL, client_id TEXT NOT NULL,"
           " tenant TEXT COLLATE \"C\" NOT NULL, direction TEXT NOT NULL,"
           " interaction TEXT NOT NULL, resource_types TEXT NOT NULL, destination TEXT NOT NULL,"
           " http_status INTEGER NOT NULL, started_ms BIGINT NOT NULL, finished_ms BIGINT NOT NULL,"
           " payload_sha256 TEXT NOT NULL, detail TEXT NOT NULL,"
           " message INTEGER NOT NULL DEFAULT 0, patient TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
           " outbox_last BIGINT NOT NULL DEFAULT 0, audit_seq BIGINT NOT NULL DEFAULT 0)",
           "CREATE INDEX exchange_by_request ON exchange (request_id, seq)",
           "CREATE INDEX exchange_by_tenant ON exchange (tenant, seq)",
           "CREATE INDEX exchange_message_by_patient ON exchange (patient, seq)"
           " WHERE message = 1 AND patient <> ''",
           "CREATE INDEX exchange_message_rejected ON exchange (seq)"
           " WHERE message = 1 AND http_status >= 400",
           "CREATE INDEX exchange_inbound_by_time ON exchange (finished_ms, seq)"
           " WHERE direction = 'inbound'",
           // The outbox; ids from an identity are never reused.
           "CREATE TABLE outbox ("
           " id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
           " destination TEXT COLLATE \"C\" NOT NULL, ordering_key TEXT COLLATE \"C\" NOT NULL,"
           " request_id TEXT COLLATE \"C\" NOT NULL, tenant TEXT NOT NULL, payload TEXT NOT NULL,"
           " state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead', 'held')),"
           " attempts INTEGER NOT NULL, created_ms BIGINT NOT NULL,"
           " next_attempt_ms BIGINT NOT NULL, last_error TEXT NOT NULL,"
           " party TEXT NOT NULL DEFAULT '', trace_id TEXT NOT NULL DEFAULT '')",
           "CREATE INDEX outbox_by_state ON outbox (destination, state, id)",
           "CREATE INDEX outbox_by_key ON outbox (destination, ordering_key, state, id)",
           "CREATE INDEX outbox_delivered ON outbox (next_attempt_ms, id) WHERE state = "
           "'delivered'",
           "CREATE INDEX outbox_held ON outbox (id) WHERE state = 'held'",
           "CREATE INDEX outbox_by_request ON outbox (request_id, id)",
           // One row per destination with a queue or a pause on record; `pending` kept by the
           // trigger below, so back-pressure reads a queue's depth in constant time.
           "CREATE TABLE destination_state ("
           " destination TEXT COLLATE \"C\" PRIMARY KEY, paused INTEGER NOT NULL DEFAULT 0,"
           " changed_ms BIGINT NOT NULL DEFAULT 0, changed_by TEXT NOT NULL DEFAULT '',"
           " pending BIGINT NOT NULL DEFAULT 0)",
           "CREATE FUNCTION outbox_pending() RETURNS trigger LANGUAGE plpgsql AS $$"
           " BEGIN"
           "  IF TG_OP = 'INSERT' THEN"
           "   IF NEW.state = 'pending' THEN"
           "    INSERT INTO destination_state (destination, pending) VALUES (NEW.destination, 1)"
           "    ON CONFLICT (destination) DO UPDATE SET pending = destination_state.pending + 1;"
           "   END IF;"
           "   RETURN NEW;"
           "  ELSIF TG_OP = 'UPDATE' THEN"
           "   IF (OLD.state = 'pending') <> (NEW.state = 'pending') THEN"
           "    INSERT INTO destination_state (destination, pending)"
           "    VALUES (NEW.destination, CASE WHEN NEW.state = 'pending' THEN 1 ELSE 0 END)"
           "    ON CONFLICT (destination) DO UPDATE SET pending = destination_state.pending +"
           "    CASE WHEN NEW.state = 'pending' THEN 1 ELSE -1 END;"
           "   END IF;"
           "   RETURN NEW;"
           "  ELSE"
           "   IF OLD.state = 'pending' THEN"
           "    UPDATE destination_state SET pending = pending - 1"
           "    WHERE destination = OLD.destination;"
           "   END IF;"
           "   RETURN OLD;"
           "  END IF;"
           " END $$",
           "CREATE TRIGGER outbox_pending AFTER INSERT OR UPDATE OF state OR DELETE ON outbox"
           " FOR EACH ROW EXECUTE FUNCTION outbox_pending()",
           // The audit log and its transparency log; append-only (the hash chain and the signed
           // checkpoints are what detect tampering by someone who drops these triggers).
           "CREATE TABLE audit ("
           " seq BIGINT PRIMARY KEY, recorded_ms BIGINT NOT NULL, json TEXT NOT NULL,"
           " prev_hash TEXT NOT NULL, hash TEXT NOT NULL, patient TEXT COLLATE \"C\" NOT NULL)",
           "CREATE INDEX audit_by_patient ON audit (patient, seq) WHERE patient <> ''",
           "CREATE TABLE audit_leaf ("
           " seq BIGINT PRIMARY KEY REFERENCES audit (seq), leaf_hash TEXT NOT NULL)",
           "CREATE TABLE audit_checkpoint ("
           " tree_size BIGINT PRIMARY KEY, created_ms BIGINT NOT NULL,"
           " root_hash TEXT NOT NULL, note TEXT NOT NULL)",
           "CREATE TABLE audit_forward_cursor ("
           " sink TEXT PRIMARY KEY, last_seq BIGINT NOT NULL, updated_ms BIGINT NOT NULL)",
           "CREATE TABLE audit_witness ("
           " witness TEXT NOT NULL, tree_size BIGINT NOT NULL, witnessed_ms BIGINT NOT NULL,"
           " cosignatures TEXT NOT NULL, PRIMARY KEY (witness, tree_size))",
           "CREATE TABLE audit_key ("
           " seq BIGINT PRIMARY KEY, vkey TEXT NOT NULL UNIQUE, valid_from_size BIGINT NOT NULL,"
           " created_ms BIGINT NOT NULL, rotation_note TEXT NOT NULL)",
           "CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$"
           " BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$",
           "CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit"
           " FOR EACH ROW EXECUTE FUNCTION append_only()",
           "CREATE TRIGGER audit_leaf_append_only BEFORE UPDATE OR DELETE ON audit_leaf"
           " FOR EACH ROW EXECUTE FUNCTION append_only()",
           "CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint"
           " FOR EACH ROW EXECUTE FUNCTION append_only()",
           "CREATE TRIGGER audit_key_append_only BEFORE UPDATE OR DELETE ON audit_key"
           " FOR EACH ROW EXECUTE FUNCTION append_only()",
           // The facts of access (gateway/access).
           "CREATE TABLE patient_identity ("
           " kind TEXT NOT NULL CHECK (kind IN ('pnr', 'snr')), number TEXT NOT NULL,"
           " patient_id TEXT COLLATE \"C\" NOT NULL, PRIMARY KEY (kind, number))",
           "CREATE INDEX patient_identity_by_patient ON patient_identity (patient_id)",
           "CREATE TABLE care_relationship ("
           " episode_id TEXT COLLATE \"C\" PRIMARY KEY, patient_id TEXT COLLATE \"C\" NOT NULL,"
           " tenant TEXT COLLATE \"C\" NOT NULL, active INTEGER NOT NULL, ended_ms BIGINT NOT "
           "NULL)",
           "CREATE INDEX care_relationship_by_patient ON care_relationship (patient_id)",
           "CREATE TABLE patient_block ("
           " consent_id TEXT COLLATE \"C\" NOT NULL, party TEXT COLLATE \"C\" NOT NULL,"
           " patient_id TEXT COLLATE \"C\" NOT NULL, active INTEGER NOT NULL,"
           " start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL, PRIMARY KEY (consent_id, party))",
           "CREATE INDEX patient_block_by_patient ON patient_block (patient_id, party)",
           // checkWritable() bumps this single row.
           "CREATE TABLE heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), beats BIGINT NOT NULL)",
       }},
      // 2: the gateways serving from the database, each recording itself every few seconds.
      {2,
       {"CREATE TABLE instance ("
        " id TEXT COLLATE \"C\" PRIMARY KEY, version TEXT NOT NULL,"
        " started_ms BIGINT NOT NULL, last_seen_ms BIGINT NOT NULL)"}},
      // 3: which extraction the search index was built with (as SQLite's schema 10).
      {3,
       {"CREATE TABLE search_index_state (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " version INTEGER NOT NULL)",
        "INSERT INTO search_index_state (id, version) VALUES (1, 0)"}},
      // 4: what a message is (enrollment, visit note, ...), recorded at intake (SQLite's 11).
      // The last message of each tenant (the console's "silent for"), one seek each.
      {4,
       {"ALTER TABLE exchange ADD COLUMN kind TEXT COLLATE \"C\" NOT NULL DEFAULT ''",
        "CREATE INDEX exchange_message_by_tenant ON exchange (tenant, seq) WHERE message = 1"}},
      // 5: the event counter of each notification stream (SQLite's 12).
      {5,
       {"CREATE TABLE event_counter (stream TEXT COLLATE \"C\" PRIMARY KEY,"
        " events BIGINT NOT NULL)"}},
      // 6: the follow-up measures' facts and the closed months' reports (SQLite's 13).
      {6,
       {"CREATE TABLE measure_fact (type TEXT COLLATE \"C\" NOT NULL,"
        " id TEXT COLLATE \"C\" NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,"
        " patient TEXT COLLATE \"C\" NOT NULL, start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL,"
        " service_point TEXT NOT NULL, municipality TEXT NOT NULL, code TEXT NOT NULL,"
        " flag BIGINT NOT NULL, ref TEXT NOT NULL, PRIMARY KEY (type, id, seq))",
        "CREATE TABLE measure_report (measure TEXT COLLATE \"C\" NOT NULL,"
        " period_start TEXT COLLATE \"C\" NOT NULL, json TEXT NOT NULL,"
        " created_ms BIGINT NOT NULL, PRIMARY KEY (measure, period_start))"}},
      // 7: no index of the heads by tenant (SQLite 14): only a conditional on an owned type names
      // a tenant, and its identifier finds the record.
      {7, {"DROP INDEX resource_current_by_tenant"}},
  };
  return kMigrations;
}

// Serializes instances migrating the same database at once.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7426827101)";

}  // namespace

core::Status migrate(Connection& connection, int target) {
  try {
    connection.execScript("BEGIN");
    try {
      connection.execScript(kMigrationLock);
      connection.execScript(
          "CREATE TABLE IF NOT EXISTS schema_version ("
          " version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
      const int current = static_cast<int>(
          connection.exec("SELECT COALESCE(MAX(version), 0) FROM schema_version").integer(0, 0));
      if (current > kSchemaVersion) {
        connection.execScript("ROLLBACK");
        return core::internalError("the database has schema version " + std::to_string(current) +
                                   "; this build knows up to " + std::to_string(kSchemaVersion));
      }
      for (const Migration& migration : migrations()) {
        if (migration.version <= current || migration.version > target) continue;
        for (const char* statement : migration.statements) connection.execScript(statement);
        connection.exec("INSERT INTO schema_version (version) VALUES (?)",
                        Params().add(migration.version));
      }
      connection.execScript("COMMIT");
    } catch (...) {
      try {
        connection.execScript("ROLLBACK");
      } catch (const PgError&) {
        // The connection may be gone; the original error is the one to report.
      }
      throw;
    }
  } catch (const PgError& e) {
    return core::internalError(std::string("cannot create or migrate the database schema: ") +
                               e.what());
  }
  return core::Status::ok();
}

}  // namespace brygga::store::pg

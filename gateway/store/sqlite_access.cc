// The Connection's SQL for the facts access decisions rest on (schema 6): person numbers, care
// relationships, blocks, held outbox entries and the migration's report. gateway/access decides;
// the store only keeps what the write pipeline hands it, in the unit of the write.
#include <algorithm>

#include "gateway/store/sqlite_connection.h"

namespace brygga::store::sqlite {

std::optional<PersonIdentity> Connection::setIdentities(
    const std::string& patientId, const std::vector<PersonIdentity>& identities, bool replace) {
  if (replace) {
    Query(statements_.get("DELETE FROM patient_identity WHERE patient_id = ?"))
        .bind(patientId)
        .run();
  }
  for (const PersonIdentity& identity : identities) {
    // The key decides: the row is inserted, or the one holding the number is returned unchanged.
    Query q(statements_.get(
        "INSERT INTO patient_identity (kind, number, patient_id) VALUES (?, ?, ?)"
        " ON CONFLICT (kind, number) DO UPDATE SET patient_id = patient_id RETURNING patient_id"));
    q.bind(identity.kind).bind(identity.number).bind(patientId);
    const std::string holder = q.next() ? q.text(0) : patientId;
    q.run();
    if (holder != patientId) return identity;
  }
  return std::nullopt;
}

std::optional<std::string> Connection::patientByNumber(const std::string& kind,
                                                       const std::string& number) {
  Query q(statements_.get("SELECT patient_id FROM patient_identity WHERE kind = ? AND number = ?"));
  q.bind(kind).bind(number);
  if (!q.next()) return std::nullopt;
  return q.text(0);
}

void Connection::setRelationship(const std::string& episodeId,
                                 const std::optional<CareRelationship>& relationship) {
  if (!relationship) {
    Query(statements_.get("DELETE FROM care_relationship WHERE episode_id = ?"))
        .bind(episodeId)
        .run();
    return;
  }
  Query(statements_.get(
            "INSERT INTO care_relationship (episode_id, patient_id, tenant, active, ended_ms)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (episode_id) DO UPDATE SET"
            " patient_id = excluded.patient_id, tenant = excluded.tenant,"
            " active = excluded.active, ended_ms = excluded.ended_ms"))
      .bind(episodeId)
      .bind(relationship->patientId)
      .bind(relationship->tenant)
      .bind(relationship->active ? 1 : 0)
      .bind(relationship->endedMs)
      .run();
}

void Connection::setBlocks(const std::string& consentId, const std::vector<PatientBlock>& blocks) {
  Query(statements_.get("DELETE FROM patient_block WHERE consent_id = ?")).bind(consentId).run();
  for (const PatientBlock& b : blocks) {
    Query(statements_.get(
              "INSERT INTO patient_block (consent_id, party, patient_id, active, start_ms, end_ms)"
              " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"))
        .bind(consentId)
        .bind(b.party)
        .bind(b.patientId)
        .bind(b.active ? 1 : 0)
        .bind(b.startMs)
        .bind(b.endMs)
        .run();
  }
}

PatientAccessFacts Connection::accessFacts(const std::string& patientId) {
  // One statement for both (it runs at write, enqueue and send): relationships (kind 0) first,
  // then blocks (kind 1).
  Query q(statements_.get(
      "SELECT 0, episode_id, tenant, active, 0, ended_ms FROM care_relationship"
      " WHERE patient_id = ?"
      " UNION ALL SELECT 1, consent_id, party, active, start_ms, end_ms FROM patient_block"
      " WHERE patient_id = ? ORDER BY 1, 2, 3"));
  q.bind(patientId).bind(patientId);
  PatientAccessFacts facts;
  while (q.next()) {
    if (q.integer(0) == 0) {
      facts.relationships.push_back(
          {q.text(1), patientId, q.text(2), q.integer(3) != 0, q.integer(5)});
    } else {
      facts.blocks.push_back(
          {q.text(1), patientId, q.text(2), q.integer(3) != 0, q.integer(4), q.integer(5)});
    }
  }
  return facts;
}

bool Connection::holdOutbox(int64_t id, int64_t atMs, const std::string& reason) {
  return Query(statements_.get("UPDATE outbox SET state = 'held', next_attempt_ms = ?,"
                               " last_error = ? WHERE id = ? AND state = 'pending'"))
             .bind(atMs)
             .bind(reason)
             .bind(id)
             .run() > 0;
}

std::vector<OutboxEntry> Connection::heldOutbox(const std::optional<std::string>& destination,
                                                int64_t afterId, int limit) {
  return outboxInState("held", destination, afterId, limit);
}

std::vector<MigrationReportEntry> Connection::migrationReport() {
  Query q(statements_.get(
      "SELECT id, created_ms, kind, subject, detail FROM migration_report ORDER BY id"));
  std::vector<MigrationReportEntry> entries;
  while (q.next()) {
    entries.push_back({q.integer(0), q.integer(1), q.text(2), q.text(3), q.text(4)});
  }
  return entries;
}

}  // namespace brygga::store::sqlite

#pragma once

#include "gateway/store/store.h"

// Internal to gateway/store: the column lists both backends select, and the records made from a
// row of them. `Row` is a driver's view of one row: text(column) and integer(column).
namespace brygga::store::rows {

// The patient id is the current version's (c, joined in every query that reads records).
inline constexpr const char* kRecordColumns =
    "v.type, v.id, v.version, v.last_updated_ms, v.deleted, v.tenant, v.json,"
    " COALESCE(c.patient_id, '')";
inline constexpr const char* kOutboxColumns =
    "id, destination, ordering_key, request_id, tenant, payload, state, attempts, created_ms,"
    " next_attempt_ms, last_error, party, trace_id";
// The same without the payload (the console's lists).
inline constexpr const char* kOutboxColumnsNoPayload =
    "id, destination, ordering_key, request_id, tenant, '', state, attempts, created_ms,"
    " next_attempt_ms, last_error, party, trace_id";
inline constexpr const char* kExchangeColumns =
    "seq, id, request_id, client_id, tenant, direction, interaction, resource_types,"
    " destination, http_status, started_ms, finished_ms, payload_sha256, detail, message,"
    " patient, outbox_last, audit_seq, kind";
inline constexpr const char* kAuditColumns = "seq, recorded_ms, json, prev_hash, hash, patient";

template <typename Row>
ResourceRecord recordOf(const Row& row) {
  ResourceRecord r;
  r.type = row.text(0);
  r.id = row.text(1);
  r.version = row.integer(2);
  r.lastUpdatedMs = row.integer(3);
  r.deleted = row.integer(4) != 0;
  r.tenant = row.text(5);
  r.json = row.text(6);
  r.patientId = row.text(7);
  return r;
}

template <typename Row>
OutboxEntry outboxOf(const Row& row) {
  OutboxEntry e;
  e.id = row.integer(0);
  e.destination = row.text(1);
  e.orderingKey = row.text(2);
  e.requestId = row.text(3);
  e.tenant = row.text(4);
  e.payload = row.text(5);
  // The CHECK constraint admits only the stored forms.
  e.state = parseOutboxState(row.text(6)).valueOr(OutboxState::kDead);
  e.attempts = static_cast<int>(row.integer(7));
  e.createdMs = row.integer(8);
  e.nextAttemptMs = row.integer(9);
  e.lastError = row.text(10);
  e.party = row.text(11);
  e.traceId = row.text(12);
  return e;
}

template <typename Row>
ExchangeRecord exchangeOf(const Row& row) {
  ExchangeRecord r;
  r.seq = row.integer(0);
  r.id = row.text(1);
  r.requestId = row.text(2);
  r.clientId = row.text(3);
  r.tenant = row.text(4);
  r.direction = row.text(5);
  r.interaction = row.text(6);
  r.resourceTypes = row.text(7);
  r.destination = row.text(8);
  r.httpStatus = static_cast<int>(row.integer(9));
  r.startedMs = row.integer(10);
  r.finishedMs = row.integer(11);
  r.payloadSha256 = row.text(12);
  r.detail = row.text(13);
  r.message = row.integer(14) != 0;
  r.patient = row.text(15);
  r.outboxLast = row.integer(16);
  r.auditSeq = row.integer(17);
  r.kind = row.text(18);
  return r;
}

template <typename Row>
AuditRecord auditOf(const Row& row) {
  return {row.integer(0), row.integer(1), row.text(2), row.text(3), row.text(4), row.text(5)};
}

}  // namespace brygga::store::rows

#include "gateway/store/store.h"

namespace brygga::store {

const char* toString(OutboxState state) {
  switch (state) {
    case OutboxState::kPending:
      return "pending";
    case OutboxState::kDelivered:
      return "delivered";
    case OutboxState::kDead:
      return "dead";
    case OutboxState::kHeld:
      return "held";
  }
  return "unknown";
}

StatusOr<OutboxState> parseOutboxState(std::string_view text) {
  for (OutboxState state :
       {OutboxState::kPending, OutboxState::kDelivered, OutboxState::kDead, OutboxState::kHeld}) {
    if (text == toString(state)) return state;
  }
  return core::invalidArgument("an outbox state is pending, delivered, dead or held");
}

namespace {

Status noAuditLog() {
  return core::internalError("this store does not keep the audit transparency log");
}

}  // namespace

Status StoreTransaction::putAuditLeaf(int64_t, const std::string&) {
  return noAuditLog();
}

Status StoreTransaction::appendAuditCheckpoint(const AuditCheckpoint&) {
  return noAuditLog();
}

StatusOr<std::vector<AuditLeaf>> Store::auditLeaves(int64_t, int) {
  return noAuditLog();
}

StatusOr<std::vector<AuditCheckpoint>> Store::auditCheckpoints(int64_t, int) {
  return noAuditLog();
}

StatusOr<std::optional<AuditCheckpoint>> Store::latestAuditCheckpoint() {
  return noAuditLog();
}

Status StoreTransaction::setAuditForwardCursor(const std::string&, int64_t, int64_t) {
  return noAuditLog();
}

Status StoreTransaction::appendAuditWitness(const AuditWitnessRecord&) {
  return noAuditLog();
}

Status StoreTransaction::appendAuditKey(const AuditKeyRecord&) {
  return noAuditLog();
}

StatusOr<std::vector<AuditKeyRecord>> StoreTransaction::auditKeysInUnit() {
  return noAuditLog();
}

StatusOr<std::optional<AuditCheckpoint>> StoreTransaction::lastAuditCheckpointInUnit() {
  return noAuditLog();
}

StatusOr<int64_t> Store::auditForwardCursor(const std::string&) {
  return noAuditLog();
}

StatusOr<std::optional<AuditWitnessRecord>> Store::latestAuditWitness(const std::string&) {
  return noAuditLog();
}

StatusOr<std::vector<AuditKeyRecord>> Store::auditKeys() {
  return noAuditLog();
}

namespace {

Status noDeliveryOperations() {
  return core::internalError("this store does not support operating the delivery engine");
}

}  // namespace

StatusOr<std::optional<OutboxEntry>> StoreTransaction::readOutbox(int64_t) {
  return noDeliveryOperations();
}

StatusOr<int64_t> StoreTransaction::pendingCount(const std::string&) {
  return noDeliveryOperations();
}

StatusOr<bool> StoreTransaction::deliveredAfter(const std::string&, const std::string&, int64_t) {
  return noDeliveryOperations();
}

Status StoreTransaction::setDestinationPaused(const std::string&, bool, int64_t,
                                              const std::string&) {
  return noDeliveryOperations();
}

StatusOr<std::vector<DestinationState>> Store::destinationStates() {
  return noDeliveryOperations();
}

StatusOr<bool> Store::destinationPaused(const std::string&) {
  return noDeliveryOperations();
}

StatusOr<std::vector<OutboxEntry>> Store::deadLetters(const std::optional<std::string>&, int64_t,
                                                      int) {
  return noDeliveryOperations();
}

StatusOr<int64_t> Store::purgeDelivered(int64_t, int) {
  return noDeliveryOperations();
}

Status Store::reclaimSpace() {
  return noDeliveryOperations();
}

namespace {

Status noAccessFacts() {
  return core::internalError("this store does not keep the facts of access (schema 6)");
}

}  // namespace

bool isDuplicatePerson(const Status& status) {
  if (status.code() != core::StatusCode::kConflict) return false;
  for (const core::Issue& issue : status.issues()) {
    if (issue.code == "duplicate" && issue.expression == "Patient.identifier") return true;
  }
  return false;
}

StatusOr<std::optional<std::string>> StoreTransaction::patientByNumber(const std::string&,
                                                                       const std::string&) {
  return noAccessFacts();
}

StatusOr<PatientAccessFacts> StoreTransaction::accessFacts(const std::string&) {
  return noAccessFacts();
}

Status StoreTransaction::holdOutbox(int64_t, int64_t, const std::string&) {
  return noAccessFacts();
}

StatusOr<std::optional<std::string>> Store::patientByNumber(const std::string&,
                                                            const std::string&) {
  return noAccessFacts();
}

StatusOr<PatientAccessFacts> Store::accessFacts(const std::string&) {
  return noAccessFacts();
}

StatusOr<std::vector<OutboxEntry>> Store::heldOutbox(const std::optional<std::string>&, int64_t,
                                                     int) {
  return noAccessFacts();
}

StatusOr<std::vector<MigrationReportEntry>> Store::migrationReport() {
  return noAccessFacts();
}

}  // namespace brygga::store

#pragma once

#include <functional>
#include <string>

#include "gateway/api/endpoint.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/audit/audit_log.h"
#include "gateway/core/log.h"
#include "gateway/core/time_source.h"
#include "gateway/store/store.h"

namespace brygga::api {

// The audit transparency log over HTTP, below /audit. Public (no credentials), because they are
// what outsiders compare and hold the gateway to:
//   GET /audit/checkpoint   the latest signed checkpoint (C2SP tlog-checkpoint note, text/plain)
//   GET /audit/key          the verifier key: signed-note vkey and PEM public key (JSON), and
//                           every key the log was signed with (rotation notes included)
//   GET /audit/witness      the witness push state (JSON; 404 when no witness is configured)
// For the integration role:
//   GET /audit/forwarding   each forwarding sink's cursor, lag and last error (JSON)
// For the integration role only (401 without credentials, 403 for other roles):
//   GET /audit/proof/inclusion?seq=N[&size=M]      RFC 9162 inclusion proof of record N
//   GET /audit/proof/consistency?from=A[&to=B]     RFC 9162 consistency proof
//   GET /audit/records/{seq}                        the record's AuditEvent JSON exactly as
//                                                   stored (its leaf is SHA-256(0x00 || body))
// M and B default to the latest checkpoint's size. Proofs are JSON with base64 hashes. Every call
// but the public ones is recorded through the ExchangeRecorder: an exchange line and an
// AuditEvent (subtype read, or operation for proofs); the public ones hold nothing about anyone
// and cost nothing durable. Errors are OperationOutcomes.
class AuditApi final : public Endpoint {
 public:
  AuditApi(audit::AuditLog& log, store::Store& store, const core::TimeSource& clock,
           core::Logger& logger);

  // Thread-safe.
  ApiResponse handle(const ApiRequest& request) override;
  // checkpoint, key and witness.
  bool isPublic(const ApiRequest& request) const override;
  // The witness pusher's state as JSON (set before the server starts).
  void setWitness(std::function<std::string()> stateJson) { witnessState_ = std::move(stateJson); }
  // The forwarding sinks' state as JSON (set before the server starts).
  void setForwarding(std::function<std::string()> stateJson) {
    forwardingState_ = std::move(stateJson);
  }

 private:
  ApiResponse dispatch(const ApiRequest& request, Trace& trace);
  ApiResponse checkpoint();
  ApiResponse key();
  ApiResponse witness();
  ApiResponse inclusion(const ApiRequest& request, Trace& trace);
  ApiResponse consistency(const ApiRequest& request, Trace& trace);
  ApiResponse record(const std::string& seq, Trace& trace);

  audit::AuditLog& log_;
  store::Store& store_;
  const core::TimeSource& clock_;
  core::Logger& logger_;
  ExchangeRecorder recorder_;
  std::function<std::string()> witnessState_;
  std::function<std::string()> forwardingState_;
};

}  // namespace brygga::api

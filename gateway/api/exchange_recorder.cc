#include "gateway/api/exchange_recorder.h"

#include <utility>

#include "gateway/api/responses.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/core/digest.h"
#include "gateway/fhir/json.h"
#include "mappings/mapping_set.h"

namespace brygga::api {

namespace {

std::string joinTypes(const std::set<std::string>& types) {
  std::string out;
  for (const auto& t : types) {
    if (!out.empty()) out += ',';
    out += t;
  }
  return out;
}

}  // namespace

bool isMessageInteraction(const std::string& interaction) {
  return interaction == "create" || interaction == "update" || interaction == "patch" ||
         interaction == "delete" || interaction == "transaction" || interaction == "batch";
}

core::Status ExchangeRecorder::record(store::StoreTransaction& txn, const ApiRequest& request,
                                      int status, const Trace& trace, int64_t startedMs,
                                      const std::string& detail) const {
  const int64_t now = clock_.nowMs();
  store::ExchangeRecord ex;
  ex.id = core::newTimeOrderedUuid();
  ex.requestId = request.requestId;
  ex.clientId = request.caller.clientId;
  ex.tenant = request.caller.tenant;
  ex.direction = "inbound";
  ex.interaction = trace.interaction;
  ex.resourceTypes = joinTypes(trace.types);
  ex.httpStatus = status;
  ex.startedMs = startedMs;
  ex.finishedMs = now;
  ex.payloadSha256 = request.body.empty() ? std::string() : core::sha256Hex(request.body);
  ex.detail = detail;
  // For the console's message search (schema 4): writes are messages; the patient is a reference,
  // never an identifier.
  ex.message = isMessageInteraction(trace.interaction);
  ex.patient = trace.patient.value_or("");
  ex.kind = ex.message ? trace.kind : std::string();
  // Which mapping files were in force, so that a forwarded message can be traced to its rules.
  if (!trace.flowNote.empty()) ex.detail += "; " + trace.flowNote;
  if (!trace.accessNote.empty()) ex.detail += "; " + trace.accessNote;
  if (trace.mappings) ex.detail += "; mappings=" + trace.mappings->version();
  BRYGGA_RETURN_IF_ERROR(txn.exchangeLog().recordExchange(ex));

  audit::AuditContext ctx;
  ctx.recordedMs = now;
  ctx.subtype = trace.interaction;
  ctx.action = trace.action;
  ctx.httpStatus = status;
  ctx.outcomeText = detail;
  if (!trace.accessNote.empty()) ctx.outcomeText += "; " + trace.accessNote;
  if (!request.caller.authenticated && !request.caller.refusedCredential.empty()) {
    ctx.outcomeText += "; refused " + request.caller.refusedCredential;
  }
  ctx.clientId = request.caller.authenticated ? request.caller.clientId : "anonymous";
  ctx.clientTenant = request.caller.tenant;
  ctx.clientRole = request.caller.authenticated ? core::toString(request.caller.role) : "";
  ctx.clientAddress = request.caller.address;
  ctx.userHsaId = request.caller.userHsaId;
  ctx.serverAddress = request.serverAddress;
  ctx.requestId = request.requestId;
  ctx.patient = trace.patient;
  ctx.entities = trace.entities;
  ctx.query = trace.query;
  auto seq = audit::AuditTrail::append(txn, ctx);
  return seq.isOk() ? core::Status::ok() : seq.status();
}

core::Status ExchangeRecorder::recordAlone(store::Store& store, const ApiRequest& request,
                                           int status, const Trace& trace, int64_t startedMs,
                                           const std::string& detail) const {
  return store.write([&](store::StoreTransaction& txn) {
    return record(txn, request, status, trace, startedMs, detail);
  });
}

ApiResponse ExchangeRecorder::recordAnswer(store::Store& store, const ApiRequest& request,
                                           ApiResponse response, const Trace& trace,
                                           int64_t startedMs, core::Logger& logger) const {
  const core::Status s = recordAlone(store, request, response.status, trace, startedMs,
                                     detailOf(response.status, response.body));
  if (!s.isOk()) {
    logger.error("audit.write_failed",
                 {{"requestId", request.requestId}, {"status", core::toString(s.code())}});
    if (response.status < 400) response = errorResponse(s);
  }
  return response;
}

std::string ExchangeRecorder::detailOf(int status, const std::string& body) {
  if (status < 400) return "ok";
  // Only the issue code and expression: diagnostics may quote patient data.
  auto doc = fhir::parseJson(body);
  if (!doc.isOk()) return "error";
  const rapidjson::Value* issues = fhir::member(*doc, "issue");
  if (issues == nullptr || !issues->IsArray() || issues->Empty()) return "error";
  const rapidjson::Value& first = (*issues)[0];
  std::string detail(fhir::stringMember(first, "code"));
  const rapidjson::Value* expr = fhir::member(first, "expression");
  if (expr != nullptr && expr->IsArray() && !expr->Empty() && (*expr)[0].IsString()) {
    detail += std::string(" at ") + (*expr)[0].GetString();
  }
  if (issues->Size() > 1) detail += " (+" + std::to_string(issues->Size() - 1) + " more)";
  return detail;
}

}  // namespace brygga::api

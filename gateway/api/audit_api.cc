#include "gateway/api/audit_api.h"

#include <initializer_list>
#include <map>
#include <optional>
#include <vector>

#include "gateway/api/responses.h"
#include "gateway/core/text.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/search/query.h"

namespace brygga::api {

namespace {

using core::StatusCode;

constexpr const char* kFhirJson = "application/fhir+json; charset=utf-8";
constexpr const char* kJson = "application/json";
constexpr const char* kText = "text/plain; charset=utf-8";

// A record number or tree size: 1 to 18 decimal digits without a leading zero.
core::StatusOr<uint64_t> parseCount(const std::string& text) {
  if (!text.empty() && text[0] == '0') return core::invalidArgument("a count has no leading zero");
  BRYGGA_ASSIGN_OR_RETURN(const int64_t n, core::parseDecimal(text));
  return static_cast<uint64_t>(n);
}

std::string hashArray(const std::vector<audit::merkle::Hash>& hashes) {
  std::string out = "[";
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i > 0) out += ',';
    core::appendJsonString(out, audit::merkle::toBase64(hashes[i]));
  }
  return out + "]";
}

// The named parameters of the query; anything else is a 400 naming it.
core::StatusOr<std::map<std::string, std::string>> params(
    const ApiRequest& request, std::initializer_list<const char*> known) {
  BRYGGA_ASSIGN_OR_RETURN(search::QueryParams parsed, search::parseQuery(request.query));
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : parsed) {
    bool ok = false;
    for (const char* k : known) ok = ok || name == k;
    if (!ok) return core::invalidArgument("unknown parameter '" + name + "'");
    if (!out.emplace(name, value).second) {
      return core::invalidArgument("parameter '" + name + "' is repeated");
    }
  }
  return out;
}

core::StatusOr<uint64_t> countParam(const std::map<std::string, std::string>& p,
                                    const std::string& name) {
  auto it = p.find(name);
  if (it == p.end()) return core::invalidArgument("parameter '" + name + "' is required");
  auto n = parseCount(it->second);
  if (!n.isOk())
    return core::invalidArgument("parameter '" + name + "' must be a positive integer");
  return *n;
}

bool isPublicPath(const std::vector<std::string>& parts) {
  return parts.size() == 1 &&
         (parts[0] == "checkpoint" || parts[0] == "key" || parts[0] == "witness");
}

}  // namespace

AuditApi::AuditApi(audit::AuditLog& log, store::Store& store, const core::TimeSource& clock,
                   core::Logger& logger)
    : log_(log), store_(store), clock_(clock), logger_(logger), recorder_(clock) {}

bool AuditApi::isPublic(const ApiRequest& request) const {
  return isPublicPath(splitPath(request.path));
}

ApiResponse AuditApi::handle(const ApiRequest& request) {
  const int64_t started = clock_.nowMs();
  if (isPublic(request)) {
    Trace unrecorded;
    return dispatchGuarded(request, logger_, [&] { return dispatch(request, unrecorded); });
  }
  Trace trace;
  trace.types.insert("AuditEvent");
  trace.query = request.query;
  // Answers are noStoreResponse: proofs and checkpoints change as the log grows, and a cache must
  // not serve an old one as new.
  ApiResponse response =
      dispatchGuarded(request, logger_, [&] { return dispatch(request, trace); });
  return recorder_.recordAnswer(store_, request, std::move(response), trace, started, logger_);
}

ApiResponse AuditApi::dispatch(const ApiRequest& request, Trace& trace) {
  const std::vector<std::string> parts = splitPath(request.path);
  const bool isPublic = isPublicPath(parts);
  const bool isProof = parts.size() == 2 && parts[0] == "proof" &&
                       (parts[1] == "inclusion" || parts[1] == "consistency");
  const bool isRecord = parts.size() == 2 && parts[0] == "records";
  const bool isForwarding = parts.size() == 1 && parts[0] == "forwarding";
  if (isProof) {
    trace.interaction = "operation";
    trace.action = 'E';
  } else {
    trace.interaction = "read";
    trace.action = 'R';
  }
  if (!isPublic && !isProof && !isRecord && !isForwarding) {
    return errorResponse(core::notFound(
        "no such audit resource: /audit/checkpoint, /audit/key, /audit/proof/inclusion, "
        "/audit/proof/consistency, /audit/records/{seq}, /audit/witness and /audit/forwarding "
        "exist"));
  }
  if (request.method != "GET") return errorResponse({StatusCode::kMethodNotAllowed, "use GET"});
  if (isPublic) {
    if (parts[0] == "witness") return witness();
    return parts[0] == "checkpoint" ? checkpoint() : key();
  }

  // A request without valid credentials is recorded as a refused login, as on every endpoint.
  if (auto refused = checkIntegrationCaller(request, trace,
                                            "audit proofs and records are for the "
                                            "integration team")) {
    return *refused;
  }
  if (isRecord) return record(parts[1], trace);
  if (isForwarding) {
    if (!forwardingState_) return noStoreResponse(200, "{\"sinks\":[]}", kJson);
    return noStoreResponse(200, forwardingState_(), kJson);
  }
  return parts[1] == "inclusion" ? inclusion(request, trace) : consistency(request, trace);
}

ApiResponse AuditApi::checkpoint() {
  auto latest = store_.auditLog().latestAuditCheckpoint();
  if (!latest.isOk()) return errorResponse(latest.status());
  if (!latest->has_value()) {
    return errorResponse(core::notFound("no checkpoint has been signed yet"));
  }
  return noStoreResponse(200, (*latest)->note, kText);
}

ApiResponse AuditApi::key() {
  const audit::NoteVerifier& v = log_.verifier();
  std::string body = "{\"origin\":";
  core::appendJsonString(body, log_.origin());
  body += ",\"keyName\":";
  core::appendJsonString(body, v.name());
  body += ",\"algorithm\":\"Ed25519\",\"vkey\":";
  core::appendJsonString(body, v.vkey());
  body += ",\"publicKeyPem\":";
  core::appendJsonString(body, v.publicKeyPem());
  // After a rotation: every key with the tree sizes it signs, and the note (signed by the old and
  // the new key) that hands over from one to the next.
  auto keys = store_.auditLog().auditKeys();
  body += ",\"keys\":[";
  if (keys.isOk() && keys->empty()) {
    // Never rotated: the current key signs every checkpoint.
    body += "{\"vkey\":";
    core::appendJsonString(body, v.vkey());
    body += ",\"validFromSize\":1}";
  } else if (keys.isOk()) {
    for (size_t i = 0; i < keys->size(); ++i) {
      const store::AuditKeyRecord& k = (*keys)[i];
      if (i > 0) body += ',';
      body += "{\"vkey\":";
      core::appendJsonString(body, k.vkey);
      body += ",\"validFromSize\":" + std::to_string(k.validFromSize);
      if (i + 1 < keys->size()) {
        body += ",\"validToSize\":" + std::to_string((*keys)[i + 1].validFromSize - 1);
      }
      if (!k.rotationNote.empty()) {
        body += ",\"rotationNote\":";
        core::appendJsonString(body, k.rotationNote);
      }
      body += "}";
    }
  }
  body += "]}";
  return noStoreResponse(200, std::move(body), kJson);
}

ApiResponse AuditApi::witness() {
  if (!witnessState_) return errorResponse(core::notFound("no witness is configured"));
  return noStoreResponse(200, witnessState_(), kJson);
}

ApiResponse AuditApi::inclusion(const ApiRequest& request, Trace& trace) {
  auto p = params(request, {"seq", "size"});
  if (!p.isOk()) return errorResponse(p.status());
  auto seq = countParam(*p, "seq");
  if (!seq.isOk()) return errorResponse(seq.status());
  trace.entities.push_back("AuditEvent/" + std::to_string(*seq));
  uint64_t size = 0;
  if (p->count("size")) {
    auto given = countParam(*p, "size");
    if (!given.isOk()) return errorResponse(given.status());
    size = *given;
  } else {
    auto latest = store_.auditLog().latestAuditCheckpoint();
    if (!latest.isOk()) return errorResponse(latest.status());
    if (!latest->has_value()) {
      return errorResponse(core::notFound("no checkpoint has been signed yet; give size"));
    }
    size = static_cast<uint64_t>((*latest)->treeSize);
  }
  auto proof = log_.inclusionProof(*seq, size);
  if (!proof.isOk()) return errorResponse(proof.status());
  std::string body = "{\"seq\":" + std::to_string(*seq) +
                     ",\"leafIndex\":" + std::to_string(proof->leafIndex) +
                     ",\"treeSize\":" + std::to_string(proof->treeSize) + ",\"leafHash\":";
  core::appendJsonString(body, audit::merkle::toBase64(proof->leafHash));
  body += ",\"hashes\":" + hashArray(proof->hashes) + "}";
  return noStoreResponse(200, std::move(body), kJson);
}

ApiResponse AuditApi::consistency(const ApiRequest& request, Trace&) {
  auto p = params(request, {"from", "to"});
  if (!p.isOk()) return errorResponse(p.status());
  auto from = countParam(*p, "from");
  if (!from.isOk()) return errorResponse(from.status());
  uint64_t to = 0;
  if (p->count("to")) {
    auto given = countParam(*p, "to");
    if (!given.isOk()) return errorResponse(given.status());
    to = *given;
  } else {
    auto latest = store_.auditLog().latestAuditCheckpoint();
    if (!latest.isOk()) return errorResponse(latest.status());
    if (!latest->has_value()) {
      return errorResponse(core::notFound("no checkpoint has been signed yet; give to"));
    }
    to = static_cast<uint64_t>((*latest)->treeSize);
  }
  auto proof = log_.consistencyProof(*from, to);
  if (!proof.isOk()) return errorResponse(proof.status());
  std::string body = "{\"fromSize\":" + std::to_string(*from) +
                     ",\"toSize\":" + std::to_string(to) + ",\"hashes\":" + hashArray(*proof) + "}";
  return noStoreResponse(200, std::move(body), kJson);
}

ApiResponse AuditApi::record(const std::string& seqText, Trace& trace) {
  auto seq = parseCount(seqText);
  if (!seq.isOk()) return errorResponse(core::notFound("no audit record " + seqText));
  trace.entities.push_back("AuditEvent/" + std::to_string(*seq));
  auto records = store_.auditLog().auditRecords(static_cast<int64_t>(*seq), 1);
  if (!records.isOk()) return errorResponse(records.status());
  if (records->empty() || records->front().seq != static_cast<int64_t>(*seq)) {
    return errorResponse(core::notFound("no audit record " + seqText));
  }
  // The access shows in the patient's own log extract.
  if (!records->front().patient.empty()) trace.patient = records->front().patient;
  return noStoreResponse(200, records->front().json, kFhirJson);
}

}  // namespace brygga::api

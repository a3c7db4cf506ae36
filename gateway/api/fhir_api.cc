#include "gateway/api/fhir_api.h"

#include <algorithm>
#include <map>
#include <set>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/access/access_facts.h"
#include "gateway/access/access_policy.h"
#include "gateway/access/protected_identity.h"
#include "gateway/api/back_pressure.h"
#include "gateway/api/capability.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/api/query.h"
#include "gateway/api/responses.h"
#include "gateway/core/civil_time.h"
#include "gateway/core/digest.h"
#include "gateway/core/http_reason.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/resource_index.h"
#include "gateway/fhir/resource_types.h"
#include "gateway/flows/flow_router.h"

namespace brygga::api {

namespace {

using core::Status;
using core::StatusCode;
using core::StatusOr;
using rapidjson::Value;

#define BRYGGA_RETURN_RESPONSE_IF_ERROR(expr)               \
  do {                                                      \
    ::brygga::core::Status brygga_s_ = (expr);              \
    if (!brygga_s_.isOk()) return errorResponse(brygga_s_); \
  } while (0)

constexpr const char* kFhirJson = "application/fhir+json; charset=utf-8";

std::string etag(int64_t version) {
  return "W/\"" + std::to_string(version) + "\"";
}

// If-Match: W/"3" or "3" -> 3 (and a bare version number, as in _history/3).
StatusOr<int64_t> parseEtag(std::string_view text) {
  if (text.substr(0, 2) == "W/") text.remove_prefix(2);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text = text.substr(1, text.size() - 2);
  }
  return core::parseDecimal(text);
}

ApiResponse jsonResponse(int status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", kFhirJson);
  return r;
}

std::string header(const ApiRequest& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string() : it->second;
}

// One preference of the Prefer header (RFC 7240: "return=minimal, handling=lenient"), lower-cased;
// empty when the request does not state it.
std::string preference(const ApiRequest& request, std::string_view name) {
  const std::string prefer = core::lowerAscii(header(request, "prefer"));
  size_t start = 0;
  while (start < prefer.size()) {
    size_t end = prefer.find_first_of(",;", start);
    if (end == std::string::npos) end = prefer.size();
    std::string item = prefer.substr(start, end - start);
    item.erase(std::remove(item.begin(), item.end(), ' '), item.end());
    if (item.size() > name.size() && item.compare(0, name.size(), name) == 0 &&
        item[name.size()] == '=') {
      std::string value = item.substr(name.size() + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
    start = end + 1;
  }
  return {};
}

// "Application/FHIR+JSON; charset=utf-8" -> "application/fhir+json".
std::string mediaTypeOf(const std::string& value) {
  std::string v = core::lowerAscii(value.substr(0, value.find(';')));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  while (!v.empty() && v.front() == ' ') v.erase(0, 1);
  return v;
}

bool isJsonMediaType(const std::string& value) {
  const std::string v = mediaTypeOf(value);
  return v == "application/fhir+json" || v == "application/json" || v == "json";
}

// 406 Not Acceptable. Content negotiation is the FHIR API's own concern, so it has no core
// StatusCode of its own; the OperationOutcome says not-supported, as for a 415.
ApiResponse notAcceptable(const std::string& message) {
  ApiResponse r = errorResponse({StatusCode::kUnsupportedMediaType, message});
  r.status = 406;
  return r;
}

// Accept and _format may ask only for something we do not produce (XML, Turtle): 406. (A request
// body we cannot read is the other question, 415: see parseBody.)
std::optional<ApiResponse> checkResponseFormat(const ApiRequest& request,
                                               const QueryParams& params) {
  for (const auto& [name, value] : params) {
    if (name == "_format" && !isJsonMediaType(value)) {
      return notAcceptable("_format " + value +
                           " is not available: Brygga answers in application/fhir+json only");
    }
  }
  std::string accept = core::lowerAscii(header(request, "accept"));
  if (accept.empty() || accept.find("json") != std::string::npos ||
      accept.find("*/*") != std::string::npos ||
      accept.find("application/*") != std::string::npos) {
    return std::nullopt;
  }
  return notAcceptable("Accept " + accept +
                       " is not available: Brygga answers in application/fhir+json only");
}

// One create or update inside a write unit (a single interaction, or one entry of a transaction).
struct WriteOp {
  size_t entryIndex = 0;
  std::string method;  // POST | PUT
  std::string type;
  std::string id;         // PUT Type/id
  std::string condition;  // If-None-Exist (POST) or the query of a conditional PUT
  std::optional<int64_t> ifMatch;
  std::string fullUrl;
  Value* resource = nullptr;                                // points into the request document
  rapidjson::Document::AllocatorType* allocator = nullptr;  // that document's allocator
  // Outcome
  bool matchedExisting = false;  // conditional create found one: nothing written
  bool created = false;
  store::ResourceRecord record;
  std::string outcome;  // an OperationOutcome the flows answer with (a request out of hours)
};

// Resources that belong to no patient and are shared by every tenant (directory data).
bool isSharedType(const std::string& type) {
  return type == "Organization" || type == "Practitioner" || type == "PractitionerRole" ||
         type == "Location" || type == "HealthcareService";
}

// The self and next links of one page of a search or history.
struct PageLinks {
  std::string self;
  std::string next;  // empty on the last page

  // `{"relation":"self","url":...}` and the next one, for a Bundle's link array.
  std::string json() const {
    std::string out = R"({"relation":"self","url":")";
    core::appendJsonEscaped(out, self);
    out += "\"}";
    if (!next.empty()) {
      out += R"(,{"relation":"next","url":")";
      core::appendJsonEscaped(out, next);
      out += "\"}";
    }
    return out;
  }
};

// Links that repeat the caller's parameters (but its paging) with ours, below `url`.
PageLinks pageLinks(const std::string& url, const QueryParams& params,
                    const store::SearchQuery& query, const store::SearchPage& page) {
  std::string common;
  for (const auto& [name, value] : params) {
    if (name == "_offset" || name == "_count") continue;
    common += core::percentEncode(name) + "=" + core::percentEncode(value) + "&";
  }
  const std::string base = url + "?" + common + "_count=" + std::to_string(query.count);
  PageLinks links;
  links.self = base + "&_offset=" + std::to_string(query.offset);
  if (query.offset + static_cast<int64_t>(page.records.size()) < page.total && query.count > 0) {
    links.next = base + "&_offset=" + std::to_string(query.offset + query.count);
  }
  return links;
}

// A Bundle entry's response.status: "201 Created".
std::string statusText(int status) {
  return std::to_string(status) + " " + core::httpReasonPhrase(status);
}

std::string locationOf(const std::string& base, const store::ResourceRecord& r) {
  return base + "/" + r.type + "/" + r.id + "/_history/" + std::to_string(r.version);
}

}  // namespace

class FhirApi::Impl {
 public:
  explicit Impl(ApiDependencies deps)
      : deps_(std::move(deps)),
        recorder_(deps_.clock),
        capability_(buildCapabilityStatement(deps_.limits)),
        flows_(deps_.flows),
        policy_(deps_.access) {}

  const std::string& capability() const { return capability_; }

  ApiResponse handle(const ApiRequest& request) {
    const int64_t started = deps_.clock.nowMs();
    Trace trace;
    // The mappings in force when the request arrived serve it throughout, and are recorded.
    if (flows_ != nullptr) trace.mappings = flows_->mappings();
    std::vector<store::OutboxEntry> outbox;
    ApiResponse response;
    // Writes commit their exchange line and AuditEvent inside their own unit (`committed`);
    // everything else (reads, refusals, failed writes) records them in a unit of their own.
    bool committed = false;
    try {
      response = dispatch(request, trace, started, committed);
    } catch (const std::exception& e) {
      deps_.logger.error("request.exception",
                         {{"requestId", request.requestId}, {"what", e.what()}});
      response = errorResponse(core::internalError("internal error; see the gateway log"));
      committed = false;
    }
    if (!committed && trace.audited) {
      Status s = recorder_.recordAlone(deps_.store, request, response.status, trace, started,
                                       ExchangeRecorder::detailOf(response.status, response.body));
      if (!s.isOk()) {
        // The exchange cannot be recorded: the sender must not believe it was handled.
        deps_.logger.error("audit.write_failed", {{"requestId", request.requestId},
                                                  {"status", core::toString(s.code())}});
        if (response.status < 400) response = errorResponse(s);
      }
    }
    return response;
  }

 private:
  Status recordExchange(store::StoreTransaction& txn, const ApiRequest& request, int status,
                        const Trace& trace, int64_t started, const std::string& detail) {
    return recorder_.record(txn, request, status, trace, started, detail);
  }

  ApiResponse dispatch(const ApiRequest& request, Trace& trace, int64_t started, bool& committed) {
    auto parts = splitPath(request.path);
    auto params = parseQuery(request.query);
    if (!params.isOk()) return errorResponse(params.status());
    trace.query = request.query;

    if (parts.size() == 1 && parts[0] == "metadata") {
      trace.audited = false;
      if (request.method != "GET") return errorResponse({StatusCode::kMethodNotAllowed, "use GET"});
      if (auto refused = checkResponseFormat(request, *params)) return *refused;
      return jsonResponse(200, capability_);
    }
    if (!request.caller.authenticated) {
      trace.interaction = "login";
      // An attempt on a patient's record shows in that patient's log extract, even unidentified.
      if (parts.size() >= 2 && parts[0] == "Patient" && fhir::isValidId(parts[1])) {
        trace.patient = "Patient/" + parts[1];
      }
      return errorResponse(core::unauthenticated(
          "authentication required: a client certificate (HTTPS) or a bearer token"));
    }
    if (auto refused = checkResponseFormat(request, *params)) return *refused;

    // The HTTP layer passes the path undecoded: "$" may arrive percent-encoded.
    if (!parts.empty() && parts.size() <= 2 &&
        (parts.back() == "$validate" || parts.back() == "%24validate")) {
      return validateOperation(request, parts.size() == 2 ? parts[0] : std::string(), trace);
    }
    if (parts.empty()) {
      if (request.method != "POST") {
        return errorResponse({StatusCode::kMethodNotAllowed,
                              "the FHIR base accepts POST of a transaction or batch Bundle"});
      }
      return bundle(request, trace, started, committed);
    }
    const std::string& type = parts[0];
    if (!fhir::isSupportedResourceType(type)) {
      return errorResponse(core::notFound("resource type '" + type + "' is not supported"));
    }
    trace.types.insert(type);
    if (parts.size() == 1) {
      if (request.method == "GET") return search(request, type, *params, trace);
      if (request.method == "POST") return create(request, type, trace, started, committed);
      if (request.method == "PUT" && !request.query.empty()) {
        return update(request, type, "", trace, started, committed);
      }
    } else if (parts.size() == 2) {
      if (parts[1] == "_search" && request.method == "POST") {
        return searchByPost(request, type, *params, trace);
      }
      if (parts[1] == "_history" && request.method == "GET") {
        return typeHistory(request, type, *params, trace);
      }
      if (request.method == "GET") return read(request, type, parts[1], std::nullopt, trace);
      if (request.method == "PUT")
        return update(request, type, parts[1], trace, started, committed);
    } else if (parts.size() == 3 && parts[2] == "_history" && request.method == "GET") {
      return history(request, type, parts[1], *params, trace);
    } else if (parts.size() == 4 && parts[2] == "_history" && request.method == "GET") {
      auto version = parseEtag(parts[3]);
      if (!version.isOk()) return errorResponse(core::notFound("no version '" + parts[3] + "'"));
      return read(request, type, parts[1], *version, trace);
    }
    return errorResponse(
        {StatusCode::kMethodNotAllowed, request.method + " " + request.path + " is not supported"});
  }

  // --- Authorization -----------------------------------------------------------------------

  access::CallerAccess accessOf(const Caller& caller) const {
    return policy_.forCaller(caller.role, caller.tenant, deps_.clock.nowMs());
  }

  // What a reader gets of a stored resource: a protected identity's Patient without address and
  // telecom, except for the integration role.
  static std::string forReader(const Caller& caller, const store::ResourceRecord& record) {
    if (record.type != "Patient" || caller.role == core::ClientRole::kIntegration) {
      return record.json;
    }
    return access::redactedForReader(record.json);
  }

  // Whether the caller may read `record` (gateway/access). One it may not is answered exactly as
  // one that does not exist; the audit record says why (the PDL access log).
  StatusOr<bool> mayRead(const Caller& caller, const store::ResourceRecord& record, Trace& trace) {
    BRYGGA_ASSIGN_OR_RETURN(access::Decision d,
                            accessOf(caller).read(record, [this](const std::string& patientId) {
                              return deps_.store.accessFacts(patientId);
                            }));
    if (d.verdict == access::Verdict::kBlocked) {
      trace.accessNote = "refused: a block against " + d.blockedParty + " stands";
    } else if (!d.allowed()) {
      trace.accessNote = "not found for the caller: no care relationship";
    }
    return d.allowed();
  }

  // An access token's scopes narrow the role: each interaction on each type needs its scope.
  static Status authorizeScope(const Caller& caller, const std::string& type,
                               auth::Interaction interaction) {
    if (!caller.scopes || caller.scopes->permits(type, interaction)) return Status::ok();
    const std::string needed = auth::ScopeSet::needed(type, interaction);
    return Status(StatusCode::kPermissionDenied,
                  "the access token's scopes do not allow this: it needs " + needed,
                  {core::Issue::error("forbidden", "missing scope " + needed, type)});
  }

  // Which types the caller's role writes at all (gateway/access), then its token's scopes.
  Status authorizeWrite(const Caller& caller, const std::string& type,
                        auth::Interaction interaction) const {
    BRYGGA_RETURN_IF_ERROR(accessOf(caller).mayWriteType(type));
    return authorizeScope(caller, type, interaction);
  }

  // --- Reads ---------------------------------------------------------------------------------

  ApiResponse read(const ApiRequest& request, const std::string& type, const std::string& id,
                   std::optional<int64_t> version, Trace& trace) {
    trace.interaction = version ? "vread" : "read";
    trace.action = 'R';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(authorizeScope(request.caller, type, auth::Interaction::kRead));
    trace.entities.push_back(type + "/" + id);
    if (type == "AuditEvent") return readAudit(request, id, trace);
    if (!fhir::isValidId(id)) return errorResponse(core::notFound("no " + type + "/" + id));
    const auto notFound = [&] {
      return errorResponse(core::notFound(type + "/" + id +
                                          (version ? " has no version " + std::to_string(*version)
                                                   : std::string(" does not exist"))));
    };
    auto found = deps_.store.read(type, id, version);
    if (!found.isOk()) return errorResponse(found.status());
    if (!found->has_value()) return notFound();
    const store::ResourceRecord& record = **found;
    // Known before the access check, so a refused attempt shows in the patient's access log too.
    trace.patient = patientOf(record);
    auto readable = mayRead(request.caller, record, trace);
    if (!readable.isOk()) return errorResponse(readable.status());
    if (!*readable) return notFound();  // deleted or not: what the caller may not see is not there
    if (record.deleted) return errorResponse({StatusCode::kGone, type + "/" + id + " was deleted"});
    ApiResponse r = jsonResponse(200, forReader(request.caller, record));
    r.headers.emplace_back("ETag", etag(record.version));
    r.headers.emplace_back("Last-Modified", core::formatHttpDate(record.lastUpdatedMs));
    return r;
  }

  static std::optional<std::string> patientOf(const store::ResourceRecord& record) {
    if (record.type == "Patient") return "Patient/" + record.id;
    auto doc = fhir::parseJson(record.json);
    if (!doc.isOk()) return std::nullopt;
    return fhir::patientReferenceOf(*doc);
  }

  ApiResponse readAudit(const ApiRequest& request, const std::string& id, Trace& trace) {
    if (request.caller.role != core::ClientRole::kIntegration) {
      return errorResponse(core::permissionDenied("AuditEvents are for the integration team"));
    }
    const auto seq = core::parseDecimal(id);
    if (!seq.isOk()) return errorResponse(core::notFound("no AuditEvent/" + id));
    auto records = deps_.store.auditRecords(*seq, 1);
    if (!records.isOk()) return errorResponse(records.status());
    if (records->empty() || records->front().seq != *seq) {
      return errorResponse(core::notFound("no AuditEvent/" + id));
    }
    if (!records->front().patient.empty()) trace.patient = records->front().patient;
    return jsonResponse(200, records->front().json);
  }

  std::string searchsetBundle(const PageLinks& links, int64_t total,
                              const std::vector<std::string>& fullUrls,
                              const std::vector<const std::string*>& resources) {
    std::string out = R"({"resourceType":"Bundle","type":"searchset","total":)";
    out += std::to_string(total);
    out += R"(,"link":[)" + links.json() + R"(],"entry":[)";
    for (size_t i = 0; i < resources.size(); ++i) {
      if (i > 0) out += ',';
      out += R"({"fullUrl":")";
      core::appendJsonEscaped(out, fullUrls[i]);
      out += R"(","resource":)";
      out += *resources[i];
      out += R"(,"search":{"mode":"match"}})";
    }
    out += "]}";
    return out;
  }

  ApiResponse search(const ApiRequest& request, const std::string& type, const QueryParams& params,
                     Trace& trace) {
    trace.interaction = "search-type";
    trace.action = 'E';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeScope(request.caller, type, auth::Interaction::kSearch));
    // Lenient: what the type does not search by is left out, of the search and of its links.
    const QueryParams& used =
        preference(request, "handling") == "lenient" ? withoutUnknownParams(type, params) : params;
    auto query =
        buildSearchQuery(type, used, deps_.limits.defaultPageSize, deps_.limits.maxPageSize);
    if (!query.isOk()) return errorResponse(query.status());
    for (const auto& c : query->criteria) {
      if (c.param == "patient" && c.values.size() == 1) trace.patient = c.values[0];
    }
    if (type == "AuditEvent") return searchAudit(request, *query, trace);
    // The store counts and pages only what the caller may see.
    query->visibility = accessOf(request.caller).visibility();
    auto page = deps_.store.search(*query);
    if (!page.isOk()) return errorResponse(page.status());

    const PageLinks links = pageLinks(request.baseUrl + "/" + type, used, *query, *page);
    std::vector<std::string> fullUrls;
    std::vector<const std::string*> bodies;
    for (auto& r : page->records) {
      fullUrls.push_back(request.baseUrl + "/" + r.type + "/" + r.id);
      r.json = forReader(request.caller, r);
      bodies.push_back(&r.json);
      trace.entities.push_back(r.type + "/" + r.id);
    }
    return jsonResponse(200, searchsetBundle(links, page->total, fullUrls, bodies));
  }

  // POST [type]/_search (R4 3.1.1.2): the parameters in a form body, together with any in the URL,
  // answered as the same GET search.
  ApiResponse searchByPost(const ApiRequest& request, const std::string& type, QueryParams params,
                           Trace& trace) {
    trace.interaction = "search-type";
    trace.action = 'E';
    const std::string contentType = header(request, "content-type");
    if (mediaTypeOf(contentType) != "application/x-www-form-urlencoded") {
      return errorResponse(
          {StatusCode::kUnsupportedMediaType, "Content-Type '" + contentType +
                                                  "' is not supported: POST _search takes "
                                                  "application/x-www-form-urlencoded"});
    }
    auto form = parseQuery(request.body);
    if (!form.isOk()) return errorResponse(form.status());
    if (auto refused = checkResponseFormat(request, *form)) return *refused;
    if (!request.body.empty()) {
      trace.query += (trace.query.empty() ? "" : "&") + request.body;
    }
    params.insert(params.end(), form->begin(), form->end());
    return search(request, type, params, trace);
  }

  ApiResponse searchAudit(const ApiRequest& request, const store::SearchQuery& query,
                          Trace& trace) {
    if (request.caller.role != core::ClientRole::kIntegration) {
      return errorResponse(core::permissionDenied("AuditEvents are for the integration team"));
    }
    StatusOr<std::vector<store::AuditRecord>> records = std::vector<store::AuditRecord>{};
    if (trace.patient) {
      records = deps_.store.auditRecordsForPatient(*trace.patient, query.count);
    } else {
      records = deps_.store.auditRecords(query.offset + 1, query.count);
    }
    if (!records.isOk()) return errorResponse(records.status());
    std::vector<std::string> fullUrls;
    std::vector<const std::string*> bodies;
    for (const auto& r : *records) {
      fullUrls.push_back(request.baseUrl + "/AuditEvent/" + std::to_string(r.seq));
      bodies.push_back(&r.json);
    }
    PageLinks links;
    links.self = request.baseUrl + "/AuditEvent" +
                 (request.query.empty() ? std::string() : "?" + request.query);
    return jsonResponse(
        200, searchsetBundle(links, static_cast<int64_t>(records->size()), fullUrls, bodies));
  }

  // GET [type]/{id}/_history: every version, newest first, paged by _count and _offset. Access is
  // decided on the current version, as for a read: what the caller may not read does not exist.
  ApiResponse history(const ApiRequest& request, const std::string& type, const std::string& id,
                      const QueryParams& params, Trace& trace) {
    trace.interaction = "history-instance";
    trace.action = 'R';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(authorizeScope(request.caller, type, auth::Interaction::kRead));
    trace.entities.push_back(type + "/" + id);
    if (type == "AuditEvent" || !fhir::isValidId(id)) {
      return errorResponse(core::notFound("no history for " + type + "/" + id));
    }
    auto query =
        buildHistoryQuery(type, params, deps_.limits.defaultPageSize, deps_.limits.maxPageSize);
    if (!query.isOk()) return errorResponse(query.status());
    auto versions = deps_.store.history(type, id);
    if (!versions.isOk()) return errorResponse(versions.status());
    const Status notFound = core::notFound(type + "/" + id + " does not exist");
    if (versions->empty()) return errorResponse(notFound);
    trace.patient = patientOf(versions->front());
    auto readable = mayRead(request.caller, versions->front(), trace);
    if (!readable.isOk()) return errorResponse(readable.status());
    if (!*readable) return errorResponse(notFound);
    // A resource has few versions: they are paged here rather than in the store.
    store::SearchPage page;
    for (auto& v : *versions) {
      if (query->lastUpdatedGeMs && v.lastUpdatedMs < *query->lastUpdatedGeMs) continue;
      if (page.total++ >= query->offset &&
          page.records.size() < static_cast<size_t>(query->count)) {
        page.records.push_back(std::move(v));
      }
    }
    return jsonResponse(
        200, historyBundle(request, "/" + type + "/" + id + "/_history", params, *query, page));
  }

  // GET [type]/_history: every version of the resources of the type the caller may read (the
  // store pages only those, as for a search), newest first.
  ApiResponse typeHistory(const ApiRequest& request, const std::string& type,
                          const QueryParams& params, Trace& trace) {
    trace.interaction = "history-type";
    trace.action = 'R';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeScope(request.caller, type, auth::Interaction::kSearch));
    if (type == "AuditEvent") return errorResponse(core::notFound("no history for AuditEvent"));
    auto query =
        buildHistoryQuery(type, params, deps_.limits.defaultPageSize, deps_.limits.maxPageSize);
    if (!query.isOk()) return errorResponse(query.status());
    query->visibility = accessOf(request.caller).visibility();
    auto page = deps_.store.typeHistory(*query);
    if (!page.isOk()) return errorResponse(page.status());
    for (const auto& r : page->records) trace.entities.push_back(r.type + "/" + r.id);
    return jsonResponse(200,
                        historyBundle(request, "/" + type + "/_history", params, *query, *page));
  }

  // A history Bundle of `page` (versions, newest first) with self and next links below `path`.
  std::string historyBundle(const ApiRequest& request, const std::string& path,
                            const QueryParams& params, const store::SearchQuery& query,
                            const store::SearchPage& page) {
    const PageLinks links = pageLinks(request.baseUrl + path, params, query, page);
    std::string out = R"({"resourceType":"Bundle","type":"history","total":)" +
                      std::to_string(page.total) + R"(,"link":[)" + links.json() + R"(],"entry":[)";
    bool first = true;
    for (const auto& v : page.records) {
      if (!first) out += ',';
      first = false;
      out += R"({"fullUrl":")";
      core::appendJsonEscaped(out, request.baseUrl + "/" + v.type + "/" + v.id);
      out += "\"";
      if (!v.deleted) out += R"(,"resource":)" + forReader(request.caller, v);
      out += R"(,"request":{"method":")";
      out += v.deleted ? "DELETE" : (v.version == 1 ? "POST" : "PUT");
      out += R"(","url":")" + v.type + (v.version == 1 ? std::string() : "/" + v.id) + "\"}";
      out += R"(,"response":{"status":")" + std::string(v.version == 1 ? "201" : "200") +
             R"(","etag":")" + std::string("W/\\\"") + std::to_string(v.version) + "\\\"" +
             R"(","lastModified":")" + core::formatInstant(v.lastUpdatedMs) + "\"}}";
    }
    out += "]}";
    return out;
  }

  // --- Writes --------------------------------------------------------------------------------

  StatusOr<rapidjson::Document> parseBody(const ApiRequest& request) {
    std::string contentType = header(request, "content-type");
    if (!isJsonMediaType(contentType)) {
      return Status(
          StatusCode::kUnsupportedMediaType,
          "Content-Type '" + contentType + "' is not supported: send application/fhir+json");
    }
    fhir::JsonLimits limits;
    limits.maxBytes = static_cast<size_t>(deps_.limits.maxBodyBytes);
    limits.maxDepth = deps_.limits.maxJsonDepth;
    BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, fhir::parseJson(request.body, limits));
    // Before any validation or write work: a Bundle's cost grows with its entries, and the
    // writes of a transaction hold the single writer.
    if (fhir::stringMember(doc, "resourceType") == "Bundle") {
      const Value* entries = fhir::member(doc, "entry");
      if (entries != nullptr && entries->IsArray() &&
          static_cast<int64_t>(entries->Size()) > deps_.limits.maxBundleEntries) {
        return Status(StatusCode::kPayloadTooLarge,
                      "the Bundle has " + std::to_string(entries->Size()) +
                          " entries; this gateway takes at most " +
                          std::to_string(deps_.limits.maxBundleEntries) +
                          " in one Bundle: send it in parts");
      }
    }
    return doc;
  }

  Status validateResource(const Value& resource) {
    auto issues = deps_.validator.validate(resource);
    if (fhir::hasErrors(issues)) {
      if (deps_.validationObserver != nullptr) {
        deps_.validationObserver->onValidationFailure(fhir::stringMember(resource, "resourceType"));
      }
      return core::unprocessable("the resource is not valid", std::move(issues));
    }
    return Status::ok();
  }

  // POST [base]/$validate and [base]/{type}/$validate: the body (a resource, or a Parameters with
  // a `resource` parameter) is validated and never stored; the answer is 200 with an
  // OperationOutcome of every issue, or a single "All OK" information.
  ApiResponse validateOperation(const ApiRequest& request, const std::string& type, Trace& trace) {
    trace.interaction = "operation";
    trace.action = 'E';
    if (request.method != "POST") {
      return errorResponse({StatusCode::kMethodNotAllowed, "$validate takes POST"});
    }
    if (!type.empty()) {
      if (!fhir::isKnownR4ResourceType(type)) {
        return errorResponse(core::notFound("resource type '" + type + "' is not a FHIR R4 type"));
      }
      trace.types.insert(type);
    }
    auto doc = parseBody(request);
    if (!doc.isOk()) return errorResponse(doc.status());
    const Value* resource = &doc.value();
    if (fhir::stringMember(*resource, "resourceType") == "Parameters" && type != "Parameters") {
      resource = nullptr;
      const Value* parameters = fhir::member(*doc, "parameter");
      if (parameters != nullptr && parameters->IsArray()) {
        for (const auto& p : parameters->GetArray()) {
          const Value* r = fhir::member(p, "resource");
          if (fhir::stringMember(p, "name") == "resource" && r != nullptr && r->IsObject()) {
            resource = r;
            break;
          }
        }
      }
      if (resource == nullptr) {
        return errorResponse(
            core::invalidArgument("a Parameters body needs a 'resource' parameter to validate"));
      }
    }
    if (!type.empty() && fhir::stringMember(*resource, "resourceType") != type) {
      return errorResponse(core::invalidArgument("the resource to validate is not a " + type));
    }
    return jsonResponse(200, fhir::operationOutcomeJson(deps_.validator.validate(*resource)));
  }

  ApiResponse create(const ApiRequest& request, const std::string& type, Trace& trace,
                     int64_t started, bool& committed) {
    trace.interaction = "create";
    trace.action = 'C';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeWrite(request.caller, type, auth::Interaction::kCreate));
    auto doc = parseBody(request);
    if (!doc.isOk()) return errorResponse(doc.status());
    if (fhir::stringMember(*doc, "resourceType") != type) {
      return errorResponse(core::invalidArgument("the body is not a " + type));
    }
    BRYGGA_RETURN_RESPONSE_IF_ERROR(validateResource(*doc));
    WriteOp op;
    op.method = "POST";
    op.type = type;
    op.condition = header(request, "if-none-exist");
    op.resource = &doc.value();
    op.allocator = &doc->GetAllocator();
    std::vector<WriteOp> ops;
    ops.push_back(std::move(op));
    Status s = commitOps(request, ops, trace, started, /*transaction=*/false, committed);
    if (!s.isOk()) return errorResponse(s);
    return writeResponse(request, ops.front());
  }

  ApiResponse update(const ApiRequest& request, const std::string& type, const std::string& id,
                     Trace& trace, int64_t started, bool& committed) {
    trace.interaction = "update";
    trace.action = 'U';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeWrite(request.caller, type, auth::Interaction::kUpdate));
    auto doc = parseBody(request);
    if (!doc.isOk()) return errorResponse(doc.status());
    if (fhir::stringMember(*doc, "resourceType") != type) {
      return errorResponse(core::invalidArgument("the body is not a " + type));
    }
    if (!id.empty()) {
      if (!fhir::isValidId(id)) return errorResponse(core::invalidArgument("bad id '" + id + "'"));
      std::string_view bodyId = fhir::stringMember(*doc, "id");
      if (bodyId != id) {
        return errorResponse(core::invalidArgument(
            "the resource id in the body must equal the id in the URL (" + id + ")"));
      }
    }
    BRYGGA_RETURN_RESPONSE_IF_ERROR(validateResource(*doc));
    WriteOp op;
    op.method = "PUT";
    op.type = type;
    op.id = id;
    op.condition = id.empty() ? request.query : std::string();
    std::string ifMatch = header(request, "if-match");
    if (!ifMatch.empty()) {
      auto version = parseEtag(ifMatch);
      if (!version.isOk()) {
        return errorResponse(core::invalidArgument("If-Match must be an ETag W/\"n\""));
      }
      op.ifMatch = *version;
    }
    op.resource = &doc.value();
    op.allocator = &doc->GetAllocator();
    std::vector<WriteOp> ops;
    ops.push_back(std::move(op));
    Status s = commitOps(request, ops, trace, started, false, committed);
    if (!s.isOk()) return errorResponse(s);
    return writeResponse(request, ops.front());
  }

  ApiResponse writeResponse(const ApiRequest& request, const WriteOp& op) {
    ApiResponse r;
    r.status = op.created ? 201 : 200;
    const std::string wanted = preference(request, "return");
    if (wanted == "operationoutcome" && op.outcome.empty()) {
      const std::string what =
          op.record.type + "/" + op.record.id + " version " + std::to_string(op.record.version);
      r.body = fhir::operationOutcomeJson(
          {core::Issue{core::Issue::Severity::kInformation, "informational",
                       op.created           ? what + " created"
                       : op.matchedExisting ? what + " already exists; nothing was written"
                                            : what + " updated"}});
      r.headers.emplace_back("Content-Type", kFhirJson);
    } else if (!op.outcome.empty() && wanted != "representation") {
      // What the flows answered (a request rejected out of hours) is what the sender must read.
      r.body = op.outcome;
      r.headers.emplace_back("Content-Type", kFhirJson);
    } else if (wanted != "minimal") {
      // A create that found the person answers with what a read would show.
      r.body = op.matchedExisting ? forReader(request.caller, op.record) : op.record.json;
      r.headers.emplace_back("Content-Type", kFhirJson);
    }
    r.headers.emplace_back("Location", locationOf(request.baseUrl, op.record));
    r.headers.emplace_back("ETag", etag(op.record.version));
    r.headers.emplace_back("Last-Modified", core::formatHttpDate(op.record.lastUpdatedMs));
    return r;
  }

  // Resolves a conditional (If-None-Exist or conditional update) to the ids that match.
  // It sees only what the caller may read, and of the types their owner writes only the caller's
  // own: another party's record behaves as if there were none.
  StatusOr<std::vector<std::string>> matches(store::StoreTransaction& txn,
                                             const access::CallerAccess& ca,
                                             const std::string& type,
                                             const std::string& condition) {
    BRYGGA_ASSIGN_OR_RETURN(QueryParams params, parseQuery(condition));
    if (params.empty()) return core::invalidArgument("empty condition");
    BRYGGA_ASSIGN_OR_RETURN(store::SearchQuery query, buildSearchQuery(type, params, 2, 2));
    query.count = 2;
    query.offset = 0;
    query.visibility = ca.visibility();
    if (isSharedType(type) || type == "EpisodeOfCare" || type == "Consent") {
      query.tenant = ca.owner();
    }
    BRYGGA_ASSIGN_OR_RETURN(store::SearchPage page, txn.search(query));
    std::vector<std::string> ids;
    for (const auto& r : page.records) ids.push_back(r.id);
    return ids;
  }

  // The patients this unit gives the caller a care relationship to: those of the active home-care
  // EpisodeOfCare a municipality writes (its enrollment), by literal reference.
  static std::set<std::string> establishedPatients(const std::vector<WriteOp>& ops,
                                                   const access::CallerAccess& ca) {
    std::set<std::string> out;
    if (ca.role() != core::ClientRole::kMunicipal) return out;
    for (const auto& op : ops) {
      if (op.type != "EpisodeOfCare" || op.resource == nullptr) continue;
      if (!access::establishesRelationship(*op.resource, ca.nowMs())) continue;
      std::string id = patientIdOf(*op.resource);
      if (!id.empty()) out.insert(std::move(id));
    }
    return out;
  }

  // The id of the Patient a resource concerns (its own for a Patient); empty when none.
  static std::string patientIdOf(const Value& resource) {
    auto ref = fhir::patientReferenceOf(resource);
    if (!ref || ref->rfind("Patient/", 0) != 0) return {};
    return ref->substr(8);
  }

  // The Patient already holding one of the person numbers a Patient carries (one person, one
  // Patient: the store's unique key on the number).
  static StatusOr<std::optional<std::string>> patientHolding(store::StoreTransaction& txn,
                                                             const Value& patient) {
    for (const store::PersonIdentity& identity : access::identitiesOf(patient)) {
      BRYGGA_ASSIGN_OR_RETURN(std::optional<std::string> holder,
                              txn.patientByNumber(identity.kind, identity.number));
      if (holder) return holder;
    }
    return std::optional<std::string>();
  }

  // A Patient's person numbers are fixed once it exists. An update adding one would otherwise
  // answer differently for a number another Patient holds (the store's unique key) than for a
  // free one, and so tell the caller that person is in Brygga: it is refused alike for every
  // number. A wrong number is the integration team's to correct; removing one is allowed.
  static Status keepsPersonNumbers(const store::ResourceRecord& current, const Value& patient,
                                   const std::string& where) {
    BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document stored, fhir::parseJson(current.json));
    const std::vector<store::PersonIdentity> before = access::identitiesOf(stored);
    for (const store::PersonIdentity& identity : access::identitiesOf(patient)) {
      if (std::find(before.begin(), before.end(), identity) != before.end()) continue;
      const std::string text =
          "Patient.identifier: an update does not add or change a personnummer or "
          "samordningsnummer; the integration team corrects a Patient's number";
      return core::unprocessable(where + text,
                                 {core::Issue::error("business-rule", text, "Patient.identifier")});
    }
    return Status::ok();
  }

  // A Patient written by a caller without a care relationship to it: the same answer whether or
  // not Brygga holds that person.
  static Status noRelationshipToPatient(const std::string& where) {
    const std::string text =
        "Patient: this client has no care relationship with that patient; a patient enters "
        "Brygga through its municipality's enrollment (a transaction with the Patient and an "
        "active home-care EpisodeOfCare)";
    return core::unprocessable(where + text,
                               {core::Issue::error("business-rule", text, "Patient")});
  }

  // Runs `ops` in one write unit together with their outbox entries, exchange line and
  // AuditEvent. For a transaction the ops are the Bundle's entries.
  Status commitOps(const ApiRequest& request, std::vector<WriteOp>& ops, Trace& trace,
                   int64_t started, bool transaction, bool& committed) {
    std::vector<std::string> enqueuedTo;
    int status = 0;
    Status s = deps_.store.write([&](store::StoreTransaction& txn) -> Status {
      enqueuedTo.clear();
      BRYGGA_RETURN_IF_ERROR(prepareFlows(txn, request, ops, trace));
      BRYGGA_RETURN_IF_ERROR(applyOps(txn, request.caller, ops, trace.mappings.get()));
      BRYGGA_RETURN_IF_ERROR(route(txn, request, ops, trace, enqueuedTo));
      for (const auto& op : ops) {
        trace.types.insert(op.type);
        trace.entities.push_back(op.record.type + "/" + op.record.id);
        if (!trace.patient) trace.patient = patientOf(op.record);
      }
      status = transaction ? 200 : (ops.front().created ? 201 : 200);
      return recordExchange(txn, request, status, trace, started, "ok");
    });
    if (!s.isOk()) {
      trace.entities.clear();
      return s;
    }
    committed = true;
    for (const auto& destination : enqueuedTo) {
      if (deps_.onEnqueued) deps_.onEnqueued(destination);
    }
    return Status::ok();
  }

  // `set`: the mappings in force (a block's party is found through its routing table); may be
  // null when no flows are wired, and then a Consent cannot be written.
  Status applyOps(store::StoreTransaction& txn, const Caller& caller, std::vector<WriteOp>& ops,
                  const mappings::MappingSet* set) {
    const int64_t now = deps_.clock.nowMs();
    const access::CallerAccess ca = accessOf(caller);
    // 1. Resolve conditionals and assign ids.
    std::map<std::string, std::string> resolved;  // fullUrl -> "Type/id"
    for (auto& op : ops) {
      op.matchedExisting = false;
      op.created = false;
      std::string where = transactionEntryPrefix(op);
      bool fresh = false;  // no existing resource named or matched
      if (op.method == "POST") {
        op.id.clear();
        if (!op.condition.empty()) {
          auto found = matches(txn, ca, op.type, op.condition);
          if (!found.isOk()) return withPrefix(found.status(), where + "If-None-Exist: ");
          if (found->size() > 1) {
            return core::preconditionFailed(where + "If-None-Exist matches more than one " +
                                            op.type);
          }
          if (found->size() == 1) {
            op.id = found->front();
            op.matchedExisting = true;
          }
        }
        fresh = op.id.empty();
        if (fresh) op.id = core::newTimeOrderedUuid();
      } else if (op.id.empty()) {
        auto found = matches(txn, ca, op.type, op.condition);
        if (!found.isOk()) return withPrefix(found.status(), where + "conditional update: ");
        if (found->size() > 1) {
          return core::preconditionFailed(where + "the conditional update matches more than one " +
                                          op.type);
        }
        if (found->size() == 1) {
          op.id = found->front();
        } else {
          fresh = true;
          std::string_view bodyId = fhir::stringMember(*op.resource, "id");
          op.id = !bodyId.empty() && fhir::isValidId(bodyId) ? std::string(bodyId)
                                                             : core::newTimeOrderedUuid();
        }
      }
      // One person, one Patient: a Patient whose number Brygga holds is that Patient, whatever
      // the condition said (a plain create answers as a conditional create that matched). The
      // access check below decides as for any Patient, so nothing tells whether it existed.
      if (op.type == "Patient" && fresh) {
        BRYGGA_ASSIGN_OR_RETURN(std::optional<std::string> holder,
                                patientHolding(txn, *op.resource));
        if (holder) {
          op.id = *holder;
          op.matchedExisting = op.method == "POST";
        }
      }
      if (!op.fullUrl.empty()) resolved[op.fullUrl] = op.type + "/" + op.id;
    }
    // 2. Point references at the ids just assigned.
    for (auto& op : ops) {
      if (resolved.empty()) break;
      fhir::rewriteReferences(*op.resource, *op.allocator,
                              [&](const std::string& ref) -> std::optional<std::string> {
                                auto it = resolved.find(ref);
                                if (it == resolved.end()) return std::nullopt;
                                return it->second;
                              });
    }
    // 3. Decide access and write.
    const std::set<std::string> established = establishedPatients(ops, ca);
    for (auto& op : ops) {
      std::string where = transactionEntryPrefix(op);
      BRYGGA_ASSIGN_OR_RETURN(std::optional<store::ResourceRecord> current,
                              txn.readCurrent(op.type, op.id));
      const std::string patientId = op.type == "Patient" ? op.id : patientIdOf(*op.resource);
      if (!patientId.empty()) {
        BRYGGA_ASSIGN_OR_RETURN(store::PatientAccessFacts facts, txn.accessFacts(patientId));
        if (!ca.writePatient(facts, established.count(patientId) > 0).allowed()) {
          return op.type == "Patient" ? noRelationshipToPatient(where)
                                      : flows::patientNotKnown(op.type);
        }
      }
      if (op.matchedExisting) {
        op.record = *current;
        continue;
      }
      if (op.ifMatch && (!current || current->version != *op.ifMatch)) {
        return core::preconditionFailed(
            where + "If-Match " + etag(*op.ifMatch) + " is stale: the current version is " +
            (current ? std::to_string(current->version) : std::string("none")));
      }
      if (op.type == "Patient" && current && !current->deleted) {
        BRYGGA_RETURN_IF_ERROR(keepsPersonNumbers(*current, *op.resource, where));
      }
      // Directory records, enrollments and blocks are their owner's to change.
      const bool owned = access::CallerAccess::ownerWrites(op.type, patientId);
      if (owned && current && !current->deleted && !ca.writeOwned(*current).allowed()) {
        return core::permissionDenied(where + op.type + "/" + op.id +
                                      " is another party's: only its owner changes it (a "
                                      "municipality its own, the region and integration team "
                                      "the shared ones)");
      }
      // The owner: who wrote it first (a municipality, or "" for the region, the integration
      // team and Brygga); a Patient has none, access to it is by care relationship.
      std::string tenant = current ? current->tenant : ca.owner();
      if (op.type == "Patient") tenant.clear();

      const int64_t version = current ? current->version + 1 : 1;
      fhir::stampMeta(*op.resource, *op.allocator, op.id, version, now);
      store::ResourceWrite write;
      write.record.type = op.type;
      write.record.id = op.id;
      write.record.version = version;
      write.record.lastUpdatedMs = now;
      write.record.tenant = tenant;
      write.record.patientId = patientId;
      write.record.json = fhir::toJson(*op.resource);
      write.index = indexOf(*op.resource);
      if (op.type == "Patient") write.identities = access::identitiesOf(*op.resource);
      if (op.type == "Consent") {
        if (set == nullptr) return core::unavailable("blocks need the mapping set in force");
        if (patientId.empty()) {
          return core::unprocessable(
              where + "Consent.patient: a block names its patient",
              {core::Issue::error("required", "no patient", "Consent.patient")});
        }
        auto blocks = access::blocksOf(*op.resource, op.id, patientId, set->routing());
        if (!blocks.isOk()) return withPrefix(blocks.status(), where);
        write.blocks = std::move(blocks).value();
      }
      if (op.type == "EpisodeOfCare" && !tenant.empty() && !patientId.empty()) {
        write.relationship =
            access::careRelationshipOf(*op.resource, op.id, patientId, tenant, now);
      }
      BRYGGA_RETURN_IF_ERROR(txn.putResource(write));
      op.created = !current;
      op.record = std::move(write.record);
    }
    return Status::ok();
  }

  static std::vector<store::IndexEntry> indexOf(const Value& resource) {
    std::vector<store::IndexEntry> index;
    for (auto& v : fhir::extractIndex(resource)) {
      if (v.param == "patient" || v.param == "subject") continue;  // one "patient" entry below
      index.push_back({std::move(v.param), std::move(v.system), std::move(v.value)});
    }
    if (auto patient = fhir::patientReferenceOf(resource)) {
      index.push_back({"patient", "", *patient});
    }
    return index;
  }

  static std::string transactionEntryPrefix(const WriteOp& op) {
    return op.fullUrl.empty() && op.entryIndex == 0
               ? std::string()
               : "Bundle.entry[" + std::to_string(op.entryIndex) + "]: ";
  }

  static Status withPrefix(const Status& s, const std::string& prefix) {
    return {s.code(), prefix + s.message(), s.issues()};
  }

  // The write unit's resources as the flows (gateway/flows) see them; `written` once applyOps()
  // has stored them.
  static std::vector<flows::FlowWrite> flowWrites(std::vector<WriteOp>& ops, bool written) {
    std::vector<flows::FlowWrite> writes;
    for (auto& op : ops) {
      flows::FlowWrite w;
      w.method = op.method;
      w.type = op.type;
      w.id = written ? op.record.id : op.id;
      w.condition = op.condition;
      w.fullUrl = op.fullUrl;
      w.resource = op.resource;
      w.allocator = op.allocator;
      if (written) w.record = &op.record;
      w.outcome = op.outcome;
      writes.push_back(std::move(w));
    }
    return writes;
  }

  static flows::FlowCaller flowCaller(const ApiRequest& request) {
    flows::FlowCaller caller;
    caller.role = request.caller.role;
    caller.tenant = request.caller.tenant;
    caller.clientId = request.caller.clientId;
    caller.requestId = request.requestId;
    return caller;
  }

  // Before the writes: the flows check what they will forward (422 unknown facility, patient not
  // enrolled, code with no mapping; 409 care-plan conflict) and complete the resources (the
  // responsible service point, a request out of hours rejected).
  Status prepareFlows(store::StoreTransaction& txn, const ApiRequest& request,
                      std::vector<WriteOp>& ops, Trace& trace) {
    if (flows_ == nullptr || !trace.mappings) return Status::ok();
    std::vector<flows::FlowWrite> writes = flowWrites(ops, false);
    // A stored patient the unit names must be one the caller may write for (gateway/access).
    const access::CallerAccess ca = accessOf(request.caller);
    const std::set<std::string> established = establishedPatients(ops, ca);
    flows::FlowCaller caller = flowCaller(request);
    caller.writesForPatient = [&](const std::string& patientId) -> StatusOr<bool> {
      BRYGGA_ASSIGN_OR_RETURN(store::PatientAccessFacts facts, txn.accessFacts(patientId));
      return ca.writePatient(facts, established.count(patientId) > 0).allowed();
    };
    BRYGGA_RETURN_IF_ERROR(flows_->prepare(txn, caller, writes, *trace.mappings));
    // A retried unit sees its resources already completed: keep the first answer.
    for (size_t i = 0; i < ops.size(); ++i) {
      if (!writes[i].outcome.empty()) ops[i].outcome = writes[i].outcome;
    }
    if (std::string note = flows::FlowRouter::noteOf(writes); !note.empty()) {
      trace.flowNote = note;
    }
    return Status::ok();
  }

  // Decides what leaves Brygga because of these writes (gateway/flows): enrollments, requests,
  // visits and care plans from a municipality to its responsible service point's destination,
  // the region's encounters and plan changes to the patient's municipality.
  Status route(store::StoreTransaction& txn, const ApiRequest& request, std::vector<WriteOp>& ops,
               const Trace& trace, std::vector<std::string>& enqueuedTo) {
    if (flows_ == nullptr || !trace.mappings) return Status::ok();
    BRYGGA_ASSIGN_OR_RETURN(
        std::vector<store::OutboxEntry> entries,
        flows_->route(txn, flowCaller(request), flowWrites(ops, true), *trace.mappings));
    for (const auto& entry : entries) {
      BRYGGA_RETURN_IF_ERROR(checkQueueRoom(txn, entry.destination, deps_.maxQueueDepth));
      BRYGGA_ASSIGN_OR_RETURN(int64_t id, txn.enqueue(entry));
      (void)id;
      enqueuedTo.push_back(entry.destination);
    }
    return Status::ok();
  }

  ApiResponse bundle(const ApiRequest& request, Trace& trace, int64_t started, bool& committed) {
    auto doc = parseBody(request);
    if (!doc.isOk()) return errorResponse(doc.status());
    trace.types.insert("Bundle");
    if (fhir::stringMember(*doc, "resourceType") != "Bundle") {
      return errorResponse(core::invalidArgument("POST to the base needs a Bundle"));
    }
    std::string_view type = fhir::stringMember(*doc, "type");
    if (type != "transaction" && type != "batch") {
      return errorResponse(core::invalidArgument("the Bundle type must be transaction or batch"));
    }
    trace.interaction = std::string(type);
    trace.action = 'E';
    if (type == "batch") return batch(request, *doc, trace, started, committed);
    // A transaction is valid as a whole or not at all; a batch's entries each on their own.
    BRYGGA_RETURN_RESPONSE_IF_ERROR(validateResource(*doc));
    return transaction(request, *doc, trace, started, committed);
  }

  // Reads a Bundle entry's request into a WriteOp; entries must be POST or PUT of a supported,
  // writable type.
  StatusOr<WriteOp> entryOp(const Caller& caller, Value& entry, size_t index,
                            rapidjson::Document::AllocatorType& alloc) {
    const std::string where = "Bundle.entry[" + std::to_string(index) + "]";
    const Value* req = fhir::member(entry, "request");
    std::string method(req ? fhir::stringMember(*req, "method") : "");
    std::string url(req ? fhir::stringMember(*req, "url") : "");
    WriteOp op;
    op.entryIndex = index;
    op.method = method;
    op.fullUrl = std::string(fhir::stringMember(entry, "fullUrl"));
    Value* resource = fhir::mutableMember(entry, "resource");
    if (method != "POST" && method != "PUT") {
      return Status(StatusCode::kMethodNotAllowed,
                    where + ": request.method " + method + " is not supported (POST and PUT are)");
    }
    if (resource == nullptr || !resource->IsObject()) {
      return core::invalidArgument(where + ": a " + method + " entry needs a resource");
    }
    op.resource = resource;
    op.allocator = &alloc;
    op.type = std::string(fhir::stringMember(*resource, "resourceType"));
    std::string urlType = url.substr(0, url.find_first_of("/?"));
    if (urlType != op.type) {
      return core::invalidArgument(where + ": request.url " + url + " does not match the resource");
    }
    if (!fhir::isSupportedResourceType(op.type)) {
      return core::invalidArgument(where + ": resource type " + op.type + " is not supported");
    }
    BRYGGA_RETURN_IF_ERROR(withPrefix(
        authorizeWrite(caller, op.type,
                       method == "POST" ? auth::Interaction::kCreate : auth::Interaction::kUpdate),
        where + ": "));
    if (method == "POST") {
      if (url != op.type) return core::invalidArgument(where + ": POST url must be " + op.type);
      op.condition = std::string(fhir::stringMember(*req, "ifNoneExist"));
    } else if (size_t q = url.find('?'); q != std::string::npos) {
      op.condition = url.substr(q + 1);
      if (op.condition.empty()) return core::invalidArgument(where + ": empty conditional url");
    } else {
      op.id = url.size() > op.type.size() + 1 ? url.substr(op.type.size() + 1) : std::string();
      if (!fhir::isValidId(op.id) || fhir::stringMember(*resource, "id") != op.id) {
        return core::invalidArgument(where + ": PUT " + url +
                                     " needs the same valid id in the url and the resource");
      }
    }
    std::string ifMatch(fhir::stringMember(*req, "ifMatch"));
    if (!ifMatch.empty()) {
      auto version = parseEtag(ifMatch);
      if (!version.isOk()) return core::invalidArgument(where + ": bad ifMatch " + ifMatch);
      op.ifMatch = *version;
    }
    return op;
  }

  static std::string entryResponseJson(const ApiRequest& request, const WriteOp& op) {
    std::string out = R"({"fullUrl":")";
    core::appendJsonEscaped(out, request.baseUrl + "/" + op.record.type + "/" + op.record.id);
    out += R"(","resource":)" +
           (op.matchedExisting ? forReader(request.caller, op.record) : op.record.json) +
           R"(,"response":{"status":")";
    out += statusText(op.created ? 201 : 200);
    out += R"(","location":")";
    core::appendJsonEscaped(out, op.record.type + "/" + op.record.id + "/_history/" +
                                     std::to_string(op.record.version));
    out += R"(","etag":"W/\")" + std::to_string(op.record.version) + R"(\"","lastModified":")" +
           core::formatInstant(op.record.lastUpdatedMs) + "\"";
    if (!op.outcome.empty()) out += R"(,"outcome":)" + op.outcome;
    out += "}}";
    return out;
  }

  ApiResponse transaction(const ApiRequest& request, rapidjson::Document& doc, Trace& trace,
                          int64_t started, bool& committed) {
    std::vector<WriteOp> ops;
    Value* entries = doc.HasMember("entry") ? &doc["entry"] : nullptr;
    if (entries != nullptr && entries->IsArray()) {
      size_t index = 0;
      for (auto& entry : entries->GetArray()) {
        auto op = entryOp(request.caller, entry, index++, doc.GetAllocator());
        if (!op.isOk()) return errorResponse(op.status());
        ops.push_back(std::move(op).value());
      }
    }
    // FHIR processing order: creates before updates; the response keeps the Bundle's order.
    std::vector<WriteOp> ordered;
    for (auto& op : ops) {
      if (op.method == "POST") ordered.push_back(op);
    }
    for (auto& op : ops) {
      if (op.method == "PUT") ordered.push_back(op);
    }
    Status s = commitOps(request, ordered, trace, started, true, committed);
    if (!s.isOk()) return errorResponse(s);
    std::sort(ordered.begin(), ordered.end(),
              [](const WriteOp& a, const WriteOp& b) { return a.entryIndex < b.entryIndex; });
    std::string out = R"({"resourceType":"Bundle","type":"transaction-response","entry":[)";
    for (size_t i = 0; i < ordered.size(); ++i) {
      if (i > 0) out += ',';
      out += entryResponseJson(request, ordered[i]);
    }
    out += "]}";
    return jsonResponse(200, out);
  }

  // A batch: every entry on its own, each in its own write unit with its own exchange line and
  // AuditEvent; the response says per entry what happened.
  ApiResponse batch(const ApiRequest& request, rapidjson::Document& doc, Trace& trace,
                    int64_t started, bool& committed) {
    std::string out = R"({"resourceType":"Bundle","type":"batch-response","entry":[)";
    Value* entries = doc.HasMember("entry") ? &doc["entry"] : nullptr;
    size_t count = entries != nullptr && entries->IsArray() ? entries->Size() : 0;
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) out += ',';
      Trace entryTrace;
      entryTrace.interaction = "batch";
      entryTrace.action = 'E';
      entryTrace.query = trace.query;
      bool entryCommitted = false;
      Status s;
      std::vector<WriteOp> ops;
      auto op = entryOp(request.caller, (*entries)[static_cast<rapidjson::SizeType>(i)], i,
                        doc.GetAllocator());
      if (op.isOk()) {
        ops.push_back(std::move(op).value());
        entryTrace.types.insert(ops.front().type);
        s = withPrefix(validateResource(*ops.front().resource),
                       "Bundle.entry[" + std::to_string(i) + "]: ");
        if (s.isOk()) s = commitOps(request, ops, entryTrace, started, false, entryCommitted);
      } else {
        s = op.status();
      }
      if (s.isOk()) {
        out += entryResponseJson(request, ops.front());
      } else {
        // Failed entries are recorded like any refused request.
        Status r = deps_.store.write([&](store::StoreTransaction& txn) {
          return recordExchange(txn, request, s.httpStatus(), entryTrace, started,
                                std::string(core::toString(s.code())));
        });
        if (!r.isOk()) return errorResponse(r);
        out += R"({"response":{"status":")" + statusText(s.httpStatus()) + R"(","outcome":)" +
               fhir::operationOutcomeJson(s) + "}}";
      }
    }
    out += "]}";
    // Each entry was recorded on its own.
    committed = true;
    trace.audited = false;
    return jsonResponse(200, out);
  }

  ApiDependencies deps_;
  const ExchangeRecorder recorder_;
  const std::string capability_;
  // The wired flows; null: writes are stored and nothing is routed.
  flows::FlowRouter* const flows_;
  const access::AccessPolicy policy_;
};

#undef BRYGGA_RETURN_RESPONSE_IF_ERROR

FhirApi::FhirApi(ApiDependencies deps) : impl_(std::make_unique<Impl>(std::move(deps))) {}
FhirApi::~FhirApi() = default;

ApiResponse FhirApi::handle(const ApiRequest& request) {
  return impl_->handle(request);
}

bool FhirApi::isPublic(const ApiRequest& request) const {
  return request.path == "/metadata";
}

const std::string& FhirApi::capabilityStatement() const {
  return impl_->capability();
}

}  // namespace brygga::api

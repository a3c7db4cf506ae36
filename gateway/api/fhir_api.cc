#include "gateway/api/fhir_api.h"

#include <algorithm>
#include <set>

#include <rapidjson/document.h>

#include "gateway/access/access_policy.h"
#include "gateway/access/protected_identity.h"
#include "gateway/api/capability.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/api/responses.h"
#include "gateway/core/base64.h"
#include "gateway/core/civil_time.h"
#include "gateway/core/http_reason.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/json_patch.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/resource_index.h"
#include "gateway/fhir/resource_types.h"
#include "gateway/fhir/subset.h"
#include "gateway/flows/flow_router.h"
#include "gateway/search/query.h"
#include "gateway/subscriptions/subscriptions.h"
#include "gateway/write/write_pipeline.h"

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
// _include/_revinclude: at most this many resources included in one answer, over at most this many
// rounds of :iterate.
constexpr size_t kMaxIncluded = 1000;
constexpr int kIncludeRounds = 4;

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

// The If-Match header as a version; nullopt when the request has none.
StatusOr<std::optional<int64_t>> ifMatchOf(const ApiRequest& request) {
  const std::string text = header(request, "if-match");
  if (text.empty()) return std::optional<int64_t>();
  auto version = parseEtag(text);
  if (!version.isOk()) return core::invalidArgument("If-Match must be an ETag W/\"n\"");
  return std::optional<int64_t>(*version);
}

// "Application/FHIR+JSON; charset=utf-8" -> "application/fhir+json".

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
                                               const search::QueryParams& params) {
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
PageLinks pageLinks(const std::string& url, const search::QueryParams& params,
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
        policy_(deps_.access),
        pipeline_(write::PipelineDependencies{deps_.store, deps_.clock, deps_.access, deps_.flows,
                                              deps_.maxQueueDepth, deps_.onEnqueued,
                                              deps_.subscriptions}) {}

  const std::string& capability() const { return capability_; }

  ApiResponse handle(const ApiRequest& request) {
    const int64_t started = deps_.clock.nowMs();
    Trace trace;
    // The mappings in force when the request arrived serve it throughout, and are recorded.
    if (flows_ != nullptr) trace.mappings = flows_->mappings();
    ApiResponse response;
    // Writes commit their exchange line and AuditEvent inside their own unit (trace.recorded);
    // everything else (reads, refusals, failed writes) records them in a unit of their own.
    try {
      response = dispatch(request, trace, started);
    } catch (const std::exception& e) {
      deps_.logger.error("request.exception",
                         {{"requestId", request.requestId}, {"what", e.what()}});
      response = errorResponse(core::internalError("internal error; see the gateway log"));
      trace.recorded = false;
    }
    if (!trace.recorded && trace.audited) {
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
  ApiResponse dispatch(const ApiRequest& request, Trace& trace, int64_t started) {
    auto parts = splitPath(request.path);
    auto params = search::parseQuery(request.query);
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
    // Service management reads the follow-up figures (/fhir/Measure, /fhir/MeasureReport), never
    // patient data.
    if (request.caller.role == core::ClientRole::kFollowUp) {
      return errorResponse(core::permissionDenied(
          "the followup role reads the figures at /fhir/Measure and /fhir/MeasureReport, not "
          "the resources"));
    }

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
      return bundle(request, trace, started);
    }
    if (parts.size() == 1 && parts[0] == "_history" && request.method == "GET") {
      return systemHistory(request, *params, trace);
    }
    const std::string& type = parts[0];
    if (!fhir::isSupportedResourceType(type)) {
      return errorResponse(core::notFound("resource type '" + type + "' is not supported"));
    }
    trace.types.insert(type);
    if (parts.size() == 1) {
      if (request.method == "GET") return search(request, type, *params, trace);
      if (request.method == "POST") return create(request, type, trace, started);
      if (request.method == "PUT" && !request.query.empty()) {
        return update(request, type, "", trace, started);
      }
      if (request.method == "DELETE" && !request.query.empty()) {
        return remove(request, type, "", trace, started);
      }
    } else if (parts.size() == 2) {
      if (parts[1] == "_search" && request.method == "POST") {
        return searchByPost(request, type, *params, trace);
      }
      if (parts[1] == "_history" && request.method == "GET") {
        return typeHistory(request, type, *params, trace);
      }
      if (request.method == "GET") return read(request, type, parts[1], std::nullopt, trace);
      if (request.method == "PUT") return update(request, type, parts[1], trace, started);
      if (request.method == "DELETE") return remove(request, type, parts[1], trace, started);
      if (request.method == "PATCH") return patch(request, type, parts[1], trace, started);
    } else if (parts.size() == 3 && type == "Subscription" &&
               (parts[2] == "$status" || parts[2] == "%24status")) {
      if (request.method != "GET" && request.method != "POST") {
        return errorResponse({StatusCode::kMethodNotAllowed, "$status takes GET or POST"});
      }
      return subscriptionStatus(request, parts[1], trace);
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
  // telecom, except for the integration role; a Subscription's channel headers (credentials
  // towards its endpoint) only for its owner.
  static std::string forReader(const Caller& caller, const store::ResourceRecord& record) {
    if (record.type == "Subscription") {
      const std::string owner = caller.role == core::ClientRole::kMunicipal
                                    ? caller.tenant
                                    : std::string(access::kRegionParty);
      return record.tenant == owner ? record.json : withoutChannelHeaders(record.json);
    }
    if (record.type != "Patient" || caller.role == core::ClientRole::kIntegration) {
      return record.json;
    }
    return access::redactedForReader(record.json);
  }

  static std::string withoutChannelHeaders(const std::string& json) {
    auto doc = fhir::parseJson(json);
    if (!doc.isOk()) return json;
    if (rapidjson::Value* channel = fhir::mutableMember(*doc, "channel");
        channel != nullptr && channel->IsObject()) {
      channel->RemoveMember("header");
    }
    return fhir::toJson(*doc);
  }

  // GET Subscription/<id>/$status (R4 Subscriptions Backport): its status, as a searchset.
  ApiResponse subscriptionStatus(const ApiRequest& request, const std::string& id, Trace& trace) {
    trace.interaction = "operation";
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeScope(request.caller, "Subscription", auth::Interaction::kRead));
    trace.entities.push_back("Subscription/" + id);
    const auto notFound = [&] { return errorResponse(core::notFound("no Subscription/" + id)); };
    if (deps_.subscriptions == nullptr || !fhir::isValidId(id)) return notFound();
    auto found = deps_.store.resources().read("Subscription", id);
    if (!found.isOk()) return errorResponse(found.status());
    if (!found->has_value() || (*found)->deleted) return notFound();
    auto readable = mayRead(request.caller, **found, trace);
    if (!readable.isOk()) return errorResponse(readable.status());
    if (!*readable) return notFound();
    auto bundle = deps_.subscriptions->statusOf(**found);
    if (!bundle.isOk()) return errorResponse(bundle.status());
    return jsonResponse(200, *bundle);
  }

  // Whether the caller may read `record` (gateway/access). One it may not is answered exactly as
  // one that does not exist; the audit record says why (the PDL access log).
  StatusOr<bool> mayRead(const Caller& caller, const store::ResourceRecord& record, Trace& trace) {
    BRYGGA_ASSIGN_OR_RETURN(access::Decision d,
                            accessOf(caller).read(record, [this](const std::string& patientId) {
                              return deps_.store.resources().accessFacts(patientId);
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
    auto found = deps_.store.resources().read(type, id, version);
    if (!found.isOk()) return errorResponse(found.status());
    if (!found->has_value()) return notFound();
    const store::ResourceRecord& record = **found;
    // Known before the access check, so a refused attempt shows in the patient's access log too.
    trace.patient = patientOf(record);
    auto readable = mayRead(request.caller, record, trace);
    if (!readable.isOk()) return errorResponse(readable.status());
    if (!*readable) return notFound();  // deleted or not: what the caller may not see is not there
    if (record.deleted) return errorResponse({StatusCode::kGone, type + "/" + id + " was deleted"});
    ApiResponse r;
    if (!version && notModified(request, record)) {
      r.status = 304;  // the caller's copy is current: no body
    } else {
      r = jsonResponse(200, forReader(request.caller, record));
    }
    r.headers.emplace_back("ETag", write::weakEtag(record.version));
    r.headers.emplace_back("Last-Modified", core::formatHttpDate(record.lastUpdatedMs));
    return r;
  }

  // Conditional read (RFC 9110 13.1): If-None-Match naming the current version (or *), else
  // If-Modified-Since not before its last change (whole seconds, as Last-Modified says them). An
  // If-Modified-Since we cannot parse is ignored, as RFC 9110 says.
  static bool notModified(const ApiRequest& request, const store::ResourceRecord& current) {
    if (const std::string tags = header(request, "if-none-match"); !tags.empty()) {
      size_t start = 0;
      while (start <= tags.size()) {
        size_t end = tags.find(',', start);
        if (end == std::string::npos) end = tags.size();
        std::string tag = tags.substr(start, end - start);
        tag.erase(0, tag.find_first_not_of(' '));
        tag.erase(tag.find_last_not_of(' ') + 1);
        if (tag == "*") return true;
        auto v = parseEtag(tag);
        if (v.isOk() && *v == current.version) return true;
        start = end + 1;
      }
      return false;
    }
    if (const std::string since = header(request, "if-modified-since"); !since.empty()) {
      auto ms = core::parseHttpDate(since);
      return ms.isOk() && current.lastUpdatedMs / 1000 * 1000 <= *ms;
    }
    return false;
  }

  static std::optional<std::string> patientOf(const store::ResourceRecord& record) {
    if (record.type == "Patient") return "Patient/" + record.id;
    if (!record.patientId.empty()) return "Patient/" + record.patientId;
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
    auto records = deps_.store.auditLog().auditRecords(*seq, 1);
    if (!records.isOk()) return errorResponse(records.status());
    if (records->empty() || records->front().seq != *seq) {
      return errorResponse(core::notFound("no AuditEvent/" + id));
    }
    if (!records->front().patient.empty()) trace.patient = records->front().patient;
    return jsonResponse(200, records->front().json);
  }

  // The first `matches` resources are the search's matches, the rest included (_include).
  std::string searchsetBundle(const PageLinks& links, int64_t total,
                              const std::vector<std::string>& fullUrls,
                              const std::vector<const std::string*>& resources,
                              size_t matches = SIZE_MAX) {
    std::string out = R"({"resourceType":"Bundle","type":"searchset","total":)";
    out += std::to_string(total);
    out += R"(,"link":[)" + links.json() + R"(],"entry":[)";
    for (size_t i = 0; i < resources.size(); ++i) {
      if (i > 0) out += ',';
      out += R"({"fullUrl":")";
      core::appendJsonEscaped(out, fullUrls[i]);
      out += R"(","resource":)";
      out += *resources[i];
      out += i < matches ? R"(,"search":{"mode":"match"}})" : R"(,"search":{"mode":"include"}})";
    }
    out += "]}";
    return out;
  }

  ApiResponse search(const ApiRequest& request, const std::string& type,
                     const search::QueryParams& params, Trace& trace) {
    trace.interaction = "search-type";
    trace.action = 'E';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeScope(request.caller, type, auth::Interaction::kSearch));
    // Lenient: what the type does not search by is left out, of the search and of its links.
    const search::QueryParams& used = preference(request, "handling") == "lenient"
                                          ? search::withoutUnknownParams(type, params)
                                          : params;
    auto query = search::buildSearchQuery(type, used, deps_.limits.defaultPageSize,
                                          deps_.limits.maxPageSize);
    if (!query.isOk()) return errorResponse(query.status());
    for (const auto& c : query->criteria) {
      if (c.param == "patient" && c.values.size() == 1) trace.patient = c.values[0];
    }
    if (type == "AuditEvent") return searchAudit(request, *query, trace);
    auto shape = search::resultShapeOf(type, used);
    if (!shape.isOk()) return errorResponse(shape.status());
    auto includes = search::includesOf(type, used);
    if (!includes.isOk()) return errorResponse(includes.status());
    // The store counts and pages only what the caller may see.
    query->visibility = accessOf(request.caller).visibility();
    auto page = deps_.store.resources().search(*query);
    if (!page.isOk()) return errorResponse(page.status());
    // The links page through the matches; what they include comes on top of each page.
    const PageLinks links = pageLinks(request.baseUrl + "/" + type, used, *query, *page);
    const size_t matches = page->records.size();
    if (Status included = includedBy(*includes, page->records, query->visibility);
        !included.isOk()) {
      return errorResponse(included);
    }

    std::vector<std::string> fullUrls;
    std::vector<const std::string*> bodies;
    for (auto& r : page->records) {
      fullUrls.push_back(request.baseUrl + "/" + r.type + "/" + r.id);
      r.json = forReader(request.caller, r);
      if (shape->subsetted()) {
        auto subset = fhir::subsetResource(r.json, shape->elements, shape->dropText);
        if (!subset.isOk()) return errorResponse(subset.status());
        r.json = std::move(subset).value();
      }
      bodies.push_back(&r.json);
      trace.entities.push_back(r.type + "/" + r.id);
    }
    return jsonResponse(200, searchsetBundle(links, page->total, fullUrls, bodies, matches));
  }

  // What `includes` add to the matches in `records` (appended to it, each resource once), seen
  // through the caller's visibility as any search is: what it may not read is not included.
  // Rounds follow :iterate from what the last round added, up to kIncludeRounds; more than
  // kMaxIncluded resources is refused (400) rather than cut short without a word.
  Status includedBy(const std::vector<search::Include>& includes,
                    std::vector<store::ResourceRecord>& records,
                    const std::optional<store::Visibility>& visibility) {
    if (includes.empty()) return Status::ok();
    const size_t matches = records.size();
    std::set<std::string> seen;
    for (const auto& r : records) seen.insert(r.type + "/" + r.id);
    size_t from = 0;  // the records the current round starts from: [from, end)
    for (int round = 0; round < kIncludeRounds && from < records.size(); ++round) {
      const size_t end = records.size();
      for (const search::Include& include : includes) {
        if (round > 0 && !include.iterate) continue;
        store::SearchQuery query;
        query.visibility = visibility;
        query.count = kMaxIncluded + 1;
        store::SearchCriterion criterion;
        for (size_t i = from; i < end; ++i) {
          const store::ResourceRecord& r = records[i];
          if (!include.reverse && r.type == include.type && !r.patientId.empty() &&
              !seen.count("Patient/" + r.patientId)) {
            criterion.values.push_back(r.patientId);
          } else if (include.reverse && r.type == "Patient") {
            criterion.values.push_back("Patient/" + r.id);
          }
        }
        if (criterion.values.empty()) continue;
        query.type = include.reverse ? include.type : "Patient";
        criterion.param = include.reverse ? "patient" : "_id";
        query.criteria.push_back(std::move(criterion));
        BRYGGA_ASSIGN_OR_RETURN(store::SearchPage page, deps_.store.resources().search(query));
        for (auto& r : page.records) {
          if (!seen.insert(r.type + "/" + r.id).second) continue;
          records.push_back(std::move(r));
        }
        if (records.size() - matches > kMaxIncluded) {
          return core::invalidArgument(
              "_include/_revinclude: more than " + std::to_string(kMaxIncluded) +
              " resources would be included; ask for fewer matches per page (_count)");
        }
      }
      from = end;
    }
    return Status::ok();
  }

  // POST [type]/_search (R4 3.1.1.2): the parameters in a form body, together with any in the URL,
  // answered as the same GET search.
  ApiResponse searchByPost(const ApiRequest& request, const std::string& type,
                           search::QueryParams params, Trace& trace) {
    trace.interaction = "search-type";
    trace.action = 'E';
    auto form = searchFormOf(request);
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
      records = deps_.store.auditLog().auditRecordsForPatient(*trace.patient, query.count);
    } else {
      records = deps_.store.auditLog().auditRecords(query.offset + 1, query.count);
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
                      const search::QueryParams& params, Trace& trace) {
    trace.interaction = "history-instance";
    trace.action = 'R';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(authorizeScope(request.caller, type, auth::Interaction::kRead));
    trace.entities.push_back(type + "/" + id);
    if (type == "AuditEvent" || !fhir::isValidId(id)) {
      return errorResponse(core::notFound("no history for " + type + "/" + id));
    }
    auto query = search::buildHistoryQuery(type, params, deps_.limits.defaultPageSize,
                                           deps_.limits.maxPageSize);
    if (!query.isOk()) return errorResponse(query.status());
    auto versions = deps_.store.resources().history(type, id);
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
                          const search::QueryParams& params, Trace& trace) {
    trace.interaction = "history-type";
    trace.action = 'R';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeScope(request.caller, type, auth::Interaction::kSearch));
    if (type == "AuditEvent") return errorResponse(core::notFound("no history for AuditEvent"));
    return pagedHistory(request, type, params, trace, "/" + type + "/_history");
  }

  // GET [base]/_history: every version of every resource the caller may read, newest first. An
  // access token must allow reading every type.
  ApiResponse systemHistory(const ApiRequest& request, const search::QueryParams& params,
                            Trace& trace) {
    trace.interaction = "history-system";
    trace.action = 'R';
    for (std::string_view type : fhir::supportedResourceTypes()) {
      BRYGGA_RETURN_RESPONSE_IF_ERROR(
          authorizeScope(request.caller, std::string(type), auth::Interaction::kSearch));
    }
    return pagedHistory(request, "", params, trace, "/_history");
  }

  // The versions of `type` ("": of every type) the caller may read, newest first, paged by the
  // store as a search is; `path` is the history's own, below the base.
  ApiResponse pagedHistory(const ApiRequest& request, const std::string& type,
                           const search::QueryParams& params, Trace& trace,
                           const std::string& path) {
    auto query = search::buildHistoryQuery(type, params, deps_.limits.defaultPageSize,
                                           deps_.limits.maxPageSize);
    if (!query.isOk()) return errorResponse(query.status());
    query->visibility = accessOf(request.caller).visibility();
    auto page = deps_.store.resources().typeHistory(*query);
    if (!page.isOk()) return errorResponse(page.status());
    for (const auto& r : page->records) trace.entities.push_back(r.type + "/" + r.id);
    return jsonResponse(200, historyBundle(request, path, params, *query, *page));
  }

  // A history Bundle of `page` (versions, newest first) with self and next links below `path`.
  std::string historyBundle(const ApiRequest& request, const std::string& path,
                            const search::QueryParams& params, const store::SearchQuery& query,
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

  // The body of a create or update, which must be a `type`.
  StatusOr<rapidjson::Document> parseBodyOf(const ApiRequest& request, const std::string& type) {
    BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, parseBody(request));
    if (fhir::stringMember(doc, "resourceType") != type) {
      return core::invalidArgument("the body is not a " + type);
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
                     int64_t started) {
    trace.interaction = "create";
    trace.action = 'C';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeWrite(request.caller, type, auth::Interaction::kCreate));
    auto doc = parseBodyOf(request, type);
    if (!doc.isOk()) return errorResponse(doc.status());
    BRYGGA_RETURN_RESPONSE_IF_ERROR(validateResource(*doc));
    write::WriteOp op;
    op.method = "POST";
    op.type = type;
    op.condition = header(request, "if-none-exist");
    return commitOne(request, std::move(op), *doc, trace, started);
  }

  ApiResponse update(const ApiRequest& request, const std::string& type, const std::string& id,
                     Trace& trace, int64_t started) {
    trace.interaction = "update";
    trace.action = 'U';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeWrite(request.caller, type, auth::Interaction::kUpdate));
    auto doc = parseBodyOf(request, type);
    if (!doc.isOk()) return errorResponse(doc.status());
    if (!id.empty()) {
      if (!fhir::isValidId(id)) return errorResponse(core::invalidArgument("bad id '" + id + "'"));
      std::string_view bodyId = fhir::stringMember(*doc, "id");
      if (bodyId != id) {
        return errorResponse(core::invalidArgument(
            "the resource id in the body must equal the id in the URL (" + id + ")"));
      }
    }
    BRYGGA_RETURN_RESPONSE_IF_ERROR(validateResource(*doc));
    write::WriteOp op;
    op.method = "PUT";
    op.type = type;
    op.id = id;
    op.condition = id.empty() ? request.query : std::string();
    auto ifMatch = ifMatchOf(request);
    if (!ifMatch.isOk()) return errorResponse(ifMatch.status());
    op.ifMatch = *ifMatch;
    return commitOne(request, std::move(op), *doc, trace, started);
  }

  // PATCH [type]/[id] with a JSON Patch (RFC 6902, application/json-patch+json): applied to the
  // current version as the caller reads it, validated, and written as an update of exactly that
  // version (If-Match: the caller's, else the version read), so a change in between is a 412 and
  // never lost. What the caller may not read is a 404, as for a read; a deleted resource is 410.
  ApiResponse patch(const ApiRequest& request, const std::string& type, const std::string& id,
                    Trace& trace, int64_t started) {
    trace.interaction = "patch";
    trace.action = 'U';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeWrite(request.caller, type, auth::Interaction::kUpdate));
    const std::string contentType = header(request, "content-type");
    if (mediaTypeOf(contentType) != "application/json-patch+json") {
      return errorResponse({StatusCode::kUnsupportedMediaType,
                            "Content-Type '" + contentType +
                                "' is not supported: PATCH takes application/json-patch+json "
                                "(RFC 6902)"});
    }
    fhir::JsonLimits limits;
    limits.maxBytes = static_cast<size_t>(deps_.limits.maxBodyBytes);
    limits.maxDepth = deps_.limits.maxJsonDepth;
    auto operations = fhir::parseJson(request.body, limits);
    if (!operations.isOk()) return errorResponse(operations.status());
    trace.entities.push_back(type + "/" + id);
    auto ifMatch = ifMatchOf(request);
    if (!ifMatch.isOk()) return errorResponse(ifMatch.status());
    auto patched = patchedResource(request.caller, type, id, *operations, *ifMatch, trace);
    if (!patched.isOk()) return errorResponse(patched.status());
    trace.entities.clear();  // the unit names what it wrote
    return commitOne(request, std::move(patched->op), patched->doc, trace, started);
  }

  // A resource with a JSON Patch applied, as an update of the version it was applied to.
  struct Patched {
    write::WriteOp op;  // PUT type/id, ifMatch the version patched (or the caller's)
    rapidjson::Document doc;
  };

  // Applies `operations` to the current type/id as `caller` reads it (see patch()), validated.
  StatusOr<Patched> patchedResource(const Caller& caller, const std::string& type,
                                    const std::string& id, const Value& operations,
                                    std::optional<int64_t> ifMatch, Trace& trace) {
    const Status notFound = core::notFound(type + "/" + id + " does not exist");
    if (!fhir::isValidId(id)) return notFound;
    BRYGGA_ASSIGN_OR_RETURN(auto found, deps_.store.resources().read(type, id, std::nullopt));
    if (!found.has_value()) return notFound;
    const store::ResourceRecord& current = *found;
    trace.patient = patientOf(current);
    BRYGGA_ASSIGN_OR_RETURN(bool readable, mayRead(caller, current, trace));
    if (!readable) return notFound;
    if (current.deleted) return Status(StatusCode::kGone, type + "/" + id + " was deleted");
    if (forReader(caller, current) != current.json) {
      // A protected identity the caller reads without address and telecom: a patch of what it
      // sees would drop them, and a "test" of what it does not see would tell them.
      return core::unprocessable(
          "Patient: a protected identity is changed by an update of the whole resource",
          {core::Issue::error("business-rule", "protected identity", "Patient")});
    }
    Patched patched;
    patched.op.method = "PUT";
    patched.op.type = type;
    patched.op.id = id;
    patched.op.ifMatch = ifMatch.value_or(current.version);
    BRYGGA_ASSIGN_OR_RETURN(patched.doc, fhir::parseJson(current.json));
    BRYGGA_RETURN_IF_ERROR(fhir::applyJsonPatch(patched.doc, operations));
    if (fhir::stringMember(patched.doc, "resourceType") != type ||
        fhir::stringMember(patched.doc, "id") != id) {
      return core::unprocessable(
          "a patch may not change the resource's resourceType or id",
          {core::Issue::error("business-rule", "resourceType and id are fixed", type)});
    }
    BRYGGA_RETURN_IF_ERROR(validateResource(patched.doc));
    return patched;
  }

  // DELETE [type]/[id], or [type]?... (conditional): 204 whether there was something to delete
  // or not (R4), and alike for what the caller may not see; 412 when a condition matches
  // several; If-Match as for an update. A later read answers 410 and history lists the delete.
  ApiResponse remove(const ApiRequest& request, const std::string& type, const std::string& id,
                     Trace& trace, int64_t started) {
    trace.interaction = "delete";
    trace.action = 'D';
    BRYGGA_RETURN_RESPONSE_IF_ERROR(
        authorizeWrite(request.caller, type, auth::Interaction::kDelete));
    if (!id.empty() && !fhir::isValidId(id)) {
      return errorResponse(core::invalidArgument("bad id '" + id + "'"));
    }
    write::WriteOp op;
    op.method = "DELETE";
    op.type = type;
    op.id = id;
    op.condition = id.empty() ? request.query : std::string();
    auto ifMatch = ifMatchOf(request);
    if (!ifMatch.isOk()) return errorResponse(ifMatch.status());
    op.ifMatch = *ifMatch;
    std::vector<write::WriteOp> ops;
    ops.push_back(std::move(op));
    BRYGGA_RETURN_RESPONSE_IF_ERROR(commitOps(request, ops, trace, started, false));
    ApiResponse r;
    r.status = 204;
    if (ops.front().deleted) {
      r.headers.emplace_back("ETag", write::weakEtag(ops.front().record.version));
    }
    return r;
  }

  // A create, update or patch of the resource `doc` in a write unit of its own, answered from its
  // outcome.
  ApiResponse commitOne(const ApiRequest& request, write::WriteOp op, rapidjson::Document& doc,
                        Trace& trace, int64_t started) {
    op.resource = &doc;
    op.allocator = &doc.GetAllocator();
    std::vector<write::WriteOp> ops;
    ops.push_back(std::move(op));
    BRYGGA_RETURN_RESPONSE_IF_ERROR(commitOps(request, ops, trace, started, false));
    return writeResponse(request, ops.front());
  }

  ApiResponse writeResponse(const ApiRequest& request, const write::WriteOp& op) {
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
    r.headers.emplace_back("ETag", write::weakEtag(op.record.version));
    r.headers.emplace_back("Last-Modified", core::formatHttpDate(op.record.lastUpdatedMs));
    return r;
  }

  // Runs `ops` in one write unit (gateway/write) with the request's exchange line and AuditEvent,
  // which the trace then says are recorded. For a transaction the ops are the Bundle's entries.
  Status commitOps(const ApiRequest& request, std::vector<write::WriteOp>& ops, Trace& trace,
                   int64_t started, bool transaction) {
    const write::Writer writer{request.caller.role, request.caller.tenant, request.caller.clientId,
                               request.requestId, request.traceId};
    const size_t entitiesBefore = trace.entities.size();
    trace.kind = write::WritePipeline::kindOf(ops);  // named even when the unit is refused
    Status s = pipeline_.commit(
        writer, ops, trace.mappings,
        [&](store::StoreTransaction& txn, const write::UnitResult& unit) -> Status {
          trace.entities.resize(entitiesBefore);  // a unit run again starts over
          if (!unit.flowNote.empty()) trace.flowNote = unit.flowNote;
          for (const auto& op : unit.ops) {
            trace.types.insert(op.type);
            if (op.record.id.empty()) continue;  // a delete that found nothing
            trace.entities.push_back(op.record.type + "/" + op.record.id);
            if (!trace.patient) trace.patient = patientOf(op.record);
          }
          const int status = transaction                           ? 200
                             : unit.ops.front().method == "DELETE" ? 204
                             : unit.ops.front().created            ? 201
                                                                   : 200;
          return recorder_.record(txn, request, status, trace, started, "ok");
        });
    if (!s.isOk()) {
      trace.entities.resize(entitiesBefore);
      return s;
    }
    trace.recorded = true;
    return Status::ok();
  }

  ApiResponse bundle(const ApiRequest& request, Trace& trace, int64_t started) {
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
    if (type == "batch") return batch(request, *doc, trace, started);
    // A transaction is valid as a whole or not at all; a batch's entries each on their own.
    BRYGGA_RETURN_RESPONSE_IF_ERROR(validateResource(*doc));
    return transaction(request, *doc, trace, started);
  }

  // Reads a Bundle entry's request into a write::WriteOp; entries must be POST or PUT of a
  // supported, writable type.
  // `inBatch`: a DELETE entry is taken (each batch entry is a unit of its own; a transaction's
  // entries share one, which a delete cannot join).
  StatusOr<write::WriteOp> entryOp(const Caller& caller, Value& entry, size_t index,
                                   rapidjson::Document::AllocatorType& alloc, bool inBatch,
                                   Trace& trace) {
    const std::string where = "Bundle.entry[" + std::to_string(index) + "]";
    const Value* req = fhir::member(entry, "request");
    std::string method(req ? fhir::stringMember(*req, "method") : "");
    std::string url(req ? fhir::stringMember(*req, "url") : "");
    write::WriteOp op;
    op.entryIndex = index;
    op.method = method;
    op.fullUrl = std::string(fhir::stringMember(entry, "fullUrl"));
    Value* resource = fhir::mutableMember(entry, "resource");
    if (method == "DELETE" && inBatch) return deleteEntryOp(caller, *req, where, std::move(op));
    if (method == "PATCH") {
      BRYGGA_ASSIGN_OR_RETURN(write::WriteOp patched,
                              patchEntryOp(caller, entry, url, where, alloc, trace));
      patched.entryIndex = index;
      return patched;
    }
    if (method != "POST" && method != "PUT") {
      return Status(StatusCode::kMethodNotAllowed,
                    where + ": request.method " + method +
                        " is not supported (POST, PUT and PATCH are" +
                        (method == "DELETE" ? "; DELETE in a batch" : "") + ")");
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
    BRYGGA_RETURN_IF_ERROR(
        authorizeWrite(caller, op.type,
                       method == "POST" ? auth::Interaction::kCreate : auth::Interaction::kUpdate)
            .withPrefix(where + ": "));
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
    BRYGGA_ASSIGN_OR_RETURN(op.ifMatch, entryIfMatch(*req, where));
    return op;
  }

  static StatusOr<std::optional<int64_t>> entryIfMatch(const Value& req, const std::string& where) {
    std::string ifMatch(fhir::stringMember(req, "ifMatch"));
    if (ifMatch.empty()) return std::optional<int64_t>();
    auto version = parseEtag(ifMatch);
    if (!version.isOk()) return core::invalidArgument(where + ": bad ifMatch " + ifMatch);
    return std::optional<int64_t>(*version);
  }

  // An entry PATCH Type/id whose resource is a Binary holding a JSON Patch (contentType
  // application/json-patch+json, the patch in data), as R4 carries a patch in a Bundle: applied
  // now to the stored resource as PATCH does (patchedResource), and taken into the unit as the
  // update of the version it was applied to, the entry's resource replaced by the result.
  StatusOr<write::WriteOp> patchEntryOp(const Caller& caller, Value& entry, const std::string& url,
                                        const std::string& where,
                                        rapidjson::Document::AllocatorType& alloc, Trace& trace) {
    const size_t slash = url.find('/');
    const std::string type = url.substr(0, slash);
    const std::string id = slash == std::string::npos ? std::string() : url.substr(slash + 1);
    if (!fhir::isSupportedResourceType(type) || !fhir::isValidId(id)) {
      return core::invalidArgument(where + ": PATCH needs request.url Type/id, not '" + url + "'");
    }
    BRYGGA_RETURN_IF_ERROR(
        authorizeWrite(caller, type, auth::Interaction::kUpdate).withPrefix(where + ": "));
    Value* binary = fhir::mutableMember(entry, "resource");
    if (binary == nullptr || fhir::stringMember(*binary, "resourceType") != "Binary" ||
        mediaTypeOf(std::string(fhir::stringMember(*binary, "contentType"))) !=
            "application/json-patch+json") {
      return Status(StatusCode::kUnsupportedMediaType,
                    where +
                        ": a PATCH entry's resource is a Binary with contentType "
                        "application/json-patch+json and the patch in data");
    }
    auto text = core::base64Decode(fhir::stringMember(*binary, "data"));
    if (!text.isOk()) return core::invalidArgument(where + ": Binary.data is not base64");
    fhir::JsonLimits limits;
    limits.maxBytes = static_cast<size_t>(deps_.limits.maxBodyBytes);
    limits.maxDepth = deps_.limits.maxJsonDepth;
    auto operations = fhir::parseJson(*text, limits);
    if (!operations.isOk()) return operations.status().withPrefix(where + ": ");
    BRYGGA_ASSIGN_OR_RETURN(auto ifMatch, entryIfMatch(*fhir::member(entry, "request"), where));
    auto patched = patchedResource(caller, type, id, *operations, ifMatch, trace);
    if (!patched.isOk()) return patched.status().withPrefix(where + ": ");
    binary->CopyFrom(patched->doc, alloc);
    write::WriteOp op = std::move(patched->op);
    op.fullUrl = std::string(fhir::stringMember(entry, "fullUrl"));
    op.resource = binary;
    op.allocator = &alloc;
    return op;
  }

  // A batch entry DELETE Type/id or DELETE Type?condition.
  StatusOr<write::WriteOp> deleteEntryOp(const Caller& caller, const Value& req,
                                         const std::string& where, write::WriteOp op) {
    const std::string url(fhir::stringMember(req, "url"));
    op.type = url.substr(0, url.find_first_of("/?"));
    if (!fhir::isSupportedResourceType(op.type)) {
      return core::invalidArgument(where + ": resource type '" + op.type + "' is not supported");
    }
    BRYGGA_RETURN_IF_ERROR(
        authorizeWrite(caller, op.type, auth::Interaction::kDelete).withPrefix(where + ": "));
    if (size_t q = url.find('?'); q != std::string::npos) {
      op.condition = url.substr(q + 1);
      if (op.condition.empty()) return core::invalidArgument(where + ": empty conditional url");
    } else {
      op.id = url.size() > op.type.size() + 1 ? url.substr(op.type.size() + 1) : std::string();
      if (!fhir::isValidId(op.id)) {
        return core::invalidArgument(where + ": DELETE " + url + " needs a valid id");
      }
    }
    BRYGGA_ASSIGN_OR_RETURN(op.ifMatch, entryIfMatch(req, where));
    return op;
  }

  static std::string entryResponseJson(const ApiRequest& request, const write::WriteOp& op) {
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
                          int64_t started) {
    std::vector<write::WriteOp> ops;
    Value* entries = doc.HasMember("entry") ? &doc["entry"] : nullptr;
    if (entries != nullptr && entries->IsArray()) {
      size_t index = 0;
      for (auto& entry : entries->GetArray()) {
        auto op = entryOp(request.caller, entry, index++, doc.GetAllocator(), false, trace);
        if (!op.isOk()) return errorResponse(op.status());
        ops.push_back(std::move(op).value());
      }
    }
    // FHIR processing order: creates before updates; the response keeps the Bundle's order.
    std::vector<write::WriteOp> ordered;
    for (auto& op : ops) {
      if (op.method == "POST") ordered.push_back(op);
    }
    for (auto& op : ops) {
      if (op.method == "PUT") ordered.push_back(op);
    }
    Status s = commitOps(request, ordered, trace, started, true);
    if (!s.isOk()) return errorResponse(s);
    std::sort(ordered.begin(), ordered.end(), [](const write::WriteOp& a, const write::WriteOp& b) {
      return a.entryIndex < b.entryIndex;
    });
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
                    int64_t started) {
    std::string out = R"({"resourceType":"Bundle","type":"batch-response","entry":[)";
    Value* entries = doc.HasMember("entry") ? &doc["entry"] : nullptr;
    size_t count = entries != nullptr && entries->IsArray() ? entries->Size() : 0;
    for (size_t i = 0; i < count; ++i) {
      if (i > 0) out += ',';
      Trace entryTrace;
      entryTrace.interaction = "batch";
      entryTrace.action = 'E';
      entryTrace.query = trace.query;
      Status s;
      std::vector<write::WriteOp> ops;
      auto op = entryOp(request.caller, (*entries)[static_cast<rapidjson::SizeType>(i)], i,
                        doc.GetAllocator(), true, entryTrace);
      if (op.isOk()) {
        ops.push_back(std::move(op).value());
        entryTrace.types.insert(ops.front().type);
        if (ops.front().resource != nullptr) {
          s = validateResource(*ops.front().resource)
                  .withPrefix("Bundle.entry[" + std::to_string(i) + "]: ");
        }
        if (s.isOk()) s = commitOps(request, ops, entryTrace, started, false);
      } else {
        s = op.status();
      }
      if (s.isOk() && ops.front().method == "DELETE") {
        out += R"({"response":{"status":")" + statusText(204) + "\"";
        if (ops.front().deleted) {
          out += R"(,"etag":"W/\")" + std::to_string(ops.front().record.version) + R"(\"")";
        }
        out += "}}";
      } else if (s.isOk()) {
        out += entryResponseJson(request, ops.front());
      } else {
        // Failed entries are recorded like any refused request.
        Status r = recorder_.recordAlone(deps_.store, request, s.httpStatus(), entryTrace, started,
                                         std::string(core::toString(s.code())));
        if (!r.isOk()) return errorResponse(r);
        out += R"({"response":{"status":")" + statusText(s.httpStatus()) + R"(","outcome":)" +
               fhir::operationOutcomeJson(s) + "}}";
      }
    }
    out += "]}";
    // Each entry was recorded on its own.
    trace.audited = false;
    return jsonResponse(200, out);
  }

  ApiDependencies deps_;
  const ExchangeRecorder recorder_;
  const std::string capability_;
  // The wired flows; null: writes are stored and nothing is routed.
  flows::FlowRouter* const flows_;
  const access::AccessPolicy policy_;
  write::WritePipeline pipeline_;
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

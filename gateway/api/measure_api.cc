#include "gateway/api/measure_api.h"

#include <map>

#include <rapidjson/document.h>

#include "gateway/api/responses.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/measures/evaluation.h"
#include "mappings/mapping_set.h"

namespace brygga::api {

namespace {

using core::StatusCode;

constexpr const char* kFhirJson = "application/fhir+json; charset=utf-8";

ApiResponse fhirResponse(std::string body) {
  return noStoreResponse(200, std::move(body), kFhirJson);
}

// The query's parameters, percent-decoded; kInvalidArgument for a malformed one.
core::StatusOr<std::map<std::string, std::string>> queryParams(const std::string& query) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    BRYGGA_ASSIGN_OR_RETURN(std::string name, core::percentDecode(pair.substr(0, eq)));
    std::string value;
    if (eq != std::string::npos) {
      BRYGGA_ASSIGN_OR_RETURN(value, core::percentDecode(pair.substr(eq + 1)));
    }
    out[name] = value;
  }
  return out;
}

// periodStart / periodEnd of a Parameters body (valueDate or valueString).
core::Status parametersBody(const std::string& body, std::map<std::string, std::string>& params) {
  auto doc = fhir::parseJson(body);
  if (!doc.isOk()) return doc.status();
  if (!doc->IsObject() || fhir::stringMember(*doc, "resourceType") != "Parameters") {
    return core::invalidArgument("the body must be a Parameters resource");
  }
  const rapidjson::Value* list = fhir::member(*doc, "parameter");
  if (list == nullptr || !list->IsArray()) return core::Status::ok();
  for (const auto& p : list->GetArray()) {
    if (!p.IsObject()) continue;
    std::string_view value = fhir::stringMember(p, "valueDate");
    if (value.empty()) value = fhir::stringMember(p, "valueString");
    params[std::string(fhir::stringMember(p, "name"))] = std::string(value);
  }
  return core::Status::ok();
}

}  // namespace

bool readsFollowUp(core::ClientRole role) {
  return role != core::ClientRole::kMunicipal;
}

MeasureApi::MeasureApi(flows::MappingRegistry& registry, store::Store& store,
                       const core::TimeSource& clock, core::Logger& logger)
    : registry_(registry), store_(store), clock_(clock), logger_(logger), recorder_(clock) {}

ApiResponse MeasureApi::handle(const ApiRequest& request) {
  const int64_t started = clock_.nowMs();
  Trace trace;
  trace.mappings = registry_.current();
  trace.types.insert("Measure");
  ApiResponse response =
      dispatchGuarded(request, logger_, [&] { return dispatch(request, trace); });
  return recorder_.recordAnswer(store_, request, std::move(response), trace, started, logger_);
}

ApiResponse MeasureApi::dispatch(const ApiRequest& request, Trace& trace) {
  trace.action = 'R';
  trace.interaction = "read";
  trace.query = request.query;
  if (!request.caller.authenticated) return errorResponse(core::unauthenticated("no credentials"));
  if (!readsFollowUp(request.caller.role)) {
    return errorResponse(core::permissionDenied(
        "the follow-up figures are for service management, the region and the integration team"));
  }
  std::shared_ptr<const mappings::MappingSet> set = registry_.current();
  if (set == nullptr) return errorResponse(core::unavailable("no mapping files are in force"));
  const std::vector<std::string> parts = splitPath(request.path);
  if (parts.empty()) {
    trace.interaction = "search-type";
    if (request.method != "GET") return errorResponse({StatusCode::kMethodNotAllowed, "use GET"});
    std::string out = R"({"resourceType":"Bundle","type":"searchset","total":)" +
                      std::to_string(set->measures().size()) + R"(,"entry":[)";
    bool first = true;
    for (const auto& [id, m] : set->measures()) {
      out += (first ? "" : ",");
      out += R"({"fullUrl":")" + request.baseUrl + "/" + id + R"(","resource":)" + m.json +
             R"(,"search":{"mode":"match"}})";
      first = false;
    }
    return fhirResponse(out + "]}");
  }
  const mappings::MeasureDefinition* measure = set->measure(parts[0]);
  if (measure == nullptr) {
    return errorResponse(core::notFound("Measure/" + parts[0] + " is not known"));
  }
  trace.entities.push_back("Measure/" + measure->id);
  if (parts.size() == 1) {
    if (request.method != "GET") return errorResponse({StatusCode::kMethodNotAllowed, "use GET"});
    return fhirResponse(measure->json);
  }
  // The HTTP layer passes the path undecoded: "$" may arrive percent-encoded.
  if (parts.size() != 2 || (parts[1] != "$evaluate-measure" && parts[1] != "%24evaluate-measure")) {
    return errorResponse(core::notFound("no such Measure operation"));
  }
  trace.interaction = "operation";
  trace.action = 'E';
  auto params = queryParams(request.query);
  if (!params.isOk()) return errorResponse(params.status());
  if (request.method == "POST" && !request.body.empty()) {
    core::Status body = parametersBody(request.body, *params);
    if (!body.isOk()) return errorResponse(core::invalidArgument(body.message()));
  }
  for (const auto& [name, value] : *params) {
    if (name == "periodStart" || name == "periodEnd" || name == "_format") continue;
    if (name == "reportType") {
      if (value != "summary") {
        return errorResponse(core::invalidArgument("only reportType=summary is supported"));
      }
      continue;
    }
    return errorResponse(
        core::invalidArgument("unknown parameter " + name +
                              "; $evaluate-measure takes periodStart, periodEnd and "
                              "reportType"));
  }
  auto period = measures::makePeriod((*params)["periodStart"], (*params)["periodEnd"]);
  if (!period.isOk()) return errorResponse(period.status());
  auto loaded = measures::FactIndex::load(store_.measureFacts());
  if (!loaded.isOk()) return errorResponse(loaded.status());
  const measures::FactIndex& index = *loaded;
  const measures::Report report = measures::evaluate(*measure, index, *period, *set);
  return fhirResponse(measures::toMeasureReport(report, clock_.nowMs()));
}

}  // namespace brygga::api

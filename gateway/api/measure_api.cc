#include "gateway/api/measure_api.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include <rapidjson/document.h>

#include "gateway/api/responses.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/measures/evaluation.h"
#include "gateway/measures/month_closing.h"
#include "gateway/search/query.h"
#include "mappings/mapping_set.h"

namespace brygga::api {

namespace {

using core::StatusCode;
using Serves = MeasureApi::Serves;

constexpr const char* kFhirJson = "application/fhir+json; charset=utf-8";
constexpr int kDefaultCount = 50;
constexpr int kMaxCount = 1000;

ApiResponse fhirResponse(std::string body) {
  return noStoreResponse(200, std::move(body), kFhirJson);
}

const char* typeName(Serves serves) {
  return serves == Serves::kMeasure ? "Measure" : "MeasureReport";
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

// A search this endpoint cannot do: not-supported, naming what the type searches by.
core::Status notSupported(Serves serves, const std::string& what) {
  std::string supported;
  for (const auto& name : MeasureApi::searchParamsOf(serves)) supported += name + ", ";
  const std::string text =
      what + "; " + typeName(serves) + " searches by " + supported + "_count and _offset";
  return {StatusCode::kInvalidArgument, text, {core::Issue::error("not-supported", text)}};
}

bool isControlParam(const std::string& name) {
  return name == "_count" || name == "_offset" || name == "_format" || name == "_pretty";
}

// What a search can match on: a Measure in force or a kept report.
struct Candidate {
  std::string id;
  std::string json;
  std::string url;        // Measure: its canonical; report: the canonical of its Measure
  std::string measureId;  // the Measure's id
  std::string periodStart, periodEnd;  // report: YYYY-MM-DD, inclusive
};

// A date search value (R4 3.1.1.4.2): a prefix and YYYY, YYYY-MM or YYYY-MM-DD, as the first and
// last day it covers.
struct DateValue {
  std::string prefix = "eq";
  std::string first, last;
};

core::StatusOr<DateValue> parseDateValue(const std::string& text) {
  DateValue v;
  std::string date = text;
  if (date.size() >= 2 && std::isalpha(static_cast<unsigned char>(date[0]))) {
    v.prefix = date.substr(0, 2);
    date = date.substr(2);
  }
  static const std::vector<std::string> kPrefixes = {"eq", "ge", "le", "gt", "lt", "sa", "eb"};
  if (std::find(kPrefixes.begin(), kPrefixes.end(), v.prefix) == kPrefixes.end()) {
    return notSupported(Serves::kMeasureReport, "period prefix '" + v.prefix +
                                                    "' is not supported (eq, ge, le, gt, lt, sa, "
                                                    "eb are)");
  }
  const auto digits = [&](size_t from, size_t n) {
    for (size_t i = from; i < from + n; ++i) {
      if (i >= date.size() || !std::isdigit(static_cast<unsigned char>(date[i]))) return false;
    }
    return true;
  };
  if (date.size() == 4 && digits(0, 4)) {
    v.first = date + "-01-01";
    v.last = date + "-12-31";
  } else if (date.size() == 7 && digits(0, 4) && date[4] == '-' && digits(5, 2)) {
    v.first = date + "-01";
    v.last = date + "-31";  // compares after the month's last day and before the next month
  } else if (date.size() == 10 && digits(0, 4) && date[4] == '-' && digits(5, 2) &&
             date[7] == '-' && digits(8, 2)) {
    v.first = v.last = date;
  } else {
    return core::invalidArgument(
        "period must be a date (YYYY, YYYY-MM or YYYY-MM-DD) after an "
        "optional prefix, not '" +
        text.substr(0, 40) + "'");
  }
  return v;
}

// Whether a report's period [start, end] matches a date value (R4 3.1.1.4.2, ranges).
bool periodMatches(const DateValue& v, const std::string& start, const std::string& end) {
  if (v.prefix == "ge") return end >= v.first;
  if (v.prefix == "le") return start <= v.last;
  if (v.prefix == "gt") return end > v.last;
  if (v.prefix == "lt") return start < v.first;
  if (v.prefix == "sa") return start > v.last;
  if (v.prefix == "eb") return end < v.first;
  return start >= v.first && end <= v.last;  // eq: the value's range contains the period
}

std::vector<std::string> commaValues(const std::string& value) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = value.find(',', start);
    out.push_back(value.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// One search parameter against one candidate (values comma-separated: any of them).
bool matches(const Candidate& c, const std::string& name, const std::string& value,
             const std::optional<DateValue>& date) {
  if (name == "period") return periodMatches(*date, c.periodStart, c.periodEnd);
  for (const std::string& v : commaValues(value)) {
    if (name == "_id" && v == c.id) return true;
    if (name == "url" && v == c.url) return true;
    if (name == "identifier") {
      const size_t bar = v.find('|');
      const std::string system = bar == std::string::npos ? "" : v.substr(0, bar);
      const std::string code = bar == std::string::npos ? v : v.substr(bar + 1);
      if (code == c.id && (bar == std::string::npos || system == measures::kMeasureReportSystem)) {
        return true;
      }
    }
    if (name == "measure") {
      const std::string tail = "/Measure/" + c.measureId;
      if (v == c.measureId || v == "Measure/" + c.measureId || v == c.url ||
          (v.size() > tail.size() && v.compare(v.size() - tail.size(), tail.size(), tail) == 0)) {
        return true;
      }
    }
  }
  return false;
}

core::StatusOr<int> countParam(const std::string& name, const std::string& value, int max) {
  auto n = core::parseDecimal(value);
  if (!n.isOk()) return core::invalidArgument(name + " must be a non-negative number");
  return static_cast<int>(std::min<int64_t>(*n, max));
}

}  // namespace

bool readsFollowUp(core::ClientRole role) {
  return role != core::ClientRole::kMunicipal;
}

std::optional<ApiResponse> refuseFollowUpCaller(const ApiRequest& request) {
  if (!request.caller.authenticated) return errorResponse(core::unauthenticated("no credentials"));
  if (!readsFollowUp(request.caller.role)) {
    return errorResponse(core::permissionDenied(
        "the follow-up figures are for service management, the region and the integration team"));
  }
  return std::nullopt;
}

const std::vector<std::string>& MeasureApi::searchParamsOf(Serves serves) {
  static const std::vector<std::string> kMeasureParams = {"_id", "url"};
  static const std::vector<std::string> kReportParams = {"_id", "identifier", "measure", "period"};
  return serves == Serves::kMeasure ? kMeasureParams : kReportParams;
}

MeasureApi::MeasureApi(flows::MappingRegistry& registry, store::Store& store,
                       const core::TimeSource& clock, core::Logger& logger, Serves serves)
    : registry_(registry),
      store_(store),
      clock_(clock),
      logger_(logger),
      serves_(serves),
      recorder_(clock) {}

ApiResponse MeasureApi::handle(const ApiRequest& request) {
  const int64_t started = clock_.nowMs();
  Trace trace;
  trace.mappings = registry_.current();
  trace.types.insert(typeName(serves_));
  ApiResponse response =
      dispatchGuarded(request, logger_, [&] { return dispatch(request, trace); });
  return recorder_.recordAnswer(store_, request, std::move(response), trace, started, logger_);
}

ApiResponse MeasureApi::dispatch(const ApiRequest& request, Trace& trace) {
  trace.action = 'R';
  trace.interaction = "read";
  trace.query = request.query;
  if (auto refused = refuseFollowUpCaller(request)) return *refused;
  std::shared_ptr<const mappings::MappingSet> set = registry_.current();
  if (set == nullptr) return errorResponse(core::unavailable("no mapping files are in force"));
  const std::vector<std::string> parts = splitPath(request.path);
  auto params = search::parseQuery(request.query);
  if (!params.isOk()) return errorResponse(params.status());
  if (parts.empty()) {
    trace.interaction = "search-type";
    if (request.method != "GET") return errorResponse({StatusCode::kMethodNotAllowed, "use GET"});
    return search(request, *set, std::move(*params), trace);
  }
  if (parts.size() == 1 && parts[0] == "_search") {
    trace.interaction = "search-type";
    if (request.method != "POST") {
      return errorResponse({StatusCode::kMethodNotAllowed, "use POST for _search"});
    }
    auto form = searchFormOf(request);
    if (!form.isOk()) return errorResponse(form.status());
    params->insert(params->end(), form->begin(), form->end());
    if (!request.body.empty()) trace.query += (trace.query.empty() ? "" : "&") + request.body;
    return search(request, *set, std::move(*params), trace);
  }
  if (serves_ == Serves::kMeasureReport) {
    if (parts.size() != 1) return errorResponse(core::notFound("no such MeasureReport operation"));
    if (request.method != "GET") return errorResponse({StatusCode::kMethodNotAllowed, "use GET"});
    return readReport(parts[0], trace);
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
  return evaluate(request, *measure, *set, trace);
}

ApiResponse MeasureApi::evaluate(const ApiRequest& request,
                                 const mappings::MeasureDefinition& measure,
                                 const mappings::MappingSet& set, Trace& trace) {
  trace.interaction = "operation";
  trace.action = 'E';
  auto query = search::parseQuery(request.query);
  if (!query.isOk()) return errorResponse(query.status());
  std::map<std::string, std::string> params(query->begin(), query->end());
  if (request.method == "POST" && !request.body.empty()) {
    core::Status body = parametersBody(request.body, params);
    if (!body.isOk()) return errorResponse(core::invalidArgument(body.message()));
  }
  for (const auto& [name, value] : params) {
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
  auto period = measures::makePeriod(params["periodStart"], params["periodEnd"]);
  if (!period.isOk()) return errorResponse(period.status());
  auto loaded = measures::FactIndex::load(store_.measureFacts());
  if (!loaded.isOk()) return errorResponse(loaded.status());
  const measures::Report report = measures::evaluate(measure, *loaded, *period, set);
  return fhirResponse(measures::toMeasureReport(report, clock_.nowMs()));
}

ApiResponse MeasureApi::readReport(const std::string& id, Trace& trace) {
  trace.entities.push_back("MeasureReport/" + id);
  auto kept = store_.measureFacts().measureReports("");
  if (!kept.isOk()) return errorResponse(kept.status());
  for (const auto& r : *kept) {
    if (measures::keptReportId(r) != id) continue;
    auto resource = measures::keptReportResource(r);
    if (!resource.isOk()) return errorResponse(resource.status());
    return fhirResponse(std::move(*resource));
  }
  return errorResponse(core::notFound("MeasureReport/" + id + " is not known"));
}

ApiResponse MeasureApi::search(const ApiRequest& request, const mappings::MappingSet& set,
                               search::QueryParams params, Trace& trace) {
  // Which parameters apply; unknown ones are refused, or dropped when the caller is lenient.
  const std::vector<std::string>& own = searchParamsOf(serves_);
  const bool lenient = preference(request, "handling") == "lenient";
  search::QueryParams used;
  int count = kDefaultCount;
  int offset = 0;
  for (const auto& [name, value] : params) {
    const bool known = std::find(own.begin(), own.end(), name) != own.end();
    if (!known && !isControlParam(name)) {
      if (lenient) continue;
      return errorResponse(
          notSupported(serves_, "search parameter '" + name + "' is not supported"));
    }
    if (name == "_count" || name == "_offset") {
      auto n = countParam(name, value, name == "_count" ? kMaxCount : 1 << 30);
      if (!n.isOk()) return errorResponse(n.status());
      (name == "_count" ? count : offset) = *n;
      continue;
    }
    if (name == "_format" || name == "_pretty") continue;
    if (name == "period") {
      auto date = parseDateValue(value);
      if (!date.isOk()) return errorResponse(date.status());
    }
    used.emplace_back(name, value);
  }

  std::vector<Candidate> candidates;
  if (serves_ == Serves::kMeasure) {
    for (const auto& [id, m] : set.measures())
      candidates.push_back({id, m.json, m.url, id, "", ""});
  } else {
    auto kept = store_.measureFacts().measureReports("");
    if (!kept.isOk()) return errorResponse(kept.status());
    for (const auto& r : *kept) {
      auto resource = measures::keptReportResource(r);
      if (!resource.isOk()) return errorResponse(resource.status());
      auto doc = fhir::parseJson(*resource);
      if (!doc.isOk()) return errorResponse(doc.status());
      std::string end;
      if (const rapidjson::Value* period = fhir::member(*doc, "period")) {
        end = std::string(fhir::stringMember(*period, "end"));
      }
      candidates.push_back({measures::keptReportId(r), std::move(*resource),
                            std::string(fhir::stringMember(*doc, "measure")), r.measure,
                            r.periodStart, end});
    }
  }
  std::vector<const Candidate*> matched;
  for (const Candidate& c : candidates) {
    bool all = true;
    for (const auto& [name, value] : used) {
      std::optional<DateValue> date;
      if (name == "period") date = *parseDateValue(value);
      if (!matches(c, name, value, date)) {
        all = false;
        break;
      }
    }
    if (all) matched.push_back(&c);
  }

  // The paging links repeat the parameters that were applied.
  std::string query;
  for (const auto& [name, value] : used) {
    query += core::percentEncode(name) + "=" + core::percentEncode(value) + "&";
  }
  const auto link = [&](const char* relation, int at) {
    return std::string(R"({"relation":")") + relation + R"(","url":")" + request.baseUrl + "?" +
           query + "_count=" + std::to_string(count) + "&_offset=" + std::to_string(at) + R"("})";
  };
  const int total = static_cast<int>(matched.size());
  std::string out = R"({"resourceType":"Bundle","type":"searchset","total":)" +
                    std::to_string(total) + R"(,"link":[)" + link("self", offset);
  if (count > 0 && offset + count < total) out += "," + link("next", offset + count);
  out += "]";
  std::string entries;
  for (int i = offset; i < total && i < offset + count; ++i) {
    const Candidate& c = *matched[static_cast<size_t>(i)];
    trace.entities.push_back(std::string(typeName(serves_)) + "/" + c.id);
    entries += (entries.empty() ? "" : ",");
    entries += R"({"fullUrl":")" + request.baseUrl + "/" + c.id + R"(","resource":)" + c.json +
               R"(,"search":{"mode":"match"}})";
  }
  // FHIR JSON has no empty arrays: a page without matches has no entry at all.
  if (!entries.empty()) out += R"(,"entry":[)" + entries + "]";
  return fhirResponse(out + "}");
}

}  // namespace brygga::api

#include "gateway/api/followup_api.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <variant>
#include <vector>

#include "gateway/api/measure_api.h"
#include "gateway/api/responses.h"
#include "gateway/core/civil_time.h"
#include "gateway/core/log.h"
#include "gateway/core/text.h"
#include "gateway/measures/evaluation.h"
#include "gateway/search/query.h"
#include "mappings/mapping_set.h"

namespace brygga::api {

namespace {

using core::StatusCode;

// The exported tables' column headings in the console's two languages (the page's own labels are
// in static/i18n.js, followup.*). Grouped here so that a translation finds them in one place.
struct Column {
  const char* key;
  const char* heading;  // Swedish, the default
  const char* english;  // lang=en
  bool count;           // a count (masked when small) rather than a name, rate or time
};
struct TableSpec {
  const char* id;
  std::vector<Column> columns;
};
const std::vector<TableSpec>& tableSpecs() {
  static const std::vector<TableSpec> kTables = {
      {"contacts",
       {{"month", "Månad", "Month", false},
        {"servicePoint", "Serviceställe", "Service point", false},
        {"homeVisit", "Hembesök", "Home visits", true},
        {"consultation", "Telefon- och videokonsultationer", "Phone and video consultations",
         true}}},
      {"patients",
       {{"month", "Månad", "Month", false},
        {"servicePoint", "Serviceställe", "Service point", false},
        {"enrolled", "Inskrivna patienter", "Enrolled patients", true},
        {"newEnrollments", "Nya inskrivningar", "New enrollments", true},
        {"shortTerm", "Patienter på korttidsboende", "Patients in short-term care", true},
        {"newShortTerm", "Nya korttidsvistelser", "New short-term stays", true}}},
      {"requests",
       {{"month", "Månad", "Month", false},
        {"withinHours", "Inom öppettid", "Within service hours", true},
        {"outsideHours", "Utanför öppettid", "Outside service hours", true},
        {"answered", "Besvarade", "Answered", true},
        {"declined", "Avböjda", "Declined", true},
        {"medianMinutes", "Median minuter till läkarbesök", "Median minutes to the physician visit",
         false}}},
      {"readmissions",
       {{"month", "Månad", "Month", false},
        {"discharges", "Utskrivningar (hjärtsvikt)", "Discharges (heart failure)", true},
        {"readmitted", "Återinskrivna inom 30 dagar", "Readmitted within 30 days", true},
        {"rate", "Andel", "Rate", false}}},
  };
  return kTables;
}

using Cell = std::variant<std::string, int64_t, std::optional<double>>;

struct Table {
  const TableSpec* spec;
  std::vector<std::vector<Cell>> rows;
};

int64_t populationOf(const measures::Report& report, std::string_view group,
                     std::string_view servicePoint = {}) {
  const measures::GroupResult* g = report.group(group);
  if (g == nullptr) return 0;
  if (servicePoint.empty()) return g->count("initial-population");
  for (const auto& s : g->stratifiers) {
    if (s.code != "service-point") continue;
    for (const auto& stratum : s.strata) {
      if (stratum.value != servicePoint) continue;
      for (const auto& [code, n] : stratum.populations) {
        if (code == "initial-population") return n;
      }
    }
  }
  return 0;
}

std::optional<double> scoreOf(const measures::Report& report, std::string_view group) {
  const measures::GroupResult* g = report.group(group);
  return g == nullptr ? std::nullopt : g->score;
}

std::vector<Table> buildTables(const mappings::MappingSet& set, const measures::FactIndex& index,
                               int year) {
  const auto& specs = tableSpecs();
  std::vector<Table> tables;
  for (const auto& spec : specs) tables.push_back({&spec, {}});
  std::vector<std::string> points;
  for (const auto& sp : set.routing().servicePoints()) {
    if (std::find(points.begin(), points.end(), sp.followUpCode) == points.end()) {
      points.push_back(sp.followUpCode);
    }
  }
  const auto run = [&](const char* id, const measures::Period& period) {
    const mappings::MeasureDefinition* m = set.measure(id);
    return m == nullptr ? measures::Report{} : measures::evaluate(*m, index, period, set);
  };
  for (int month = 1; month <= 12; ++month) {
    const measures::Period period = measures::monthPeriod(year, month);
    char label[8];
    std::snprintf(label, sizeof label, "%04d-%02d", year, month);
    const measures::Report contacts = run("contacts", period);
    const measures::Report enrolled = run("enrolled-patients", period);
    const measures::Report shortTerm = run("short-term-patients", period);
    const measures::Report requests = run("consultation-requests", period);
    const measures::Report readmission = run("readmission-30d", period);
    for (const std::string& sp : points) {
      tables[0].rows.push_back({std::string(label), sp, populationOf(contacts, "home-visit", sp),
                                populationOf(contacts, "consultation", sp)});
      tables[1].rows.push_back({std::string(label), sp, populationOf(enrolled, "enrolled", sp),
                                populationOf(enrolled, "new-enrollments", sp),
                                populationOf(shortTerm, "enrolled", sp),
                                populationOf(shortTerm, "new-enrollments", sp)});
    }
    tables[2].rows.push_back(
        {std::string(label), populationOf(requests, "within-hours"),
         populationOf(requests, "outside-hours"), populationOf(requests, "answered"),
         populationOf(requests, "declined"), scoreOf(requests, "time-to-encounter")});
    const measures::GroupResult* r = readmission.group("readmission-30d");
    tables[3].rows.push_back({std::string(label), r ? r->count("denominator") : 0,
                              r ? r->count("numerator") : 0,
                              scoreOf(readmission, "readmission-30d")});
  }
  return tables;
}

std::string cellJson(const Cell& cell) {
  std::string out;
  if (const auto* s = std::get_if<std::string>(&cell)) {
    out += '"';
    core::appendJsonEscaped(out, *s);
    out += '"';
  } else if (const auto* n = std::get_if<int64_t>(&cell)) {
    out += std::to_string(*n);
  } else {
    const auto& d = std::get<std::optional<double>>(cell);
    if (!d) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", *d);
    out += buf;
  }
  return out;
}

std::string csvField(std::string text) {
  if (text.find_first_of(",\"\n;") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string cellCsv(const Cell& cell, const Column& column, bool exact) {
  if (const auto* s = std::get_if<std::string>(&cell)) return csvField(*s);
  if (const auto* n = std::get_if<int64_t>(&cell)) {
    return column.count ? maskedCount(*n, exact) : std::to_string(*n);
  }
  const auto& d = std::get<std::optional<double>>(cell);
  if (!d) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", *d);
  return buf;
}

}  // namespace

std::string maskedCount(int64_t count, bool exact) {
  if (!exact && count >= 1 && count <= 4) return "<5";
  return std::to_string(count);
}

FollowUpApi::FollowUpApi(flows::MappingRegistry& registry, store::Store& store,
                         const core::TimeSource& clock, core::Logger& logger)
    : registry_(registry), store_(store), clock_(clock), logger_(logger), recorder_(clock) {}

ApiResponse FollowUpApi::handle(const ApiRequest& request) {
  const int64_t started = clock_.nowMs();
  Trace trace;
  trace.mappings = registry_.current();
  trace.types.insert("MeasureReport");
  ApiResponse response =
      dispatchGuarded(request, logger_, [&] { return dispatch(request, trace); });
  return recorder_.recordAnswer(store_, request, std::move(response), trace, started, logger_);
}

ApiResponse FollowUpApi::dispatch(const ApiRequest& request, Trace& trace) {
  trace.action = 'R';
  trace.interaction = "read";
  trace.query = request.query;
  if (auto refused = refuseFollowUpCaller(request)) return *refused;
  if (request.method != "GET") return errorResponse({StatusCode::kMethodNotAllowed, "use GET"});
  std::shared_ptr<const mappings::MappingSet> set = registry_.current();
  if (set == nullptr) return errorResponse(core::unavailable("no mapping files are in force"));
  int year = core::toStockholm(clock_.nowMs()).date.year;
  bool english = false;
  auto params = search::parseQuery(request.query);
  if (!params.isOk()) return errorResponse(params.status());
  for (const auto& [name, text] : *params) {
    if (name == "year") {
      if (text.size() != 4 || !std::all_of(text.begin(), text.end(), core::isAsciiDigit)) {
        return errorResponse(core::invalidArgument("year must be four digits"));
      }
      year = std::stoi(text);
    } else if (name == "lang") {
      if (text != "sv" && text != "en") {
        return errorResponse(core::invalidArgument("lang must be sv or en"));
      }
      english = text == "en";
    } else {
      return errorResponse(core::invalidArgument("the parameters are year and lang"));
    }
  }
  const std::vector<std::string> parts = splitPath(request.path);
  if (parts.size() > 1) return errorResponse(core::notFound("no such follow-up table"));
  auto loaded = measures::FactIndex::load(store_.measureFacts());
  if (!loaded.isOk()) return errorResponse(loaded.status());
  const measures::FactIndex& index = *loaded;
  const std::vector<Table> tables = buildTables(*set, index, year);
  if (parts.empty()) {
    std::string out = "{\"year\":" + std::to_string(year) + ",\"tables\":[";
    for (size_t t = 0; t < tables.size(); ++t) {
      const Table& table = tables[t];
      out += (t ? "," : "") + std::string("{\"id\":\"") + table.spec->id + "\",\"columns\":[";
      for (size_t c = 0; c < table.spec->columns.size(); ++c) {
        out += (c ? ",\"" : "\"") + std::string(table.spec->columns[c].key) + "\"";
      }
      out += "],\"rows\":[";
      for (size_t r = 0; r < table.rows.size(); ++r) {
        out += r ? ",[" : "[";
        for (size_t c = 0; c < table.rows[r].size(); ++c) {
          out += (c ? "," : "") + cellJson(table.rows[r][c]);
        }
        out += "]";
      }
      out += "]}";
    }
    return noStoreResponse(200, out + "]}");
  }
  const bool exact = request.caller.role == core::ClientRole::kIntegration;
  for (const Table& table : tables) {
    if (parts[0] != std::string(table.spec->id) + ".csv") continue;
    std::string out;
    for (size_t c = 0; c < table.spec->columns.size(); ++c) {
      const Column& column = table.spec->columns[c];
      out += (c ? "," : "") + csvField(english ? column.english : column.heading);
    }
    out += "\r\n";
    for (const auto& row : table.rows) {
      for (size_t c = 0; c < row.size(); ++c) {
        out += (c ? "," : "") + cellCsv(row[c], table.spec->columns[c], exact);
      }
      out += "\r\n";
    }
    ApiResponse response = noStoreResponse(200, out, "text/csv; charset=utf-8");
    response.headers.emplace_back("Content-Disposition", "attachment; filename=\"uppfoljning-" +
                                                             std::string(table.spec->id) + "-" +
                                                             std::to_string(year) + ".csv\"");
    return response;
  }
  return errorResponse(core::notFound("no such follow-up table: " + parts[0]));
}

}  // namespace brygga::api

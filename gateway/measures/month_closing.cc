#include "gateway/measures/month_closing.h"

#include <set>
#include <string>

#include <rapidjson/document.h>

#include "gateway/core/civil_time.h"
#include "gateway/core/digest.h"
#include "gateway/core/trace_context.h"
#include "gateway/fhir/json.h"
#include "gateway/measures/evaluation.h"

namespace brygga::measures {

namespace {

// The destination's outbox entry for a kept report: a transaction Bundle whose one entry
// updates the report by its identifier, so a receiver keeps one copy however often it arrives.
core::StatusOr<store::OutboxEntry> forwardEntry(const store::StoredMeasureReport& report,
                                                const std::string& destination, int64_t nowMs) {
  BRYGGA_ASSIGN_OR_RETURN(std::string resource, keptReportResource(report));
  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, fhir::parseJson(resource));
  // The receiver assigns its own id; the identifier names the report.
  doc.RemoveMember("id");
  doc.RemoveMember("meta");
  const std::string id = keptReportId(report);
  rapidjson::Document bundle(rapidjson::kObjectType);
  auto& b = bundle.GetAllocator();
  bundle.AddMember("resourceType", "Bundle", b);
  bundle.AddMember("type", "transaction", b);
  rapidjson::Value entry(rapidjson::kObjectType);
  entry.AddMember("fullUrl",
                  rapidjson::Value(("urn:uuid:" + core::newTimeOrderedUuid()).c_str(), b), b);
  rapidjson::Value copy(doc, b);
  entry.AddMember("resource", copy, b);
  rapidjson::Value request(rapidjson::kObjectType);
  request.AddMember("method", "PUT", b);
  request.AddMember(
      "url",
      rapidjson::Value(
          (std::string("MeasureReport?identifier=") + kMeasureReportSystem + "|" + id).c_str(), b),
      b);
  entry.AddMember("request", request, b);
  rapidjson::Value entries(rapidjson::kArrayType);
  entries.PushBack(entry, b);
  bundle.AddMember("entry", entries, b);

  store::OutboxEntry out;
  out.destination = destination;
  // One Measure's months arrive in the order they closed.
  out.orderingKey = "Measure/" + report.measure;
  out.requestId = core::newTimeOrderedUuid();
  out.payload = fhir::toJson(bundle);
  out.createdMs = nowMs;
  out.nextAttemptMs = nowMs;
  out.traceId = core::newTraceId();
  return out;
}

}  // namespace

std::string keptReportId(const store::StoredMeasureReport& report) {
  return report.measure + "-" + report.periodStart.substr(0, 7);
}

core::StatusOr<std::string> keptReportResource(const store::StoredMeasureReport& report) {
  auto parsed = fhir::parseJson(report.json);
  if (!parsed.isOk() || !parsed->IsObject()) {
    return core::internalError("the kept MeasureReport " + keptReportId(report) + " is not JSON");
  }
  rapidjson::Document& doc = *parsed;
  const std::string id = keptReportId(report);
  for (const char* name : {"id", "meta", "identifier"}) doc.RemoveMember(name);
  // resourceType first, then id, meta and identifier, as FHIR JSON is usually written.
  rapidjson::Document out(rapidjson::kObjectType);
  auto& o = out.GetAllocator();
  out.AddMember("resourceType", "MeasureReport", o);
  out.AddMember("id", rapidjson::Value(id.c_str(), o), o);
  rapidjson::Value meta(rapidjson::kObjectType);
  meta.AddMember("lastUpdated", rapidjson::Value(core::formatInstant(report.createdMs).c_str(), o),
                 o);
  out.AddMember("meta", meta, o);
  rapidjson::Value identifier(rapidjson::kObjectType);
  identifier.AddMember("system", rapidjson::Value(kMeasureReportSystem, o), o);
  identifier.AddMember("value", rapidjson::Value(id.c_str(), o), o);
  rapidjson::Value identifiers(rapidjson::kArrayType);
  identifiers.PushBack(identifier, o);
  out.AddMember("identifier", identifiers, o);
  for (auto& m : doc.GetObject()) {
    if (std::string_view(m.name.GetString()) == "resourceType") continue;
    out.AddMember(rapidjson::Value(m.name, o), rapidjson::Value(m.value, o), o);
  }
  return fhir::toJson(out);
}

core::StatusOr<int> storeClosedMonth(store::Store& store, const mappings::MappingSet& set,
                                     int64_t nowMs, const MeasuresConfig& config) {
  const core::CivilDate today = core::toStockholm(nowMs).date;
  if (today.day < 2) return 0;
  const int year = today.month == 1 ? today.year - 1 : today.year;
  const int month = today.month == 1 ? 12 : today.month - 1;
  const Period period = monthPeriod(year, month);
  const std::string start = period.start.iso();
  BRYGGA_ASSIGN_OR_RETURN(std::vector<store::StoredMeasureReport> kept,
                          store.measureFacts().measureReports(""));
  std::set<std::string> done;
  for (const auto& r : kept) {
    if (r.periodStart == start) done.insert(r.measure);
  }
  std::vector<store::StoredMeasureReport> reports;
  std::optional<FactIndex> index;
  for (const auto& [id, measure] : set.measures()) {
    if (done.count(id)) continue;
    if (!index) {
      BRYGGA_ASSIGN_OR_RETURN(FactIndex loaded, FactIndex::load(store.measureFacts()));
      index.emplace(std::move(loaded));
    }
    reports.push_back(
        {id, start, toMeasureReport(evaluate(measure, *index, period, set), nowMs), nowMs});
  }
  if (reports.empty()) return 0;
  std::vector<store::OutboxEntry> forwards;
  if (!config.forwardTo.empty()) {
    for (const auto& r : reports) {
      BRYGGA_ASSIGN_OR_RETURN(store::OutboxEntry entry, forwardEntry(r, config.forwardTo, nowMs));
      forwards.push_back(std::move(entry));
    }
  }
  int stored = 0;
  BRYGGA_RETURN_IF_ERROR(store.write([&](store::StoreTransaction& txn) -> core::Status {
    stored = 0;
    for (size_t i = 0; i < reports.size(); ++i) {
      BRYGGA_ASSIGN_OR_RETURN(bool added, txn.measureFacts().storeMeasureReport(reports[i]));
      if (!added) continue;  // another gateway kept (and forwarded) it first
      ++stored;
      if (!forwards.empty()) BRYGGA_RETURN_IF_ERROR(txn.outbox().enqueue(forwards[i]).status());
    }
    return core::Status::ok();
  }));
  return stored;
}

}  // namespace brygga::measures

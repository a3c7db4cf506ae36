// The Connection's SQL for the follow-up measures (schema 13): facts per resource, replaced with
// it, and the reports kept when a month closes.
#include <string>
#include <vector>

#include "gateway/store/sqlite_connection.h"

namespace brygga::store::sqlite {

namespace {

constexpr const char* kFactColumns =
    "type, id, seq, kind, patient, start_ms, end_ms, service_point, municipality, code, flag, ref";

MeasureFact factOf(const Query& q) {
  MeasureFact f;
  f.type = q.text(0);
  f.id = q.text(1);
  f.seq = static_cast<int>(q.integer(2));
  f.kind = q.text(3);
  f.patient = q.text(4);
  f.startMs = q.integer(5);
  f.endMs = q.integer(6);
  f.servicePoint = q.text(7);
  f.municipality = q.text(8);
  f.code = q.text(9);
  f.flag = q.integer(10);
  f.ref = q.text(11);
  return f;
}

}  // namespace

std::vector<MeasureFact> Connection::measureFactsOf(const std::string& type,
                                                    const std::string& id) {
  Query q(statements_.get(std::string("SELECT ") + kFactColumns +
                          " FROM measure_fact WHERE type = ? AND id = ? ORDER BY seq"));
  q.bind(type).bind(id);
  std::vector<MeasureFact> out;
  while (q.next()) out.push_back(factOf(q));
  return out;
}

void Connection::replaceMeasureFacts(const std::string& type, const std::string& id,
                                     const std::vector<MeasureFact>& facts) {
  {
    Query del(statements_.get("DELETE FROM measure_fact WHERE type = ? AND id = ?"));
    del.bind(type).bind(id).run();
  }
  for (const MeasureFact& f : facts) {
    Query ins(statements_.get(std::string("INSERT INTO measure_fact (") + kFactColumns +
                              ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    ins.bind(type)
        .bind(id)
        .bind(f.seq)
        .bind(f.kind)
        .bind(f.patient)
        .bind(f.startMs)
        .bind(f.endMs)
        .bind(f.servicePoint)
        .bind(f.municipality)
        .bind(f.code)
        .bind(f.flag)
        .bind(f.ref)
        .run();
  }
}

void Connection::forEachMeasureFact(std::string_view type,
                                    const std::function<void(const MeasureFact&)>& visit) {
  // One type is a range of the primary key; every type a plain scan.
  Query q(statements_.get(std::string("SELECT ") + kFactColumns + " FROM measure_fact" +
                          (type.empty() ? "" : " WHERE type = ?")));
  if (!type.empty()) q.bind(type);
  // One fact reused row after row: its strings keep their capacity, so a read of half a million
  // facts allocates almost nothing.
  MeasureFact f;
  while (q.next()) {
    f.type.assign(q.textView(0));
    f.id.assign(q.textView(1));
    f.seq = static_cast<int>(q.integer(2));
    f.kind.assign(q.textView(3));
    f.patient.assign(q.textView(4));
    f.startMs = q.integer(5);
    f.endMs = q.integer(6);
    f.servicePoint.assign(q.textView(7));
    f.municipality.assign(q.textView(8));
    f.code.assign(q.textView(9));
    f.flag = q.integer(10);
    f.ref.assign(q.textView(11));
    visit(f);
  }
}

bool Connection::storeMeasureReport(const StoredMeasureReport& report) {
  Query q(statements_.get(
      "INSERT OR IGNORE INTO measure_report (measure, period_start, json, created_ms)"
      " VALUES (?, ?, ?, ?)"));
  return q.bind(report.measure)
             .bind(report.periodStart)
             .bind(report.json)
             .bind(report.createdMs)
             .run() > 0;
}

std::vector<StoredMeasureReport> Connection::measureReports(const std::string& measure) {
  Query q(
      statements_.get("SELECT measure, period_start, json, created_ms FROM measure_report"
                      " WHERE ? = '' OR measure = ? ORDER BY measure, period_start"));
  q.bind(measure).bind(measure);
  std::vector<StoredMeasureReport> out;
  while (q.next()) out.push_back({q.text(0), q.text(1), q.text(2), q.integer(3)});
  return out;
}

}  // namespace brygga::store::sqlite

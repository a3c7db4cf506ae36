// The follow-up measures (issue 13) against a synthetic year whose figures are known by
// construction (bench/traffic_year.h): the year's messages go through the real FHIR API, flows
// and write pipeline into a real store at the times the scenario chose, and every month's
// MeasureReport of every Measure, from GET /fhir/Measure/{id}/$evaluate-measure, must equal the
// scenario's hand count exactly: each population, each stratum, each score. The scenario holds
// contacts around both clock changes and month ends, discharges on a month's last day,
// readmissions on day 30 and day 31, a patient moving to another service point mid-month and
// visits later entered in error.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include <rapidjson/document.h>

#include "adapters/http_client.h"
#include "bench/traffic_year.h"
#include "gateway/api/fhir_api.h"
#include "gateway/api/measure_api.h"
#include "gateway/core/civil_time.h"
#include "gateway/delivery/delivery_worker.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/validator.h"
#include "gateway/flows/flow_router.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/measures/evaluation.h"
#include "gateway/measures/month_closing.h"
#include "gateway/store/sqlite_store.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_peer.h"
#include "tests/support/test_support.h"

namespace brygga::measures {
namespace {

using rapidjson::Value;

const std::vector<std::string> kDestinations = {"regional", "kungsbacka", "varberg", "falkenberg",
                                                "halmstad", "laholm",     "hylte"};
const std::vector<std::string> kMeasures = {"contacts", "enrolled-patients", "short-term-patients",
                                            "consultation-requests", "readmission-30d"};

class Gateway {
 public:
  Gateway()
      : clock_(0),
        logger_(log_),
        validator_(fhir::makeValidator()),
        registry_(std::string(BRYGGA_SOURCE_DIR) + "/mappings/data", kDestinations, logger_,
                  clock_) {
    store::SqliteOptions options;
    options.path = dir_.path() + "/brygga.db";
    auto opened = store::openSqliteStore(options);
    EXPECT_TRUE(opened.isOk()) << opened.status().toString();
    store_ = std::move(opened).value();
    loaded_ = registry_.load();
    router_ =
        std::make_unique<flows::FlowRouter>(registry_, *store_, clock_, kDestinations, logger_);
    api::ApiDependencies deps{*store_,       *validator_, clock_, logger_, api::RequestLimits{},
                              kDestinations, nullptr};
    deps.flows = router_.get();
    fhir_ = std::make_unique<api::FhirApi>(std::move(deps));
    measures_ = std::make_unique<api::MeasureApi>(registry_, *store_, clock_, logger_);
    reports_ = std::make_unique<api::MeasureApi>(registry_, *store_, clock_, logger_,
                                                 api::MeasureApi::Serves::kMeasureReport);
  }

  const core::Status& loaded() const { return loaded_; }
  testing::SimulatedTimeSystem& clock() { return clock_; }
  std::shared_ptr<const mappings::MappingSet> mappings() { return registry_.current(); }
  store::Store& store() { return *store_; }
  const fhir::Validator& validator() const { return *validator_; }

  api::ApiResponse send(const traffic::Message& m) {
    api::ApiRequest request;
    request.method = m.method;
    std::string path = m.path;
    if (size_t q = path.find('?'); q != std::string::npos) {
      request.query = path.substr(q + 1);
      path.resize(q);
    }
    request.path = path;
    request.body = m.body;
    request.headers["content-type"] = "application/fhir+json";
    request.caller = caller(m.client, m.client == "region" ? core::ClientRole::kRegional
                                                           : core::ClientRole::kMunicipal);
    request.baseUrl = "https://brygga.test/fhir";
    request.requestId = "year-" + std::to_string(++requests_);
    return fhir_->handle(request);
  }

  api::ApiResponse measure(const std::string& path, const std::string& query,
                           core::ClientRole role = core::ClientRole::kIntegration,
                           const std::string& method = "GET") {
    api::ApiRequest request;
    request.method = method;
    request.path = path;
    request.query = query;
    request.caller = caller("followup", role);
    request.baseUrl = "https://brygga.test/fhir/Measure";
    request.requestId = "measure-" + std::to_string(++requests_);
    return measures_->handle(request);
  }

  // GET /fhir/MeasureReport{path}?{query}
  api::ApiResponse report(const std::string& path, const std::string& query,
                          core::ClientRole role = core::ClientRole::kIntegration) {
    api::ApiRequest request;
    request.method = "GET";
    request.path = path;
    request.query = query;
    request.caller = caller(role == core::ClientRole::kMunicipal ? "kungsbacka" : "followup", role);
    request.baseUrl = "https://brygga.test/fhir/MeasureReport";
    request.requestId = "report-" + std::to_string(++requests_);
    return reports_->handle(request);
  }

 private:
  static api::Caller caller(const std::string& client, core::ClientRole role) {
    api::Caller c;
    c.authenticated = true;
    c.clientId = client;
    c.tenant = role == core::ClientRole::kMunicipal ? client : std::string();
    c.role = role;
    c.credential = "token";
    return c;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::ostringstream log_;
  testing::SimulatedTimeSystem clock_;
  core::Logger logger_;
  std::unique_ptr<fhir::Validator> validator_;
  flows::MappingRegistry registry_;
  core::Status loaded_;
  std::unique_ptr<flows::FlowRouter> router_;
  std::unique_ptr<api::FhirApi> fhir_;
  std::unique_ptr<api::MeasureApi> measures_;
  std::unique_ptr<api::MeasureApi> reports_;
  int requests_ = 0;
};

std::string codeOf(const Value& conceptValue) {
  return std::string(fhir::stringMember(conceptValue["coding"][0], "code"));
}

// A MeasureReport as the scenario counts: "measure/group/population[/stratifier=value]" -> count,
// zero counts left out; "measure/group/score" -> measureScore × 10000.
void flatten(const std::string& measure, const Value& report, traffic::MonthFigures& out) {
  for (const auto& group : report["group"].GetArray()) {
    const std::string g = measure + "/" + codeOf(group["code"]) + "/";
    for (const auto& p : group["population"].GetArray()) {
      if (p["count"].GetInt() > 0) out[g + codeOf(p["code"])] = p["count"].GetInt();
    }
    if (const Value* score = fhir::member(group, "measureScore")) {
      out[g + "score"] = std::llround((*score)["value"].GetDouble() * 10000.0);
    }
    const Value* stratifiers = fhir::member(group, "stratifier");
    if (stratifiers == nullptr) continue;
    for (const auto& s : stratifiers->GetArray()) {
      const std::string code = codeOf(s["code"][0]);
      for (const auto& stratum : s["stratum"].GetArray()) {
        const std::string value(fhir::stringMember(stratum["value"], "text"));
        for (const auto& p : stratum["population"].GetArray()) {
          if (p["count"].GetInt() > 0) {
            out[g + codeOf(p["code"]) + "/" + code + "=" + value] = p["count"].GetInt();
          }
        }
      }
    }
  }
}

std::string differences(const traffic::MonthFigures& expected,
                        const traffic::MonthFigures& actual) {
  std::string out;
  std::set<std::string> keys;
  for (const auto& [k, _] : expected) keys.insert(k);
  for (const auto& [k, _] : actual) keys.insert(k);
  for (const auto& k : keys) {
    const auto e = expected.find(k);
    const auto a = actual.find(k);
    const int64_t ev = e == expected.end() ? 0 : e->second;
    const int64_t av = a == actual.end() ? 0 : a->second;
    if (ev != av) {
      out +=
          "  " + k + ": expected " + std::to_string(ev) + ", reported " + std::to_string(av) + "\n";
    }
  }
  return out;
}

// Each kept report went to the destination `measures.forwardTo` names, once (the second
// closing pass sent nothing): a transaction Bundle updating the report by its identifier, whose
// figures are the kept ones, ordered per Measure.
void expectForwardedOnce(Gateway& gateway, const traffic::MonthFigures& december) {
  auto entries = gateway.store().outbox().entries("statistik", std::nullopt, 100);
  ASSERT_TRUE(entries.isOk()) << entries.status().toString();
  ASSERT_EQ(entries->size(), kMeasures.size());
  std::set<std::string> keys;
  traffic::MonthFigures forwarded;
  for (const store::OutboxEntry& e : *entries) {
    EXPECT_EQ(e.state, store::OutboxState::kPending);
    keys.insert(e.orderingKey);
    rapidjson::Document bundle;
    bundle.Parse(e.payload.c_str());
    ASSERT_TRUE(bundle.IsObject()) << e.payload;
    EXPECT_EQ(fhir::stringMember(bundle, "type"), "transaction");
    ASSERT_EQ(bundle["entry"].Size(), 1u);
    const Value& entry = bundle["entry"][0];
    const Value& report = entry["resource"];
    const std::string measure = e.orderingKey.substr(e.orderingKey.find('/') + 1);
    EXPECT_EQ(std::string(entry["request"]["method"].GetString()), "PUT");
    EXPECT_EQ(
        std::string(entry["request"]["url"].GetString()),
        "MeasureReport?identifier=https://brygga.se/fhir/measure-report|" + measure + "-2026-12");
    EXPECT_FALSE(report.HasMember("id")) << "the receiver names its own copy";
    EXPECT_EQ(std::string(report["identifier"][0]["value"].GetString()), measure + "-2026-12");
    EXPECT_EQ(std::string(report["period"]["start"].GetString()), "2026-12-01");
    EXPECT_EQ(std::string(report["period"]["end"].GetString()), "2026-12-31");
    const auto issues = gateway.validator().validate(bundle);
    EXPECT_FALSE(fhir::hasErrors(issues)) << fhir::operationOutcomeJson(issues);
    flatten(measure, report, forwarded);
  }
  std::set<std::string> expectedKeys;
  for (const std::string& m : kMeasures) expectedKeys.insert("Measure/" + m);
  EXPECT_EQ(keys, expectedKeys);
  EXPECT_EQ(differences(december, forwarded), "");

  // The destination's worker sends them to a real HTTP peer, each as it was enqueued.
  testing::TestPeer peer;
  delivery::DestinationConfig destination;
  destination.name = "statistik";
  destination.peer.baseUrl = peer.baseUrl();
  std::ostringstream log;
  core::Logger logger(log);
  delivery::DeliveryWorker worker(
      destination, delivery::DeliveryConfig{}, gateway.store(),
      adapters::makeCurlAsyncHttpClient(destination.peer, destination.maxInFlight), gateway.clock(),
      logger);
  EXPECT_EQ(worker.runOnce(), static_cast<int>(kMeasures.size()));
  std::multiset<std::string> sent, queued;
  for (const auto& r : peer.requests()) {
    EXPECT_EQ(r.method, "POST");
    sent.insert(r.body);
  }
  for (const store::OutboxEntry& e : *entries) queued.insert(e.payload);
  EXPECT_EQ(sent, queued);
  auto delivered =
      gateway.store().outbox().entries("statistik", store::OutboxState::kDelivered, 100);
  ASSERT_TRUE(delivered.isOk());
  EXPECT_EQ(delivered->size(), kMeasures.size());
}

// The kept reports are read at /fhir/MeasureReport: by id, and searched by measure, period and
// identifier; a municipality is refused, an unknown parameter is not-supported.
void expectReadableAtMeasureReport(Gateway& gateway) {
  const auto json = [](const api::ApiResponse& r) {
    auto doc = std::make_unique<rapidjson::Document>();
    doc->Parse(r.body.c_str());
    return doc;
  };
  auto read = gateway.report("/contacts-2026-12", "");
  ASSERT_EQ(read.status, 200) << read.body;
  auto report = json(read);
  EXPECT_EQ(fhir::stringMember(*report, "id"), "contacts-2026-12");
  EXPECT_EQ(fhir::stringMember(*report, "measure"), "https://brygga.se/fhir/Measure/contacts");
  const auto issues = gateway.validator().validate(*report);
  EXPECT_FALSE(fhir::hasErrors(issues)) << fhir::operationOutcomeJson(issues);
  EXPECT_EQ(gateway.report("/contacts-2026-11", "").status, 404);

  const auto ids = [&](const std::string& query) {
    auto r = gateway.report("", query);
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    std::set<std::string> out;
    auto doc = json(r);
    if (doc->IsObject() && doc->HasMember("entry")) {
      for (const auto& e : (*doc)["entry"].GetArray()) out.insert(e["resource"]["id"].GetString());
    }
    return out;
  };
  EXPECT_EQ(ids("").size(), kMeasures.size());
  EXPECT_EQ(ids("measure=contacts"), std::set<std::string>{"contacts-2026-12"});
  EXPECT_EQ(ids("measure=https://brygga.se/fhir/Measure/readmission-30d"),
            std::set<std::string>{"readmission-30d-2026-12"});
  EXPECT_EQ(ids("period=2026-12").size(), kMeasures.size());
  EXPECT_EQ(ids("period=2026-12-15").size(), 0u) << "eq: the value's range holds the period";
  EXPECT_EQ(ids("period=ge2026-12-15").size(), kMeasures.size());
  EXPECT_EQ(ids("period=lt2026-12-01").size(), 0u);
  EXPECT_EQ(ids("period=2026&measure=contacts,enrolled-patients").size(), 2u);
  EXPECT_EQ(ids("identifier=https://brygga.se/fhir/measure-report|contacts-2026-12"),
            std::set<std::string>{"contacts-2026-12"});
  EXPECT_EQ(ids("_count=2&_offset=4").size(), 1u);
  auto sorted = gateway.report("", "_sort=period");
  EXPECT_EQ(sorted.status, 400) << sorted.body;
  EXPECT_NE(sorted.body.find("not-supported"), std::string::npos) << sorted.body;
  EXPECT_EQ(gateway.report("", "period=december").status, 400);
  EXPECT_EQ(gateway.report("", "", core::ClientRole::kMunicipal).status, 403);
  EXPECT_EQ(gateway.report("", "", core::ClientRole::kFollowUp).status, 200);
}

TEST(MeasuresYear, EveryMonthsReportsEqualTheHandCountOfASyntheticYear) {
  Gateway gateway;
  ASSERT_TRUE(gateway.loaded().isOk()) << gateway.loaded().toString();
  const traffic::YearScenario year(gateway.mappings(), /*seed=*/13);
  ASSERT_GT(year.steps().size(), 200u);
  for (const traffic::Step& step : year.steps()) {
    gateway.clock().setSystemTimeMs(step.atMs);
    const api::ApiResponse response = gateway.send(step.message);
    ASSERT_LT(response.status, 300)
        << step.message.kind << " from " << step.message.client << " at "
        << core::formatStockholm(step.atMs) << ": " << response.body << "\n"
        << step.message.body;
  }
  gateway.clock().setSystemTimeMs(core::fromStockholm(core::CivilDate{2027, 2, 1}, 0));
  int64_t contacts = 0;
  for (int month = 1; month <= 12; ++month) {
    const Period period = monthPeriod(year.year(), month);
    traffic::MonthFigures actual;
    for (const std::string& measure : kMeasures) {
      const api::ApiResponse response =
          gateway.measure("/" + measure + "/$evaluate-measure",
                          "periodStart=" + period.start.iso() + "&periodEnd=" + period.end.iso());
      ASSERT_EQ(response.status, 200) << response.body;
      rapidjson::Document report;
      report.Parse(response.body.c_str());
      ASSERT_TRUE(report.IsObject());
      EXPECT_EQ(fhir::stringMember(report, "type"), "summary");
      const auto issues = gateway.validator().validate(report);
      EXPECT_FALSE(fhir::hasErrors(issues)) << fhir::operationOutcomeJson(issues);
      flatten(measure, report, actual);
    }
    const std::string diff = differences(year.expected(month), actual);
    EXPECT_TRUE(diff.empty()) << "month " << month << ":\n" << diff;
    for (const char* g :
         {"contacts/home-visit/initial-population", "contacts/consultation/initial-population"}) {
      if (actual.count(g)) contacts += actual[g];
    }
  }
  EXPECT_GT(contacts, 100);

  // December closes: from the second of January its five reports are kept, once, as evaluated.
  const int64_t newYearsDay = core::fromStockholm(core::CivilDate{2027, 1, 1}, 12 * 60);
  auto stored = storeClosedMonth(gateway.store(), *gateway.mappings(), newYearsDay);
  ASSERT_TRUE(stored.isOk()) << stored.status().toString();
  EXPECT_EQ(*stored, 0) << "not on the first day of the month";
  const MeasuresConfig forward{"statistik"};
  stored =
      storeClosedMonth(gateway.store(), *gateway.mappings(), newYearsDay + core::kDayMs, forward);
  ASSERT_TRUE(stored.isOk()) << stored.status().toString();
  EXPECT_EQ(*stored, 5);
  stored = storeClosedMonth(gateway.store(), *gateway.mappings(), newYearsDay + 2 * core::kDayMs,
                            forward);
  EXPECT_EQ(*stored, 0) << "a month's reports are kept once";
  expectForwardedOnce(gateway, year.expected(12));
  expectReadableAtMeasureReport(gateway);
  auto kept = gateway.store().measureFacts().measureReports("contacts");
  ASSERT_TRUE(kept.isOk());
  ASSERT_EQ(kept->size(), 1u);
  EXPECT_EQ((*kept)[0].periodStart, "2026-12-01");
  rapidjson::Document december;
  december.Parse((*kept)[0].json.c_str());
  traffic::MonthFigures keptFigures;
  flatten("contacts", december, keptFigures);
  traffic::MonthFigures expectedContacts;
  for (const auto& [key, value] : year.expected(12)) {
    if (key.rfind("contacts/", 0) == 0) expectedContacts[key] = value;
  }
  EXPECT_EQ(differences(expectedContacts, keptFigures), "");
  // The edge cases are in the count: readmissions on day 30 (January, August) and not day 31
  // (April).
  EXPECT_EQ(year.expected(1).at("readmission-30d/readmission-30d/numerator"), 1);
  EXPECT_EQ(year.expected(4).count("readmission-30d/readmission-30d/numerator"), 0u);
  EXPECT_EQ(year.expected(4).at("readmission-30d/readmission-30d/denominator"), 2);
}

}  // namespace
}  // namespace brygga::measures

// What the home-care flows cost per message (issue 4): the mapping a flow applies to the stored
// resources to build what it forwards (identifier normalisation, reference rewriting, ConceptMap
// translation, the COSMIC shape, the visit-note document) plus validating the result, per flow.
// The inputs are real: synthetic traffic (bench/traffic.h) is written through the FHIR API and
// the flow router into a SQLite store first, and each benchmark maps the records that write left.
// Separately: the routing decisions (service hours, residence -> service point) and one whole
// write unit of a consultation request through the API (its durable commit included).
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <functional>
#include <iostream>
#include <sstream>

#include <rapidjson/document.h>

#include "bench/traffic.h"
#include "gateway/api/fhir_api.h"
#include "gateway/core/log.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/validator.h"
#include "gateway/flows/flow_router.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/store/sqlite_store.h"
#include "mappings/care_plan.h"
#include "mappings/consultation.h"
#include "mappings/enrollment_forward.h"
#include "mappings/residence.h"
#include "mappings/service_hours.h"
#include "mappings/visit.h"
#include "tests/support/simulated_time_system.h"

namespace {

namespace fs = std::filesystem;
using namespace brygga;

// One gateway's worth of state, written once for all benchmarks.
class World {
 public:
  static World& get() {
    static World world;
    return world;
  }

  struct Written {
    std::vector<mappings::StoredResource> resources;
    mappings::FlowContext context;
  };

  Written enrollment, consultation, visit, visitNote, carePlan, regionEncounter;
  std::shared_ptr<const mappings::MappingSet> set;
  std::unique_ptr<fhir::Validator> validator = fhir::makeValidator();
  const mappings::ServicePoint* servicePoint = nullptr;
  traffic::Patient patient;
  std::unique_ptr<traffic::Generator> generator;
  std::unique_ptr<api::FhirApi> api;
  testing::SimulatedTimeSystem clock{0};

  api::ApiResponse post(const traffic::Message& m, const std::string& client) {
    api::ApiRequest r;
    r.method = m.method;
    std::string path = m.path;
    if (size_t q = path.find('?'); q != std::string::npos) {
      r.query = path.substr(q + 1);
      path.resize(q);
    }
    r.path = path;
    r.body = m.body;
    r.headers["content-type"] = "application/fhir+json";
    r.caller.authenticated = true;
    r.caller.clientId = client;
    r.caller.tenant = client;
    r.caller.role = client == "region" ? core::ClientRole::kRegional : core::ClientRole::kMunicipal;
    r.baseUrl = "https://brygga.bench/fhir";
    r.requestId = "bench-" + std::to_string(++requests_);
    return api->handle(r);
  }

 private:
  World() : logger_(log_) {
    dir_ = fs::temp_directory_path() / ("brygga-flows-bench-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    store::SqliteOptions options;
    options.path = (dir_ / "brygga.db").string();
    store_ = std::move(store::openSqliteStore(options)).value();
    const std::vector<std::string> destinations = {"regional", "kungsbacka"};
    registry_ = std::make_unique<flows::MappingRegistry>(
        std::string(BRYGGA_SOURCE_DIR) + "/mappings/data", destinations, logger_, clock);
    if (!registry_->load().isOk()) std::abort();
    set = registry_->current();
    router_ =
        std::make_unique<flows::FlowRouter>(*registry_, *store_, clock, destinations, logger_);
    api::ApiDependencies deps{*store_,      *validator, clock, logger_, api::RequestLimits{},
                              destinations, nullptr};
    deps.flows = router_.get();
    api = std::make_unique<api::FhirApi>(std::move(deps));
    clock.setSystemTimeMs(*mappings::parseTimeArgument("2026-11-23T10:00"));  // a Monday, in hours

    generator = std::make_unique<traffic::Generator>(set, 42, 100000);
    do {
      patient = generator->newPatient();
    } while (patient.tenant != "kungsbacka" || patient.facilityCode.empty());
    const int64_t now = clock.nowMs();
    enrollment = written(post(generator->enrollment(patient, now), patient.tenant));
    consultation = written(post(generator->consultation(patient, false, now), patient.tenant));
    visit = written(post(generator->visit(patient, 'H', false, now), patient.tenant));
    visitNote = written(post(generator->visit(patient, 'P', true, now), patient.tenant));
    carePlan = written(post(generator->carePlan(patient, now), patient.tenant));
    traffic::Message region{
        "region-encounter", "region", "POST", "/Encounter",
        R"({"resourceType":"Encounter","identifier":[{"system":"https://cosmic.regionhalland.se/vardkontakt","value":"C-1"}],
        "status":"finished","class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
        "type":[{"coding":[{"system":"http://snomed.info/sct","code":"185317003"}]}],
        "subject":{"identifier":{"system":"http://electronichealth.se/identifier/personnummer","value":")" +
            patient.personnummer + R"("}},
        "participant":[{"individual":{"identifier":{"system":"urn:oid:1.2.752.29.6.2.1","value":"SE2321000115-P00000000001"}}}],
        "period":{"start":"2026-11-23T13:00:00+01:00","end":"2026-11-23T13:20:00+01:00"},
        "serviceProvider":{"identifier":{"system":"urn:oid:1.2.752.29.4.19","value":"SE2321000115-E00000000101"}}})"};
    regionEncounter = written(post(region, "region"));
    servicePoint = set->routing().servicePoint("kungsbacka");
  }

  // The records a write left (from its answer) and what they refer to.
  Written written(const api::ApiResponse& response) {
    Written w;
    if (response.status >= 300) {
      std::cerr << "bench set-up failed: " << response.body << "\n";
      std::abort();
    }
    rapidjson::Document doc;
    doc.Parse(response.body.c_str());
    auto add = [&](const rapidjson::Value& r) {
      const std::string type = r["resourceType"].GetString();
      if (type == "Location") return;
      w.resources.push_back({type, r["id"].GetString(), fhir::toJson(r)});
    };
    if (std::string(doc["resourceType"].GetString()) == "Bundle") {
      for (const auto& e : doc["entry"].GetArray()) add(e["resource"]);
    } else {
      add(doc);
    }
    w.context.mappings = set.get();
    w.context.nowMs = clock.nowMs();
    w.context.referenced = *flows::referencedResources(
        w.resources, [this](const std::string& type, const std::string& id) {
          return store_->resources().read(type, id);
        });
    return w;
  }

  ~World() {
    api.reset();
    router_.reset();
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::ostringstream log_;
  core::Logger logger_;
  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<flows::MappingRegistry> registry_;
  std::unique_ptr<flows::FlowRouter> router_;
  int requests_ = 0;
};

void mapAndValidate(benchmark::State& state,
                    const std::function<core::StatusOr<std::string>()>& map) {
  World& world = World::get();
  const bool validate = state.range(0) != 0;
  size_t bytes = 0;
  for (auto _ : state) {
    auto bundle = map();
    if (!bundle.isOk()) {
      state.SkipWithError(bundle.status().message().c_str());
      return;
    }
    bytes += bundle->size();
    if (validate) {
      auto doc = fhir::parseJson(*bundle);
      auto issues = world.validator->validate(*doc);
      if (fhir::hasErrors(issues)) {
        state.SkipWithError(fhir::operationOutcomeJson(issues).c_str());
        return;
      }
      benchmark::DoNotOptimize(issues);
    }
    benchmark::DoNotOptimize(bundle);
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetLabel(validate ? "mapping + validation" : "mapping only");
}

void BM_Enrollment(benchmark::State& state) {
  auto& w = World::get();
  mapAndValidate(state, [&] {
    return mappings::buildEnrollmentForward(w.enrollment.resources, w.enrollment.context);
  });
}

void BM_Consultation(benchmark::State& state) {
  auto& w = World::get();
  mapAndValidate(state, [&] {
    return mappings::buildConsultationForward(w.consultation.resources, w.consultation.context);
  });
}

void BM_VisitHomeToCosmic(benchmark::State& state) {
  auto& w = World::get();
  mappings::VisitForwardInput input{w.visit.resources, w.servicePoint, "SE2120001306-HSJV01",
                                    "Kungsbacka kommun"};
  mapAndValidate(state, [&] { return mappings::buildVisitForward(input, w.visit.context); });
}

void BM_VisitNoteDocument(benchmark::State& state) {
  auto& w = World::get();
  mappings::VisitForwardInput input{w.visitNote.resources, w.servicePoint, "SE2120001306-HSJV01",
                                    "Kungsbacka kommun"};
  mapAndValidate(state, [&] { return mappings::buildVisitForward(input, w.visitNote.context); });
}

void BM_CarePlanToRegion(benchmark::State& state) {
  auto& w = World::get();
  mapAndValidate(state, [&] {
    return mappings::buildCarePlanForward(w.carePlan.resources, w.carePlan.context);
  });
}

void BM_RegionEncounterToMunicipality(benchmark::State& state) {
  auto& w = World::get();
  mapAndValidate(state, [&] {
    return mappings::buildMunicipalityForward(w.regionEncounter.resources,
                                              w.regionEncounter.context);
  });
}

void BM_ServiceHoursVerdict(benchmark::State& state) {
  auto& w = World::get();
  int64_t t = *mappings::parseTimeArgument("2026-06-19T10:00");
  for (auto _ : state) {
    auto verdict = w.set->hours().at(t, "kungsbacka");
    benchmark::DoNotOptimize(verdict);
    t += 37 * 60 * 1000;
  }
}

void BM_ResidenceToServicePoint(benchmark::State& state) {
  auto& w = World::get();
  mappings::Residence residence;
  residence.kind = mappings::Residence::Kind::kFacility;
  residence.facility = "Malmagården";
  for (auto _ : state) {
    auto sp = mappings::responsibleServicePoint(w.set->routing(), "hylte", residence);
    benchmark::DoNotOptimize(sp);
  }
}

// A whole consultation request through the API: parse, validate, prepare (enrollment lookup,
// service point, hours), write, route (the forward Bundle), enqueue, exchange line and AuditEvent,
// and the durable commit.
void BM_ConsultationWriteUnit(benchmark::State& state) {
  auto& w = World::get();
  for (auto _ : state) {
    state.PauseTiming();
    traffic::Message m = w.generator->consultation(w.patient, false, w.clock.nowMs());
    state.ResumeTiming();
    auto response = w.post(m, w.patient.tenant);
    if (response.status != 200) {
      state.SkipWithError(response.body.c_str());
      return;
    }
  }
}

// A transaction of N Conditions, each naming the enrolled patient by personnummer (an identifier
// reference the flows resolve inside the write unit, on the single writer): the time per Bundle
// grows linearly with N, not with N squared (issue 18: one large Bundle must not hold up every
// write). Arg: N.
void BM_LargeTransactionByIdentifier(benchmark::State& state) {
  auto& w = World::get();
  const int n = static_cast<int>(state.range(0));
  int64_t round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string body = R"({"resourceType":"Bundle","type":"transaction","entry":[)";
    for (int i = 0; i < n; ++i) {
      if (i > 0) body += ',';
      body +=
          R"({"fullUrl":"urn:uuid:00000000-0000-4000-8000-)" + std::to_string(100000000000 + i) +
          R"(","resource":{"resourceType":"Condition","identifier":[{"system":"https://kungsbacka.se/problem","value":"B-)" +
          std::to_string(round) + "-" + std::to_string(i) +
          R"("}],"code":{"text":"x"},"subject":{"identifier":{"system":"http://electronichealth.se/identifier/personnummer","value":")" +
          w.patient.personnummer + R"("}}},"request":{"method":"POST","url":"Condition"}})";
    }
    body += "]}";
    ++round;
    state.ResumeTiming();
    traffic::Message m{"conditions", w.patient.tenant, "POST", "/", body};
    auto response = w.post(m, w.patient.tenant);
    if (response.status != 200) {
      state.SkipWithError(response.body.substr(0, 300).c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
}

}  // namespace

BENCHMARK(BM_Enrollment)->Arg(0)->Arg(1);
BENCHMARK(BM_Consultation)->Arg(0)->Arg(1);
BENCHMARK(BM_VisitHomeToCosmic)->Arg(0)->Arg(1);
BENCHMARK(BM_VisitNoteDocument)->Arg(0)->Arg(1);
BENCHMARK(BM_CarePlanToRegion)->Arg(0)->Arg(1);
BENCHMARK(BM_RegionEncounterToMunicipality)->Arg(0)->Arg(1);
BENCHMARK(BM_ServiceHoursVerdict);
BENCHMARK(BM_ResidenceToServicePoint);
BENCHMARK(BM_ConsultationWriteUnit)->Iterations(300);
BENCHMARK(BM_LargeTransactionByIdentifier)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();

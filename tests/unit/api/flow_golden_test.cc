// Golden tests of the home-care flows: each case under tests/testdata/flows/<flow>/ sends a request
// (after optional set-up requests) through the real FHIR API and flow router, with the repository's
// mapping files, at a fixed time, and compares by JSON meaning what came back, what was stored and
// what was put in the outbox with <case>.expected.json. Every forwarded Bundle must also validate.
// BRYGGA_UPDATE_GOLDEN=1 rewrites the expected files (review the diff before committing it).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <rapidjson/document.h>

#include "gateway/api/fhir_api.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/operation_outcome.h"
#include "gateway/fhir/validator.h"
#include "gateway/flows/flow_router.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/store/sqlite_store.h"
#include "mappings/service_hours.h"
#include "tests/support/json_equal.h"
#include "tests/support/simulated_time_system.h"
#include "tests/support/test_support.h"

namespace brygga::api {
namespace {

namespace fs = std::filesystem;
using rapidjson::Value;

const std::vector<std::string> kDestinations = {"regional", "kungsbacka", "varberg", "falkenberg",
                                                "halmstad", "laholm",     "hylte"};

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string toJson(const Value& v) {
  return fhir::toJson(v);
}

// The store of a bench: SQLite in a temp dir (the facts of access live in its schema).
std::unique_ptr<store::Store> openBenchStore(const std::string& dir) {
  store::SqliteOptions options;
  options.path = dir + "/brygga.db";
  auto opened = store::openSqliteStore(options);
  EXPECT_TRUE(opened.isOk()) << opened.status().toString();
  return opened.isOk() ? std::move(opened).value() : nullptr;
}

// A FHIR API with the flows wired as in the gateway, over a real store and a fake clock.
class FlowBench {
 public:
  FlowBench()
      : storePtr_(openBenchStore(dir_.path())),
        store_(*storePtr_),
        clock_(0),
        logger_(log_),
        validator_(fhir::makeValidator()),
        registry_(std::string(BRYGGA_SOURCE_DIR) + "/mappings/data", kDestinations, logger_,
                  clock_) {
    loaded_ = registry_.load();
    router_ =
        std::make_unique<flows::FlowRouter>(registry_, store_, clock_, kDestinations, logger_);
    ApiDependencies deps{store_,          *validator_,   clock_, logger_,
                         RequestLimits{}, kDestinations, nullptr};
    deps.flows = router_.get();
    api_ = std::make_unique<FhirApi>(std::move(deps));
  }

  const core::Status& loaded() const { return loaded_; }
  testing::SimulatedTimeSystem& clock() { return clock_; }
  store::Store& store() { return store_; }
  const fhir::Validator& validator() const { return *validator_; }

  ApiResponse call(const Value& spec) {
    ApiRequest request;
    request.method = std::string(fhir::stringMember(spec, "method"));
    std::string path(fhir::stringMember(spec, "path"));
    if (size_t q = path.find('?'); q != std::string::npos) {
      request.query = path.substr(q + 1);
      path.resize(q);
    }
    request.path = path;
    request.headers["content-type"] = "application/fhir+json";
    if (const Value* headers = fhir::member(spec, "headers")) {
      for (const auto& h : headers->GetObject()) {
        request.headers[core::lowerAscii(h.name.GetString())] = h.value.GetString();
      }
    }
    if (const Value* body = fhir::member(spec, "body")) request.body = toJson(*body);
    const std::string client(fhir::stringMember(spec, "client"));
    request.caller.authenticated = true;
    request.caller.clientId = client;
    request.caller.tenant = client;
    request.caller.role = client == "region"        ? core::ClientRole::kRegional
                          : client == "integration" ? core::ClientRole::kIntegration
                                                    : core::ClientRole::kMunicipal;
    request.caller.credential = "token";
    request.baseUrl = "https://brygga.test/fhir";
    request.requestId = "golden-" + std::to_string(++requests_);
    return api_->handle(request);
  }

  // Outbox entries of every destination with an id above `after`, by id.
  std::vector<store::OutboxEntry> outboxAfter(int64_t after) {
    std::vector<store::OutboxEntry> out;
    for (const auto& d : kDestinations) {
      auto entries = store_.outbox().entries(d, std::nullopt, 1000);
      EXPECT_TRUE(entries.isOk());
      for (auto& e : *entries) {
        if (e.id > after) out.push_back(e);
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
  }

 private:
  testing::TempDir dir_;
  std::unique_ptr<store::Store> storePtr_;
  store::Store& store_;
  std::ostringstream log_;
  testing::SimulatedTimeSystem clock_;
  core::Logger logger_;
  std::unique_ptr<fhir::Validator> validator_;
  flows::MappingRegistry registry_;
  core::Status loaded_;
  std::unique_ptr<flows::FlowRouter> router_;
  std::unique_ptr<FhirApi> api_;
  int requests_ = 0;
};

struct GoldenCase {
  std::string name;  // flow/case
  fs::path input;
  fs::path expected;
};

std::vector<GoldenCase> goldenCases() {
  std::vector<GoldenCase> cases;
  const fs::path root = fs::path(BRYGGA_SOURCE_DIR) / "tests/testdata/flows";
  for (const auto& flow : fs::directory_iterator(root)) {
    if (!flow.is_directory()) continue;
    for (const auto& file : fs::directory_iterator(flow.path())) {
      const std::string name = file.path().filename().string();
      const std::string suffix = ".input.json";
      if (name.size() <= suffix.size() || name.substr(name.size() - suffix.size()) != suffix) {
        continue;
      }
      const std::string stem = name.substr(0, name.size() - suffix.size());
      cases.push_back({flow.path().filename().string() + "/" + stem, file.path(),
                       flow.path() / (stem + ".expected.json")});
    }
  }
  std::sort(cases.begin(), cases.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return cases;
}

// What a request did, as the expected file states it.
std::string observe(FlowBench& bench, const ApiResponse& response, int64_t outboxBefore,
                    std::vector<std::string>& problems) {
  rapidjson::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  out.AddMember("status", response.status, a);
  rapidjson::Document body;
  body.Parse(response.body.c_str(), response.body.size());
  Value outcomes(rapidjson::kArrayType);
  Value stored(rapidjson::kArrayType);
  if (!body.HasParseError() && body.IsObject()) {
    const std::string type(fhir::stringMember(body, "resourceType"));
    if (type == "OperationOutcome") {
      Value copy;
      copy.CopyFrom(body, a);
      outcomes.PushBack(copy, a);
      // A write answered with an outcome (a request rejected out of hours) is still stored.
      for (const auto& [name, value] : response.headers) {
        if (name != "Location") continue;
        const std::string path = value.substr(std::string("https://brygga.test/fhir/").size());
        const std::string resourceType = path.substr(0, path.find('/'));
        const std::string id =
            path.substr(resourceType.size() + 1, path.find("/_history") - resourceType.size() - 1);
        auto record = bench.store().resources().read(resourceType, id);
        if (record.isOk() && *record) {
          rapidjson::Document r;
          r.Parse((*record)->json.c_str());
          Value rc;
          rc.CopyFrom(r, a);
          stored.PushBack(rc, a);
        }
      }
    } else if (type == "Bundle") {
      static const Value kNone(rapidjson::kArrayType);
      const Value* entries = fhir::member(body, "entry");
      if (entries == nullptr || !entries->IsArray()) entries = &kNone;
      for (const auto& e : entries->GetArray()) {
        if (const Value* r = fhir::member(e, "resource")) {
          Value copy;
          copy.CopyFrom(*r, a);
          stored.PushBack(copy, a);
        }
        const Value* resp = fhir::member(e, "response");
        if (const Value* o = resp != nullptr ? fhir::member(*resp, "outcome") : nullptr) {
          Value copy;
          copy.CopyFrom(*o, a);
          outcomes.PushBack(copy, a);
        }
      }
    } else {
      Value copy;
      copy.CopyFrom(body, a);
      stored.PushBack(copy, a);
    }
  }
  out.AddMember("outcomes", outcomes, a);
  out.AddMember("stored", stored, a);
  Value forwarded(rapidjson::kArrayType);
  for (const auto& entry : bench.outboxAfter(outboxBefore)) {
    rapidjson::Document payload;
    payload.Parse(entry.payload.c_str());
    auto issues = bench.validator().validate(payload);
    if (fhir::hasErrors(issues)) {
      problems.push_back("the Bundle for " + entry.destination +
                         " does not validate: " + fhir::operationOutcomeJson(issues));
    }
    Value item(rapidjson::kObjectType);
    item.AddMember("destination", Value(entry.destination.c_str(), a), a);
    item.AddMember("orderingKey", Value(entry.orderingKey.c_str(), a), a);
    Value copy;
    copy.CopyFrom(payload, a);
    item.AddMember("payload", copy, a);
    forwarded.PushBack(item, a);
  }
  out.AddMember("forwarded", forwarded, a);
  return fhir::toJson(out);
}

class FlowGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(FlowGolden, MatchesTheExpectedOutput) {
  const GoldenCase& c = GetParam();
  FlowBench bench;
  ASSERT_TRUE(bench.loaded().isOk()) << bench.loaded().toString();
  rapidjson::Document input;
  const std::string text = readFile(c.input);
  input.Parse(text.c_str(), text.size());
  ASSERT_FALSE(input.HasParseError()) << c.input;
  auto at = mappings::parseTimeArgument(std::string(fhir::stringMember(input, "at")));
  ASSERT_TRUE(at.isOk()) << c.input << ": " << at.status().toString();
  bench.clock().setSystemTimeMs(*at);
  if (const Value* setup = fhir::member(input, "setup")) {
    for (const auto& step : setup->GetArray()) {
      if (const Value* when = fhir::member(step, "at")) {
        bench.clock().setSystemTimeMs(*mappings::parseTimeArgument(when->GetString()));
      }
      ApiResponse r = bench.call(step);
      ASSERT_LT(r.status, 300) << c.name << " set-up step failed: " << r.body;
    }
    bench.clock().setSystemTimeMs(*at);
  }
  const auto before = bench.outboxAfter(0);
  const int64_t outboxBefore = before.empty() ? 0 : before.back().id;
  ApiResponse response = bench.call(input["request"]);
  std::vector<std::string> problems;
  const std::string actual = observe(bench, response, outboxBefore, problems);
  for (const auto& p : problems) ADD_FAILURE() << c.name << ": " << p;

  if (std::getenv("BRYGGA_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(c.expected, std::ios::binary) << testing::canonicalJson(actual) << "\n";
    GTEST_SKIP() << "rewrote " << c.expected;
  }
  ASSERT_TRUE(fs::exists(c.expected)) << c.expected << " is missing (BRYGGA_UPDATE_GOLDEN=1)";
  const std::string difference = testing::jsonDifference(readFile(c.expected), actual);
  EXPECT_EQ(difference, "") << c.name << "\n" << testing::canonicalJson(actual);
}

INSTANTIATE_TEST_SUITE_P(Flows, FlowGolden, ::testing::ValuesIn(goldenCases()),
                         [](const ::testing::TestParamInfo<GoldenCase>& param) {
                           std::string name = param.param.name;
                           for (auto& ch : name) {
                             if (!core::isAsciiAlnum(ch)) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace brygga::api

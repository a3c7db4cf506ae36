// The home-care flows through a running gateway: what a municipality sends is routed to the
// responsible service point and arrives at the regional EHR (a TestPeer) in the regional shape;
// requests out of hours are answered at once; care-plan conflicts are reported; the mapping files
// reload without a restart. The gateway runs on simulated time, so a Saturday is a Saturday.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "gateway/fhir/json.h"
#include "mappings/service_hours.h"
#include "tests/integration/harness.h"
#include "tests/support/simulated_time_system.h"

namespace brygga::testing {
namespace {

namespace fs = std::filesystem;

int64_t at(const std::string& stockholmTime) {
  auto ms = mappings::parseTimeArgument(stockholmTime);
  EXPECT_TRUE(ms.isOk()) << stockholmTime;
  return ms.isOk() ? *ms : 0;
}

// The request body of a golden case (tests/testdata/flows/<case>.input.json).
std::string caseBody(const std::string& name, int setupStep = -1) {
  auto doc = parse(readTestData("flows/" + name + ".input.json"));
  const rapidjson::Value& step = setupStep < 0 ? doc["request"] : doc["setup"][setupStep];
  return fhir::toJson(step["body"]);
}

const rapidjson::Value* entryOfType(const rapidjson::Value& bundle, const char* type) {
  for (const auto& e : bundle["entry"].GetArray()) {
    if (std::string(e["resource"]["resourceType"].GetString()) == type) return &e["resource"];
  }
  return nullptr;
}

std::string servicePointOf(const rapidjson::Value& episode) {
  for (const auto& ext : episode["extension"].GetArray()) {
    if (std::string(ext["url"].GetString()) ==
        "https://brygga.se/fhir/StructureDefinition/responsible-service-point") {
      return ext["valueReference"]["identifier"]["value"].GetString();
    }
  }
  return {};
}

class HomeCareFlows : public ::testing::Test {
 protected:
  HomeCareFlows() : clock_(at("2026-11-23T10:00")), harness_(&peer_) {
    harness_.setTimeSystem(&clock_);
  }
  void SetUp() override { harness_.start(); }
  // A poll interval passes: the delivery worker runs a pass, sending whatever waits.
  void deliveryPass() {
    clock_.advanceTimeWait(std::chrono::milliseconds(harness_.config().delivery.pollIntervalMs));
  }

  HttpAnswer call(const std::string& client, const std::string& method, const std::string& path,
                  const std::string& body = {}) {
    return harness_.call(client, method, path, body, {{"Content-Type", "application/fhir+json"}});
  }

  TestPeer peer_;
  testing::SimulatedTimeSystem clock_;
  GatewayHarness harness_;
};

TEST_F(HomeCareFlows, AnEnrollmentAtEachFacilityReachesTheRegionWithItsServicePoint) {
  // The brief's table: facility -> service point (HSA-ids from mappings/data/routing.json).
  const std::pair<const char*, const char*> kFacilities[] = {
      {"smedjan", "SE2321000115-E00000000101"},      {"signes-hus", "SE2321000115-E00000000101"},
      {"skansgatan", "SE2321000115-E00000000102"},   {"kungsangen", "SE2321000115-E00000000102"},
      {"tallglantan", "SE2321000115-E00000000103"},  {"backagard", "SE2321000115-E00000000103"},
      {"smedjebacken", "SE2321000115-E00000000103"}, {"malmagarden", "SE2321000115-E00000000104"}};
  size_t sent = 0;
  for (const auto& [facility, hsaId] : kFacilities) {
    auto doc =
        parse(readTestData(std::string("flows/enrollment/facility-") + facility + ".input.json"));
    const std::string client = doc["request"]["client"].GetString();
    auto r = call(client, "POST", "/", fhir::toJson(doc["request"]["body"]));
    ASSERT_EQ(r.status, 200) << facility << ": " << r.body;
    ASSERT_EQ(peer_.waitForRequests(++sent, 10000), sent) << facility;
    auto bundle = parse(peer_.requests().back().body);
    const rapidjson::Value* episode = entryOfType(bundle, "EpisodeOfCare");
    ASSERT_NE(episode, nullptr) << facility;
    EXPECT_EQ(servicePointOf(*episode), hsaId) << facility;
    EXPECT_STREQ((*episode)["meta"]["profile"][0].GetString(),
                 "https://brygga.se/fhir/StructureDefinition/brygga-enrollment-episodeofcare");
    // The patient is matched at the region by its personnummer, never by Brygga's id.
    const rapidjson::Value* patient = entryOfType(bundle, "Patient");
    ASSERT_NE(patient, nullptr);
    EXPECT_FALSE(patient->HasMember("id"));
  }
}

TEST_F(HomeCareFlows, AnUnknownFacilityIsRefusedAndNothingIsForwarded) {
  auto r = call("kungsbacka", "POST", "/", caseBody("enrollment/unknown-facility"));
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("unknown facility"), std::string::npos) << r.body;
  deliveryPass();
  EXPECT_EQ(peer_.requestCount(), 0u);
  EXPECT_EQ(parse(call("kungsbacka", "GET", "/Patient").body)["total"].GetInt(), 0);
}

TEST_F(HomeCareFlows, RequestsOnASaturdayAndOnMidsummerEveAreAnsweredAtOnceAndKept) {
  ASSERT_EQ(call("kungsbacka", "POST", "/", caseBody("consultation/saturday", 0)).status, 200);
  ASSERT_EQ(peer_.waitForRequests(1, 10000), 1u);  // the enrollment

  struct Case {
    const char* when;
    const char* reason;
    const char* taskId;
  };
  for (const Case& c : {Case{"2026-11-28T11:00", "closed: Saturday", "U-5003"},
                        Case{"2026-06-19T10:00", "closed: Midsummer Eve", "U-5004"}}) {
    clock_.setSystemTimeMs(at(c.when));
    std::string body = caseBody("consultation/saturday");
    body.replace(body.find("U-5003"), 6, c.taskId);
    body.replace(body.find("U-5003"), 6, c.taskId);
    auto r = call("kungsbacka", "POST", "/", body);
    ASSERT_EQ(r.status, 200) << r.body;
    auto answer = parse(r.body);
    const rapidjson::Value& taskEntry = answer["entry"][1];
    ASSERT_TRUE(taskEntry["response"].HasMember("outcome")) << r.body;
    const std::string text =
        taskEntry["response"]["outcome"]["issue"][0]["details"]["text"].GetString();
    EXPECT_EQ(text.rfind(c.reason, 0), 0u) << text;
    EXPECT_NE(text.find("on-call service open: Allmänmedicinsk beredskapsjour"), std::string::npos)
        << text;
    // Kept, rejected, with the reason: never silently dropped.
    auto stored = parse(call("kungsbacka", "GET",
                             std::string("/Task?identifier=https://kungsbacka.se/hemsjukvard/"
                                         "uppdrag%7C") +
                                 c.taskId)
                            .body);
    ASSERT_EQ(stored["total"].GetInt(), 1);
    EXPECT_STREQ(stored["entry"][0]["resource"]["status"].GetString(), "rejected");
    EXPECT_EQ(std::string(stored["entry"][0]["resource"]["statusReason"]["text"].GetString()),
              text);
  }
  deliveryPass();
  EXPECT_EQ(peer_.requestCount(), 1u);  // nothing but the enrollment reached the region

  // The exchange log records the rejection and the mappings version.
  store::ExchangeQuery q;
  q.direction = "inbound";
  auto lines = harness_.gateway().store().exchangeLog().exchanges(q);
  ASSERT_TRUE(lines.isOk());
  bool rejected = false;
  for (const auto& line : *lines) {
    EXPECT_NE(line.detail.find("mappings="), std::string::npos) << line.detail;
    rejected = rejected || line.detail.find("task rejected: public-holiday") != std::string::npos;
  }
  EXPECT_TRUE(rejected);

  // The console counts them apart: declined, not accepted.
  auto declined = parse(
      harness_.consoleCall("integration", "GET", "/console/api/messages?status=declined").body);
  ASSERT_EQ(declined["messages"].Size(), 2u);
  for (const auto& m : declined["messages"].GetArray()) {
    EXPECT_STREQ(m["kind"].GetString(), "consultation");  // named by the flows at intake
  }
  auto summary = parse(harness_.consoleCall("integration", "GET", "/console/api/summary").body);
  ASSERT_EQ(summary["tenants"].Size(), 6u);  // every municipality, kungsbacka first
  EXPECT_STREQ(summary["tenants"][0]["name"].GetString(), "kungsbacka");
  EXPECT_EQ(summary["tenants"][0]["declined"].GetInt(), 2);
  EXPECT_EQ(summary["tenants"][0]["accepted"].GetInt(), 1);  // the enrollment

  // On a Monday morning the same kind of request goes to the service point.
  clock_.setSystemTimeMs(at("2026-11-23T10:00"));
  auto r = call("kungsbacka", "POST", "/", caseBody("consultation/in-hours"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(peer_.waitForRequests(2, 10000), 2u);
  auto forwarded = parse(peer_.requests().back().body);
  const rapidjson::Value* task = entryOfType(forwarded, "Task");
  ASSERT_NE(task, nullptr);
  EXPECT_STREQ((*task)["status"].GetString(), "requested");
  EXPECT_STREQ((*task)["owner"]["identifier"]["value"].GetString(), "SE2321000115-E00000000101");
  EXPECT_STREQ((*task)["for"]["reference"].GetString(),
               "Patient?identifier=http://electronichealth.se/identifier/personnummer%7C"
               "191212121212");
}

TEST_F(HomeCareFlows, TheGapBetween1630And1700SaysNoOneIsAvailable) {
  ASSERT_EQ(call("kungsbacka", "POST", "/", caseBody("consultation/weekday-gap", 0)).status, 200);
  clock_.setSystemTimeMs(at("2026-11-23T16:45"));
  auto r = call("kungsbacka", "POST", "/Task",
                fhir::toJson(parse(caseBody("consultation/weekday-gap"))["entry"][1]["resource"]));
  // A Task alone: 201, and the body is the OperationOutcome the nurse must read.
  EXPECT_EQ(r.status, 201) << r.body;
  auto outcome = parse(r.body);
  ASSERT_STREQ(outcome["resourceType"].GetString(), "OperationOutcome");
  const std::string text = outcome["issue"][0]["details"]["text"].GetString();
  EXPECT_NE(text.find("no one is available until the on-call service"), std::string::npos) << text;
  EXPECT_NE(text.find("opens at 17:00"), std::string::npos) << text;
  EXPECT_FALSE(r.headers["location"].empty());
}

TEST_F(HomeCareFlows, AVisitNoteReachesTheRegionalEhrAsADocument) {
  ASSERT_EQ(call("kungsbacka", "POST", "/", caseBody("visit/visit-note", 0)).status, 200);
  ASSERT_EQ(peer_.waitForRequests(1, 10000), 1u);
  auto r = call("kungsbacka", "POST", "/", caseBody("visit/visit-note"));
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(peer_.waitForRequests(2, 10000), 2u);
  auto bundle = parse(peer_.requests().back().body);
  const rapidjson::Value* encounter = entryOfType(bundle, "Encounter");
  ASSERT_NE(encounter, nullptr);
  EXPECT_STREQ((*encounter)["class"]["code"].GetString(), "AMB");
  EXPECT_STREQ((*encounter)["type"][0]["coding"][0]["code"].GetString(), "439708006");
  EXPECT_STREQ((*encounter)["period"]["end"].GetString(), "2026-11-23T09:40:00+01:00");
  const rapidjson::Value* document = entryOfType(bundle, "Bundle");
  ASSERT_NE(document, nullptr);
  EXPECT_STREQ((*document)["type"].GetString(), "document");
  const rapidjson::Value& composition = (*document)["entry"][0]["resource"];
  EXPECT_STREQ(composition["resourceType"].GetString(), "Composition");
  EXPECT_STREQ(composition["type"]["coding"][0]["code"].GetString(), "11488-4");
  const rapidjson::Value* reference = entryOfType(bundle, "DocumentReference");
  ASSERT_NE(reference, nullptr);
  // The index points at the document entry of the same transaction.
  std::string documentUrl;
  for (const auto& e : bundle["entry"].GetArray()) {
    if (std::string(e["resource"]["resourceType"].GetString()) == "Bundle") {
      documentUrl = e["fullUrl"].GetString();
    }
  }
  EXPECT_EQ(std::string((*reference)["content"][0]["attachment"]["url"].GetString()), documentUrl);
  EXPECT_STREQ((*reference)["custodian"]["identifier"]["value"].GetString(), "SE2120001306-HSJV01");
}

TEST_F(HomeCareFlows, ACarePlanConflictIsReportedAndNotOverwritten) {
  const std::string plan = "/CarePlan?identifier=https://kungsbacka.se/hemsjukvard/sip%7CSIP-9";
  auto input = parse(readTestData("flows/careplan/conflict.input.json"));
  ASSERT_EQ(call("kungsbacka", "POST", "/", fhir::toJson(input["setup"][0]["body"])).status, 200);
  ASSERT_EQ(call("kungsbacka", "PUT", plan, fhir::toJson(input["setup"][1]["body"])).status, 201);
  ASSERT_EQ(call("region", "PUT", plan, fhir::toJson(input["setup"][2]["body"])).status, 200);
  auto r = call("kungsbacka", "PUT", plan, fhir::toJson(input["request"]["body"]));
  EXPECT_EQ(r.status, 409) << r.body;
  auto outcome = parse(r.body);
  EXPECT_STREQ(outcome["issue"][0]["code"].GetString(), "conflict");
  // The region's version stands.
  auto current = parse(call("kungsbacka", "GET", plan).body);
  ASSERT_EQ(current["total"].GetInt(), 1);
  EXPECT_STREQ(current["entry"][0]["resource"]["meta"]["versionId"].GetString(), "2");
  EXPECT_STREQ(current["entry"][0]["resource"]["meta"]["tag"][0]["code"].GetString(), "region");
}

TEST_F(HomeCareFlows, ServicePointsArePublishedAsHealthcareServices) {
  auto r = call("varberg", "GET", "/HealthcareService");
  ASSERT_EQ(r.status, 200) << r.body;
  auto bundle = parse(r.body);
  ASSERT_EQ(bundle["total"].GetInt(), 4);
  bool found = false;
  for (const auto& e : bundle["entry"].GetArray()) {
    const auto& service = e["resource"];
    EXPECT_STREQ(service["availableTime"][0]["availableStartTime"].GetString(), "08:00:00");
    EXPECT_STREQ(service["availableTime"][0]["availableEndTime"].GetString(), "16:30:00");
    if (std::string(service["id"].GetString()) != "service-point-halmstad") continue;
    found = true;
    EXPECT_STREQ(service["identifier"][0]["value"].GetString(), "SE2321000115-E00000000103");
    // From 2026-11-23, the next 60 days: Christmas Eve, Christmas Day, New Year's Eve and Day,
    // Epiphany (Boxing Day 2026 is a Saturday).
    std::vector<std::string> closed;
    for (const auto& day : service["notAvailable"].GetArray()) {
      closed.push_back(day["description"].GetString());
    }
    EXPECT_EQ(closed, (std::vector<std::string>{"Christmas Eve", "Christmas Day", "New Year's Eve",
                                                "New Year's Day", "Epiphany"}));
  }
  EXPECT_TRUE(found);
  // Brygga publishes them; a client may not change them.
  auto write =
      call("halmstad", "PUT", "/HealthcareService/service-point-halmstad",
           R"({"resourceType":"HealthcareService","id":"service-point-halmstad","active":false})");
  EXPECT_EQ(write.status, 403) << write.body;
}

// A copy of the repository's mapping files the test may change.
class MappingsReload : public ::testing::Test {
 protected:
  MappingsReload() : clock_(at("2026-11-23T10:00")), harness_(&peer_) {
    fs::copy(fs::path(BRYGGA_SOURCE_DIR) / "mappings/data", dir_.path() + "/mappings");
    harness_.config().mappings.directory = dir_.path() + "/mappings";
    harness_.setTimeSystem(&clock_);
  }
  void SetUp() override { harness_.start(); }
  // A poll interval passes: the delivery worker runs a pass, sending whatever waits.
  void deliveryPass() {
    clock_.advanceTimeWait(std::chrono::milliseconds(harness_.config().delivery.pollIntervalMs));
  }
  void edit(const std::string& file, const std::string& from, const std::string& to) {
    const std::string path = dir_.path() + "/mappings/" + file;
    std::string text = readAll(path);
    ASSERT_NE(text.find(from), std::string::npos);
    text.replace(text.find(from), from.size(), to);
    std::ofstream(path, std::ios::binary) << text;
  }
  static std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  HttpAnswer admin(const std::string& client, const std::string& method, const std::string& path) {
    return harness_.consoleCall(client, method, path);
  }

  TempDir dir_;
  TestPeer peer_;
  testing::SimulatedTimeSystem clock_;
  GatewayHarness harness_;
};

TEST_F(MappingsReload, AReloadTakesEffectAndABadOneKeepsThePreviousMappings) {
  auto before = admin("integration", "GET", "/admin/mappings");
  ASSERT_EQ(before.status, 200) << before.body;
  const std::string v1 = parse(before.body)["version"].GetString();
  EXPECT_EQ(admin("kungsbacka", "POST", "/admin/mappings/reload").status, 403);

  // An extra closed day, published at once.
  edit(
      "service-hours.json", R"("extraClosedDays": [])",
      R"("extraClosedDays": [{"date": "2026-12-28", "reason": "Clinic closed between the holidays"}])");
  auto reloaded = admin("integration", "POST", "/admin/mappings/reload");
  ASSERT_EQ(reloaded.status, 200) << reloaded.body;
  const std::string v2 = parse(reloaded.body)["version"].GetString();
  EXPECT_NE(v1, v2);
  EXPECT_EQ(parse(reloaded.body)["previousVersion"].GetString(), v1);
  auto service = harness_.call("kungsbacka", "GET", "/HealthcareService/service-point-kungsbacka");
  EXPECT_NE(service.body.find("Clinic closed between the holidays"), std::string::npos);

  // A broken file: 422 naming file and entry; version 2 stays in force.
  edit("routing.json", R"("servicePoint": "hylte-vc", "locationType")",
       R"("servicePoint": "hylte", "locationType")");
  auto bad = admin("integration", "POST", "/admin/mappings/reload");
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_NE(bad.body.find("routing.json: facilities[7] (Malmagården).servicePoint: 'hylte' is not "
                          "a known service point"),
            std::string::npos)
      << bad.body;
  auto after = parse(admin("integration", "GET", "/admin/mappings").body);
  EXPECT_EQ(std::string(after["version"].GetString()), v2);
  EXPECT_NE(std::string(after["lastReloadError"].GetString()).find("routing.json"),
            std::string::npos);
  // The exchange line of a FHIR request names the version in force.
  harness_.call("kungsbacka", "GET", "/Patient");
  store::ExchangeQuery q;
  q.tenant = "kungsbacka";
  auto lines = harness_.gateway().store().exchangeLog().exchanges(q);
  ASSERT_TRUE(lines.isOk());
  ASSERT_FALSE(lines->empty());
  EXPECT_NE(lines->back().detail.find("mappings=" + v2), std::string::npos) << lines->back().detail;
}

}  // namespace
}  // namespace brygga::testing

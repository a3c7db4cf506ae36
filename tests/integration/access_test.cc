// Access by care relationship (issue 11), tried as a hostile municipal client would over HTTP:
// one person is one Patient, shared directory records have an owner, and "in home care elsewhere"
// answers exactly as "unknown".
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <vector>

#include "gateway/core/civil_time.h"
#include "gateway/fhir/json.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/support/test_personnummer.h"
#include "tests/support/test_support.h"

namespace brygga::testing {
namespace {

constexpr int64_t kDayMs = 24LL * 60 * 60 * 1000;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A bare Patient in the Inera system form with the hyphen (the same person as the HL7 form).
std::string ineraPatient(const std::string& pnr) {
  return R"({"resourceType":"Patient","identifier":[{"system":"http://electronichealth.se/identifier/personnummer","value":")" +
         pnr + R"("}],"gender":"male"})";
}

// A Condition naming its patient by personnummer only (an identifier reference).
std::string conditionFor(const std::string& pnr) {
  return R"({"resourceType":"Condition","code":{"text":"Fall"},"subject":{"identifier":{"system":"http://electronichealth.se/identifier/personnummer","value":")" +
         pnr + R"("}}})";
}

std::string location(const std::string& system, const std::string& value, const std::string& name,
                     const std::string& id = {}) {
  return R"({"resourceType":"Location",)" +
         (id.empty() ? std::string() : R"("id":")" + id + "\",") + R"("identifier":[{"system":")" +
         system + R"(","value":")" + value + R"("}],"name":")" + name + R"("})";
}

// The same EpisodeOfCare, finished at `endMs` (after a period of 60 days).
std::string finishedEpisode(const std::string& episodeJson, int64_t endMs) {
  auto doc = parse(episodeJson);
  rapidjson::Document out;
  out.CopyFrom(doc, out.GetAllocator());
  out["status"].SetString("finished");
  const std::string start = core::formatInstant(endMs - 60 * kDayMs);
  const std::string end = core::formatInstant(endMs);
  out["period"]["start"].SetString(start.c_str(), out.GetAllocator());
  out["period"].AddMember("end", rapidjson::Value(end.c_str(), out.GetAllocator()),
                          out.GetAllocator());
  out.RemoveMember("meta");
  return fhir::toJson(out);
}

class AccessTest : public GatewayTest {
 protected:
  int total(const std::string& client, const std::string& path) {
    auto r = call(client, "GET", path);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? parse(r.body)["total"].GetInt() : -1;
  }
  // The EpisodeOfCare with this identifier (enrollmentBundle's system).
  std::string episodeOf(const std::string& client, const std::string& episodeId) {
    auto r = call(
        client, "GET",
        "/EpisodeOfCare?identifier=https://kungsbacka.se/hemsjukvard/inskrivning%7C" + episodeId);
    auto doc = parse(r.body);
    if (r.status != 200 || doc["total"].GetInt() != 1) return {};
    return fhir::toJson(doc["entry"][0]["resource"]);
  }
  // Ends `client`'s episode `episodeId` at `endMs`.
  void endEpisode(const std::string& client, const std::string& episodeId, int64_t endMs) {
    const std::string episode = episodeOf(client, episodeId);
    ASSERT_FALSE(episode.empty());
    const std::string id = parse(episode)["id"].GetString();
    auto r = call(client, "PUT", "/EpisodeOfCare/" + id, finishedEpisode(episode, endMs));
    ASSERT_EQ(r.status, 200) << r.body;
  }
};

TEST_F(AccessTest, OnePersonIsOnePatientWhoeverCreatesItAndABareCreateTellsNothing) {
  const std::string pnr = "19121212-1212";
  // Falkenberg's bare creates: refused, the same way twice, and nothing is stored.
  auto first = call("falkenberg", "POST", "/Patient", ineraPatient(pnr));
  auto second = call("falkenberg", "POST", "/Patient", ineraPatient(pnr));
  EXPECT_EQ(first.status, 422) << first.body;
  EXPECT_NE(first.body.find("through its municipality's enrollment"), std::string::npos);
  EXPECT_EQ(first.body, second.body);
  EXPECT_EQ(total("integration", "/Patient"), 0);

  // Kungsbacka's real enrollment is not blocked, and it makes the one Patient.
  const std::string id = harness_->enroll("kungsbacka", pnr);
  ASSERT_FALSE(id.empty());
  // Now that the person exists, Falkenberg's bare create answers exactly as before.
  auto after = call("falkenberg", "POST", "/Patient", ineraPatient(pnr));
  EXPECT_EQ(after.status, first.status);
  EXPECT_EQ(after.body, first.body);
  auto conditional = call("falkenberg", "POST", "/Patient", ineraPatient(pnr),
                          {{"If-None-Exist", personnummerQuery("191212121212")}});
  EXPECT_EQ(conditional.status, first.status);
  EXPECT_EQ(conditional.body, first.body);

  // Falkenberg's enrollment of the same person (number without hyphen) resolves to that Patient.
  EXPECT_EQ(harness_->enroll("falkenberg", "191212121212"), id);
  // And a second Kungsbacka enrollment still resolves (no "matches more than one").
  EXPECT_EQ(harness_->enroll("kungsbacka", pnr, "E-2002"), id);
  EXPECT_EQ(total("integration", "/Patient"), 1);
  EXPECT_EQ(total("integration", "/Patient?" + personnummerQuery("191212121212")), 1);
}

// The 409 of the store's unique key would tell a municipality that another's patient exists: an
// update that brings a new number is refused alike whether the number is held or free.
TEST_F(AccessTest, AnUpdateCannotProbeForANumberThroughItsOwnPatient) {
  const std::string held = "19121212-1212";
  ASSERT_FALSE(harness_->enroll("kungsbacka", held).empty());
  const std::string own = testPersonnummer(17);
  const std::string id = harness_->enroll("falkenberg", own);
  ASSERT_FALSE(id.empty());
  auto probeHeld = call("falkenberg", "PUT", "/Patient/" + id, patientJson(held, id));
  auto probeFree =
      call("falkenberg", "PUT", "/Patient/" + id, patientJson(testPersonnummer(18), id));
  EXPECT_EQ(probeHeld.status, 422) << probeHeld.body;
  EXPECT_EQ(probeHeld.body, probeFree.body);
  EXPECT_EQ(probeHeld.body.find("1212"), std::string::npos);
  // An update that keeps the number goes through.
  EXPECT_EQ(call("falkenberg", "PUT", "/Patient/" + id, patientJson(own, id)).status, 200);
  EXPECT_EQ(total("falkenberg", "/Patient?" + personnummerQuery(held)), 0);
}

TEST_F(AccessTest, AnotherMunicipalityCannotReplaceOrSeeAnOwnedLocation) {
  const std::string system = "https://falkenberg.se/hemsjukvard/bostad";
  auto created = call("falkenberg", "POST", "/Location", location(system, "BO-X", "Falkenbergs"));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = parse(created.body)["id"].GetString();

  // Varberg's conditional update does not see Falkenberg's record: it makes one of its own.
  auto takeover = call("varberg", "PUT", "/Location?identifier=" + system + "%7CBO-X",
                       location(system, "BO-X", "Varbergs"));
  EXPECT_EQ(takeover.status, 201) << takeover.body;
  EXPECT_NE(parse(takeover.body)["id"].GetString(), id);
  // Nor may it replace it by id, or read it.
  EXPECT_EQ(
      call("varberg", "PUT", "/Location/" + id, location(system, "BO-X", "Varbergs", id)).status,
      403);
  EXPECT_EQ(call("varberg", "GET", "/Location/" + id).status, 404);
  // The region writes only global records: not Falkenberg's.
  EXPECT_EQ(
      call("region", "PUT", "/Location/" + id, location(system, "BO-X", "Regionens", id)).status,
      403);

  auto mine = call("falkenberg", "GET", "/Location/" + id);
  ASSERT_EQ(mine.status, 200);
  EXPECT_STREQ(parse(mine.body)["name"].GetString(), "Falkenbergs");
  EXPECT_STREQ(parse(mine.body)["meta"]["versionId"].GetString(), "1");
  EXPECT_EQ(total("falkenberg", "/Location"), 1);

  // Deleted, it stays Falkenberg's: Varberg cannot write the id again (Falkenberg's residences
  // may still point at it), Falkenberg can.
  EXPECT_EQ(call("falkenberg", "DELETE", "/Location/" + id).status, 204);
  EXPECT_EQ(
      call("varberg", "PUT", "/Location/" + id, location(system, "BO-X", "Varbergs", id)).status,
      403);
  EXPECT_EQ(call("varberg", "GET", "/Location/" + id).status, 404);
  auto again =
      call("falkenberg", "PUT", "/Location/" + id, location(system, "BO-X", "Falkenbergs", id));
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(call("varberg", "GET", "/Location/" + id).status, 404);

  // A global record (the region's): every municipality reads it, none changes it.
  auto global = call("region", "POST", "/Location",
                     location("https://regionhalland.se/plats", "KTA", "Korttidsboende"));
  ASSERT_EQ(global.status, 201) << global.body;
  const std::string globalId = parse(global.body)["id"].GetString();
  EXPECT_EQ(call("varberg", "GET", "/Location/" + globalId).status, 200);
  EXPECT_EQ(call("varberg", "PUT", "/Location/" + globalId,
                 location("https://regionhalland.se/plats", "KTA", "Varbergs", globalId))
                .status,
            403);
}

TEST_F(AccessTest, InHomeCareElsewhereAnswersExactlyAsUnknown) {
  const std::string enrolled = "19121212-1212";
  const std::string unknown = testPersonnummer(4242);
  const std::string id = harness_->enroll("kungsbacka", enrolled);
  ASSERT_FALSE(id.empty());

  // A Condition naming the patient by identifier.
  auto elsewhere = call("varberg", "POST", "/Condition", conditionFor(enrolled));
  auto none = call("varberg", "POST", "/Condition", conditionFor(unknown));
  EXPECT_EQ(elsewhere.status, 422) << elsewhere.body;
  EXPECT_NE(elsewhere.body.find("care relationship"), std::string::npos) << elsewhere.body;
  EXPECT_EQ(elsewhere.status, none.status);
  EXPECT_EQ(elsewhere.body, none.body);
  // If-None-Exist on Patient.
  auto ifNoneExist = [&](const std::string& pnr) {
    return call("varberg", "POST", "/Patient", ineraPatient(pnr),
                {{"If-None-Exist", personnummerQuery(pnr)}});
  };
  auto a = ifNoneExist(enrolled);
  auto b = ifNoneExist(unknown);
  EXPECT_EQ(a.status, 422) << a.body;
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.body, b.body);
  // A conditional update of the Patient.
  auto putA =
      call("varberg", "PUT", "/Patient?" + personnummerQuery(enrolled), ineraPatient(enrolled));
  auto putB =
      call("varberg", "PUT", "/Patient?" + personnummerQuery(unknown), ineraPatient(unknown));
  EXPECT_EQ(putA.status, putB.status);
  EXPECT_EQ(putA.body, putB.body);
  // Reads and searches.
  EXPECT_EQ(call("varberg", "GET", "/Patient/" + id).body,
            call("varberg", "GET", "/Patient/" + id).body);
  EXPECT_EQ(call("varberg", "GET", "/Patient/" + id).status, 404);
  EXPECT_EQ(total("varberg", "/Patient?" + personnummerQuery(enrolled)), 0);
  EXPECT_EQ(total("varberg", "/Patient"), 0);
  EXPECT_EQ(total("varberg", "/EpisodeOfCare?patient=Patient/" + id), 0);
  // Nothing of Kungsbacka's patient changed.
  auto patient = call("kungsbacka", "GET", "/Patient/" + id);
  ASSERT_EQ(patient.status, 200);
  EXPECT_STREQ(parse(patient.body)["meta"]["versionId"].GetString(), "1");
  EXPECT_EQ(total("kungsbacka", "/Condition"), 0);
}

TEST_F(AccessTest, TheRegionWritesOnlyForPatientsInHomeCareAndLeavesNothingOpen) {
  // The region cannot bring a patient in on its own (that Patient was tenant "" and open to
  // every municipality's conditional interactions).
  const std::string pnr = testPersonnummer(77);
  auto bare = call("region", "POST", "/Patient", ineraPatient(pnr));
  EXPECT_EQ(bare.status, 422) << bare.body;
  EXPECT_EQ(total("integration", "/Patient"), 0);

  const std::string id = harness_->enroll("kungsbacka", pnr);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(call("region", "GET", "/Patient/" + id).status, 200);
  EXPECT_EQ(total("region", "/Patient"), 1);
  auto updated = call("region", "PUT", "/Patient/" + id, patientJson(pnr, id));
  EXPECT_EQ(updated.status, 200) << updated.body;
  // Still nobody else's to take over.
  auto takeover = call("varberg", "PUT", "/Patient?" + personnummerQuery(pnr), ineraPatient(pnr));
  EXPECT_EQ(takeover.status, 422);
  EXPECT_EQ(call("varberg", "GET", "/Patient/" + id).status, 404);
}

TEST_F(AccessTest, AccessLastsTheGracePeriodAfterTheEpisodeEnds) {
  const std::string recent = harness_->enroll("kungsbacka", testPersonnummer(1), "E-1");
  const std::string old = harness_->enroll("kungsbacka", testPersonnummer(2), "E-2");
  ASSERT_FALSE(recent.empty());
  ASSERT_FALSE(old.empty());
  endEpisode("kungsbacka", "E-1", nowMs() - 10 * kDayMs);  // within the 30 days
  endEpisode("kungsbacka", "E-2", nowMs() - 40 * kDayMs);  // past them

  EXPECT_EQ(call("kungsbacka", "GET", "/Patient/" + recent).status, 200);
  EXPECT_EQ(call("region", "GET", "/Patient/" + recent).status, 200);
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient/" + old).status, 404);
  EXPECT_EQ(call("region", "GET", "/Patient/" + old).status, 404);
  EXPECT_EQ(total("kungsbacka", "/Patient"), 1);
  EXPECT_EQ(call("integration", "GET", "/Patient/" + old).status, 200);  // reads all, audited
  // A new enrollment gives the relationship back.
  EXPECT_EQ(harness_->enroll("kungsbacka", testPersonnummer(2), "E-3"), old);
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient/" + old).status, 200);
}

TEST_F(AccessTest, TheGracePeriodIsConfigurable) {
  harness_->stop();
  harness_ = std::make_unique<GatewayHarness>(&peer_);
  harness_->config().access.relationshipGraceDays = 5;
  harness_->start();
  const std::string id = harness_->enroll("kungsbacka", testPersonnummer(9), "E-9");
  ASSERT_FALSE(id.empty());
  endEpisode("kungsbacka", "E-9", nowMs() - 10 * kDayMs);  // within 30 days, not within 5
  EXPECT_EQ(call("kungsbacka", "GET", "/Patient/" + id).status, 404);
}

TEST_F(AccessTest, APersonMovingFromVarbergToFalkenbergIsOnePatientBothServe) {
  const std::string pnr = testPersonnummer(300);
  const std::string id = harness_->enroll("varberg", pnr, "E-V");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(call("falkenberg", "GET", "/Patient/" + id).status, 404);
  // Falkenberg enrolls the person on arrival: the same Patient.
  EXPECT_EQ(harness_->enroll("falkenberg", pnr, "E-F"), id);
  EXPECT_EQ(call("falkenberg", "GET", "/Patient/" + id).status, 200);
  // The patient's data is one record: both municipalities and the region see both episodes.
  EXPECT_EQ(total("falkenberg", "/EpisodeOfCare?patient=Patient/" + id), 2);
  EXPECT_EQ(total("region", "/EpisodeOfCare?patient=Patient/" + id), 2);
  // Varberg closes its episode today and may still write its closing notes.
  endEpisode("varberg", "E-V", nowMs());
  EXPECT_EQ(call("varberg", "GET", "/Patient/" + id).status, 200);
  auto note = call("varberg", "PUT", "/Patient/" + id, patientJson(pnr, id));
  EXPECT_EQ(note.status, 200) << note.body;
}

TEST_F(AccessTest, AProtectedIdentityIsReadWithoutAddressOrTelecomByAllButIntegration) {
  std::string bundle = enrollmentBundle("19121212-1212");
  const std::string plain = R"("gender":"male")";
  const size_t at = bundle.find(plain);
  ASSERT_NE(at, std::string::npos);
  bundle.replace(
      at, plain.size(),
      R"("meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},)"
      R"("address":[{"line":["Hemliga gatan 1"],"city":"Kungsbacka"}],)"
      R"("telecom":[{"system":"phone","value":"0300-999999"}],"gender":"male")");
  auto enrolled = call("kungsbacka", "POST", "/", bundle);
  ASSERT_EQ(enrolled.status, 200) << enrolled.body;
  const std::string id = parse(enrolled.body)["entry"][0]["resource"]["id"].GetString();

  const auto leaks = [](const std::string& body) {
    return body.find("Hemliga") != std::string::npos ||
           body.find("0300-999999") != std::string::npos;
  };
  for (const std::string client : {"kungsbacka", "region"}) {
    auto read = call(client, "GET", "/Patient/" + id);
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_FALSE(leaks(read.body)) << client;
    EXPECT_NE(read.body.find("REDACTED"), std::string::npos) << client;
    EXPECT_FALSE(leaks(call(client, "GET", "/Patient/" + id + "/_history/1").body)) << client;
    EXPECT_FALSE(leaks(call(client, "GET", "/Patient/" + id + "/_history").body)) << client;
    EXPECT_FALSE(leaks(call(client, "GET", "/Patient?" + personnummerQuery("191212121212")).body))
        << client;
  }
  // A create that finds the person answers with what a read shows.
  auto again = call("kungsbacka", "POST", "/Patient", patientJson("191212121212"));
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_FALSE(leaks(again.body));
  // The integration team sees the record as stored.
  EXPECT_TRUE(leaks(call("integration", "GET", "/Patient/" + id).body));

  // The patient's PDL log extract is the integration team's alone, and neither it nor the
  // gateway's log holds the address or the telephone.
  for (const std::string client : {"kungsbacka", "region"}) {
    auto extract = call(client, "GET", "/AuditEvent?patient=Patient/" + id);
    EXPECT_EQ(extract.status, 403) << client;
    EXPECT_FALSE(leaks(extract.body)) << client;
  }
  auto extract = call("integration", "GET", "/AuditEvent?patient=Patient/" + id);
  ASSERT_EQ(extract.status, 200) << extract.body;
  EXPECT_GE(parse(extract.body)["total"].GetInt(), 4);  // the enrollment and the reads above
  EXPECT_FALSE(leaks(extract.body));
  harness_->stop();
  EXPECT_FALSE(leaks(harness_->logText()));
}

// What leaves Brygga about a protected patient carries its label and neither its address nor its
// telephone: the enrollment (with its residence) and a visit that names the patient only by
// personnummer.
TEST_F(AccessTest, AProtectedIdentityIsForwardedLabelledWithoutAddressOrTelecom) {
  auto visitCase = parse(readTestData("flows/visit/home-visit.input.json"));
  rapidjson::Value& enrollment = visitCase["setup"][0]["body"];
  auto& alloc = visitCase.GetAllocator();
  for (auto& entry : enrollment["entry"].GetArray()) {
    rapidjson::Value& resource = entry["resource"];
    if (std::string(resource["resourceType"].GetString()) != "Patient") continue;
    rapidjson::Document extra;
    extra.Parse(
        R"({"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"V"}]})");
    resource.RemoveMember("meta");
    resource.AddMember("meta", rapidjson::Value(extra, alloc), alloc);
    extra.Parse(R"([{"line":["Hemliga gatan 1"],"city":"Kungsbacka"}])");
    resource.RemoveMember("address");
    resource.AddMember("address", rapidjson::Value(extra, alloc), alloc);
    extra.Parse(R"([{"system":"phone","value":"0300-999999"}])");
    resource.RemoveMember("telecom");
    resource.AddMember("telecom", rapidjson::Value(extra, alloc), alloc);
  }
  ASSERT_EQ(call("kungsbacka", "POST", "/", fhir::toJson(enrollment)).status, 200);
  ASSERT_EQ(call("kungsbacka", "POST", "/", fhir::toJson(visitCase["request"]["body"])).status,
            200);
  ASSERT_GE(peer_.waitForRequests(2), 2u);
  for (const auto& request : peer_.requests()) {
    EXPECT_EQ(request.body.find("Hemliga"), std::string::npos) << request.body;
    EXPECT_EQ(request.body.find("0300-999999"), std::string::npos) << request.body;
    auto bundle = parse(request.body);
    ASSERT_TRUE(bundle.HasMember("meta")) << request.body;
    const auto& label = bundle["meta"]["security"][0];
    EXPECT_EQ(std::string(label["system"].GetString()),
              "http://terminology.hl7.org/CodeSystem/v3-Confidentiality");
    EXPECT_EQ(std::string(label["code"].GetString()), "V");
  }
}

// A block (spärr) by the patient's municipality against the region (the clinic's HSA-id).
constexpr const char* kClinicHsaId = "SE2321000115-E00000000100";
constexpr const char* kKungsbackaHsaId = "SE2120001306-HSJV01";

std::string blockJson(const std::string& patientId, const std::string& status,
                      const std::string& id = {}, const std::string& actor = kClinicHsaId) {
  return R"({"resourceType":"Consent",)" + (id.empty() ? std::string() : "\"id\":\"" + id + "\",") +
         R"("status":")" + status +
         R"(","scope":{"coding":[{"system":)"
         R"("http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},)"
         R"("category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],)"
         R"("patient":{"reference":"Patient/)" +
         patientId +
         R"("},)"
         R"("policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode",)"
         R"("code":"OPTOUT"}]},"provision":{"type":"deny","actor":[{"role":{"coding":[{"system":)"
         R"("http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"PRCP"}]},)"
         R"("reference":{"identifier":{"system":"urn:oid:1.2.752.29.4.19",)"
         R"("value":")" +
         actor + R"("}}}]}})";
}

// What the peer (the region's destination) received naming this episode identifier.
size_t receivedWith(const TestPeer& peer, const std::string& episodeId) {
  size_t n = 0;
  for (const auto& r : peer.requests())
    n += r.body.find("\"" + episodeId + "\"") != std::string::npos;
  return n;
}

// While a block stands, the region neither reads the patient nor receives what the municipality
// sends about it: the message is held. Lifting the block releases nothing by itself; the
// integration team's release sends it, and is refused while the block still stands.
TEST_F(AccessTest, ABlockHoldsWhatWouldReachTheBlockedPartyUntilTheIntegrationTeamReleasesIt) {
  const std::string id = harness_->enroll("kungsbacka", "19121212-1212", "E-2001");
  ASSERT_FALSE(id.empty());
  ASSERT_GE(peer_.waitForRequests(1), 1u);
  ASSERT_EQ(call("region", "GET", "/Patient/" + id).status, 200);
  auto block = call("kungsbacka", "POST", "/Consent", blockJson(id, "active"));
  ASSERT_EQ(block.status, 201) << block.body;
  const std::string consentId = parse(block.body)["id"].GetString();
  EXPECT_EQ(call("region", "GET", "/Patient/" + id).status, 404);

  // The blocked patient's next enrollment is accepted and held; another patient's goes out.
  ASSERT_FALSE(harness_->enroll("kungsbacka", "19121212-1212", "E-2002").empty());
  ASSERT_FALSE(harness_->enroll("kungsbacka", testPersonnummer(5), "E-2003").empty());
  ASSERT_TRUE(peer_.waitFor([&] { return receivedWith(peer_, "E-2003") == 1; }));
  EXPECT_EQ(receivedWith(peer_, "E-2002"), 0u);
  auto held =
      parse(harness_->consoleCall("integration", "GET", "/console/api/messages?status=held").body);
  ASSERT_EQ(held["messages"].Size(), 1u);
  EXPECT_EQ(held["messages"][0].GetObject().FindMember("payload"), held["messages"][0].MemberEnd());
  const std::string outboxId = std::to_string(held["messages"][0]["entries"][0]["id"].GetInt64());
  // Not even the integration team's payload view shows a held message's content.
  const std::string seq = std::to_string(held["messages"][0]["seq"].GetInt64());
  auto content =
      harness_->consoleCall("integration", "GET", "/console/api/messages/" + seq + "/payload");
  ASSERT_EQ(content.status, 200) << content.body;
  EXPECT_EQ(content.body.find("E-2002"), std::string::npos);
  EXPECT_NE(content.body.find("held by a block against region"), std::string::npos) << content.body;
  const std::string release = "/admin/held/" + outboxId + "/release";

  // Released while the block stands: refused. A municipality cannot release at all.
  EXPECT_EQ(harness_->consoleCall("integration", "POST", release).status, 409);
  EXPECT_EQ(harness_->consoleCall("kungsbacka", "POST", release).status, 403);
  // Lifted: still held until released.
  ASSERT_EQ(call("kungsbacka", "PUT", "/Consent/" + consentId, blockJson(id, "inactive", consentId))
                .status,
            200);
  EXPECT_EQ(call("region", "GET", "/Patient/" + id).status, 200);
  held =
      parse(harness_->consoleCall("integration", "GET", "/console/api/messages?status=held").body);
  EXPECT_EQ(held["messages"].Size(), 1u);
  auto released = harness_->consoleCall("integration", "POST", release);
  ASSERT_EQ(released.status, 200) << released.body;
  EXPECT_TRUE(peer_.waitFor([&] { return receivedWith(peer_, "E-2002") == 1; }));
}

// A block registered while a message waits in the queue holds it when it would go out.
TEST_F(AccessTest, AMessageQueuedBeforeABlockIsHeldWhenItWouldGoOut) {
  const std::string id = harness_->enroll("kungsbacka", "19121212-1212", "E-2001");
  ASSERT_FALSE(id.empty());
  ASSERT_GE(peer_.waitForRequests(1), 1u);
  const std::string destination = "/admin/destinations/regional/";
  ASSERT_EQ(harness_->consoleCall("integration", "POST", destination + "pause").status, 200);
  ASSERT_FALSE(harness_->enroll("kungsbacka", "19121212-1212", "E-2002").empty());
  ASSERT_EQ(call("kungsbacka", "POST", "/Consent", blockJson(id, "active")).status, 201);
  ASSERT_FALSE(harness_->enroll("kungsbacka", testPersonnummer(5), "E-2003").empty());
  ASSERT_EQ(harness_->consoleCall("integration", "POST", destination + "resume").status, 200);
  // The worker looks at the queue in order: once E-2003 arrived, E-2002 was held.
  ASSERT_TRUE(peer_.waitFor([&] { return receivedWith(peer_, "E-2003") == 1; }));
  EXPECT_EQ(receivedWith(peer_, "E-2002"), 0u);
  auto held =
      parse(harness_->consoleCall("integration", "GET", "/console/api/messages?status=held").body);
  EXPECT_EQ(held["messages"].Size(), 1u);
}

TEST_F(AccessTest, AKungsbackaResidentAtTallglantanIsServedFromHalmstadAndHiddenFromFalkenberg) {
  const std::string falkenbergBody = fhir::toJson(
      parse(readTestData("flows/enrollment/facility-tallglantan.input.json"))["request"]["body"]);
  ASSERT_EQ(call("falkenberg", "POST", "/", falkenbergBody).status, 200);
  ASSERT_EQ(peer_.waitForRequests(1, 10000), 1u);

  // Kungsbacka places one of its residents at the short-term facility in Falkenberg.
  std::string pnr = testPersonnummer(500);
  pnr.erase(pnr.find('-'), 1);
  std::string body = falkenbergBody;
  for (size_t at; (at = body.find("194001019811")) != std::string::npos;) body.replace(at, 12, pnr);
  for (size_t at; (at = body.find("falkenberg.se")) != std::string::npos;) {
    body.replace(at, 13, "kungsbacka.se");
  }
  auto enrolled = call("kungsbacka", "POST", "/", body);
  ASSERT_EQ(enrolled.status, 200) << enrolled.body;
  const std::string id = parse(enrolled.body)["entry"][0]["resource"]["id"].GetString();
  // Forwarded to the service point that serves the facility: Halmstad.
  ASSERT_EQ(peer_.waitForRequests(2, 10000), 2u);
  EXPECT_NE(peer_.requests().back().body.find("SE2321000115-E00000000103"), std::string::npos);

  EXPECT_EQ(call("kungsbacka", "GET", "/Patient/" + id).status, 200);
  EXPECT_EQ(call("region", "GET", "/Patient/" + id).status, 200);
  EXPECT_EQ(call("falkenberg", "GET", "/Patient/" + id).status, 404);
  // Each municipality keeps its own record of the facility; neither replaced the other's.
  const std::string facility =
      "/Location?identifier=https://brygga.se/fhir/NamingSystem/facility%7Ctallglantan";
  for (const std::string client : {"falkenberg", "kungsbacka"}) {
    auto found = parse(call(client, "GET", facility).body);
    ASSERT_EQ(found["total"].GetInt(), 1) << client;
    EXPECT_STREQ(found["entry"][0]["resource"]["meta"]["versionId"].GetString(), "1") << client;
  }
}

// The README's access table, end to end: role x relationship state x interaction. Each patient
// is in one state towards Kungsbacka (and through it towards the region).
TEST_F(AccessTest, TheAccessTableHoldsForEveryRoleStateAndInteraction) {
  struct Patient {
    std::string state, id, pnr;
  };
  std::vector<Patient> patients;
  const auto enroll = [&](const std::string& state, const std::string& client, int n) {
    const std::string pnr = testPersonnummer(n);
    const std::string id = harness_->enroll(client, pnr, "E-" + state);
    ASSERT_FALSE(id.empty()) << state;
    patients.push_back({state, id, pnr});
  };
  enroll("none", "varberg", 501);  // Varberg's patient: Kungsbacka has no relationship
  enroll("active", "kungsbacka", 502);
  enroll("grace", "kungsbacka", 503);
  enroll("ended", "kungsbacka", 504);
  enroll("blockedK", "kungsbacka", 505);
  enroll("blockedR", "kungsbacka", 506);
  endEpisode("kungsbacka", "E-grace", nowMs() - 10 * kDayMs);
  endEpisode("kungsbacka", "E-ended", nowMs() - 40 * kDayMs);
  ASSERT_EQ(call("integration", "POST", "/Consent",
                 blockJson(patients[4].id, "active", {}, kKungsbackaHsaId))
                .status,
            201);
  ASSERT_EQ(call("kungsbacka", "POST", "/Consent", blockJson(patients[5].id, "active")).status,
            201);

  // Expected: true = as one's own (read 200, found by search, history 200, a Condition written
  // 201); false = as unknown (404, not found, 404, 422).
  const std::map<std::string, std::map<std::string, bool>> table = {
      {"kungsbacka",
       {{"none", false},
        {"active", true},
        {"grace", true},
        {"ended", false},
        {"blockedK", false},
        {"blockedR", true}}},
      {"region",
       {{"none", true},
        {"active", true},
        {"grace", true},
        {"ended", false},
        {"blockedK", true},
        {"blockedR", false}}},
  };
  for (const auto& [client, row] : table) {
    for (const Patient& p : patients) {
      const bool visible = row.at(p.state);
      const std::string what = client + " / " + p.state;
      EXPECT_EQ(call(client, "GET", "/Patient/" + p.id).status, visible ? 200 : 404) << what;
      EXPECT_EQ(total(client, "/Patient?" + personnummerQuery(p.pnr)), visible ? 1 : 0) << what;
      EXPECT_EQ(call(client, "GET", "/Patient/" + p.id + "/_history").status, visible ? 200 : 404)
          << what;
      const std::string condition = R"({"resourceType":"Condition","code":{"text":"Fall"},)"
                                    R"("subject":{"reference":"Patient/)" +
                                    p.id + R"("}})";
      EXPECT_EQ(call(client, "POST", "/Condition", condition).status, visible ? 201 : 422) << what;
    }
  }
  // The integration role reads every one of them and writes none.
  for (const Patient& p : patients) {
    EXPECT_EQ(call("integration", "GET", "/Patient/" + p.id).status, 200) << p.state;
    EXPECT_EQ(
        call(
            "integration", "POST", "/Condition",
            R"({"resourceType":"Condition","code":{"text":"Fall"},"subject":{"reference":"Patient/)" +
                p.id + R"("}})")
            .status,
        403)
        << p.state;
  }
}

}  // namespace
}  // namespace brygga::testing

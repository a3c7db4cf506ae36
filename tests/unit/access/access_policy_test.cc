// The access rules as decisions over facts: role x relationship state x block, owned records,
// what a search may see, what a role may write, the facts read from EpisodeOfCare and Consent,
// and protected identity.
#include "gateway/access/access_policy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/access/access_facts.h"
#include "gateway/access/protected_identity.h"
#include "gateway/fhir/json.h"
#include "tests/support/mappings_test_util.h"

namespace brygga::access {
namespace {

using core::ClientRole;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kDay = 24LL * 60 * 60 * 1000;
constexpr int64_t kNow = 1000 * kDay;

store::CareRelationship relationship(const std::string& tenant, bool active, int64_t endedMs) {
  return {"episode-" + tenant, "p", tenant, active, endedMs};
}

store::PatientBlock block(const std::string& party, int64_t startMs = 0, int64_t endMs = 0) {
  return {"consent", "p", party, true, startMs, endMs};
}

class AccessPolicyTest : public ::testing::Test {
 protected:
  CallerAccess varberg() const {
    return policy_.forCaller(ClientRole::kMunicipal, "varberg", kNow);
  }
  CallerAccess region() const { return policy_.forCaller(ClientRole::kRegional, "", kNow); }
  CallerAccess integration() const { return policy_.forCaller(ClientRole::kIntegration, "", kNow); }

  AccessPolicy policy_{AccessConfig{30}};
};

TEST_F(AccessPolicyTest, AMunicipalityReadsWhileActiveAndInGraceNotBeforeOrAfter) {
  const struct {
    const char* name;
    store::PatientAccessFacts facts;
    RelationshipState state;
    bool reads;
  } cases[] = {
      {"none", {}, RelationshipState::kNone, false},
      {"active", {{relationship("varberg", true, 0)}, {}}, RelationshipState::kActive, true},
      {"active, ends tomorrow",
       {{relationship("varberg", true, kNow + kDay)}, {}},
       RelationshipState::kActive,
       true},
      {"ended 29 days ago",
       {{relationship("varberg", false, kNow - 29 * kDay)}, {}},
       RelationshipState::kGrace,
       true},
      {"active status, period ended 29 days ago",
       {{relationship("varberg", true, kNow - 29 * kDay)}, {}},
       RelationshipState::kGrace,
       true},
      {"ended 31 days ago",
       {{relationship("varberg", false, kNow - 31 * kDay)}, {}},
       RelationshipState::kEnded,
       false},
      {"entered in error",
       {{relationship("varberg", false, 0)}, {}},
       RelationshipState::kNone,
       false},
      {"another municipality's",
       {{relationship("falkenberg", true, 0)}, {}},
       RelationshipState::kNone,
       false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(varberg().relationship(c.facts), c.state) << c.name;
    EXPECT_EQ(varberg().readPatient(c.facts).allowed(), c.reads) << c.name;
    EXPECT_EQ(varberg().writePatient(c.facts, false).allowed(), c.reads) << c.name;
    // An enrollment of its own gives the relationship, whatever there was.
    EXPECT_TRUE(varberg().writePatient(c.facts, true).allowed()) << c.name;
  }
}

TEST_F(AccessPolicyTest, TheRegionReadsPatientsInAnyMunicipalitysCare) {
  EXPECT_FALSE(region().readPatient({}).allowed());
  EXPECT_TRUE(region().readPatient({{relationship("falkenberg", true, 0)}, {}}).allowed());
  EXPECT_TRUE(
      region().readPatient({{relationship("hylte", false, kNow - 2 * kDay)}, {}}).allowed());
  EXPECT_FALSE(
      region().readPatient({{relationship("hylte", false, kNow - 40 * kDay)}, {}}).allowed());
  // An enrollment is a municipality's; the region cannot establish one.
  EXPECT_FALSE(region().writePatient({}, true).allowed());
  // The integration role reads everything.
  EXPECT_TRUE(integration().readPatient({}).allowed());
}

TEST_F(AccessPolicyTest, ABlockRefusesTheBlockedPartyOnlyAndOnlyWhileItStands) {
  store::PatientAccessFacts facts{{relationship("varberg", true, 0)}, {block("tenant:varberg")}};
  const Decision refused = varberg().readPatient(facts);
  EXPECT_EQ(refused.verdict, Verdict::kBlocked);
  EXPECT_EQ(refused.blockedParty, "tenant:varberg");
  EXPECT_EQ(varberg().writePatient(facts, true).verdict, Verdict::kBlocked)
      << "an enrollment does not lift a block";
  EXPECT_TRUE(region().readPatient(facts).allowed());

  facts.blocks = {block("region")};
  EXPECT_TRUE(varberg().readPatient(facts).allowed());
  EXPECT_EQ(region().readPatient(facts).verdict, Verdict::kBlocked);
  EXPECT_TRUE(integration().readPatient(facts).allowed());

  facts.blocks = {block("region", kNow + kDay)};
  EXPECT_TRUE(region().readPatient(facts).allowed()) << "not begun";
  facts.blocks = {block("region", 0, kNow)};
  EXPECT_TRUE(region().readPatient(facts).allowed()) << "over";
  facts.blocks = {block("region")};
  facts.blocks[0].active = false;
  EXPECT_TRUE(region().readPatient(facts).allowed()) << "lifted";

  EXPECT_TRUE(AccessPolicy::blockAgainst({{}, {block("region")}}, "region", kNow));
  EXPECT_FALSE(AccessPolicy::blockAgainst({{}, {block("region")}}, "tenant:varberg", kNow));
}

TEST_F(AccessPolicyTest, OwnedRecordsAreReadByOwnerAndGlobalAndWrittenByTheOwnerOnly) {
  store::ResourceRecord theirs{"Location", "l", 1, 0, false, "falkenberg", "{}", ""};
  store::ResourceRecord global{"Location", "g", 1, 0, false, "", "{}", ""};
  store::ResourceRecord own{"Location", "o", 1, 0, false, "varberg", "{}", ""};
  const FactsReader none = [](const std::string&) -> core::StatusOr<store::PatientAccessFacts> {
    return store::PatientAccessFacts{};
  };
  EXPECT_FALSE(varberg().read(theirs, none)->allowed());
  EXPECT_TRUE(varberg().read(global, none)->allowed());
  EXPECT_TRUE(varberg().read(own, none)->allowed());
  EXPECT_TRUE(region().read(theirs, none)->allowed());

  EXPECT_EQ(varberg().writeOwned(theirs).verdict, Verdict::kNotOwner);
  EXPECT_EQ(varberg().writeOwned(global).verdict, Verdict::kNotOwner);
  EXPECT_TRUE(varberg().writeOwned(own).allowed());
  EXPECT_TRUE(region().writeOwned(global).allowed());
  EXPECT_EQ(region().writeOwned(own).verdict, Verdict::kNotOwner);
  EXPECT_EQ(varberg().owner(), "varberg");
  EXPECT_EQ(region().owner(), "");

  EXPECT_TRUE(CallerAccess::ownerWrites("Location", ""));
  EXPECT_TRUE(CallerAccess::ownerWrites("EpisodeOfCare", "p"));
  EXPECT_TRUE(CallerAccess::ownerWrites("Consent", "p"));
  EXPECT_FALSE(CallerAccess::ownerWrites("CarePlan", "p"));
  // The integration team lifts any block.
  store::ResourceRecord consent{"Consent", "c", 1, 0, false, "varberg", "{}", "p"};
  EXPECT_TRUE(integration().writeOwned(consent).allowed());
}

TEST_F(AccessPolicyTest, WhatEachRoleMayWrite) {
  EXPECT_TRUE(varberg().mayWriteType("Consent").isOk());
  EXPECT_TRUE(varberg().mayWriteType("Patient").isOk());
  EXPECT_EQ(region().mayWriteType("Consent").code(), core::StatusCode::kPermissionDenied);
  EXPECT_TRUE(integration().mayWriteType("Consent").isOk());
  EXPECT_EQ(integration().mayWriteType("Patient").code(), core::StatusCode::kPermissionDenied);
  EXPECT_EQ(varberg().mayWriteType("AuditEvent").code(), core::StatusCode::kMethodNotAllowed);
}

TEST_F(AccessPolicyTest, TheVisibilityASearchApplies) {
  auto v = varberg().visibility({"new"});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->relationshipTenant, std::optional<std::string>("varberg"));
  EXPECT_EQ(v->endedAfterMs, kNow - 30 * kDay);
  EXPECT_EQ(v->blockedParty, "tenant:varberg");
  EXPECT_THAT(*v->owners, ElementsAre("", "varberg"));
  EXPECT_THAT(v->alsoPatients, ElementsAre("new"));
  auto r = region().visibility();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->relationshipTenant);
  EXPECT_FALSE(r->owners);
  EXPECT_EQ(r->blockedParty, "region");
  EXPECT_FALSE(integration().visibility());
}

rapidjson::Document json(const std::string& text) {
  auto doc = fhir::parseJson(text);
  EXPECT_TRUE(doc.isOk()) << text;
  return std::move(doc).value();
}

TEST(AccessFactsTest, AnEpisodeOfCareIsARelationshipWhileActiveAndEndsAtItsEnd) {
  auto active = json(R"({"resourceType":"EpisodeOfCare","status":"active",
                         "period":{"start":"2026-01-01"}})");
  store::CareRelationship r = careRelationshipOf(active, "e", "p", "varberg", kNow);
  EXPECT_TRUE(r.active);
  EXPECT_EQ(r.endedMs, 0);
  EXPECT_TRUE(establishesRelationship(active, kNow));

  auto finished = json(R"({"resourceType":"EpisodeOfCare","status":"finished",
                           "period":{"start":"2026-01-01","end":"2026-02-01T00:00:00Z"}})");
  r = careRelationshipOf(finished, "e", "p", "varberg", kNow);
  EXPECT_FALSE(r.active);
  EXPECT_EQ(r.endedMs, 1769904000000);
  EXPECT_FALSE(establishesRelationship(finished, kNow));

  auto finishedNoEnd = json(R"({"resourceType":"EpisodeOfCare","status":"finished"})");
  EXPECT_EQ(careRelationshipOf(finishedNoEnd, "e", "p", "varberg", kNow).endedMs, kNow);
  auto ended = json(R"({"resourceType":"EpisodeOfCare","status":"active",
                        "period":{"end":"1971-01-01"}})");
  EXPECT_FALSE(establishesRelationship(ended, kNow));
}

std::string consent(const std::string& hsaId, const std::string& extra = "") {
  return R"({"resourceType":"Consent","status":"active",
    "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope",
                        "code":"patient-privacy"}]},
    "provision":{"type":"deny",)" +
         extra + R"("actor":[{"reference":{"identifier":{
      "system":"urn:oid:1.2.752.29.4.19","value":")" +
         hsaId + R"("}}}]}})";
}

TEST(AccessFactsTest, AConsentBlocksThePartyItsHsaIdNames) {
  auto set = brygga::testing::repoMappings();
  ASSERT_TRUE(set);
  const auto& routing = set->routing();
  // A municipality's HSA-id blocks that municipality.
  auto blocks = blocksOf(json(consent(routing.municipalities()[1].hsaId)), "c", "p", routing);
  ASSERT_TRUE(blocks.isOk()) << blocks.status().toString();
  ASSERT_EQ(blocks->size(), 1u);
  EXPECT_EQ(blocks->front().party, "tenant:" + routing.municipalities()[1].tenant);
  EXPECT_TRUE(blocks->front().active);
  // Any regional unit (the clinic, a service point, a performing unit) blocks the region.
  for (const std::string& hsa : {routing.clinicHsaId(), routing.servicePoints()[2].hsaId,
                                 routing.servicePoints()[0].performingUnitHsaId}) {
    auto r = blocksOf(json(consent(hsa, R"("period":{"start":"2026-01-01","end":"2027-01-01"},)")),
                      "c", "p", routing);
    ASSERT_TRUE(r.isOk()) << hsa;
    EXPECT_EQ(r->front().party, "region");
    EXPECT_GT(r->front().startMs, 0);
    EXPECT_GT(r->front().endMs, r->front().startMs);
  }
  // Unknown HSA-id: 422 naming the element.
  auto unknown = blocksOf(json(consent("SE2321000999-X1")), "c", "p", routing);
  EXPECT_EQ(unknown.status().code(), core::StatusCode::kUnprocessable);
  EXPECT_THAT(unknown.status().message(), HasSubstr("SE2321000999-X1"));
  // Not a block.
  std::string permit = consent(routing.clinicHsaId());
  permit.replace(permit.find("deny"), 4, "permit");
  EXPECT_EQ(blocksOf(json(permit), "c", "p", routing).status().code(),
            core::StatusCode::kUnprocessable);
  // Parties of destinations.
  EXPECT_EQ(partyOfDestination(routing, "regional"), "region");
  EXPECT_EQ(partyOfDestination(routing, routing.municipalities()[0].destination),
            "tenant:" + routing.municipalities()[0].tenant);
  EXPECT_EQ(partyOfDestination(routing, "nowhere"), "");
}

constexpr const char* kProtectedPatient = R"({"resourceType":"Patient","id":"p",
  "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality",
                       "code":"R"}]},
  "name":[{"family":"Tolvansson"}],
  "telecom":[{"system":"phone","value":"0701234567"}],
  "address":[{"line":["Hemliga gatan 1"],"city":"Varberg"}],
  "contact":[{"telecom":[{"value":"0709999999"}],"address":{"city":"Varberg"}}]})";

TEST(ProtectedIdentityTest, AReaderGetsNoAddressNoTelecomAndTheRedactedTag) {
  auto doc = json(kProtectedPatient);
  EXPECT_EQ(confidentialityOf(doc), std::optional<std::string>("R"));
  const std::string redacted = redactedForReader(kProtectedPatient);
  EXPECT_EQ(redacted.find("Hemliga"), std::string::npos);
  EXPECT_EQ(redacted.find("0701234567"), std::string::npos);
  EXPECT_EQ(redacted.find("0709999999"), std::string::npos);
  EXPECT_THAT(redacted, HasSubstr(R"("code":"REDACTED")"));
  EXPECT_THAT(redacted, HasSubstr("Tolvansson"));
  // Not protected: unchanged, byte for byte.
  const std::string plain = R"({"resourceType":"Patient","address":[{"city":"Varberg"}]})";
  EXPECT_EQ(redactedForReader(plain), plain);
}

TEST(ProtectedIdentityTest, AForwardedBundleCarriesTheLabelAndNoAddressOfPatientOrResidence) {
  const std::string bundle =
      std::string(R"({"resourceType":"Bundle","type":"transaction","entry":[{"resource":)") +
      kProtectedPatient +
      R"(},{"resource":{"resourceType":"Location","name":"Hem",
           "address":{"line":["Hemliga gatan 1"]},"telecom":[{"value":"0701234567"}]}}]})";
  const std::string out = protectForward(bundle, std::nullopt);
  EXPECT_EQ(out.find("Hemliga"), std::string::npos);
  EXPECT_EQ(out.find("0701234567"), std::string::npos);
  auto doc = json(out);
  EXPECT_STREQ(doc["meta"]["security"][0]["code"].GetString(), "R");
  // A Bundle that only refers to the patient gets the label the flows know.
  const std::string visit = R"({"resourceType":"Bundle","type":"transaction","entry":[]})";
  EXPECT_THAT(protectForward(visit, std::string("V")), HasSubstr(R"("code":"V")"));
  EXPECT_EQ(protectForward(visit, std::nullopt), visit);
}

}  // namespace
}  // namespace brygga::access

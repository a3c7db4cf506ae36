#include "gateway/audit/audit_event.h"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

namespace brygga::audit {
namespace {

constexpr const char* kDicom = "http://dicom.nema.org/resources/ontology/DCM";

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json;
  return doc;
}

// The string at a JSON pointer, or "<absent>".
std::string at(const rapidjson::Value& root, const char* pointer) {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(root);
  if (v == nullptr) return "<absent>";
  if (v->IsString()) return v->GetString();
  if (v->IsBool()) return v->GetBool() ? "true" : "false";
  return "<not a string>";
}

// The agent whose type coding has `code`, or nullptr.
const rapidjson::Value* agentOfType(const rapidjson::Document& doc, const std::string& code) {
  if (!doc.HasMember("agent") || !doc["agent"].IsArray()) return nullptr;
  for (const auto& agent : doc["agent"].GetArray()) {
    if (at(agent, "/type/coding/0/code") == code) return &agent;
  }
  return nullptr;
}

// The entity whose type code is `typeCode` and (when given) role code is `roleCode`.
const rapidjson::Value* entityOf(const rapidjson::Document& doc, const std::string& typeCode,
                                 const std::string& roleCode) {
  if (!doc.HasMember("entity") || !doc["entity"].IsArray()) return nullptr;
  for (const auto& e : doc["entity"].GetArray()) {
    if (at(e, "/type/code") == typeCode && (roleCode.empty() || at(e, "/role/code") == roleCode)) {
      return &e;
    }
  }
  return nullptr;
}

AuditContext readContext() {
  AuditContext c;
  c.recordedMs = 1795428900123;  // 2026-11-23T10:15:00.123Z
  c.subtype = "read";
  c.action = 'R';
  c.httpStatus = 200;
  c.clientId = "kungsbacka-vsys";
  c.clientTenant = "kungsbacka";
  c.clientRole = "municipal";
  c.clientAddress = "10.1.2.3";
  c.serverAddress = "brygga.regionhalland.se";
  c.requestId = "req-42";
  c.patient = "Patient/p1";
  c.entities = {"Patient/p1"};
  return c;
}

TEST(AuditEvent, HasTheBalpRestShape) {
  auto doc = parse(buildAuditEvent(readContext(), "ae-1"));

  EXPECT_EQ(at(doc, "/resourceType"), "AuditEvent");
  EXPECT_EQ(at(doc, "/id"), "ae-1");
  EXPECT_EQ(at(doc, "/type/system"), "http://terminology.hl7.org/CodeSystem/audit-event-type");
  EXPECT_EQ(at(doc, "/type/code"), "rest");
  EXPECT_EQ(at(doc, "/subtype/0/system"), "http://hl7.org/fhir/restful-interaction");
  EXPECT_EQ(at(doc, "/subtype/0/code"), "read");
  EXPECT_EQ(at(doc, "/action"), "R");
  EXPECT_EQ(at(doc, "/recorded"), "2026-11-23T10:15:00.123Z");
  EXPECT_EQ(at(doc, "/outcome"), "0");
  EXPECT_EQ(at(doc, "/source/observer/display"), "Brygga");
  EXPECT_EQ(at(doc, "/source/type/0/system"),
            "http://terminology.hl7.org/CodeSystem/security-source-type");
  EXPECT_EQ(at(doc, "/source/type/0/code"), "4");
  EXPECT_EQ(at(doc, "/meta/profile/0"),
            "https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead");
}

TEST(AuditEvent, OutcomeCodeFollowsTheHttpStatus) {
  AuditContext c = readContext();
  struct Case {
    int status;
    const char* outcome;
  };
  for (const Case& k :
       {Case{200, "0"}, Case{201, "0"}, Case{304, "0"}, Case{400, "4"}, Case{404, "4"},
        Case{422, "4"}, Case{500, "8"}, Case{503, "8"}, Case{0, "8"}}) {
    c.httpStatus = k.status;
    auto doc = parse(buildAuditEvent(c, "x"));
    EXPECT_EQ(at(doc, "/outcome"), k.outcome) << "HTTP " << k.status;
  }
  c.httpStatus = 422;
  c.outcomeText = "Patient.identifier[0]: invalid personnummer checksum";
  auto doc = parse(buildAuditEvent(c, "x"));
  EXPECT_EQ(at(doc, "/outcomeDesc"), c.outcomeText);
  EXPECT_EQ(at(doc, "/meta/profile/0"), "<absent>");  // BALP profiles describe successes only
}

TEST(AuditEvent, InboundAgentsAreTheClientAndTheGateway) {
  auto doc = parse(buildAuditEvent(readContext(), "x"));

  const rapidjson::Value* client = agentOfType(doc, "110153");
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(at(*client, "/type/coding/0/system"), kDicom);
  EXPECT_EQ(at(*client, "/who/identifier/system"), "urn:brygga:client");
  EXPECT_EQ(at(*client, "/who/identifier/value"), "kungsbacka-vsys");
  EXPECT_EQ(at(*client, "/requestor"), "true");
  EXPECT_EQ(at(*client, "/network/address"), "10.1.2.3");
  EXPECT_EQ(at(*client, "/network/type"), "2");  // IP address

  const rapidjson::Value* server = agentOfType(doc, "110152");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(at(*server, "/type/coding/0/system"), kDicom);
  EXPECT_EQ(at(*server, "/who/display"), "Brygga");
  EXPECT_EQ(at(*server, "/requestor"), "false");
  EXPECT_EQ(at(*server, "/network/address"), "brygga.regionhalland.se");
  EXPECT_EQ(at(*server, "/network/type"), "1");  // machine name
  EXPECT_EQ(doc["agent"].Size(), 2u);
}

TEST(AuditEvent, KnownUserIsTheRequestorByHsaId) {
  AuditContext c = readContext();
  c.userHsaId = "SE2321000131-E000000000001";
  auto doc = parse(buildAuditEvent(c, "x"));

  ASSERT_EQ(doc["agent"].Size(), 3u);
  const rapidjson::Value& user = doc["agent"][2];
  EXPECT_EQ(at(user, "/who/identifier/system"), "urn:oid:1.2.752.29.6.2.1");
  EXPECT_EQ(at(user, "/who/identifier/value"), "SE2321000131-E000000000001");
  EXPECT_EQ(at(user, "/requestor"), "true");
  EXPECT_EQ(at(user, "/type/coding/0/code"), "IRCP");  // a read: information recipient
  EXPECT_EQ(at(*agentOfType(doc, "110153"), "/requestor"), "false");
}

TEST(AuditEvent, OutboundBryggaIsTheSourceAndTheDestinationTheServer) {
  AuditContext c;
  c.recordedMs = 1795428900000;
  c.subtype = "transaction";
  c.action = 'E';
  c.httpStatus = 503;
  c.outbound = true;
  c.clientId = "brygga";
  c.destination = "regional";
  c.clientAddress = "https://ehr.example.org/fhir";
  c.requestId = "req-7";
  auto doc = parse(buildAuditEvent(c, "x"));

  const rapidjson::Value* source = agentOfType(doc, "110153");
  ASSERT_NE(source, nullptr);
  EXPECT_EQ(at(*source, "/who/display"), "Brygga");
  EXPECT_EQ(at(*source, "/who/identifier/value"), "brygga");
  EXPECT_EQ(at(*source, "/requestor"), "true");
  const rapidjson::Value* destination = agentOfType(doc, "110152");
  ASSERT_NE(destination, nullptr);
  EXPECT_EQ(at(*destination, "/who/identifier/value"), "regional");
  EXPECT_EQ(at(*destination, "/network/address"), "https://ehr.example.org/fhir");
  EXPECT_EQ(at(*destination, "/network/type"), "5");  // URI
  EXPECT_EQ(at(doc, "/outcome"), "8");
  EXPECT_EQ(at(doc, "/subtype/0/code"), "transaction");
}

TEST(AuditEvent, EntitiesNameThePatientTheResourcesTheQueryAndTheRequestId) {
  AuditContext c = readContext();
  c.subtype = "search-type";
  c.entities = {"EpisodeOfCare/e1", "Condition/c1"};
  c.query = "patient=Patient/p1&status=active";
  auto doc = parse(buildAuditEvent(c, "x"));

  const rapidjson::Value* patient = entityOf(doc, "1", "1");
  ASSERT_NE(patient, nullptr);
  EXPECT_EQ(at(*patient, "/what/reference"), "Patient/p1");
  EXPECT_EQ(at(*patient, "/type/system"),
            "http://terminology.hl7.org/CodeSystem/audit-entity-type");
  EXPECT_EQ(at(*patient, "/role/system"), "http://terminology.hl7.org/CodeSystem/object-role");

  std::vector<std::string> resources;
  for (const auto& e : doc["entity"].GetArray()) {
    if (at(e, "/type/code") == "2" && at(e, "/role/code") == "4") {
      resources.push_back(at(e, "/what/reference"));
    }
  }
  EXPECT_THAT(resources, ::testing::ElementsAre("EpisodeOfCare/e1", "Condition/c1"));

  const rapidjson::Value* query = entityOf(doc, "2", "24");
  ASSERT_NE(query, nullptr);
  EXPECT_EQ(at(*query, "/query"), "cGF0aWVudD1QYXRpZW50L3AxJnN0YXR1cz1hY3RpdmU=");

  const rapidjson::Value* transaction = entityOf(doc, "XrequestId", "");
  ASSERT_NE(transaction, nullptr);
  EXPECT_EQ(at(*transaction, "/type/system"),
            "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType");
  EXPECT_EQ(at(*transaction, "/what/identifier/value"), "req-42");
}

TEST(AuditEvent, QueryIsBase64WithPadding) {
  AuditContext c = readContext();
  for (const auto& [query, encoded] :
       {std::pair{"_id=p", "X2lkPXA="}, std::pair{"_id=p1", "X2lkPXAx"},
        std::pair{"_id=p12", "X2lkPXAxMg=="}}) {
    c.query = query;
    auto doc = parse(buildAuditEvent(c, "x"));
    const rapidjson::Value* e = entityOf(doc, "2", "24");
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(at(*e, "/query"), encoded) << query;
  }
}

TEST(AuditEvent, NoQueryEntityWithoutAQueryAndNoPatientEntityWithoutAPatient) {
  AuditContext c = readContext();
  c.patient.reset();
  c.entities = {"Organization/o1"};
  auto doc = parse(buildAuditEvent(c, "x"));
  EXPECT_EQ(entityOf(doc, "2", "24"), nullptr);
  EXPECT_EQ(entityOf(doc, "1", "1"), nullptr);
  EXPECT_NE(entityOf(doc, "2", "4"), nullptr);
}

TEST(AuditEvent, SameContextGivesByteIdenticalJson) {
  // The JSON is hashed into the audit chain, so it must not depend on anything but its input.
  EXPECT_EQ(buildAuditEvent(readContext(), "ae-1"), buildAuditEvent(readContext(), "ae-1"));
  const std::string json = buildAuditEvent(readContext(), "ae-1");
  EXPECT_EQ(json.find('\n'), std::string::npos);  // compact
  EXPECT_EQ(json.rfind(R"({"resourceType":"AuditEvent","id":"ae-1",)", 0), 0u);
}

TEST(AuditEvent, TextIsEscapedIntoValidJson) {
  AuditContext c = readContext();
  c.outcomeText = "bad \"value\"\n\\ in field";
  c.clientId = "a\"b";
  auto doc = parse(buildAuditEvent(c, "x"));
  EXPECT_EQ(at(doc, "/outcomeDesc"), c.outcomeText);
  EXPECT_EQ(at(*agentOfType(doc, "110153"), "/who/identifier/value"), "a\"b");
}

TEST(AuditEvent, ALoginIsADicomUserAuthenticationEvent) {
  AuditContext c = readContext();
  c.subtype = "login";
  c.action = 'E';
  c.httpStatus = 401;
  c.clientId = "anonymous";
  auto doc = parse(buildAuditEvent(c, "7"));
  EXPECT_EQ(at(doc, "/type/system"), kDicom);
  EXPECT_EQ(at(doc, "/type/code"), "110114");
  EXPECT_EQ(at(doc, "/subtype/0/system"), kDicom);
  EXPECT_EQ(at(doc, "/subtype/0/code"), "110122");
  EXPECT_EQ(at(doc, "/outcome"), "4");
}

TEST(AuditEvent, AnInteractionNeverWorkedOutHasNoSubtype) {
  AuditContext c = readContext();
  c.subtype = "unknown";
  c.httpStatus = 400;
  auto doc = parse(buildAuditEvent(c, "8"));
  EXPECT_EQ(at(doc, "/type/code"), "rest");
  EXPECT_FALSE(doc.HasMember("subtype"));
}

}  // namespace
}  // namespace brygga::audit

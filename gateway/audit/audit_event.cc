#include "gateway/audit/audit_event.h"

#include <arpa/inet.h>

#include <cstdint>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "gateway/core/base64.h"
#include "gateway/core/civil_time.h"

namespace brygga::audit {

namespace {

constexpr const char* kAuditEventType = "http://terminology.hl7.org/CodeSystem/audit-event-type";
constexpr const char* kRestfulInteraction = "http://hl7.org/fhir/restful-interaction";
constexpr const char* kDicom = "http://dicom.nema.org/resources/ontology/DCM";
constexpr const char* kParticipationType =
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
constexpr const char* kRoleClass = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
constexpr const char* kSourceType = "http://terminology.hl7.org/CodeSystem/security-source-type";
constexpr const char* kEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
constexpr const char* kObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
constexpr const char* kBalpEntityType =
    "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
constexpr const char* kBalpProfileBase = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/";
constexpr const char* kClientSystem = "urn:brygga:client";
constexpr const char* kClientRoleSystem = "urn:brygga:client-role";
constexpr const char* kTenantSystem = "urn:brygga:tenant";
constexpr const char* kDestinationSystem = "urn:brygga:destination";
constexpr const char* kHsaIdSystem = "urn:oid:1.2.752.29.6.2.1";
constexpr const char* kGatewayName = "Brygga";

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void writeString(Writer& w, std::string_view s) {
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
}

void writeMember(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  writeString(w, value);
}

void writeCoding(Writer& w, const char* system, std::string_view code, const char* display) {
  w.StartObject();
  writeMember(w, "system", system);
  writeMember(w, "code", code);
  if (display != nullptr) writeMember(w, "display", display);
  w.EndObject();
}

void writeCodeableConcept(Writer& w, const char* system, std::string_view code,
                          const char* display) {
  w.StartObject();
  w.Key("coding");
  w.StartArray();
  writeCoding(w, system, code, display);
  w.EndArray();
  w.EndObject();
}

// AuditEvent.outcome: a missing answer (status 0, the peer never replied) is as serious as a 5xx,
// even though 0 is numerically below 400.
const char* outcomeCode(int httpStatus) {
  if (httpStatus <= 0 || httpStatus >= 500) return "8";
  if (httpStatus >= 400) return "4";
  return "0";
}

// DICOM network access point type: 1 machine name, 2 IP address, 5 URI.
const char* networkType(std::string_view address) {
  if (address.find("://") != std::string_view::npos) return "5";
  std::string host(address);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  unsigned char buf[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1) {
    return "2";
  }
  return "1";
}

void writeNetwork(Writer& w, const std::string& address) {
  if (address.empty()) return;
  w.Key("network");
  w.StartObject();
  writeMember(w, "address", address);
  writeMember(w, "type", networkType(address));
  w.EndObject();
}

// The BALP profile the event conforms to. BALP profiles describe successful interactions only,
// and none covers transaction/batch, so those events claim no profile.
std::string balpProfile(const AuditContext& c) {
  if (c.httpStatus <= 0 || c.httpStatus >= 400) return {};
  const std::string& s = c.subtype;
  const char* kind = nullptr;
  if (s == "create") {
    kind = "Create";
  } else if (s == "read" || s == "vread") {
    kind = "Read";
  } else if (s == "update" || s == "patch") {
    kind = "Update";
  } else if (s == "delete") {
    kind = "Delete";
  } else if (s == "search-type" || s == "search-system" || s == "search-compartment") {
    kind = "Query";
  }
  if (kind == nullptr) return {};
  return std::string(kBalpProfileBase) + "IHE.BasicAudit." + (c.patient ? "Patient" : "") + kind;
}

void writeClientRoles(Writer& w, const AuditContext& c) {
  if (c.clientRole.empty() && c.clientTenant.empty()) return;
  w.Key("role");
  w.StartArray();
  if (!c.clientRole.empty()) writeCodeableConcept(w, kClientRoleSystem, c.clientRole, nullptr);
  if (!c.clientTenant.empty()) writeCodeableConcept(w, kTenantSystem, c.clientTenant, nullptr);
  w.EndArray();
}

// The requesting side (DICOM "Source Role ID"): the client system, or Brygga itself when it
// delivers outbound.
void writeSourceAgent(Writer& w, const AuditContext& c, bool requestor) {
  w.StartObject();
  w.Key("type");
  writeCodeableConcept(w, kDicom, "110153", "Source Role ID");
  writeClientRoles(w, c);
  w.Key("who");
  w.StartObject();
  if (!c.clientId.empty()) {
    w.Key("identifier");
    w.StartObject();
    writeMember(w, "system", kClientSystem);
    writeMember(w, "value", c.clientId);
    w.EndObject();
  }
  if (c.outbound) writeMember(w, "display", kGatewayName);
  w.EndObject();
  w.Key("requestor");
  w.Bool(requestor);
  writeNetwork(w, c.outbound ? c.serverAddress : c.clientAddress);
  w.EndObject();
}

// The answering side (DICOM "Destination Role ID"): Brygga, or the destination it delivers to.
void writeDestinationAgent(Writer& w, const AuditContext& c) {
  w.StartObject();
  w.Key("type");
  writeCodeableConcept(w, kDicom, "110152", "Destination Role ID");
  w.Key("who");
  w.StartObject();
  if (c.outbound) {
    if (!c.destination.empty()) {
      w.Key("identifier");
      w.StartObject();
      writeMember(w, "system", kDestinationSystem);
      writeMember(w, "value", c.destination);
      w.EndObject();
    }
  } else {
    writeMember(w, "display", kGatewayName);
  }
  w.EndObject();
  w.Key("requestor");
  w.Bool(false);
  // For an outbound event the peer is the destination, whose address the caller passes as the
  // peer address.
  writeNetwork(w, c.outbound ? c.clientAddress : c.serverAddress);
  w.EndObject();
}

// The person behind the request. BALP types the user agent by what they did: information
// recipient for reads and queries, agent for pushes.
void writeUserAgent(Writer& w, const AuditContext& c) {
  w.StartObject();
  w.Key("type");
  if (c.action == 'R') {
    writeCodeableConcept(w, kParticipationType, "IRCP", "information recipient");
  } else {
    writeCodeableConcept(w, kRoleClass, "AGNT", "agent");
  }
  w.Key("who");
  w.StartObject();
  w.Key("identifier");
  w.StartObject();
  writeMember(w, "system", kHsaIdSystem);
  writeMember(w, "value", c.userHsaId);
  w.EndObject();
  w.EndObject();
  w.Key("requestor");
  w.Bool(true);
  w.EndObject();
}

void writeEntity(Writer& w, const char* whatKey, std::string_view what, const char* typeSystem,
                 const char* typeCode, const char* typeDisplay, const char* roleCode,
                 const char* roleDisplay) {
  w.StartObject();
  w.Key("what");
  w.StartObject();
  if (std::string_view(whatKey) == "identifier") {
    w.Key("identifier");
    w.StartObject();
    writeMember(w, "value", what);
    w.EndObject();
  } else {
    writeMember(w, whatKey, what);
  }
  w.EndObject();
  w.Key("type");
  writeCoding(w, typeSystem, typeCode, typeDisplay);
  if (roleCode != nullptr) {
    w.Key("role");
    writeCoding(w, kObjectRole, roleCode, roleDisplay);
  }
  w.EndObject();
}

}  // namespace

std::string buildAuditEvent(const AuditContext& c, const std::string& id) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  writeMember(w, "resourceType", "AuditEvent");
  writeMember(w, "id", id);
  const std::string profile = balpProfile(c);
  if (!profile.empty()) {
    w.Key("meta");
    w.StartObject();
    w.Key("profile");
    w.StartArray();
    writeString(w, profile);
    w.EndArray();
    w.EndObject();
  }
  w.Key("type");
  if (c.subtype == "login") {
    // A refused (or accepted) login is a DICOM User Authentication event, not a REST interaction:
    // "login" is no restful-interaction code.
    writeCoding(w, kDicom, "110114", "User Authentication");
    w.Key("subtype");
    w.StartArray();
    writeCoding(w, kDicom, "110122", "Login");
    w.EndArray();
  } else {
    writeCoding(w, kAuditEventType, "rest", "Restful Operation");
    // "unknown": the interaction was never worked out (a request refused before routing), and an
    // invented code would be invalid, so there is no subtype.
    if (!c.subtype.empty() && c.subtype != "unknown") {
      w.Key("subtype");
      w.StartArray();
      writeCoding(w, kRestfulInteraction, c.subtype, nullptr);
      w.EndArray();
    }
  }
  const char action[2] = {c.action, '\0'};
  writeMember(w, "action", action);
  writeMember(w, "recorded", core::formatInstant(c.recordedMs));
  writeMember(w, "outcome", outcomeCode(c.httpStatus));
  if (!c.outcomeText.empty()) {
    writeMember(w, "outcomeDesc", c.outcomeText);
  } else if (c.httpStatus <= 0) {
    writeMember(w, "outcomeDesc", "no HTTP answer");
  } else {
    writeMember(w, "outcomeDesc", "HTTP " + std::to_string(c.httpStatus));
  }

  const bool hasUser = !c.userHsaId.empty();
  w.Key("agent");
  w.StartArray();
  // BALP: the client is the requestor unless a user is known, who then is.
  writeSourceAgent(w, c, !hasUser);
  writeDestinationAgent(w, c);
  if (hasUser) writeUserAgent(w, c);
  w.EndArray();

  w.Key("source");
  w.StartObject();
  w.Key("observer");
  w.StartObject();
  writeMember(w, "display", kGatewayName);
  w.EndObject();
  w.Key("type");
  w.StartArray();
  writeCoding(w, kSourceType, "4", "Application Server");
  w.EndArray();
  w.EndObject();

  // FHIR JSON has no empty arrays: an event that touched nothing identifiable has no entity.
  if (!c.patient && c.entities.empty() && c.query.empty() && c.requestId.empty()) {
    w.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
  }
  w.Key("entity");
  w.StartArray();
  if (c.patient) {
    writeEntity(w, "reference", *c.patient, kEntityType, "1", "Person", "1", "Patient");
  }
  for (const std::string& entity : c.entities) {
    writeEntity(w, "reference", entity, kEntityType, "2", "System Object", "4", "Domain Resource");
  }
  if (!c.query.empty()) {
    w.StartObject();
    w.Key("type");
    writeCoding(w, kEntityType, "2", "System Object");
    w.Key("role");
    writeCoding(w, kObjectRole, "24", "Query");
    writeMember(w, "query", core::base64Encode(c.query));
    w.EndObject();
  }
  if (!c.requestId.empty()) {
    writeEntity(w, "identifier", c.requestId, kBalpEntityType, "XrequestId", "X-Request-Id",
                nullptr, nullptr);
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace brygga::audit

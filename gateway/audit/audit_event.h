#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace brygga::audit {

// What happened, in the terms IHE BALP uses for a RESTful FHIR interaction.
struct AuditContext {
  int64_t recordedMs = 0;
  // BALP type is always rest (http://terminology.hl7.org/CodeSystem/audit-event-type#rest);
  // subtype is the FHIR interaction (http://hl7.org/fhir/restful-interaction): create, read,
  // vread, update, search-type, history-instance, transaction, batch, capabilities...
  std::string subtype;
  char action = 'E';  // C R U D E
  // outcome: 0 success (<400), 4 minor (4xx), 8 serious (5xx, and 0 = no answer at all)
  int httpStatus = 200;
  std::string outcomeText;  // PHI-free, e.g. the OperationOutcome's first diagnostic
  // Who asked: the client (a municipal system, the region, the integration team).
  std::string clientId;
  std::string clientTenant;
  std::string clientRole;
  std::string clientAddress;  // network address of the peer (outbound: the destination's URL)
  std::string userHsaId;      // the requesting person's HSA-id when known
  std::string serverAddress;  // this gateway's endpoint (outbound: may be empty)
  bool outbound = false;      // Brygga is the client (delivery) rather than the server
  std::string destination;    // outbound only
  std::string requestId;      // X-Request-Id: a transaction entity
  std::optional<std::string> patient;  // "Patient/123"
  std::vector<std::string> entities;   // "Type/id" of the resources touched
  std::string query;                   // search query string (may be empty)
};

// The AuditEvent JSON (FHIR R4), shaped as IHE BALP describes: type rest, subtype the
// interaction, the requesting agent (DICOM 110153 "Source Role ID") and the answering agent
// (110152 "Destination Role ID") with their network addresses, a user agent by HSA-id when known
// (then the requestor instead of the client system), source Brygga, and entities for the patient,
// the touched resources, the query (base64) and the X-Request-Id. A "login" (a refused
// identification) is typed as DICOM User Authentication (110114) / Login (110122) instead, and
// subtype "unknown" writes no subtype. Successful create/read/update/
// delete/search events also claim the matching BALP profile in meta.profile. Compact JSON in a
// fixed member order: the same context and id always give the same bytes (the chain hashes them).
std::string buildAuditEvent(const AuditContext& context, const std::string& id);

}  // namespace brygga::audit

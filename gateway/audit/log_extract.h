#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gateway/store/store.h"

// The PDL log extract (patientdatalagen 4 kap. 3 §, "loggutdrag"): for one patient, who accessed
// what, from which care unit, when and how, taken from the patient's audit records (refused
// attempts included: every request records its AuditEvent, and the patient is known before the
// access check). Pure formatting of stored records.
namespace brygga::audit {

// One audit record, read back from its AuditEvent for people.
struct ExtractEntry {
  int64_t seq = 0;
  std::string recorded;     // FHIR instant, UTC
  std::string who;          // the client system ("kungsbacka"), or Brygga for deliveries
  std::string careUnit;     // the client's tenant (municipality, region) and role
  std::string userHsaId;    // the person behind the request, when known
  std::string from;         // network address
  std::string interaction;  // read, search-type, create, ...
  std::string action;       // C R U D E
  std::string resources;    // touched resources, comma-separated
  bool success = false;
  std::string outcome;  // "success" / "refused: forbidden" / "failed: ..."
};

ExtractEntry toExtractEntry(const store::AuditRecord& record);

// A FHIR R4 Bundle (type collection) of the records' AuditEvents, oldest first.
std::string extractBundle(const std::vector<store::AuditRecord>& records, int64_t nowMs);

// A table for people in aligned columns under a header, one line per record, oldest first, with a
// heading naming the patient and the time the extract was made; times in Europe/Stockholm with
// the offset (core::formatStockholmForPeople).
std::string extractTable(const std::vector<store::AuditRecord>& records, const std::string& patient,
                         int64_t nowMs);

}  // namespace brygga::audit

#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "mappings/mapping_set.h"

// Synthetic home-care traffic for the six Halland municipalities (issue 4): enrollments at the
// short-term facilities and in ordinary housing, consultation and acute-visit requests, home
// visits and phone / video consultations with their notes, care-plan changes and discharges, in
// the shapes the municipal systems send. Facilities, areas and HSA-ids come from the routing table
// of the mapping files, so the traffic follows what the gateway routes. Patients carry test
// personnummer only (tests/support/test_personnummer.h: born 1900-1912, serial 900-999, valid
// Luhn). Deterministic for a seed. Not thread-safe.
namespace brygga::traffic {

struct Message {
  std::string kind;    // enrollment, consultation, acute-visit, visit, visit-note, care-plan,
                       // discharge
  std::string client;  // the sending municipality's client id (its dev token is dev-token-<id>)
  std::string method = "POST";
  std::string path = "/";  // below /fhir
  std::string body;        // a FHIR transaction Bundle or resource
};

struct Patient {
  int64_t number = 0;  // index into the personnummer series
  std::string personnummer;
  std::string tenant;
  std::string facilityCode;  // empty: ordinary housing
  std::string facilityName;
  std::string area;  // ordinary housing area (empty: the municipality's default)
  bool enrolled = false;
  std::string enrolledOn;  // the enrollment's period.start, kept by updates and the discharge
};

class Generator {
 public:
  // `mappings`: the routing table to draw facilities and areas from. `firstPatient`: where in the
  // personnummer series this run's patients start.
  Generator(std::shared_ptr<const mappings::MappingSet> mappings, uint64_t seed,
            int64_t firstPatient = 0);

  // The next message of a realistic mix: enrollments until enough patients are enrolled, then
  // mostly visits (40 % home visits, 50 % phone, 10 % video; half with a note) and consultation
  // requests (one in ten acute), some care-plan changes and discharges. `nowMs` dates them.
  Message next(int64_t nowMs);

  // One message of each flow, for tests and benchmarks.
  Patient newPatient();
  Message enrollment(Patient& patient, int64_t nowMs);
  Message consultation(const Patient& patient, bool acute, int64_t nowMs);
  Message visit(const Patient& patient, char modality /* 'H' home, 'P' phone, 'V' video */,
                bool withNote, int64_t nowMs);
  Message carePlan(const Patient& patient, int64_t nowMs);
  Message discharge(Patient& patient, int64_t nowMs);

 private:
  std::string nextId(const char* prefix);
  std::string uuid();
  Patient* randomEnrolled();

  std::shared_ptr<const mappings::MappingSet> mappings_;
  std::mt19937_64 rng_;
  uint64_t seed_;
  int64_t nextPatient_;
  int64_t counter_ = 0;
  std::vector<Patient> patients_;
};

}  // namespace brygga::traffic

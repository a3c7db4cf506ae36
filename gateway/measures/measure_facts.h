#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/store/store.h"

// What the follow-up measures count, read from one written resource (issue 13). The write
// pipeline calls factsOf for every resource a unit writes and replaces that resource's facts in
// the same unit, so the measures never read resources. Pure; thread-safe.
//
//   Encounter, class HH / VR (or the region's AMB by its type)   one "contact" (home-visit or
//                                                                 consultation) at period.start
//   Encounter, class IMP / ACUTE / NONAC                         one "admission" (period), and a
//                                                                 "diagnosis" per reason coding
//   EpisodeOfCare                                                "episode" segments: a new one
//                                                                 each time the responsible
//                                                                 service point or home against
//                                                                 short-term changes
//   Task                                                          one "request": received when
//                                                                 first written, outside hours
//                                                                 when Brygga rejected it so
//   Condition                                                     a "diagnosis" per coding
//
// An Encounter or EpisodeOfCare entered in error, cancelled or planned, a Task entered in error
// or draft, a Condition entered in error or refuted, and a deleted resource have none.
namespace brygga::measures {

struct FactInput {
  std::string type;
  std::string id;
  std::string patient;  // the Patient's id (store::ResourceRecord::patientId)
  std::string tenant;   // the owner (the municipality of an EpisodeOfCare)
  int64_t nowMs = 0;    // the write's time
  const rapidjson::Value* resource = nullptr;  // null: deleted
  std::vector<store::MeasureFact> previous;    // the resource's facts before this write
  // EpisodeOfCare: the residence is a short-term facility (mappings::residenceOf, with the
  // Location it refers to resolved by the caller).
  bool shortTermResidence = false;
};

// True for the types factsOf reads.
bool hasFacts(const std::string& type);

std::vector<store::MeasureFact> factsOf(const FactInput& input);

}  // namespace brygga::measures

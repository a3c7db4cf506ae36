#pragma once

#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/core/status.h"
#include "mappings/enrollment_forward.h"
#include "mappings/routing_table.h"

// Visits and visit notes (flow 3) and the region's encounters (flows 3 and 5).
//
// Municipality -> region: an Encounter of class HH (home visit) or VR (phone / video) becomes the
// Cambio COSMIC outpatient shape: class AMB, the modality in type (plus the KV kontakttyp code),
// serviceProvider and the performing-unit extension as HSA-ids of the responsible service point,
// period.start and period.end for a finished encounter; all by ConceptMap. A visit note (a
// Composition, LOINC-typed by ConceptMap) travels as a document Bundle indexed by a
// DocumentReference.
//
// Region -> municipality: an AMB encounter maps back to HH/VR by ConceptMap; an inpatient encounter
// is an admission, recorded for the readmission follow-up and not forwarded. Pure; thread-safe.
namespace brygga::mappings {

// Class IMP, ACUTE or NONAC (v3-ActCode): an inpatient stay.
bool isInpatient(const rapidjson::Value& encounter);
// meta.tag follow-up#readmission, for the follow-up measures.
void tagForReadmissionFollowUp(rapidjson::Value& encounter,
                               rapidjson::Document::AllocatorType& alloc);

// Reshapes a municipal HH/VR encounter for COSMIC in place. kUnprocessable naming the element
// when the class or type has no mapping or a finished encounter lacks a period end.
core::Status mapEncounterToRegion(rapidjson::Value& encounter,
                                  rapidjson::Document::AllocatorType& alloc,
                                  const MappingSet& mappings, const ServicePoint& servicePoint);
// Reshapes a COSMIC AMB encounter for the municipality in place (class HH/VR, municipal type).
core::Status mapEncounterToMunicipality(rapidjson::Value& encounter,
                                        rapidjson::Document::AllocatorType& alloc,
                                        const MappingSet& mappings);
// Composition.type to LOINC by the noteTypeToRegion ConceptMap.
core::Status translateNoteType(rapidjson::Value& composition,
                               rapidjson::Document::AllocatorType& alloc,
                               const MappingSet& mappings);

struct VisitForwardInput {
  std::vector<StoredResource> written;  // the Encounter and/or Composition / DocumentReference
  const ServicePoint* servicePoint = nullptr;
  std::string custodianHsaId;  // the municipality's unit, for a DocumentReference Brygga makes
  std::string custodianName;
};
// The transaction Bundle for the regional EHR: the encounter (COSMIC shape) as a conditional
// update; for a note, a document Bundle (Composition, Patient, Encounter; keyed on a name-based
// identifier) and a DocumentReference pointing at it (the municipality's, or one Brygga makes).
core::StatusOr<std::string> buildVisitForward(const VisitForwardInput& input,
                                              const FlowContext& context);

// The transaction Bundle for a municipality: the region's encounters (mapped back), care plans
// (activities translated back) and task updates, as conditional updates.
core::StatusOr<std::string> buildMunicipalityForward(const std::vector<StoredResource>& written,
                                                     const FlowContext& context);

}  // namespace brygga::mappings

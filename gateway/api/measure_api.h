#pragma once

#include <memory>
#include <string>

#include "gateway/api/endpoint.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/core/log.h"
#include "gateway/core/time_source.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/store/store.h"

// The follow-up Measures (issue 13), below /fhir/Measure (routed ahead of the FHIR API):
//   GET  /fhir/Measure                     a searchset Bundle of the Measures in force
//   GET  /fhir/Measure/{id}                one of them, as in mappings/data
//   GET|POST /fhir/Measure/{id}/$evaluate-measure?periodStart=YYYY-MM-DD&periodEnd=YYYY-MM-DD
//                                          a summary MeasureReport for whole Stockholm days (a
//                                          POST may instead carry the dates as a Parameters body)
// Figures only, never patient data: the integration, regional and follow-up roles may call it;
// a municipality gets 403. Every call is recorded (exchange line + AuditEvent). Thread-safe.
namespace brygga::api {

class MeasureApi final : public Endpoint {
 public:
  MeasureApi(flows::MappingRegistry& registry, store::Store& store, const core::TimeSource& clock,
             core::Logger& logger);

  ApiResponse handle(const ApiRequest& request) override;

 private:
  ApiResponse dispatch(const ApiRequest& request, Trace& trace);

  flows::MappingRegistry& registry_;
  store::Store& store_;
  const core::TimeSource& clock_;
  core::Logger& logger_;
  ExchangeRecorder recorder_;
};

// True for the roles that may read the follow-up figures.
bool readsFollowUp(core::ClientRole role);

}  // namespace brygga::api

#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gateway/api/endpoint.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/core/log.h"
#include "gateway/core/time_source.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/store/store.h"

// The follow-up figures (issue 13), routed ahead of the FHIR API. One instance serves each type:
//   GET  /fhir/Measure                     a searchset Bundle of the Measures in force (by _id,
//   url) GET  /fhir/Measure/{id}                one of them, as in mappings/data GET|POST
//   /fhir/Measure/{id}/$evaluate-measure?periodStart=YYYY-MM-DD&periodEnd=YYYY-MM-DD
//                                          a summary MeasureReport for whole Stockholm days (a
//                                          POST may instead carry the dates as a Parameters body)
//   GET  /fhir/MeasureReport               the reports kept when their months closed
//                                          (measures/month_closing.h), by _id, identifier,
//                                          measure and period
//   GET  /fhir/MeasureReport/{id}          one of them ("contacts-2026-11")
//   POST /fhir/{Measure|MeasureReport}/_search  the same search with a form body
// Searches page by _count and _offset; an unknown parameter is 400 not-supported naming the
// type's, left out under Prefer: handling=lenient. Figures only, never patient data: the
// integration, regional and follow-up roles may call it; a municipality gets 403. Every call is
// recorded (exchange line + AuditEvent). Thread-safe.
namespace brygga::api {

class MeasureApi final : public Endpoint {
 public:
  enum class Serves { kMeasure, kMeasureReport };

  MeasureApi(flows::MappingRegistry& registry, store::Store& store, const core::TimeSource& clock,
             core::Logger& logger, Serves serves = Serves::kMeasure);

  ApiResponse handle(const ApiRequest& request) override;

  // The search parameters of each type (for the CapabilityStatement).
  static const std::vector<std::string>& searchParamsOf(Serves serves);

 private:
  ApiResponse dispatch(const ApiRequest& request, Trace& trace);
  ApiResponse evaluate(const ApiRequest& request, const mappings::MeasureDefinition& measure,
                       const mappings::MappingSet& set, Trace& trace);
  ApiResponse readReport(const std::string& id, Trace& trace);
  ApiResponse search(const ApiRequest& request, const mappings::MappingSet& set,
                     std::vector<std::pair<std::string, std::string>> params, Trace& trace);

  flows::MappingRegistry& registry_;
  store::Store& store_;
  const core::TimeSource& clock_;
  core::Logger& logger_;
  const Serves serves_;
  ExchangeRecorder recorder_;
};

// True for the roles that may read the follow-up figures.
bool readsFollowUp(core::ClientRole role);

// The follow-up endpoints' caller check: 401 without credentials, 403 for a municipality;
// nullopt for a caller that may read the figures.
std::optional<ApiResponse> refuseFollowUpCaller(const ApiRequest& request);

}  // namespace brygga::api

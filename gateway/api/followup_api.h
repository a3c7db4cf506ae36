#pragma once

#include <string>

#include "gateway/api/endpoint.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/core/log.h"
#include "gateway/core/time_source.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/store/store.h"

// The console's follow-up page (issue 13), below /console/api/followup (routed ahead of the
// console's API): a year's figures of the follow-up Measures, month by month, as tables.
//   GET /console/api/followup?year=2026            every table as JSON (exact counts)
//   GET /console/api/followup/<table>.csv?year=... one table as CSV (contacts, patients,
//                                                  requests, readmissions); counts from 1 to 4
//                                                  read "<5" unless the caller has the
//                                                  integration role; lang=en for English
//                                                  headings (Swedish by default)
// The follow-up, regional and integration roles may call it; a municipality gets 403. Every call
// is recorded. Thread-safe.
namespace brygga::api {

class FollowUpApi final : public Endpoint {
 public:
  FollowUpApi(flows::MappingRegistry& registry, store::Store& store, const core::TimeSource& clock,
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

// "<5" for a count from 1 to 4 unless `exact`, else the number (Swedish health statistics'
// small-number rule for what is exported).
std::string maskedCount(int64_t count, bool exact);

}  // namespace brygga::api

#pragma once

#include "gateway/api/endpoint.h"
#include "gateway/api/exchange_recorder.h"
#include "gateway/core/log.h"
#include "gateway/core/time_source.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/store/store.h"

namespace brygga::api {

// The mapping files in force, below /admin/mappings, for the integration role only (401 without
// credentials, 403 for other roles). Answers are JSON; errors are OperationOutcomes.
//   GET  /admin/mappings          version (content hash), directory, files, when loaded, and the
//                                 last failed reload's error
//   POST /admin/mappings/reload   reads the directory again; 200 with the new version, or 422
//                                 naming the file and entry at fault while the previous mappings
//                                 stay in force
// Every call is recorded (exchange line + AuditEvent). Thread-safe.
class MappingsApi final : public Endpoint {
 public:
  MappingsApi(flows::MappingRegistry& registry, store::Store& store, const core::TimeSource& clock,
              core::Logger& logger);

  ApiResponse handle(const ApiRequest& request) override;

 private:
  ApiResponse dispatch(const ApiRequest& request, Trace& trace);
  std::string describe(const std::string& previous) const;

  flows::MappingRegistry& registry_;
  store::Store& store_;
  const core::TimeSource& clock_;
  core::Logger& logger_;
  ExchangeRecorder recorder_;
};

}  // namespace brygga::api

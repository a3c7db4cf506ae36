#pragma once

#include <cstdint>
#include <mutex>
#include <string>

#include "gateway/core/log.h"
#include "gateway/core/periodic_task.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/flows/mapping_registry.h"
#include "gateway/store/store.h"

namespace brygga::flows {

// Writes the service points as HealthcareService resources (shared: no tenant, readable by every
// client at GET /fhir/HealthcareService), a new version only when the content changed.
core::Status publishServicePoints(store::Store& store, const mappings::MappingSet& set,
                                  int64_t nowMs, core::Logger& logger);

// Keeps the published service points current: at start, after every mapping reload, and when the
// Stockholm date changes (notAvailable lists the coming closed days from today). Thread-safe.
class ServiceDirectory {
 public:
  ServiceDirectory(MappingRegistry& registry, store::Store& store, core::TimeSystem& clock,
                   core::Logger& logger);
  ~ServiceDirectory();
  ServiceDirectory(const ServiceDirectory&) = delete;
  ServiceDirectory& operator=(const ServiceDirectory&) = delete;

  core::Status publishNow();
  // A thread that looks every `checkMs` whether the date changed.
  void start(int64_t checkMs = 10 * 60 * 1000);
  void stop();

 private:
  MappingRegistry& registry_;
  store::Store& store_;
  const core::TimeSource& clock_;
  core::Logger& logger_;
  std::mutex mutex_;          // guards publishedFor_
  std::string publishedFor_;  // the Stockholm date of the last publication
  core::PeriodicTask task_;
};

}  // namespace brygga::flows

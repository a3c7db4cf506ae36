#include "gateway/flows/service_directory.h"

#include <chrono>

#include "gateway/core/civil_time.h"
#include "gateway/fhir/json.h"
#include "gateway/fhir/resource_index.h"
#include "mappings/healthcare_service.h"

namespace brygga::flows {

namespace {

// The stored JSON without the store's stamp, to compare with a freshly built resource.
std::string withoutStamp(const std::string& json) {
  auto doc = fhir::parseJson(json);
  if (!doc.isOk() || !doc->IsObject()) return {};
  if (doc->HasMember("meta") && (*doc)["meta"].IsObject()) {
    (*doc)["meta"].RemoveMember("versionId");
    (*doc)["meta"].RemoveMember("lastUpdated");
  }
  return fhir::toJson(*doc);
}

}  // namespace

core::Status publishServicePoints(store::Store& store, const mappings::MappingSet& set,
                                  int64_t nowMs, core::Logger& logger) {
  int written = 0;
  core::Status s = store.write([&](store::StoreTransaction& txn) -> core::Status {
    written = 0;
    for (const auto& service : mappings::buildHealthcareServices(set, nowMs)) {
      BRYGGA_ASSIGN_OR_RETURN(auto current, txn.resources().readCurrent(service.type, service.id));
      if (current && !current->deleted && withoutStamp(current->json) == service.json) continue;
      BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, fhir::parseJson(service.json));
      const int64_t version = current ? current->version + 1 : 1;
      fhir::stampMeta(doc, doc.GetAllocator(), service.id, version, nowMs);
      store::ResourceWrite write;
      write.record.type = service.type;
      write.record.id = service.id;
      write.record.version = version;
      write.record.lastUpdatedMs = nowMs;
      write.record.json = fhir::toJson(doc);
      for (auto& v : fhir::extractIndex(doc)) {
        write.index.push_back({std::move(v.param), std::move(v.system), std::move(v.value)});
      }
      BRYGGA_RETURN_IF_ERROR(txn.resources().putResource(write));
      ++written;
    }
    return core::Status::ok();
  });
  if (s.isOk() && written > 0) {
    logger.info("flows.service_points_published",
                {{"written", std::to_string(written)}, {"mappings", set.version()}});
  }
  return s;
}

ServiceDirectory::ServiceDirectory(MappingRegistry& registry, store::Store& store,
                                   core::TimeSystem& clock, core::Logger& logger)
    : registry_(registry), store_(store), clock_(clock), logger_(logger), task_(clock) {}

ServiceDirectory::~ServiceDirectory() {
  stop();
}

core::Status ServiceDirectory::publishNow() {
  auto set = registry_.current();
  if (!set) return core::unavailable("no mappings loaded");
  const int64_t now = clock_.nowMs();
  core::Status s = publishServicePoints(store_, *set, now, logger_);
  if (s.isOk()) {
    std::lock_guard<std::mutex> lock(mutex_);
    publishedFor_ = core::toStockholm(now).date.iso();
  } else {
    logger_.error("flows.publish_failed", {{"error", s.message()}});
  }
  return s;
}

void ServiceDirectory::start(int64_t checkMs) {
  const std::chrono::milliseconds check(checkMs);
  task_.start(
      [this, check] {
        std::string published;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          published = publishedFor_;
        }
        if (core::toStockholm(clock_.nowMs()).date.iso() != published) {
          // publishNow logs a failure; publishedFor_ stays, so the next look tries again.
          publishNow().ignoreError();
        }
        return core::PeriodicTask::Next::after(check);
      },
      check);
}

void ServiceDirectory::stop() {
  task_.stop();
}

}  // namespace brygga::flows

#include "gateway/write/search_index.h"

#include <string>

#include "gateway/access/protected_identity.h"
#include "gateway/fhir/resource_index.h"
#include "gateway/fhir/resource_types.h"

namespace brygga::write {

namespace {

constexpr int kReindexPage = 500;

}  // namespace

std::vector<store::IndexEntry> searchIndexOf(const rapidjson::Value& resource) {
  std::vector<store::IndexEntry> index;
  for (auto& v : fhir::extractIndex(resource)) {
    if (v.param == "patient" || v.param == "subject") continue;  // one "patient" entry below
    if (v.param == "address-city" && access::confidentialityOf(resource)) continue;
    index.push_back({std::move(v.param), std::move(v.system), std::move(v.value)});
  }
  if (auto patient = fhir::patientReferenceOf(resource)) {
    index.push_back({"patient", "", *patient});
  }
  return index;
}

core::StatusOr<int64_t> reindexIfBehind(store::Store& store) {
  int64_t reindexed = 0;
  core::Status done = store.write([&](store::StoreTransaction& txn) -> core::Status {
    store::ResourceUnit& resources = txn.resources();
    BRYGGA_ASSIGN_OR_RETURN(int version, resources.searchIndexVersion());
    if (version >= kSearchIndexVersion) return core::Status::ok();
    for (std::string_view type : fhir::supportedResourceTypes()) {
      store::SearchQuery query;
      query.type = std::string(type);
      query.count = kReindexPage;
      query.sort.push_back({"_id", false});
      for (;; query.offset += kReindexPage) {
        BRYGGA_ASSIGN_OR_RETURN(store::SearchPage page, resources.search(query));
        for (const store::ResourceRecord& r : page.records) {
          rapidjson::Document doc;
          doc.Parse(r.json.c_str(), r.json.size());
          if (doc.HasParseError()) {
            return core::internalError("the stored " + r.type + "/" + r.id +
                                       " is not JSON; its search index cannot be rebuilt");
          }
          BRYGGA_RETURN_IF_ERROR(resources.replaceIndex(r.type, r.id, searchIndexOf(doc)));
          ++reindexed;
        }
        if (static_cast<int>(page.records.size()) < kReindexPage) break;
      }
    }
    return resources.setSearchIndexVersion(kSearchIndexVersion);
  });
  if (!done.isOk()) return done;
  return reindexed;
}

}  // namespace brygga::write

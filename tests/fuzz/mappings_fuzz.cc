// libFuzzer target for the mapping files (mappings/data: routing, service hours, flow settings,
// ConceptMaps), which the integration team edits and a reload reads into a running gateway. The
// first input byte picks which of the real files the rest of the input replaces; the others stay
// as shipped, so the cross-checks between files are reached too. A set that loads is then asked
// what the flows ask of it. Nothing may crash, hang or assert; a refusal is kInvalidArgument.
#include <string>
#include <vector>

#include "gateway/flows/mapping_registry.h"
#include "mappings/mapping_set.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace brygga;
  using fuzz::require;
  static const std::vector<mappings::MappingFile> shipped = [] {
    auto files = flows::readMappingFiles(BRYGGA_SOURCE_DIR "/mappings/data");
    require(files.isOk() && !files->empty());
    return *files;
  }();
  if (size == 0) return 0;

  std::vector<mappings::MappingFile> files = shipped;
  files[data[0] % files.size()].content = std::string(fuzz::asText(data + 1, size - 1));
  auto set = mappings::MappingSet::parse(std::move(files));
  if (!set.isOk()) {
    require(set.status().code() == core::StatusCode::kInvalidArgument);
    return 0;
  }
  const mappings::MappingSet& loaded = **set;
  // Midsummer Eve 2026 at 10:00 and a weekday evening, for the calendar and every service point.
  for (const int64_t atMs : {1781856000000LL, 1782234000000LL}) {
    require(!loaded.hours().at(atMs).text().empty());
    for (const auto& point : loaded.routing().servicePoints()) {
      require(!loaded.hours().at(atMs, point.code).text().empty());
    }
  }
  for (const auto& municipality : loaded.routing().municipalities()) {
    (void)loaded.routing().forArea(municipality.tenant, "");
  }
  for (const auto& [url, map] : loaded.conceptMaps()) {
    for (const auto& group : map.groups()) {
      for (const auto& [code, targets] : group.elements) (void)map.translate(group.source, code);
    }
  }
  return 0;
}

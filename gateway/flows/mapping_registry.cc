#include "gateway/flows/mapping_registry.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace brygga::flows {

namespace fs = std::filesystem;

std::string installedMappingsDirectory(const std::string& executable) {
  const fs::path bin = fs::path(executable).parent_path();
  return (bin / ".." / "share" / "brygga" / "mappings").lexically_normal().string();
}

std::string defaultMappingsDirectory() {
  // The executable itself, not argv[0]: a symbolic link to it, or a PATH lookup, would name
  // another directory.
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return installedMappingsDirectory(ec ? std::string("bin/brygga") : self.string());
}

std::string mappingsDirectory(const MappingsConfig& config) {
  return config.directory.empty() ? defaultMappingsDirectory() : config.directory;
}

core::StatusOr<std::vector<mappings::MappingFile>> readMappingFiles(const std::string& directory) {
  std::vector<mappings::MappingFile> files;
  std::error_code ec;
  fs::directory_iterator it(directory, ec);
  if (ec) {
    return core::invalidArgument("mappings: cannot read the directory " + directory + ": " +
                                 ec.message() +
                                 " (mappings.directory names it; unset, the mapping data "
                                 "installed beside the binary, <prefix>/share/brygga/mappings)");
  }
  for (const auto& entry : it) {
    if (entry.path().extension() != ".json" || !entry.is_regular_file(ec)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) return core::invalidArgument("mappings: cannot read " + entry.path().string());
    std::ostringstream ss;
    ss << in.rdbuf();
    files.push_back({entry.path().filename().string(), ss.str()});
  }
  if (files.empty()) {
    return core::invalidArgument("mappings: no *.json files in " + directory);
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  return files;
}

core::StatusOr<std::shared_ptr<const mappings::MappingSet>> loadMappings(
    const std::string& directory, const std::vector<std::string>& destinations) {
  BRYGGA_ASSIGN_OR_RETURN(auto files, readMappingFiles(directory));
  BRYGGA_ASSIGN_OR_RETURN(auto set, mappings::MappingSet::parse(std::move(files)));
  const auto& points = set->routing().servicePoints();
  for (size_t i = 0; i < points.size(); ++i) {
    if (std::find(destinations.begin(), destinations.end(), points[i].destination) ==
        destinations.end()) {
      return core::invalidArgument("routing.json: servicePoints[" + std::to_string(i) + "] (" +
                                   points[i].name + ").destination: '" + points[i].destination +
                                   "' is not a configured destination (destinations." +
                                   points[i].destination + ".baseUrl)");
    }
  }
  return set;
}

MappingRegistry::MappingRegistry(std::string directory, std::vector<std::string> destinations,
                                 core::Logger& logger, const core::TimeSource& clock)
    : directory_(std::move(directory)),
      destinations_(std::move(destinations)),
      logger_(logger),
      clock_(clock) {}

core::Status MappingRegistry::load() {
  auto set = reload();
  return set.isOk() ? core::Status::ok() : set.status();
}

core::StatusOr<std::shared_ptr<const mappings::MappingSet>> MappingRegistry::reload() {
  std::lock_guard<std::mutex> one(reloadMutex_);
  auto set = loadMappings(directory_, destinations_);
  std::vector<std::function<void(const mappings::MappingSet&)>> listeners;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!set.isOk()) {
      lastError_ = set.status().message();
      logger_.error("mappings.reload_failed",
                    {{"directory", directory_},
                     {"error", lastError_},
                     {"keeping", current_ ? current_->version() : std::string("none")}});
      return set.status();
    }
    const std::string previous = current_ ? current_->version() : std::string();
    current_ = *set;
    lastError_.clear();
    loadedAtMs_ = clock_.nowMs();
    listeners = listeners_;
    logger_.info("mappings.loaded", {{"directory", directory_},
                                     {"version", (*set)->version()},
                                     {"previous", previous},
                                     {"files", std::to_string((*set)->fileNames().size())}});
  }
  for (const auto& listener : listeners) listener(**set);
  return set;
}

std::shared_ptr<const mappings::MappingSet> MappingRegistry::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

std::string MappingRegistry::lastError() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lastError_;
}

int64_t MappingRegistry::loadedAtMs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return loadedAtMs_;
}

void MappingRegistry::onChange(std::function<void(const mappings::MappingSet&)> listener) {
  std::lock_guard<std::mutex> lock(mutex_);
  listeners_.push_back(std::move(listener));
}

}  // namespace brygga::flows

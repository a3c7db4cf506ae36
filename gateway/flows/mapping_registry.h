#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/core/log.h"
#include "gateway/core/status.h"
#include "gateway/core/time_source.h"
#include "gateway/flows/mappings_config.h"
#include "mappings/mapping_set.h"

// Reading the mapping files (mappings/data/*.json) and keeping the set in force. A reload that
// fails leaves the previous set running; requests in flight keep the set they started with.
namespace brygga::flows {

// Where the mapping files are installed for the executable at `executable`:
// <its directory>/../share/brygga/mappings (so /usr/bin/brygga reads /usr/share/brygga/mappings,
// and build/bin/brygga the build tree's build/share/brygga/mappings). Pure.
std::string installedMappingsDirectory(const std::string& executable);

// installedMappingsDirectory() of the running executable: where the mapping files are read from
// when the config names no directory.
std::string defaultMappingsDirectory();

// The directory `config` names (made absolute beside the config file by the loader), else
// defaultMappingsDirectory().
std::string mappingsDirectory(const MappingsConfig& config);

// Every *.json file of `directory`, by name. kInvalidArgument naming the directory when it cannot
// be read or holds no JSON file.
core::StatusOr<std::vector<mappings::MappingFile>> readMappingFiles(const std::string& directory);

// Reads and parses the directory, and checks it against the configured destinations: every
// service point's destination must be configured (its requests could not be delivered otherwise).
core::StatusOr<std::shared_ptr<const mappings::MappingSet>> loadMappings(
    const std::string& directory, const std::vector<std::string>& destinations);

// Thread-safe.
class MappingRegistry {
 public:
  MappingRegistry(std::string directory, std::vector<std::string> destinations,
                  core::Logger& logger, const core::TimeSource& clock);

  // Loads the directory; the first load must succeed for the gateway to start.
  core::Status load();
  // Loads it again. On error the set in force stays and the error (naming the file and entry) is
  // returned and logged; on success the listeners are told.
  core::StatusOr<std::shared_ptr<const mappings::MappingSet>> reload();

  // The set in force (null before a successful load).
  std::shared_ptr<const mappings::MappingSet> current() const;
  const std::string& directory() const { return directory_; }
  // The last reload error ("" after a success) and when the set in force was loaded.
  std::string lastError() const;
  int64_t loadedAtMs() const;

  // Called (on the reloading thread) after each successful load, with the new set.
  void onChange(std::function<void(const mappings::MappingSet&)> listener);

 private:
  const std::string directory_;
  const std::vector<std::string> destinations_;
  core::Logger& logger_;
  const core::TimeSource& clock_;
  std::mutex reloadMutex_;  // one reload at a time
  mutable std::mutex mutex_;
  std::shared_ptr<const mappings::MappingSet> current_;
  std::string lastError_;
  int64_t loadedAtMs_ = 0;
  std::vector<std::function<void(const mappings::MappingSet&)>> listeners_;
};

}  // namespace brygga::flows

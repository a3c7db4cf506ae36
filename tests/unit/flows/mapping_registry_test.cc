// Loading the mapping files from a directory: a bad reload keeps the mappings in force.
#include "gateway/flows/mapping_registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/simulated_time_system.h"
#include "tests/support/test_support.h"

namespace brygga::flows {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class MappingRegistryTest : public ::testing::Test {
 protected:
  MappingRegistryTest() : clock_(1000), logger_(log_) {
    fs::copy(fs::path(BRYGGA_SOURCE_DIR) / "mappings/data", dir());
  }
  std::string dir() const { return temp_.path() + "/data"; }
  void replaceIn(const std::string& file, const std::string& from, const std::string& to) {
    const std::string path = dir() + "/" + file;
    std::ifstream in(path);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    ASSERT_NE(text.find(from), std::string::npos);
    text.replace(text.find(from), from.size(), to);
    std::ofstream(path, std::ios::binary) << text;
  }

  testing::TempDir temp_;
  testing::SimulatedTimeSystem clock_;
  std::ostringstream log_;
  core::Logger logger_;
};

TEST_F(MappingRegistryTest, ABadReloadKeepsThePreviousMappingsAndSaysWhy) {
  MappingRegistry registry(dir(), {"regional"}, logger_, clock_);
  ASSERT_TRUE(registry.load().isOk()) << registry.lastError();
  const std::string first = registry.current()->version();
  int changes = 0;
  registry.onChange([&](const mappings::MappingSet&) { ++changes; });

  replaceIn("routing.json", R"("code": "smedjan")", R"("code": "")");
  auto bad = registry.reload();
  ASSERT_FALSE(bad.isOk());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("routing.json: facilities[0] (Smedjan).code: must be a non-empty string"));
  EXPECT_EQ(registry.current()->version(), first);
  EXPECT_THAT(registry.lastError(), HasSubstr("routing.json"));
  EXPECT_EQ(changes, 0);
  EXPECT_THAT(log_.str(), HasSubstr("mappings.reload_failed"));

  replaceIn("routing.json", R"("code": "")", R"("code": "smedjan-kb")");
  clock_.setSystemTimeMs(5000);
  auto good = registry.reload();
  ASSERT_TRUE(good.isOk()) << good.status().toString();
  EXPECT_NE(registry.current()->version(), first);
  EXPECT_EQ(registry.lastError(), "");
  EXPECT_EQ(registry.loadedAtMs(), 5000);
  EXPECT_EQ(changes, 1);
}

TEST_F(MappingRegistryTest, AServicePointsDestinationMustBeConfigured) {
  MappingRegistry registry(dir(), {"kungsbacka"}, logger_, clock_);
  core::Status s = registry.load();
  ASSERT_FALSE(s.isOk());
  EXPECT_THAT(s.message(), HasSubstr("routing.json: servicePoints[0] (Kungsbacka).destination: "
                                     "'regional' is not a configured destination"));
}

TEST_F(MappingRegistryTest, AMissingDirectoryOrNoFilesIsNamed) {
  MappingRegistry missing(temp_.path() + "/nowhere", {"regional"}, logger_, clock_);
  EXPECT_THAT(missing.load().message(), HasSubstr("cannot read the directory"));
  fs::create_directories(temp_.path() + "/empty");
  MappingRegistry empty(temp_.path() + "/empty", {"regional"}, logger_, clock_);
  EXPECT_THAT(empty.load().message(), HasSubstr("no *.json files"));
}

TEST(MappingsDirectory, IsInstalledBesideTheBinaryUnlessTheConfigNamesOne) {
  EXPECT_EQ(installedMappingsDirectory("/usr/bin/brygga"), "/usr/share/brygga/mappings");
  EXPECT_EQ(installedMappingsDirectory("/opt/brygga/bin/brygga"),
            "/opt/brygga/share/brygga/mappings");
  EXPECT_EQ(installedMappingsDirectory("/work/build/bin/brygga"),
            "/work/build/share/brygga/mappings");
  EXPECT_EQ(mappingsDirectory(MappingsConfig{"/etc/brygga/mappings"}), "/etc/brygga/mappings");
  EXPECT_EQ(mappingsDirectory(MappingsConfig{}), defaultMappingsDirectory());
}

}  // namespace
}  // namespace brygga::flows

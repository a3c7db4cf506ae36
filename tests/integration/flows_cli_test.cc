// The flows as an operator meets them on the command line: `brygga hours` answers from the
// calendar of the mapping files, and SIGHUP reloads those files in a running `brygga serve`.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/integration/harness.h"
#include "tests/integration/process.h"

namespace brygga::testing {
namespace {

namespace fs = std::filesystem;

std::string firstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// No config: build/bin/brygga reads the mapping data from build/share/brygga/mappings, where an
// installed one has it too.
TEST(HoursCommand, SaysOpenOrClosedAndWhy) {
  auto open = runBrygga("hours --at 2026-11-23T10:00");
  EXPECT_EQ(open.exitCode, 0) << open.output;
  EXPECT_EQ(firstLine(open.output), "open: service hours (08:00-16:30 Mon-Fri)");

  auto midsummer = runBrygga("hours --at 2026-06-19T10:00 --service-point Kungsbacka");
  EXPECT_EQ(midsummer.exitCode, 0);
  EXPECT_EQ(firstLine(midsummer.output).rfind("closed: Midsummer Eve; on-call service open: ", 0),
            0u)
      << midsummer.output;
  EXPECT_NE(midsummer.output.find("time: 2026-06-19 10:00:00 +02:00 (Europe/Stockholm)"),
            std::string::npos)
      << midsummer.output;
  EXPECT_NE(midsummer.output.find("service point: Kungsbacka"), std::string::npos);

  // 16:45 on a Thursday in winter, given in UTC.
  auto gap = runBrygga("hours --at 2026-12-03T15:45:00Z");
  EXPECT_EQ(firstLine(gap.output)
                .rfind("closed: outside service hours (08:00-16:30 Mon-Fri); "
                       "no one is available until the on-call service",
                       0),
            0u)
      << gap.output;

  auto unknown = runBrygga("hours --at 2026-11-23T10:00 --service-point Göteborg");
  EXPECT_EQ(unknown.exitCode, 64);
  EXPECT_NE(unknown.output.find("unknown service point"), std::string::npos);
  // A day alone: the answer for the whole day.
  auto christmasEve = runBrygga("hours --at 2026-12-24");
  EXPECT_EQ(christmasEve.exitCode, 0) << christmasEve.output;
  EXPECT_EQ(firstLine(christmasEve.output).rfind("closed: Christmas Eve", 0), 0u)
      << christmasEve.output;
  EXPECT_NE(christmasEve.output.find("day: 2026-12-24 (Thursday), the whole day"),
            std::string::npos)
      << christmasEve.output;
  auto workday = runBrygga("hours --at 2026-12-23 --service-point Kungsbacka");
  EXPECT_EQ(firstLine(workday.output), "open: service hours (08:00-16:30 Mon-Fri)")
      << workday.output;
  EXPECT_EQ(runBrygga("hours --at 2026-02-30").exitCode, 64);
  EXPECT_EQ(runBrygga("hours").exitCode, 64);
  EXPECT_EQ(runBrygga("hours --at tomorrow").exitCode, 64);
}

// A relative mappings.directory is read beside the config file, not in the working directory; a
// broken file there stops the command naming it.
TEST(HoursCommand, ARelativeMappingsDirectoryIsReadBesideTheConfigFile) {
  TempDir dir;
  fs::create_directory(dir.file("etc"));
  fs::copy(fs::path(BRYGGA_SOURCE_DIR) / "mappings/data", dir.file("etc/mappings"));
  std::ofstream(dir.file("etc/config.json")) << R"({"mappings":{"directory":"mappings"}})";
  const std::string brygga = "cd " + dir.path() + " && " + BRYGGA_BIN;

  const RunResult good =
      runCommand(brygga + " hours --at 2026-11-23T10:00 --config etc/config.json");
  EXPECT_EQ(good.exitCode, 0) << good.output;
  EXPECT_NE(good.output.find("(" + dir.file("etc/mappings") + ")"), std::string::npos)
      << good.output;

  // A good copy in the working directory does not stand in for the broken one beside the config.
  fs::copy(fs::path(BRYGGA_SOURCE_DIR) / "mappings/data", dir.file("mappings"));
  std::ofstream(dir.file("etc/mappings/service-hours.json"), std::ios::binary | std::ios::app)
      << "}";
  const RunResult broken =
      runCommand(brygga + " hours --at 2026-11-23T10:00 --config etc/config.json");
  EXPECT_EQ(broken.exitCode, 78) << broken.output;
  EXPECT_NE(broken.output.find("service-hours.json"), std::string::npos) << broken.output;
}

// Installed (cmake --install), the gateway reads the mapping data installed beside it,
// <prefix>/share/brygga/mappings, from any working directory, and nothing in the source or build
// tree stands in for it.
TEST(HoursCommand, AnInstalledGatewayReadsTheMappingDataInstalledBesideIt) {
  TempDir dir;
  const std::string prefix = dir.file("prefix");
  const RunResult installed = runCommand(std::string(BRYGGA_CMAKE) + " --install " +
                                         BRYGGA_BINARY_DIR + " --prefix " + prefix);
  ASSERT_EQ(installed.exitCode, 0) << installed.output;
  ASSERT_TRUE(fs::is_regular_file(prefix + "/share/brygga/mappings/service-hours.json"));
  const std::string brygga = "cd " + dir.path() + " && " + prefix + "/bin/brygga";

  const RunResult open = runCommand(brygga + " hours --at 2026-11-23T10:00");
  EXPECT_EQ(open.exitCode, 0) << open.output;
  EXPECT_EQ(firstLine(open.output), "open: service hours (08:00-16:30 Mon-Fri)");

  fs::remove_all(prefix + "/share/brygga/mappings");
  const RunResult missing = runCommand(brygga + " hours --at 2026-11-23T10:00");
  EXPECT_EQ(missing.exitCode, 78) << missing.output;
  EXPECT_NE(missing.output.find(prefix + "/share/brygga/mappings"), std::string::npos)
      << missing.output;
  EXPECT_NE(missing.output.find("mappings.directory"), std::string::npos) << missing.output;
}

TEST(ServeReload, SighupReloadsTheMappingFiles) {
  TempDir dir;
  fs::copy(fs::path(BRYGGA_SOURCE_DIR) / "mappings/data", dir.file("mappings"));
  std::ofstream(dir.file("config.json"))
      << R"({"server":{"httpPort":0,"httpsPort":-1},"dataDir":")" << dir.file("data")
      << R"(","mappings":{"directory":")" << dir.file("mappings") << R"("}})";
  const ServeProcess served = startServe(dir.file("config.json"));
  const int port = served.port;
  const pid_t pid = served.pid;
  ASSERT_GT(port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/admin/mappings";
  auto version = [&] {
    auto r = httpCall("GET", url, "", {{"Authorization", "Bearer " + tokenOf("integration")}});
    return r.status == 200 ? std::string(parse(r.body)["version"].GetString()) : std::string();
  };
  const std::string before = version();
  ASSERT_FALSE(before.empty());

  {
    std::ifstream in(dir.file("mappings/service-hours.json"));
    std::string text((std::istreambuf_iterator<char>(in)), {});
    text.replace(text.find(R"("extraOpenDays": [])"), 19,
                 R"("extraOpenDays": [{"date": "2026-12-28", "reason": "Cover"}])");
    std::ofstream(dir.file("mappings/service-hours.json"), std::ios::binary) << text;
  }
  ASSERT_EQ(kill(pid, SIGHUP), 0);
  std::string after;
  EXPECT_TRUE(waitUntil([&] { return (after = version()) != before; }, 5000));
  EXPECT_NE(after, before);
  EXPECT_FALSE(after.empty()) << "the gateway did not survive SIGHUP";

  EXPECT_TRUE(stopServe(served, SIGTERM));
}

}  // namespace
}  // namespace brygga::testing

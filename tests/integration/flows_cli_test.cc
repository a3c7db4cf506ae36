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

// A config naming the repository's mapping files (the binary runs in the build tree).
std::string mappingsFlag() {
  static TempDir dir;
  static const std::string path = [] {
    std::ofstream(dir.file("config.json"))
        << R"({"mappings":{"directory":")" << BRYGGA_SOURCE_DIR << R"(/mappings/data"}})";
    return dir.file("config.json");
  }();
  return "--config " + path;
}

TEST(HoursCommand, SaysOpenOrClosedAndWhy) {
  auto open = runBrygga("hours --at 2026-11-23T10:00 " + mappingsFlag());
  EXPECT_EQ(open.exitCode, 0) << open.output;
  EXPECT_EQ(firstLine(open.output), "open: service hours (08:00-16:30 Mon-Fri)");

  auto midsummer =
      runBrygga("hours --at 2026-06-19T10:00 --service-point Kungsbacka " + mappingsFlag());
  EXPECT_EQ(midsummer.exitCode, 0);
  EXPECT_EQ(firstLine(midsummer.output).rfind("closed: Midsummer Eve; on-call service open: ", 0),
            0u)
      << midsummer.output;
  EXPECT_NE(midsummer.output.find("time: 2026-06-19T10:00:00+02:00"), std::string::npos);
  EXPECT_NE(midsummer.output.find("service point: Kungsbacka"), std::string::npos);

  // 16:45 on a Thursday in winter, given in UTC.
  auto gap = runBrygga("hours --at 2026-12-03T15:45:00Z " + mappingsFlag());
  EXPECT_EQ(firstLine(gap.output)
                .rfind("closed: outside service hours (08:00-16:30 Mon-Fri); "
                       "no one is available until the on-call service",
                       0),
            0u)
      << gap.output;

  auto unknown =
      runBrygga("hours --at 2026-11-23T10:00 --service-point Göteborg " + mappingsFlag());
  EXPECT_EQ(unknown.exitCode, 64);
  EXPECT_NE(unknown.output.find("unknown service point"), std::string::npos);
  EXPECT_EQ(runBrygga("hours " + mappingsFlag()).exitCode, 64);
  EXPECT_EQ(runBrygga("hours --at tomorrow " + mappingsFlag()).exitCode, 64);
}

TEST(HoursCommand, ABrokenMappingFileIsNamed) {
  TempDir dir;
  fs::copy(fs::path(BRYGGA_SOURCE_DIR) / "mappings/data", dir.file("mappings"));
  std::ofstream(dir.file("mappings/service-hours.json"), std::ios::binary | std::ios::app) << "}";
  std::ofstream(dir.file("config.json"))
      << R"({"mappings":{"directory":")" << dir.file("mappings") << R"("}})";
  auto r = runBrygga("hours --at 2026-11-23T10:00 --config " + dir.file("config.json"));
  EXPECT_EQ(r.exitCode, 78) << r.output;
  EXPECT_NE(r.output.find("service-hours.json"), std::string::npos) << r.output;
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

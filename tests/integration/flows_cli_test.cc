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

namespace brygga::testing {
namespace {

namespace fs = std::filesystem;

struct RunResult {
  int exitCode = -1;
  std::string output;
};

RunResult run(const std::string& args) {
  std::string cmd = std::string(BRYGGA_BIN) + " " + args + " 2>&1";
  RunResult r;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  int status = pclose(pipe);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

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
  auto open = run("hours --at 2026-11-23T10:00 " + mappingsFlag());
  EXPECT_EQ(open.exitCode, 0) << open.output;
  EXPECT_EQ(firstLine(open.output), "open: service hours (08:00-16:30 Mon-Fri)");

  auto midsummer = run("hours --at 2026-06-19T10:00 --service-point Kungsbacka " + mappingsFlag());
  EXPECT_EQ(midsummer.exitCode, 0);
  EXPECT_EQ(firstLine(midsummer.output).rfind("closed: Midsummer Eve; on-call service open: ", 0),
            0u)
      << midsummer.output;
  EXPECT_NE(midsummer.output.find("time: 2026-06-19T10:00:00+02:00"), std::string::npos);
  EXPECT_NE(midsummer.output.find("service point: Kungsbacka"), std::string::npos);

  // 16:45 on a Thursday in winter, given in UTC.
  auto gap = run("hours --at 2026-12-03T15:45:00Z " + mappingsFlag());
  EXPECT_EQ(firstLine(gap.output)
                .rfind("closed: outside service hours (08:00-16:30 Mon-Fri); "
                       "no one is available until the on-call service",
                       0),
            0u)
      << gap.output;

  auto unknown = run("hours --at 2026-11-23T10:00 --service-point Göteborg " + mappingsFlag());
  EXPECT_EQ(unknown.exitCode, 64);
  EXPECT_NE(unknown.output.find("unknown service point"), std::string::npos);
  EXPECT_EQ(run("hours " + mappingsFlag()).exitCode, 64);
  EXPECT_EQ(run("hours --at tomorrow " + mappingsFlag()).exitCode, 64);
}

TEST(HoursCommand, ABrokenMappingFileIsNamed) {
  TempDir dir;
  fs::copy(fs::path(BRYGGA_SOURCE_DIR) / "mappings/data", dir.file("mappings"));
  std::ofstream(dir.file("mappings/service-hours.json"), std::ios::binary | std::ios::app) << "}";
  std::ofstream(dir.file("config.json"))
      << R"({"mappings":{"directory":")" << dir.file("mappings") << R"("}})";
  auto r = run("hours --at 2026-11-23T10:00 --config " + dir.file("config.json"));
  EXPECT_EQ(r.exitCode, 78) << r.output;
  EXPECT_NE(r.output.find("service-hours.json"), std::string::npos) << r.output;
}

TEST(ServeReload, SighupReloadsTheMappingFiles) {
  TempDir dir;
  fs::copy(fs::path(BRYGGA_SOURCE_DIR) / "mappings/data", dir.file("mappings"));
  std::ofstream(dir.file("config.json"))
      << R"({"server":{"httpPort":0,"httpsPort":-1},"dataDir":")" << dir.file("data")
      << R"(","mappings":{"directory":")" << dir.file("mappings") << R"("}})";
  int out[2];
  ASSERT_EQ(pipe(out), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    close(out[0]);
    execl(BRYGGA_BIN, BRYGGA_BIN, "serve", "--config", dir.file("config.json").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  FILE* f = fdopen(out[0], "r");
  int port = -1;
  char line[512];
  while (port < 0 && fgets(line, sizeof line, f) != nullptr) {
    std::string s(line);
    auto pos = s.find("http-port=");
    if (pos != std::string::npos) port = std::stoi(s.substr(pos + 10));
  }
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
  for (int i = 0; i < 100 && (after = version()) == before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(after, before);
  EXPECT_FALSE(after.empty()) << "the gateway did not survive SIGHUP";

  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  fclose(f);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace brygga::testing

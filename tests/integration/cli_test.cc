// The brygga binary: subcommands, flags and configuration errors, as an operator sees them.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>

#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"

namespace brygga::testing {
namespace {

struct RunResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr
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

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(Cli, VersionPrintsTheVersion) {
  auto r = run("version");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.output.rfind("brygga ", 0), 0u) << r.output;
}

TEST(Cli, ValidatePrintsAnOutcomePerFileAndFailsOnInvalidOnes) {
  TempDir dir;
  writeFile(dir.file("good.json"), enrollmentBundle());
  writeFile(dir.file("bad.json"), patientJson("191212121213"));
  auto good = run("validate " + dir.file("good.json"));
  EXPECT_EQ(good.exitCode, 0) << good.output;
  EXPECT_NE(good.output.find("OperationOutcome"), std::string::npos);
  auto both = run("validate " + dir.file("good.json") + " " + dir.file("bad.json"));
  EXPECT_NE(both.exitCode, 0);
  EXPECT_NE(both.output.find("bad.json: invalid"), std::string::npos) << both.output;
  EXPECT_NE(both.output.find("good.json: valid"), std::string::npos) << both.output;
  EXPECT_NE(run("validate " + dir.file("missing.json")).exitCode, 0);
}

TEST(Cli, ABadConfigKeyStopsStartupNamingTheKey) {
  TempDir dir;
  writeFile(dir.file("typo.json"), R"({"server":{"htpPort":8080}})");
  auto typo = run("serve --config " + dir.file("typo.json"));
  EXPECT_NE(typo.exitCode, 0);
  EXPECT_NE(typo.output.find("server.htpPort"), std::string::npos) << typo.output;

  writeFile(dir.file("role.json"),
            R"({"clients":[{"id":"x","tenant":"x","role":"admin","tokenSha256":"00"}]})");
  auto role = run("serve --config " + dir.file("role.json"));
  EXPECT_NE(role.exitCode, 0);
  EXPECT_NE(role.output.find("clients[0].role"), std::string::npos) << role.output;

  auto port = run("serve --http-port 70000");
  EXPECT_NE(port.exitCode, 0);
  EXPECT_NE(port.output.find("--http-port"), std::string::npos) << port.output;
}

TEST(Cli, ServeOnPortZeroPrintsTheChosenPortAndAnswers) {
  TempDir dir;
  writeFile(dir.file("config.json"),
            R"({"server":{"httpPort":0,"httpsPort":-1},"dataDir":")" + dir.file("data") + R"("})");
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
  auto meta = httpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/fhir/metadata");
  EXPECT_EQ(meta.status, 200);
  auto health = httpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz");
  EXPECT_EQ(health.status, 200);
  auto ready = httpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/readyz");
  EXPECT_EQ(ready.status, 200);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  fclose(f);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace brygga::testing

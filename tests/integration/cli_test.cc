// The brygga binary: subcommands, flags and configuration errors, as an operator sees them.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "gateway/core/digest.h"
#include "tests/integration/fixtures.h"
#include "tests/integration/harness.h"
#include "tests/integration/process.h"

namespace brygga::testing {
namespace {

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(Cli, VersionPrintsTheVersion) {
  auto r = runBrygga("version");
  EXPECT_EQ(r.exitCode, 0);
  EXPECT_EQ(r.output.rfind("brygga ", 0), 0u) << r.output;
}

TEST(Cli, ValidatePrintsAnOutcomePerFileAndFailsOnInvalidOnes) {
  TempDir dir;
  writeFile(dir.file("good.json"), enrollmentBundle());
  writeFile(dir.file("bad.json"), patientJson("191212121213"));
  auto good = runBrygga("validate " + dir.file("good.json"));
  EXPECT_EQ(good.exitCode, 0) << good.output;
  EXPECT_NE(good.output.find("OperationOutcome"), std::string::npos);
  auto both = runBrygga("validate " + dir.file("good.json") + " " + dir.file("bad.json"));
  EXPECT_EQ(both.exitCode, 65);  // as `brygga validate --help` says
  EXPECT_NE(both.output.find("bad.json: invalid"), std::string::npos) << both.output;
  EXPECT_NE(both.output.find("good.json: valid"), std::string::npos) << both.output;
  EXPECT_NE(runBrygga("validate " + dir.file("missing.json")).exitCode, 0);
}

// Each command has its own --help with the exit codes it uses; the overview states the output
// and time conventions.
TEST(Cli, EveryCommandHasAHelpWithItsExitCodes) {
  const std::vector<std::pair<std::string, std::string>> commands = {
      {"serve", "78 a bad configuration"},
      {"check-config", "66 FILE does not exist"},
      {"validate", "65 any file is invalid"},
      {"audit verify", "65 a bad record"},
      {"audit extract", "66 no database, or no such"},
      {"audit rotate-key", "75 a running gateway"},
      {"verify-provenance", "65 any file does not verify"},
      {"dead-letters", "65 refused"},
      {"destination", "66 no database or no such destination"},
      {"migration-report", "66 no database"},
      {"hours", "64 an unreadable --at"},
      {"version", "exit codes:\n  0\n"},
  };
  for (const auto& [command, code] : commands) {
    auto help = runBrygga(command + " --help");
    EXPECT_EQ(help.exitCode, 0) << command;
    EXPECT_EQ(help.output.rfind("usage: brygga " + command, 0), 0u) << help.output;
    EXPECT_NE(help.output.find("exit codes:"), std::string::npos) << help.output;
    EXPECT_NE(help.output.find(code), std::string::npos) << command << ": " << help.output;
  }
  auto overview = runBrygga("--help");
  EXPECT_EQ(overview.exitCode, 0);
  EXPECT_NE(
      overview.output.find("Europe/Stockholm time with its offset\n(2026-12-05 14:03:11 +01:00)"),
      std::string::npos)
      << overview.output;
  EXPECT_NE(overview.output.find("--json output keeps UTC RFC 3339 instants"), std::string::npos);
  EXPECT_EQ(runBrygga("").exitCode, 64);
  auto unknown = runBrygga("frobnicate --help");
  EXPECT_EQ(unknown.exitCode, 64);
  EXPECT_NE(unknown.output.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(Cli, ABadConfigKeyStopsStartupNamingTheKey) {
  TempDir dir;
  writeFile(dir.file("typo.json"), R"({"server":{"htpPort":8080}})");
  auto typo = runBrygga("serve --config " + dir.file("typo.json"));
  EXPECT_NE(typo.exitCode, 0);
  EXPECT_NE(typo.output.find("server.htpPort"), std::string::npos) << typo.output;

  writeFile(dir.file("role.json"),
            R"({"clients":[{"id":"x","tenant":"x","role":"admin","tokenSha256":"00"}]})");
  auto role = runBrygga("serve --config " + dir.file("role.json"));
  EXPECT_NE(role.exitCode, 0);
  EXPECT_NE(role.output.find("clients[0].role"), std::string::npos) << role.output;

  for (const char* bad : {"70000", "80x", "-2", "0x50"}) {
    auto port = runBrygga(std::string("serve --http-port ") + bad);
    EXPECT_NE(port.exitCode, 0) << bad;
    EXPECT_NE(port.output.find("--http-port must be a port from -1 to 65535"), std::string::npos)
        << bad << ": " << port.output;
  }
}

TEST(Cli, BeyondLoopbackTheDevelopmentClientsDoNotServe) {
  TempDir dir;
  writeFile(dir.file("open.json"),
            R"({"server":{"httpBindAddress":"0.0.0.0","httpPort":0,"httpsPort":-1},"dataDir":")" +
                dir.file("data") + R"("})");
  auto refused = runBrygga("serve --config " + dir.file("open.json"));
  EXPECT_EQ(refused.exitCode, 78) << refused.output;
  EXPECT_NE(refused.output.find("config: clients must be configured"), std::string::npos)
      << refused.output;

  // With its own clients it starts, and the published development tokens mean nothing.
  writeFile(dir.file("own.json"),
            R"({"server":{"httpBindAddress":"0.0.0.0","httpPort":0,"httpsPort":-1},"dataDir":")" +
                dir.file("data") + R"(","clients":[{"id":"procapita","tenant":"varberg",)" +
                R"("role":"municipal","tokenSha256":")" + core::sha256Hex("a-real-secret") +
                R"("}]})");
  const ServeProcess served = startServe(dir.file("own.json"));
  ASSERT_GT(served.port, 0);
  const std::string search =
      "http://127.0.0.1:" + std::to_string(served.port) + "/fhir/Patient?_count=1";
  EXPECT_EQ(httpCall("GET", search, "", {{"Authorization", "Bearer dev-token-region"}}).status,
            401);
  EXPECT_EQ(httpCall("GET", search, "", {{"Authorization", "Bearer a-real-secret"}}).status, 200);
  EXPECT_TRUE(stopServe(served, SIGTERM));
}

// check-config answers what serve would, without starting anything: the same keys, the same
// cross-key and production-safety rules.
TEST(Cli, CheckConfigSaysWhatServeWouldSayOfAFile) {
  TempDir dir;
  writeFile(dir.file("good.json"),
            R"({"server":{"httpPort":8085,"httpsPort":-1},"dataDir":")" + dir.file("data") +
                R"(","destinations":{"regional":{"baseUrl":"http://127.0.0.1:9191/fhir"}}})");
  auto good = runBrygga("check-config " + dir.file("good.json"));
  EXPECT_EQ(good.exitCode, 0) << good.output;
  EXPECT_EQ(good.output.rfind("ok: " + dir.file("good.json") + "\n", 0), 0u) << good.output;
  EXPECT_NE(good.output.find("listeners: http 127.0.0.1:8085, https off\n"), std::string::npos)
      << good.output;
  EXPECT_NE(good.output.find("clients: 9 (kungsbacka, "), std::string::npos) << good.output;
  EXPECT_NE(good.output.find("destinations: 1 (regional http://127.0.0.1:9191/fhir)"),
            std::string::npos)
      << good.output;
  EXPECT_FALSE(std::filesystem::exists(dir.file("data")));  // nothing was started or created

  writeFile(dir.file("typo.json"), R"({"server":{"htpPort":8080}})");
  auto typo = runBrygga("check-config " + dir.file("typo.json"));
  EXPECT_EQ(typo.exitCode, 78) << typo.output;
  EXPECT_NE(typo.output.find("server.htpPort"), std::string::npos) << typo.output;

  // The production-safety rule serve applies: the development clients only on loopback.
  writeFile(dir.file("open.json"), R"({"server":{"httpBindAddress":"0.0.0.0"}})");
  auto open = runBrygga("check-config " + dir.file("open.json"));
  EXPECT_EQ(open.exitCode, 78) << open.output;
  EXPECT_NE(open.output.find("config: clients must be configured"), std::string::npos)
      << open.output;
  EXPECT_EQ(runBrygga("check-config " + dir.file("open.json") + " --dev").exitCode, 0);

  auto missing = runBrygga("check-config " + dir.file("nowhere.json"));
  EXPECT_EQ(missing.exitCode, 66) << missing.output;
  EXPECT_NE(missing.output.find("no such file"), std::string::npos) << missing.output;
  EXPECT_EQ(runBrygga("check-config").exitCode, 64);
}

TEST(Cli, MigrationReportListsWhatTheMigrationDidWithSharedNumbers) {
  TempDir data;
  {
    GatewayHarness h(nullptr, data.path());
    h.start();
  }
  auto empty = runBrygga("migration-report --data-dir " + data.path());
  EXPECT_EQ(empty.exitCode, 0) << empty.output;
  EXPECT_NE(empty.output.find("nothing to report"), std::string::npos) << empty.output;

  // As the schema-6 migration records a pair it could not merge.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(data.file("brygga.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "INSERT INTO migration_report (created_ms, kind, subject, detail)"
                         " VALUES (0, 'duplicate', 'Patient/b', 'Patient/a: content differs')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto report = runBrygga("migration-report --data-dir " + data.path());
  EXPECT_EQ(report.exitCode, 0) << report.output;
  EXPECT_NE(report.output.find("duplicate  Patient/b  Patient/a: content differs"),
            std::string::npos)
      << report.output;
  EXPECT_EQ(runBrygga("migration-report --data-dir " + data.file("nowhere")).exitCode, 66);
}

// scripts/run.sh builds only what it runs: the gateway target (whose mapping data comes with it),
// not the test suite. Run in a copy of the scripts with a cmake, a setup, a certificate script and
// a brygga that only record how they were called.
TEST(Cli, RunScriptBuildsOnlyTheGatewayAndStartsIt) {
  namespace fs = std::filesystem;
  TempDir tree;
  fs::create_directories(tree.file("scripts"));
  fs::create_directories(tree.file("certs"));
  fs::create_directories(tree.file("build/bin"));
  fs::create_directories(tree.file("fake"));
  for (const char* script : {"scripts/run.sh", "scripts/build.sh"}) {
    fs::copy_file(fs::path(BRYGGA_SOURCE_DIR) / script, tree.file(script));
  }
  const std::string calls = tree.file("calls.txt");
  auto recorder = [&](const std::string& path, const std::string& name) {
    writeFile(path, "#!/bin/sh\necho \"" + name + " $*\" >> " + calls + "\n");
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add);
  };
  recorder(tree.file("scripts/setup.sh"), "setup");
  recorder(tree.file("certs/make-dev-certs.sh"), "certs");
  recorder(tree.file("build/bin/brygga"), "brygga");
  recorder(tree.file("fake/cmake"), "cmake");

  auto run = runCommand("PATH=" + tree.file("fake") + ":$PATH " + tree.file("scripts/run.sh") +
                        " --http-port 0");
  ASSERT_EQ(run.exitCode, 0) << run.output;
  std::ifstream in(calls);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[0], "setup ");
  EXPECT_EQ(lines[1].rfind("cmake -S . -B build", 0), 0u) << lines[1];
  EXPECT_EQ(lines[2].rfind("cmake --build build -j", 0), 0u) << lines[2];
  EXPECT_NE(lines[2].find(" --target brygga"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[2].find("--target", lines[2].find("--target") + 1), std::string::npos)
      << "only the gateway: " << lines[2];
  EXPECT_EQ(lines[3], "certs ");
  EXPECT_EQ(lines[4], "brygga serve --http-port 0");
}

TEST(Cli, ServeOnPortZeroPrintsTheChosenPortAndAnswers) {
  TempDir dir;
  writeFile(dir.file("config.json"),
            R"({"server":{"httpPort":0,"httpsPort":-1},"dataDir":")" + dir.file("data") + R"("})");
  const ServeProcess served = startServe(dir.file("config.json"));
  const int port = served.port;
  ASSERT_GT(port, 0);
  auto meta = httpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/fhir/metadata");
  EXPECT_EQ(meta.status, 200);
  auto health = httpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/healthz");
  EXPECT_EQ(health.status, 200);
  auto ready = httpCall("GET", "http://127.0.0.1:" + std::to_string(port) + "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_TRUE(stopServe(served, SIGTERM));
}

}  // namespace
}  // namespace brygga::testing

// `brygga serve` under a service manager (systemd's Type=notify, packaging/brygga.service): it
// says READY=1 once it takes requests, RELOADING=1 and then READY=1 again around a SIGHUP reload,
// and STOPPING=1 when told to stop. The test is the service manager: it owns the NOTIFY_SOCKET.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/notify_socket.h"
#include "tests/support/test_support.h"

namespace brygga::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kWaitMs = 30000;

// `brygga serve --config CONFIG` with NOTIFY_SOCKET set, its output appended to `log`; killed
// (if still running) when the test ends. Not startServe, which waits for the printed ports: here
// only the notifications say when the gateway is ready.
class NotifiedServe {
 public:
  NotifiedServe(const std::string& config, const std::string& notifySocket, const std::string& log)
      : log_(log) {
    std::vector<std::string> variables{"NOTIFY_SOCKET=" + notifySocket};
    for (char** v = environ; *v != nullptr; ++v) {
      if (std::string_view(*v).rfind("NOTIFY_SOCKET=", 0) != 0) variables.emplace_back(*v);
    }
    std::vector<char*> envp;
    for (std::string& v : variables) envp.push_back(v.data());
    envp.push_back(nullptr);
    std::string binary = BRYGGA_BIN;
    std::string serve = "serve", flag = "--config", file = config;
    char* const argv[] = {binary.data(), serve.data(), flag.data(), file.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    if (posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv, envp.data()) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~NotifiedServe() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  NotifiedServe(const NotifiedServe&) = delete;
  NotifiedServe& operator=(const NotifiedServe&) = delete;

  pid_t pid() const { return pid_; }
  // Waits for the process to end; its exit status, -1 when a signal ended it.
  int exitCode() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::string output() const {
    std::ifstream in(log_);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
};

int64_t monotonicUsec() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}

// The HTTP port the status line names ("serving: http 127.0.0.1:PORT, https off; ..."); -1 when
// it names none.
int httpPortIn(const std::string& status) {
  const std::string prefix = "serving: http 127.0.0.1:";
  if (status.rfind(prefix, 0) != 0) return -1;
  return std::atoi(status.c_str() + prefix.size());
}

std::string writeConfig(const TempDir& dir) {
  fs::copy(fs::path(BRYGGA_SOURCE_DIR) / "mappings/data", dir.file("mappings"));
  std::ofstream(dir.file("config.json"))
      << R"({"server":{"httpPort":0,"httpsPort":-1},"dataDir":")" << dir.file("data")
      << R"(","mappings":{"directory":")" << dir.file("mappings") << R"("}})";
  return dir.file("config.json");
}

TEST(ServiceNotify, ReadyOnceServingReloadingAroundSighupAndStoppingOnSigterm) {
  TempDir dir;
  NotifySocket manager(dir.file("notify.sock"));
  ASSERT_FALSE(manager.address().empty());
  NotifiedServe serve(writeConfig(dir), manager.address(), dir.file("serve.log"));
  ASSERT_GT(serve.pid(), 0);

  const auto ready = manager.receive(kWaitMs);
  ASSERT_TRUE(ready.has_value()) << "no READY=1; the gateway said:\n" << serve.output();
  EXPECT_EQ(notifyField(*ready, "READY"), "1") << *ready;
  const std::string status = notifyField(*ready, "STATUS").value_or("");
  const int port = httpPortIn(status);
  ASSERT_GT(port, 0) << *ready;
  EXPECT_NE(status.find("https off; mappings "), std::string::npos) << status;
  // Ready means ready: the first request after READY=1 is answered, without a retry.
  const std::string health = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  EXPECT_EQ(httpCall("GET", health).status, 200);

  // SIGHUP: RELOADING=1 with the (monotonic) time of the reload, then READY=1 again.
  const int64_t beforeReload = monotonicUsec();
  ASSERT_EQ(kill(serve.pid(), SIGHUP), 0);
  const auto reloading = manager.receive(kWaitMs);
  ASSERT_TRUE(reloading.has_value()) << serve.output();
  EXPECT_EQ(notifyField(*reloading, "RELOADING"), "1") << *reloading;
  const int64_t reloadUsec =
      std::atoll(notifyField(*reloading, "MONOTONIC_USEC").value_or("0").c_str());
  EXPECT_GE(reloadUsec, beforeReload);
  EXPECT_LE(reloadUsec, monotonicUsec());
  const auto reloaded = manager.receive(kWaitMs);
  ASSERT_TRUE(reloaded.has_value()) << serve.output();
  EXPECT_EQ(notifyField(*reloaded, "READY"), "1") << *reloaded;
  EXPECT_EQ(notifyField(*reloaded, "STATUS"), status);

  // A mapping file broken on disk: the reload keeps the files in force, and the status says so.
  std::ofstream(dir.file("mappings/service-hours.json"), std::ios::trunc) << "{";
  ASSERT_EQ(kill(serve.pid(), SIGHUP), 0);
  const auto reloadingAgain = manager.receive(kWaitMs);
  ASSERT_TRUE(reloadingAgain.has_value()) << serve.output();
  EXPECT_EQ(notifyField(*reloadingAgain, "RELOADING"), "1");
  const auto kept = manager.receive(kWaitMs);
  ASSERT_TRUE(kept.has_value()) << serve.output();
  EXPECT_EQ(notifyField(*kept, "READY"), "1") << *kept;
  EXPECT_EQ(notifyField(*kept, "STATUS"),
            status + "; the mapping files did not reload (see the log)");
  EXPECT_EQ(httpCall("GET", health).status, 200);

  ASSERT_EQ(kill(serve.pid(), SIGTERM), 0);
  const auto stopping = manager.receive(kWaitMs);
  ASSERT_TRUE(stopping.has_value()) << serve.output();
  EXPECT_EQ(notifyField(*stopping, "STOPPING"), "1") << *stopping;
  EXPECT_EQ(serve.exitCode(), 0) << serve.output();
}

// systemd may name an abstract socket ('@' and a name outside the file system).
TEST(ServiceNotify, AnAbstractNotifySocketIsUsedToo) {
  TempDir dir;
  NotifySocket manager("@brygga-test-" + std::to_string(getpid()) + "-" +
                       std::to_string(std::random_device{}()));
  ASSERT_FALSE(manager.address().empty());
  NotifiedServe serve(writeConfig(dir), manager.address(), dir.file("serve.log"));
  const auto ready = manager.receive(kWaitMs);
  ASSERT_TRUE(ready.has_value()) << serve.output();
  EXPECT_EQ(notifyField(*ready, "READY"), "1") << *ready;
  ASSERT_EQ(kill(serve.pid(), SIGTERM), 0);
  const auto stopping = manager.receive(kWaitMs);
  ASSERT_TRUE(stopping.has_value()) << serve.output();
  EXPECT_EQ(notifyField(*stopping, "STOPPING"), "1");
  EXPECT_EQ(serve.exitCode(), 0) << serve.output();
}

// A NOTIFY_SOCKET that is neither a path nor an abstract address stops the start, naming it.
TEST(ServiceNotify, AnUnusableNotifySocketStopsTheStart) {
  TempDir dir;
  NotifiedServe serve(writeConfig(dir), "relative/notify.sock", dir.file("serve.log"));
  EXPECT_EQ(serve.exitCode(), 78);
  EXPECT_NE(serve.output().find("NOTIFY_SOCKET must be an absolute path or an '@' address"),
            std::string::npos)
      << serve.output();
}

}  // namespace
}  // namespace brygga::testing

#include "tests/integration/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <thread>

namespace brygga::testing {

RunResult runCommand(const std::string& commandLine) {
  RunResult r;
  FILE* pipe = popen((commandLine + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

RunResult runBrygga(const std::string& args) {
  return runCommand(std::string(BRYGGA_BIN) + " " + args);
}

ServeProcess startServe(const std::string& config, const std::string& logFile) {
  int out[2];
  if (pipe(out) != 0) return {};
  const pid_t pid = fork();
  if (pid < 0) return {};
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    if (!logFile.empty()) {
      const int log = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      if (log >= 0) dup2(log, STDERR_FILENO);
    }
    close(out[0]);
    execl(BRYGGA_BIN, BRYGGA_BIN, "serve", "--config", config.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  ServeProcess p;
  p.pid = pid;
  FILE* f = fdopen(out[0], "r");
  char line[512];
  while (p.port < 0 && f != nullptr && fgets(line, sizeof line, f) != nullptr) {
    const std::string s(line);
    const auto at = s.find("http-port=");
    if (at != std::string::npos) p.port = std::stoi(s.substr(at + 10));
  }
  // Closing the pipe would kill the gateway with SIGPIPE on its next write, so a thread drains it.
  std::thread([f] {
    char buf[512];
    while (f != nullptr && fgets(buf, sizeof buf, f) != nullptr) {
    }
    if (f != nullptr) fclose(f);
  }).detach();
  return p;
}

bool stopServe(const ServeProcess& process, int signal) {
  if (process.pid <= 0) return false;
  kill(process.pid, signal);
  int status = 0;
  waitpid(process.pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace brygga::testing

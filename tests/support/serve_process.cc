#include "tests/support/serve_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>

namespace brygga::testing {

namespace {

int portAfter(const std::string& line, const std::string& key) {
  const auto pos = line.find(key);
  return pos == std::string::npos ? -1 : std::atoi(line.c_str() + pos + key.size());
}

}  // namespace

ServeProcess startBrygga(const std::string& binary, const std::string& config,
                         const std::string& logFile) {
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
    execl(binary.c_str(), binary.c_str(), "serve", "--config", config.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  ServeProcess p;
  p.pid = pid;
  FILE* f = fdopen(out[0], "r");
  char line[1024];
  // "http-port=N https-port=M", one line.
  while (p.port < 0 && f != nullptr && fgets(line, sizeof line, f) != nullptr) {
    const std::string s(line);
    p.port = portAfter(s, "http-port=");
    p.httpsPort = portAfter(s, "https-port=");
  }
  // Closing the pipe would kill the gateway with SIGPIPE on its next write, so a thread drains it.
  std::thread([f] {
    char buf[4096];
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

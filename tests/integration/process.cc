#include "tests/integration/process.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

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
  return startBrygga(BRYGGA_BIN, config, logFile);
}

}  // namespace brygga::testing

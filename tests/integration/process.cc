#include "tests/integration/process.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>

namespace brygga::testing {

RunResult runBrygga(const std::string& args) {
  RunResult r;
  FILE* pipe = popen((std::string(BRYGGA_BIN) + " " + args + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

ServeProcess startServe(const std::string& config, const std::string& logFile) {
  return startBrygga(BRYGGA_BIN, config, logFile);
}

}  // namespace brygga::testing

#pragma once

#include <string>

#include "tests/support/serve_process.h"

// The real `brygga` binary as an operator runs it (BRYGGA_BIN).
namespace brygga::testing {

struct RunResult {
  int exitCode = -1;
  std::string output;  // stdout and stderr
};

// Runs a shell command line to completion.
RunResult runCommand(const std::string& commandLine);

// Runs `brygga ARGS` to completion.
RunResult runBrygga(const std::string& args);

// `brygga serve --config CONFIG` with this build's binary (tests/support/serve_process.h).
ServeProcess startServe(const std::string& config, const std::string& logFile = {});

}  // namespace brygga::testing

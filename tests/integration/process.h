#pragma once

#include <sys/types.h>

#include <string>

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

struct ServeProcess {
  pid_t pid = -1;
  int port = -1;  // the HTTP port it printed; -1 when it printed none
};

// Starts `brygga serve --config CONFIG` and returns once it has printed its HTTP port. Its stderr
// goes to `logFile` when given; the rest of its stdout is drained so it never blocks.
ServeProcess startServe(const std::string& config, const std::string& logFile = {});

// Sends `signal` and waits; true when the process then exited with status 0.
bool stopServe(const ServeProcess& process, int signal);

}  // namespace brygga::testing

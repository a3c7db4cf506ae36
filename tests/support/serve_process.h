#pragma once

#include <sys/types.h>

#include <string>

// The real `brygga serve` as a child process, for the integration tests and the load generators
// in bench/.
namespace brygga::testing {

struct ServeProcess {
  pid_t pid = -1;
  int port = -1;       // the HTTP port it printed; -1 when it printed none
  int httpsPort = -1;  // the HTTPS port it printed; -1 when that listener is off
};

// Starts `binary serve --config config` and returns once it has printed its ports. Its stderr
// (the JSON log) goes to `logFile` when given (appended), else stays the caller's; the rest of
// its stdout is drained so it never blocks.
ServeProcess startBrygga(const std::string& binary, const std::string& config,
                         const std::string& logFile = {});

// Sends `signal` and waits; true when the process then exited with status 0.
bool stopServe(const ServeProcess& process, int signal);

}  // namespace brygga::testing

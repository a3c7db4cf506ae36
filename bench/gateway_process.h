#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/serve_process.h"

// The real `brygga serve` binary as a child process, for the load generators in bench/, and what
// /proc says about it.
namespace brygga::bench {

// The gateway's pid and the ports it printed (port: HTTP; httpsPort: HTTPS, -1 when off).
using GatewayProcess = testing::ServeProcess;

// Starts `binary serve --config configPath` and waits for the line that names its ports; its
// stdout is read and dropped from then on, its stderr (the JSON log) goes to /dev/null so that it
// does not compete with the load for the CPU. port < 0 when it did not start.
GatewayProcess startGateway(const std::string& binary, const std::string& configPath);
// SIGTERM and wait.
void stopGateway(const GatewayProcess& gateway);

int64_t peakRssKb(pid_t pid);     // VmHWM
int64_t threadCount(pid_t pid);   // Threads
double cpuSeconds(pid_t pid);     // user + system so far
int64_t writtenBytes(pid_t pid);  // /proc/<pid>/io wchar: WAL, checkpoints, logs

double secondsSince(std::chrono::steady_clock::time_point t);
// The p-th percentile (0-100) of `values`; 0 for none.
double percentile(std::vector<double> values, double p);

}  // namespace brygga::bench

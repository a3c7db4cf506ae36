// Issue 6: how fast the AuditForwarder hands the audit log to an Audit Record Repository.
//
// Each run fills a fresh SQLite store (not timed), then times one AuditForwarder pass from cursor
// 0 until the repository, a fake on this machine, holds every record:
//   - syslog over TLS 1.3 (RFC 5425 octet counting, mutual TLS with the dev certificates),
//     batches of 500, 20,000 search AuditEvents;
//   - FHIR `POST AuditEvent`, one request per record, HTTP/1.1 keep-alive to a local POCO server,
//     2,000 read AuditEvents.
// The rate is the counter records_per_second. The dev certificates are made in BRYGGA_CERTS_DIR
// (build/certs, as the integration tests do) when missing. Command:
//   build/bench/bench_audit_forwarding --benchmark_repetitions=3
// Whether every record arrives once and in order is the integration tests' business
// (tests/integration/audit_forwarding_test.cc, AuditForwardingVolumeTest).
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>

#include <benchmark/benchmark.h>

#include "gateway/audit/audit_forwarder.h"
#include "gateway/audit/syslog_sink.h"
#include "gateway/core/log.h"
#include "gateway/core/time_source.h"
#include "tests/support/audit_records.h"
#include "tests/support/fake_syslog_server.h"
#include "tests/support/test_support.h"

namespace {

using namespace brygga;

bool ensureDevCertificates() {
  const std::string dir = BRYGGA_CERTS_DIR;
  if (std::filesystem::exists(dir + "/ca.crt") && std::filesystem::exists(dir + "/server.crt")) {
    return true;
  }
  const std::string command =
      std::string(BRYGGA_SOURCE_DIR) + "/certs/make-dev-certs.sh '" + dir + "' > /dev/null";
  return std::system(command.c_str()) == 0;
}

// One timed pass: from the forwarder's start until the repository holds `records` records.
template <typename Arrived>
void timePass(benchmark::State& state, audit::AuditForwarder& forwarder, int records,
              Arrived waitForAll) {
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    auto sent = forwarder.runOnce();
    const bool all = sent.isOk() && *sent == records && waitForAll();
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!all) {
      state.SkipWithError(sent.isOk() ? "not every record arrived"
                                      : sent.status().message().c_str());
      return;
    }
  }
  state.counters["records"] = records;
  state.counters["records_per_second"] = benchmark::Counter(records, benchmark::Counter::kIsRate);
}

void BM_SyslogTlsForwarding(benchmark::State& state) {
  constexpr int kRecords = 20000;
  if (!ensureDevCertificates()) {
    state.SkipWithError("cannot make the dev certificates");
    return;
  }
  testing::TempDir dir;
  auto store = testing::storeWithAuditRecords(dir, kRecords, 1000, testing::searchAuditEvent);
  testing::FakeSyslogServer arr(BRYGGA_CERTS_DIR);
  audit::SyslogForwardConfig syslog;
  syslog.host = "127.0.0.1";
  syslog.port = arr.port();
  syslog.serverName = "localhost";
  syslog.caFile = std::string(BRYGGA_CERTS_DIR) + "/ca.crt";
  syslog.clientCertificateFile = std::string(BRYGGA_CERTS_DIR) + "/integration.crt";
  syslog.clientKeyFile = std::string(BRYGGA_CERTS_DIR) + "/integration.key";
  syslog.hostname = "gw-bench";
  auto sink = audit::SyslogTlsSink::create(syslog);
  if (!store || !sink.isOk()) {
    state.SkipWithError("cannot set up the store or the syslog sink");
    return;
  }
  std::ostringstream logText;
  core::Logger logger(logText);
  core::RealTimeSystem clock;
  audit::ForwarderOptions options;
  options.batchSize = 500;
  audit::AuditForwarder forwarder(*store, std::move(sink).value(), options, clock, logger);
  timePass(state, forwarder, kRecords,
           [&] { return arr.waitFor(kRecords, 30000) == static_cast<size_t>(kRecords); });
}
BENCHMARK(BM_SyslogTlsForwarding)->Unit(benchmark::kMillisecond)->Iterations(1)->UseManualTime();

void BM_FhirForwarding(benchmark::State& state) {
  constexpr int kRecords = 2000;
  testing::TempDir dir;
  auto store = testing::storeWithAuditRecords(dir, kRecords, kRecords, testing::readAuditEvent);
  if (!store) {
    state.SkipWithError("cannot set up the store");
    return;
  }
  testing::TestPeer arr;
  std::ostringstream logText;
  core::Logger logger(logText);
  core::RealTimeSystem clock;
  audit::ForwarderOptions options;
  options.batchSize = 100;
  audit::AuditForwarder forwarder(*store, testing::fhirSinkTakingEverything(arr), options, clock,
                                  logger);
  // Each record is acknowledged before the next is sent: when runOnce returns, all arrived.
  timePass(state, forwarder, kRecords,
           [&] { return arr.requestCount() == static_cast<size_t>(kRecords); });
}
BENCHMARK(BM_FhirForwarding)->Unit(benchmark::kMillisecond)->Iterations(1)->UseManualTime();

}  // namespace

BENCHMARK_MAIN();

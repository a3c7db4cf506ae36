// Issue 6: verifying a million audit records must take seconds, not minutes.
//
// Builds (once) a SQLite store of BRYGGA_AUDIT_BENCH_RECORDS audit records (default 1,000,000)
// shaped like the gateway's own (BALP AuditEvents of about 1.3 KB with client, tenant, addresses,
// patient, resources and X-Request-Id), signed with a checkpoint every 1,000 records as the
// default configuration does, in BRYGGA_AUDIT_BENCH_DIR (default: a directory under /tmp, kept
// for the next run, so `brygga audit verify --data-dir` can be timed on it too). Then times:
//   - verifyAuditLog: what `brygga audit verify` does (chain, leaves, every checkpoint);
//   - AuditLog::open: the gateway's start-up (loading the tree from the stored leaf hashes);
//   - a root, an inclusion proof and a consistency proof on the loaded million-record tree;
//   - the Merkle root alone over a million leaf hashes in memory.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_trail.h"
#include "gateway/audit/audit_verifier.h"
#include "gateway/audit/merkle.h"
#include "gateway/audit/signed_note.h"
#include "gateway/core/time_source.h"
#include "gateway/store/sqlite_store.h"

namespace {

using namespace brygga;

constexpr const char* kOrigin = "brygga.bench/audit";
constexpr int kUnitRecords = 10000;
constexpr int kCheckpointEvery = 1000;

int64_t recordCount() {
  const char* env = std::getenv("BRYGGA_AUDIT_BENCH_RECORDS");
  return env != nullptr ? std::atoll(env) : 1000000;
}

std::string benchDir() {
  const char* env = std::getenv("BRYGGA_AUDIT_BENCH_DIR");
  return env != nullptr ? env : "/tmp/brygga-audit-bench-" + std::to_string(recordCount());
}

audit::AuditContext contextFor(int64_t n) {
  static const char* kClients[] = {"kungsbacka", "varberg", "falkenberg", "halmstad",
                                   "laholm",     "hylte",   "region"};
  audit::AuditContext c;
  c.recordedMs = 1795428900000 + n * 37;
  c.subtype = n % 5 == 0 ? "search-type" : n % 3 == 0 ? "create" : "read";
  c.action = n % 3 == 0 ? 'C' : 'R';
  c.httpStatus = n % 50 == 0 ? 403 : 200;
  c.outcomeText = n % 50 == 0 ? "forbidden" : "";
  c.clientId = kClients[n % 7];
  c.clientTenant = c.clientId;
  c.clientRole = n % 7 == 6 ? "regional" : "municipal";
  c.clientAddress = "10.20." + std::to_string(n % 250) + ".17:" + std::to_string(40000 + n % 9999);
  c.serverAddress = "10.20.0.2:8443";
  c.userHsaId = n % 4 == 0 ? "SE2321000131-P0000000" + std::to_string(n % 1000) : "";
  c.requestId = "7f1c2d3e-0000-4000-8000-" + std::to_string(100000000000 + n);
  c.patient = "Patient/" + std::to_string(n % 20000);
  c.entities = {*c.patient, "EpisodeOfCare/" + std::to_string(n % 30000)};
  if (c.subtype == "search-type") c.query = "patient=" + *c.patient + "&status=active";
  return c;
}

struct Fixture {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<audit::NoteSigner> signer;
  core::RealTimeSystem clock;
};

Fixture& fixture() {
  static Fixture f = [] {
    Fixture out;
    const std::string dir = benchDir();
    std::filesystem::create_directories(dir);
    auto signer = audit::NoteSigner::loadOrCreate(kOrigin, dir + "/audit-signing.key");
    if (!signer.isOk()) std::abort();
    out.signer = std::make_unique<audit::NoteSigner>(*signer);
    store::SqliteOptions options;
    options.path = dir + "/brygga.db";
    auto store = store::openSqliteStore(options);
    if (!store.isOk()) std::abort();
    out.store = std::move(store).value();

    audit::AuditLog log(*out.store, *out.signer, kOrigin, out.clock);
    if (!log.open().isOk()) std::abort();
    int64_t have = static_cast<int64_t>(*log.sync());
    const int64_t want = recordCount();
    if (have < want) std::cerr << "building " << want << " audit records in " << dir << " ...\n";
    while (have < want) {
      const int64_t to = std::min(want, have + kUnitRecords);
      core::Status s = out.store->write([&](store::StoreTransaction& txn) {
        for (int64_t i = have + 1; i <= to; ++i) {
          auto seq = audit::AuditTrail::append(txn, contextFor(i));
          if (!seq.isOk()) return seq.status();
        }
        return core::Status::ok();
      });
      if (!s.isOk()) {
        std::cerr << s.toString() << "\n";
        std::abort();
      }
      // Checkpoints at every 1,000 records, as audit.checkpointEveryRecords does: appending
      // them one unit at a time would only make the build slower, not the log different.
      for (int64_t size = (have / kCheckpointEvery + 1) * kCheckpointEvery; size <= to;
           size += kCheckpointEvery) {
        auto root = log.root(static_cast<uint64_t>(size));
        audit::Checkpoint body{kOrigin, static_cast<uint64_t>(size), *root, {}};
        auto note = out.signer->sign(audit::formatCheckpoint(body));
        store::AuditCheckpoint cp{size, out.clock.nowMs(), audit::merkle::toHex(*root), *note};
        if (!out.store
                 ->write([&](store::StoreTransaction& txn) {
                   return txn.auditLog().appendAuditCheckpoint(cp);
                 })
                 .isOk()) {
          std::abort();
        }
      }
      have = to;
      if (have % 100000 == 0) std::cerr << "  " << have << "\n";
    }
    return out;
  }();
  return f;
}

void BM_VerifyAuditLog(benchmark::State& state) {
  Fixture& f = fixture();
  audit::AuditVerifyOptions options;
  options.origin = kOrigin;
  options.key = f.signer->verifier();
  for (auto _ : state) {
    auto result = audit::verifyAuditLog(*f.store, options);
    if (!result.isOk() || !result->intact()) {
      state.SkipWithError("the log does not verify");
      return;
    }
    state.counters["records"] = static_cast<double>(result->recordsChecked);
    state.counters["checkpoints"] = static_cast<double>(result->checkpointsChecked);
  }
}
BENCHMARK(BM_VerifyAuditLog)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

void BM_OpenAuditLog(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    audit::AuditLog log(*f.store, *f.signer, kOrigin, f.clock);
    if (!log.open().isOk()) state.SkipWithError("open failed");
  }
}
BENCHMARK(BM_OpenAuditLog)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

// The loaded tree, shared by the proof benchmarks.
audit::AuditLog& loadedLog() {
  static std::unique_ptr<audit::AuditLog> log = [] {
    Fixture& f = fixture();
    auto l = std::make_unique<audit::AuditLog>(*f.store, *f.signer, kOrigin, f.clock);
    if (!l->open().isOk()) std::abort();
    return l;
  }();
  return *log;
}

void BM_RootOfTheWholeLog(benchmark::State& state) {
  audit::AuditLog& log = loadedLog();
  const uint64_t size = static_cast<uint64_t>(recordCount());
  uint64_t n = size;
  for (auto _ : state) {
    // Sizes that are not multiples of a block read the block at the edge from the store.
    benchmark::DoNotOptimize(log.root(n));
    n = n == size ? size - 123 : size;
  }
}
BENCHMARK(BM_RootOfTheWholeLog)->Unit(benchmark::kMicrosecond);

void BM_InclusionProof(benchmark::State& state) {
  audit::AuditLog& log = loadedLog();
  const uint64_t size = static_cast<uint64_t>(recordCount());
  uint64_t seq = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(log.inclusionProof(seq, size));
    seq = seq * 7919 % size + 1;
  }
}
BENCHMARK(BM_InclusionProof)->Unit(benchmark::kMicrosecond);

void BM_ConsistencyProof(benchmark::State& state) {
  audit::AuditLog& log = loadedLog();
  const uint64_t size = static_cast<uint64_t>(recordCount());
  uint64_t from = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(log.consistencyProof(from, size));
    from = from * 7919 % size + 1;
  }
}
BENCHMARK(BM_ConsistencyProof)->Unit(benchmark::kMicrosecond);

void BM_MerkleRootInMemory(benchmark::State& state) {
  std::vector<audit::merkle::Hash> leaves;
  for (int64_t i = 0; i < state.range(0); ++i) {
    leaves.push_back(audit::merkle::leafHash(std::to_string(i)));
  }
  for (auto _ : state) {
    audit::merkle::StreamingRoot root;
    for (const auto& leaf : leaves) root.append(leaf);
    benchmark::DoNotOptimize(root.root());
  }
}
BENCHMARK(BM_MerkleRootInMemory)->Arg(1000000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

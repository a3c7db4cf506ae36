// bench_console: the console's message search on a database of a million messages (issue 7).
//
//   bench_console [--messages N] [--db FILE] [--runs R]
//
// Fills a SQLite store through Store::write the way the gateway records traffic (per message an
// inbound line, an outbox entry delivered or dead, an outbound line; plus a read line for every
// second message), a month of traffic from six municipalities and 100,000 patients, then times
// the first page (50) of each kind of search, the median of R runs, and one catch-up of the
// live counters over the last 24 hours. An existing --db file with the same message count is
// reused (the fill takes a minute).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "gateway/store/sqlite_store.h"

namespace {

using brygga::store::ExchangeRecord;
using brygga::store::MessageQuery;
using brygga::store::MessageStatus;
using brygga::store::OutboxEntry;
using brygga::store::OutboxState;
using brygga::store::Store;
using brygga::store::StoreTransaction;

constexpr int kTenants = 6;
const char* const kTenantNames[kTenants] = {"kungsbacka", "varberg", "falkenberg",
                                            "halmstad",   "laholm",  "hylte"};
constexpr int64_t kPatients = 100000;
constexpr int kPerUnit = 2000;
constexpr int64_t kStartMs = 1793000000000;  // 2026-10-26
constexpr int64_t kMonthMs = 30LL * 24 * 3600 * 1000;

std::string patientOf(int64_t i) {
  return "Patient/p" + std::to_string((i * 7919) % kPatients);
}

std::string requestOf(int64_t i) {
  return "req-" + std::to_string(i);
}

void fill(Store& store, int64_t messages) {
  const std::string payload(600, 'x');  // a forwarded Bundle's size, roughly
  const int64_t stepMs = kMonthMs / messages;
  for (int64_t first = 0; first < messages; first += kPerUnit) {
    auto s = store.write([&](StoreTransaction& txn) -> brygga::core::Status {
      for (int64_t i = first; i < std::min(messages, first + kPerUnit); ++i) {
        const int64_t at = kStartMs + i * stepMs;
        const std::string tenant = kTenantNames[i % kTenants];
        const bool rejected = i % 100 == 37;  // 1 %
        const bool dead = i % 200 == 11;      // 0.5 %
        int64_t outboxId = 0;
        if (!rejected) {
          OutboxEntry e;
          e.destination = "regional";
          e.orderingKey = patientOf(i);
          e.requestId = requestOf(i);
          e.tenant = tenant;
          e.payload = payload;
          e.createdMs = at;
          e.nextAttemptMs = at;
          BRYGGA_ASSIGN_OR_RETURN(outboxId, txn.outbox().enqueue(e));
        }
        ExchangeRecord in;
        in.id = "in-" + std::to_string(i);
        in.requestId = requestOf(i);
        in.clientId = tenant;
        in.tenant = tenant;
        in.direction = "inbound";
        in.interaction = "transaction";
        in.resourceTypes = "Bundle,EpisodeOfCare,Patient";
        in.httpStatus = rejected ? 422 : 200;
        in.startedMs = at;
        in.finishedMs = at + 3;
        in.payloadSha256 = std::string(64, 'a');
        in.detail = rejected ? "value at Bundle.entry[0].resource.identifier[0].value"
                             : "ok; mappings=883954b4f3cf75f4";
        in.message = true;
        in.patient = rejected ? "" : patientOf(i);
        BRYGGA_RETURN_IF_ERROR(txn.exchangeLog().recordExchange(in));
        if (!rejected) {
          BRYGGA_RETURN_IF_ERROR(txn.outbox().updateOutbox(
              outboxId, dead ? OutboxState::kDead : OutboxState::kDelivered, 1, at + 20,
              dead ? "HTTP 422: refused" : ""));
          ExchangeRecord out = in;
          out.id = "out-" + std::to_string(i);
          out.clientId = "brygga";
          out.direction = "outbound";
          out.interaction = "deliver";
          out.resourceTypes = "Bundle";
          out.destination = "regional";
          out.httpStatus = dead ? 422 : 200;
          out.startedMs = at + 10;
          out.finishedMs = at + 20;
          out.detail = dead ? "dead: HTTP 422" : "delivered";
          out.message = false;
          out.patient.clear();
          BRYGGA_RETURN_IF_ERROR(txn.exchangeLog().recordExchange(out));
        }
        if (i % 2 == 0) {  // reads of the same patients
          ExchangeRecord read = in;
          read.id = "read-" + std::to_string(i);
          read.requestId = "read-" + std::to_string(i);
          read.interaction = "read";
          read.resourceTypes = "Patient";
          read.httpStatus = 200;
          read.message = false;
          read.startedMs = at + 30;
          read.finishedMs = at + 31;
          BRYGGA_RETURN_IF_ERROR(txn.exchangeLog().recordExchange(read));
        }
      }
      return brygga::core::Status::ok();
    });
    if (!s.isOk()) {
      std::fprintf(stderr, "fill failed: %s\n", s.toString().c_str());
      std::exit(1);
    }
  }
}

double medianMs(int runs, const std::function<size_t()>& search, size_t& found) {
  std::vector<double> times;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    found = search();
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int64_t messages = 1000000;
  int runs = 21;
  std::string db = "/tmp/brygga-console-bench.db";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--messages") messages = std::atoll(argv[i + 1]);
    if (flag == "--db") db = argv[i + 1];
    if (flag == "--runs") runs = std::atoi(argv[i + 1]);
  }
  const std::string marker = db + ".messages-" + std::to_string(messages);
  if (!std::filesystem::exists(marker)) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
  }
  brygga::store::SqliteOptions options;
  options.path = db;
  auto opened = brygga::store::openSqliteStore(options);
  if (!opened.isOk()) {
    std::fprintf(stderr, "%s\n", opened.status().toString().c_str());
    return 1;
  }
  Store& store = **opened;
  if (!std::filesystem::exists(marker)) {
    const auto t0 = std::chrono::steady_clock::now();
    fill(store, messages);
    std::printf("filled %lld messages in %.1f s\n", static_cast<long long>(messages),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    std::FILE* f = std::fopen(marker.c_str(), "w");
    if (f != nullptr) std::fclose(f);
  }
  std::printf("database: %.0f MB\n",
              static_cast<double>(std::filesystem::file_size(db)) / (1024.0 * 1024.0));

  const auto page = [&](MessageQuery q) {
    return [&store, q]() -> size_t {
      auto r = store.exchangeLog().messages(q);
      if (!r.isOk()) {
        std::fprintf(stderr, "search failed: %s\n", r.status().toString().c_str());
        std::exit(1);
      }
      return r->messages.size();
    };
  };
  struct Case {
    const char* name;
    MessageQuery query;
  };
  std::vector<Case> cases;
  cases.push_back({"newest, no filter", {}});
  {
    MessageQuery q;
    q.patient = patientOf(messages / 2);
    cases.push_back({"by patient", q});
  }
  {
    MessageQuery q;
    q.tenant = "varberg";
    q.fromMs = kStartMs + kMonthMs / 2;
    q.toMs = q.fromMs.value() + 24LL * 3600 * 1000;
    cases.push_back({"by tenant + one day (mid-month)", q});
  }
  {
    MessageQuery q;
    q.status = MessageStatus::kDead;
    cases.push_back({"status dead", q});
  }
  {
    MessageQuery q;
    q.status = MessageStatus::kDead;
    q.tenant = "hylte";
    cases.push_back({"status dead + tenant", q});
  }
  {
    MessageQuery q;
    q.status = MessageStatus::kRejected;
    cases.push_back({"status rejected", q});
  }
  {
    MessageQuery q;
    q.requestId = requestOf(messages / 3);
    cases.push_back({"by request id", q});
  }
  {
    MessageQuery q;
    q.fromMs = kStartMs + kMonthMs / 4;
    q.toMs = q.fromMs.value() + 3600 * 1000;
    cases.push_back({"one hour, no other filter", q});
  }
  {
    MessageQuery q;
    q.resourceType = "Condition";  // matches nothing: the scan bound decides
    cases.push_back({"no match (scan bound 20,000)", q});
  }
  std::printf("%-36s %10s %8s\n", "search (first page of 50)", "median ms", "found");
  for (const Case& c : cases) {
    size_t found = 0;
    const double ms = medianMs(runs, page(c.query), found);
    std::printf("%-36s %10.2f %8zu\n", c.name, ms, found);
  }
  // The live counters' first catch-up: every line of the last 24 hours.
  {
    const auto t0 = std::chrono::steady_clock::now();
    auto first = store.exchangeLog().exchangeSeqAt(kStartMs + kMonthMs - 24LL * 3600 * 1000);
    int64_t after = first.isOk() ? *first - 1 : 0;
    size_t lines = 0;
    for (;;) {
      auto batch = store.exchangeLog().exchangesAfter(after, 5000);
      if (!batch.isOk() || batch->empty()) break;
      lines += batch->size();
      after = batch->back().seq;
    }
    std::printf(
        "counters catch-up over 24 h: %zu lines in %.1f ms\n", lines,
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return 0;
}

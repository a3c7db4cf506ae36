// brygga-traffic: synthetic home-care traffic for a running gateway (issue 4).
//   brygga-traffic send [--url URL] [--count N] [--rate PER_SECOND] [--seed S]
//                       [--mappings DIR]
//       sends a realistic mix from the six municipalities (each with its dev token) and prints
//       one line per message (kind, municipality, status; never patient data) and a summary
//   brygga-traffic sink [--port 9090] [--refuse-once PERSONNUMMER]
//       a stand-in for the regional EHR (and the municipal systems): answers every transaction
//       with 200 and prints the resource types it received, so that a demo shows messages
//       arriving. With --refuse-once it answers 422 the first time it receives each message
//       (by Idempotency-Key) about that patient, so the demo has a dead letter to find and
//       replay; the replayed message (same key) is then accepted.
//   brygga-traffic print [--count N] [--seed S]
//       the messages as JSON lines, without sending them
//   brygga-traffic year [--seed S]
//       the synthetic year of the follow-up's exactness test (bench/traffic_year.h) as JSON lines,
//       each with the time it is to be sent (the gateway's clock must read it), then one line per
//       month with the figures its MeasureReports must show
#include <signal.h>

#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <rapidjson/document.h>

#include "adapters/http_client.h"
#include "bench/traffic.h"
#include "bench/traffic_year.h"
#include "gateway/core/civil_time.h"
#include "gateway/core/log.h"
#include "gateway/core/time_source.h"
#include "gateway/flows/mapping_registry.h"
#include "tests/support/test_peer.h"

namespace {

using brygga::traffic::Generator;
using brygga::traffic::Message;

std::map<std::string, std::string> options(int argc, char** argv, int from) {
  std::map<std::string, std::string> out;
  for (int i = from; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0 && i + 1 < argc) out[a.substr(2)] = argv[++i];
  }
  return out;
}

std::string option(const std::map<std::string, std::string>& o, const char* name,
                   const char* fallback) {
  auto it = o.find(name);
  return it == o.end() ? fallback : it->second;
}

std::shared_ptr<const brygga::mappings::MappingSet> loadMappings(const std::string& directory) {
  auto files = brygga::flows::readMappingFiles(directory);
  if (!files.isOk()) {
    std::cerr << "brygga-traffic: " << files.status().message() << "\n";
    return nullptr;
  }
  auto set = brygga::mappings::MappingSet::parse(std::move(files).value());
  if (!set.isOk()) {
    std::cerr << "brygga-traffic: " << set.status().message() << "\n";
    return nullptr;
  }
  return *set;
}

int send(const std::map<std::string, std::string>& o) {
  auto mappings =
      loadMappings(option(o, "mappings", brygga::flows::defaultMappingsDirectory().c_str()));
  if (!mappings) return 78;
  const std::string url = option(o, "url", "http://127.0.0.1:8080/fhir");
  const int count = std::stoi(option(o, "count", "100"));
  const double rate = std::stod(option(o, "rate", "10"));
  const uint64_t seed = std::stoull(option(o, "seed", "1"));
  Generator generator(mappings, seed, static_cast<int64_t>(seed * 997 % 400000));
  brygga::adapters::HttpPeer destination;
  destination.baseUrl = url;
  destination.timeoutMs = 30000;
  auto client = brygga::adapters::makeCurlHttpClient(destination);
  brygga::core::RealTimeSystem clock;
  std::map<std::string, std::map<int, int>> summary;
  int rejected = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    if (rate > 0) {
      std::this_thread::sleep_until(
          start + std::chrono::microseconds(static_cast<int64_t>(i * 1e6 / rate)));
    }
    Message m = generator.next(clock.nowMs());
    brygga::adapters::HttpRequestSpec request;
    request.method = m.method;
    request.url = url + m.path;
    if (m.path == "/") request.url = url;
    request.headers = {{"Content-Type", "application/fhir+json"},
                       {"Authorization", "Bearer dev-token-" + m.client}};
    request.body = m.body;
    auto result = client->send(request);
    const bool outOfHours = result.body.find("task-rejection") != std::string::npos;
    rejected += outOfHours ? 1 : 0;
    summary[m.kind][result.status]++;
    std::cout << "#" << (i + 1) << " " << m.kind << " from " << m.client << " -> "
              << (result.status == 0 ? "no answer: " + result.error : std::to_string(result.status))
              << (outOfHours ? " (out of hours: rejected, the answer names the on-call service)"
                             : "")
              << std::endl;
  }
  std::cout << "\nsent " << count << " messages:\n";
  for (const auto& [kind, statuses] : summary) {
    std::cout << "  " << kind << ":";
    for (const auto& [status, n] : statuses) std::cout << " " << n << "x" << status;
    std::cout << "\n";
  }
  std::cout << "  requests answered out of hours: " << rejected << "\n";
  return 0;
}

// What the stand-in EHR refuses once: messages about one patient, by Idempotency-Key.
struct RefuseOnce {
  std::string personnummer;  // 12 digits; empty: refuse nothing
  std::mutex mutex;
  std::set<std::string> refusedKeys;

  // True the first time a message about the patient arrives with this key.
  bool shouldRefuse(const std::string& body, const std::string& key) {
    if (personnummer.empty() || key.empty()) return false;
    const std::string dashed = personnummer.substr(0, 8) + "-" + personnummer.substr(8);
    if (body.find('"' + personnummer + '"') == std::string::npos &&
        body.find('"' + dashed + '"') == std::string::npos) {
      return false;
    }
    std::lock_guard<std::mutex> lock(mutex);
    return refusedKeys.insert(key).second;
  }
};

// The stand-in EHR's answer: 422 once for the refused patient's messages, else 200 with one
// "201 Created" per entry; each printed with the resource types it carried (never patient data).
brygga::testing::TestPeer::Response sinkAnswer(RefuseOnce& refuse,
                                               const brygga::testing::TestPeer::Request& req) {
  static std::mutex printing;
  brygga::testing::TestPeer::Response resp;
  auto key = req.headers.find("idempotency-key");
  if (refuse.shouldRefuse(req.body, key != req.headers.end() ? key->second : "")) {
    resp.status = 422;
    resp.body =
        R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"business-rule",)"
        R"("diagnostics":"stand-in EHR: this patient's record is locked; demo refusal, a replay )"
        R"(will be accepted"}]})";
    std::lock_guard<std::mutex> lock(printing);
    std::cout << "refused " << req.method << " " << req.uri << ": 422 (the demo's refused patient)"
              << std::endl;
    return resp;
  }
  rapidjson::Document doc;
  doc.Parse(req.body.c_str(), req.body.size());
  std::string types;
  resp.body = R"({"resourceType":"Bundle","type":"transaction-response","entry":[)";
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("entry") && doc["entry"].IsArray()) {
    bool first = true;
    for (const auto& e : doc["entry"].GetArray()) {
      if (e.IsObject() && e.HasMember("resource") && e["resource"].IsObject() &&
          e["resource"].HasMember("resourceType") && e["resource"]["resourceType"].IsString()) {
        types +=
            (types.empty() ? "" : ", ") + std::string(e["resource"]["resourceType"].GetString());
      }
      resp.body += first ? "" : ",";
      resp.body += R"({"response":{"status":"201 Created"}})";
      first = false;
    }
  }
  resp.body += "]}";
  std::lock_guard<std::mutex> lock(printing);
  std::cout << "received " << req.method << " " << req.uri << ": "
            << (types.empty() ? std::string("(no entries)") : types) << std::endl;
  return resp;
}

int sink(const std::map<std::string, std::string>& o) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  const int port = std::stoi(option(o, "port", "9090"));
  static RefuseOnce refuse;
  for (char c : option(o, "refuse-once", "")) {
    if (c >= '0' && c <= '9') refuse.personnummer += c;
  }
  if (!refuse.personnummer.empty() && refuse.personnummer.size() != 12) {
    std::cerr << "brygga-traffic: --refuse-once needs a 12-digit personnummer\n";
    return 64;
  }
  brygga::testing::TestPeer::Options peerOptions;
  peerOptions.port = port;
  peerOptions.threads = 16;
  peerOptions.record = false;  // it runs for as long as the demo does
  brygga::testing::TestPeer server(peerOptions);
  server.setHandler([](const brygga::testing::TestPeer::Request& request) {
    return sinkAnswer(refuse, request);
  });
  std::cout << "brygga-traffic sink: a stand-in FHIR peer on http://127.0.0.1:" << server.port()
            << "/fhir (Ctrl-C stops it)" << std::endl;
  int signal = 0;
  sigwait(&set, &signal);
  return 0;
}

int print(const std::map<std::string, std::string>& o) {
  auto mappings =
      loadMappings(option(o, "mappings", brygga::flows::defaultMappingsDirectory().c_str()));
  if (!mappings) return 78;
  const uint64_t seed = std::stoull(option(o, "seed", "1"));
  Generator generator(mappings, seed, static_cast<int64_t>(seed * 997 % 400000));
  brygga::core::RealTimeSystem clock;
  const int count = std::stoi(option(o, "count", "10"));
  for (int i = 0; i < count; ++i) {
    Message m = generator.next(clock.nowMs());
    std::string line = R"({"kind":")" + m.kind + R"(","client":")" + m.client + R"(","method":")" +
                       m.method + R"(","path":")";
    brygga::core::appendJsonEscaped(line, m.path);
    std::cout << line << R"(","body":)" << m.body << "}\n";
  }
  return 0;
}

int year(const std::map<std::string, std::string>& o) {
  auto mappings =
      loadMappings(option(o, "mappings", brygga::flows::defaultMappingsDirectory().c_str()));
  if (!mappings) return 78;
  const brygga::traffic::YearScenario scenario(mappings, std::stoull(option(o, "seed", "13")));
  for (const auto& step : scenario.steps()) {
    const Message& m = step.message;
    std::string line = R"({"at":")" + brygga::core::formatInstant(step.atMs) + R"(","kind":")" +
                       m.kind + R"(","client":")" + m.client + R"(","method":")" + m.method +
                       R"(","path":")";
    brygga::core::appendJsonEscaped(line, m.path);
    std::cout << line << R"(","body":)" << (m.body.empty() ? "null" : m.body) << "}\n";
  }
  for (int month = 1; month <= 12; ++month) {
    std::string line = R"({"month":)" + std::to_string(month) + R"(,"expected":{)";
    bool first = true;
    for (const auto& [key, value] : scenario.expected(month)) {
      line += (first ? "\"" : ",\"") + key + "\":" + std::to_string(value);
      first = false;
    }
    std::cout << line << "}}\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "send") return send(options(argc, argv, 2));
    if (command == "sink") return sink(options(argc, argv, 2));
    if (command == "print") return print(options(argc, argv, 2));
    if (command == "year") return year(options(argc, argv, 2));
  } catch (const std::exception& e) {
    std::cerr << "brygga-traffic: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: brygga-traffic send [--url URL] [--count N] [--rate PER_SECOND] [--seed S]\n"
               "       brygga-traffic sink [--port 9090] [--refuse-once PERSONNUMMER]\n"
               "       brygga-traffic print [--count N] [--seed S]\n"
               "       brygga-traffic year [--seed S]\n";
  return 64;
}

// The real binary on PostgreSQL (issue 12): storage.backend postgresql with the password from a
// file, against a real server the test starts. A gateway SIGKILLed under load delivers every
// acknowledged message after its restart, in order; a database restarted under load answers 503
// while it is down and loses nothing acknowledged; `brygga audit verify` checks the PostgreSQL log.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <rapidjson/document.h>

#include "gateway/app/config_loader.h"
#include "gateway/store/postgres_store.h"
#include "tests/integration/delivery_peer.h"
#include "tests/integration/process.h"
#include "tests/support/postgres_server.h"

namespace brygga::testing {
namespace {

constexpr int kWaitMs = 60000;

// writeServeConfig's gateway, storing in `databaseUrl` on `server`; `instance` names its own data
// dir and config file, and every instance signs audit checkpoints with the one key file.
std::string writePostgresConfig(const TempDir& dir, const std::string& peerBaseUrl,
                                const PostgresServer& server, const std::string& databaseUrl,
                                const std::string& instance = "a",
                                const std::string& mappingsDir = "") {
  const std::string config = dir.file("config-" + instance + ".json");
  std::ofstream(config) << R"({"server":{"httpPort":0,"httpsPort":-1},"dataDir":")"
                        << dir.file("data-" + instance) << R"(","storage":{"backend":"postgresql",)"
                        << R"("postgresql":{"url":")" << databaseUrl << R"(","passwordFile":")"
                        << server.passwordFile() << R"("}},)"
                        << R"("audit":{"signingKeyFile":")" << dir.file("audit-signing.key")
                        << R"("},)"
                        << (mappingsDir.empty()
                                ? std::string()
                                : R"("mappings":{"directory":")" + mappingsDir + R"("},)")
                        << R"("delivery":{"pollIntervalMs":20},"destinations":{"regional":{)"
                        << R"("baseUrl":")" << peerBaseUrl
                        << R"(","retryBaseMs":50,"retryMaxMs":200}}})";
  return config;
}

// Pending outbox entries in the database, read as another process would.
int64_t pendingIn(const PostgresServer& server, const std::string& databaseUrl) {
  store::PostgresOptions options;
  options.url = databaseUrl;
  options.password = server.password();
  options.writeConnections = 1;
  options.readConnections = 1;
  auto store = store::openPostgresStore(options);
  if (!store.isOk()) return -1;
  auto states = (*store)->outbox().destinationStates();
  if (!states.isOk()) return -1;
  int64_t pending = 0;
  for (const auto& s : *states) pending += s.pending;
  return pending;
}

class PostgresGateway : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PostgresServer::available()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
    server_ = std::make_unique<PostgresServer>();
    url_ = server_->createDatabase("brygga");
    peer_.start();
    config_ = writePostgresConfig(dir_, peer_.baseUrl(), *server_, url_);
  }

  TempDir dir_;
  DeliveryPeer peer_;
  std::unique_ptr<PostgresServer> server_;
  std::string url_;
  std::string config_;
};

TEST_F(PostgresGateway, KilledUnderLoadItDeliversEveryAcknowledgedMessageAndItsAuditVerifies) {
  ServeProcess first = startServe(config_, dir_.file("gateway.log"));
  ASSERT_GT(first.port, 0);
  KeepSending senders("http://127.0.0.1:" + std::to_string(first.port) + "/fhir", 300, 6);
  ASSERT_TRUE(waitUntil([&] { return senders.count() >= 150; }, kWaitMs));
  auto [acknowledged, second] = killAndRestart(first, senders, config_, dir_.file("gateway.log"));
  ASSERT_GT(second.port, 0);
  const bool all = peer_.waitForAccepted(acknowledged, kWaitMs);
  const bool drained = waitUntil([&] { return pendingIn(*server_, url_) == 0; }, kWaitMs);
  EXPECT_TRUE(stopServe(second, SIGTERM));
  ASSERT_TRUE(all) << acknowledged.size() << " acknowledged";
  ASSERT_TRUE(drained);
  const auto received = peer_.received();
  std::map<std::string, std::set<std::string>> keysOf;
  for (const auto& r : received) keysOf[r.episode].insert(r.key);
  for (const auto& [episode, keys] : keysOf) EXPECT_EQ(keys.size(), 1u) << episode;
  expectInOrderPerPatient(received, /*allowResend=*/true);

  // All of it in PostgreSQL: no SQLite file in the data dir.
  EXPECT_FALSE(std::filesystem::exists(dir_.file("data-a") + "/brygga.db"));
  auto verified = runBrygga("audit verify --config " + config_ + " 2>&1");
  EXPECT_EQ(verified.exitCode, 0) << verified.output;
  EXPECT_NE(verified.output.find("intact"), std::string::npos) << verified.output;
}

TEST_F(PostgresGateway, ADatabaseRestartedUnderLoadIs503WhileDownAndLosesNothingAcknowledged) {
  ServeProcess gateway = startServe(config_, dir_.file("gateway.log"));
  ASSERT_GT(gateway.port, 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(gateway.port) + "/fhir";

  // Senders that go on through errors, each patient's messages in order.
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::set<std::string> acknowledged;
  std::map<int, int> answers;  // status -> count
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, patient = 500 + t] {
      for (int n = 0; !stop; ++n) {
        HttpAnswer r;
        try {
          r = httpCall("POST", url, enrollmentOf(patient, n),
                       {{"Authorization", "Bearer " + tokenOf("kungsbacka")}});
        } catch (const std::exception&) {
          continue;
        }
        std::lock_guard lock(mutex);
        ++answers[r.status];
        if (r.status == 200) acknowledged.insert(episodeOf(patient, n));
      }
    });
  }
  const auto count = [&](int status) {
    std::lock_guard lock(mutex);
    return answers[status];
  };
  ASSERT_TRUE(waitUntil([&] { return count(200) >= 100; }, kWaitMs));
  server_->stop();
  EXPECT_TRUE(waitUntil([&] { return count(503) >= 20; }, kWaitMs));
  // What a load balancer's health check sees meanwhile.
  const std::string base = "http://127.0.0.1:" + std::to_string(gateway.port);
  EXPECT_EQ(httpCall("GET", base + "/readyz").status, 503);
  const int acceptedWhileDown = count(200);
  server_->start();
  EXPECT_TRUE(waitUntil([&] { return count(200) >= acceptedWhileDown + 100; }, kWaitMs));
  // Ready again once the gateway has written to the database (readiness is cached for 1 s).
  EXPECT_TRUE(waitUntil([&] { return httpCall("GET", base + "/readyz").status == 200; }, kWaitMs));

  stop = true;
  for (auto& t : threads) t.join();

  // Nothing but 200 and 503: the outage was a clear "try again", never a 500.
  for (const auto& [status, n] : answers) {
    EXPECT_TRUE(status == 200 || status == 503) << n << " answers " << status;
  }
  EXPECT_TRUE(peer_.waitForAccepted(acknowledged, kWaitMs)) << acknowledged.size();
  expectInOrderPerPatient(peer_.received(), /*allowResend=*/true);
  EXPECT_TRUE(stopServe(gateway, SIGTERM));
}

TEST_F(PostgresGateway, ThreeInstancesShareTheLoadAndOneKilledLosesNothingNorSendsTwice) {
  std::vector<ServeProcess> instances;
  std::vector<std::string> urls;
  for (const std::string name : {"a", "b", "c"}) {
    const std::string config = writePostgresConfig(dir_, peer_.baseUrl(), *server_, url_, name);
    instances.push_back(startServe(config, dir_.file("gateway-" + name + ".log")));
    ASSERT_GT(instances.back().port, 0);
    urls.push_back("http://127.0.0.1:" + std::to_string(instances.back().port) + "/fhir");
  }

  // Senders spread each patient's messages over the three instances, in turn; an instance that
  // is gone is skipped (that message was never acknowledged: it is sent again to the next).
  std::atomic<bool> stop{false};
  std::atomic<bool> firstDead{false};
  std::mutex mutex;
  std::set<std::string> acknowledged;
  // Messages sent again after an attempt without an answer: the killed instance may have
  // committed one before it died, and the next instance's conditional create then matches it and
  // forwards it once more (as a repeated enrollment is), under a key of its own.
  std::set<std::string> sentAgain;
  std::map<int, int> perInstance;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, patient = 700 + t] {
      int n = 0;
      for (int turn = t; !stop; ++turn) {
        const int i = turn % 3;
        if (i == 0 && firstDead) continue;
        HttpAnswer r;
        try {
          r = httpCall("POST", urls[i], enrollmentOf(patient, n),
                       {{"Authorization", "Bearer " + tokenOf("kungsbacka")}});
        } catch (const std::exception&) {
          r.status = 0;
        }
        if (r.status != 200) {
          std::lock_guard lock(mutex);
          sentAgain.insert(episodeOf(patient, n));
          continue;
        }
        std::lock_guard lock(mutex);
        acknowledged.insert(episodeOf(patient, n++));
        ++perInstance[i];
      }
    });
  }
  const auto count = [&] {
    std::lock_guard lock(mutex);
    return acknowledged.size();
  };
  ASSERT_TRUE(waitUntil([&] { return count() >= 150; }, kWaitMs));
  firstDead = true;
  ASSERT_EQ(kill(instances[0].pid, SIGKILL), 0);
  int status = 0;
  waitpid(instances[0].pid, &status, 0);
  const size_t atKill = count();
  ASSERT_TRUE(waitUntil([&] { return count() >= atKill + 150; }, kWaitMs));
  stop = true;
  for (auto& t : threads) t.join();

  EXPECT_GT(perInstance[0], 0);
  EXPECT_GT(perInstance[1], 0);
  EXPECT_GT(perInstance[2], 0);
  // Every acknowledged message reaches the peer, from whichever instance holds the delivery
  // lease (the killed one's passes on), under one key each and in order per patient; a key comes
  // twice only for what was in flight when its sender died, and a second key only for a message
  // sent again because its first instance died before answering.
  ASSERT_TRUE(peer_.waitForAccepted(acknowledged, kWaitMs)) << acknowledged.size();
  EXPECT_TRUE(waitUntil([&] { return pendingIn(*server_, url_) == 0; }, kWaitMs));
  const auto received = peer_.received();
  std::map<std::string, std::set<std::string>> keysOf;
  std::map<std::string, int> perKey;
  for (const auto& r : received) {
    keysOf[r.episode].insert(r.key);
    ++perKey[r.key];
  }
  for (const auto& [episode, keys] : keysOf) {
    EXPECT_LE(keys.size(), sentAgain.count(episode) ? 2u : 1u) << episode;
  }
  int resent = 0;
  for (const auto& [key, n] : perKey) resent += n - 1;
  EXPECT_LE(resent, 32);
  expectInOrderPerPatient(received, /*allowResend=*/true);
  RecordProperty("acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("resentAfterTheKill", resent);

  // The console of any instance lists all three; the killed one turns not alive once it has been
  // silent past the beat's tolerance, and the instance asked is marked as itself.
  const auto gateways = [&](const ServeProcess& asked) {
    auto answer =
        httpCall("GET", "http://127.0.0.1:" + std::to_string(asked.port) + "/console/api/summary",
                 {}, {{"Authorization", "Bearer " + tokenOf("integration")}});
    std::map<std::string, std::pair<bool, bool>> alive;  // pid -> (alive, self)
    rapidjson::Document doc;
    doc.Parse(answer.body.c_str());
    if (answer.status != 200 || doc.HasParseError() || !doc.HasMember("gateways")) return alive;
    for (const auto& g : doc["gateways"].GetArray()) {
      const std::string id = g["id"].GetString();
      alive[id.substr(id.rfind(':') + 1)] = {g["alive"].GetBool(), g["self"].GetBool()};
    }
    return alive;
  };
  const auto pid = [](const ServeProcess& p) { return std::to_string(p.pid); };
  EXPECT_TRUE(waitUntil(
      [&] {
        auto seen = gateways(instances[2]);
        return seen.size() == 3 && seen[pid(instances[0])] == std::make_pair(false, false) &&
               seen[pid(instances[1])] == std::make_pair(true, false) &&
               seen[pid(instances[2])] == std::make_pair(true, true);
      },
      kWaitMs));

  EXPECT_TRUE(stopServe(instances[1], SIGTERM));
  EXPECT_TRUE(stopServe(instances[2], SIGTERM));
  auto verified = runBrygga("audit verify --config " + dir_.file("config-b.json") + " 2>&1");
  EXPECT_EQ(verified.exitCode, 0) << verified.output;
}

TEST_F(PostgresGateway, AMappingReloadOnOneGatewayReachesTheOthersAndEachShowsBoth) {
  const std::string mappings = dir_.file("mappings");
  std::filesystem::copy(std::string(BRYGGA_SOURCE_DIR) + "/mappings/data", mappings);
  std::vector<ServeProcess> gateways;
  for (const std::string name : {"a", "b"}) {
    const std::string config =
        writePostgresConfig(dir_, peer_.baseUrl(), *server_, url_, name, mappings);
    gateways.push_back(startServe(config, dir_.file("gateway-" + name + ".log")));
    ASSERT_GT(gateways.back().port, 0);
  }
  const auto version = [&](const ServeProcess& gateway) {
    auto answer =
        httpCall("GET", "http://127.0.0.1:" + std::to_string(gateway.port) + "/admin/mappings", {},
                 {{"Authorization", "Bearer " + tokenOf("integration")}});
    rapidjson::Document doc;
    doc.Parse(answer.body.c_str());
    return answer.status == 200 && doc.HasMember("version")
               ? std::string(doc["version"].GetString())
               : std::string();
  };
  const std::string before = version(gateways[1]);
  ASSERT_FALSE(before.empty());
  ASSERT_EQ(version(gateways[0]), before);

  // An extra closed day, reloaded on the first gateway only.
  const std::string hours = mappings + "/service-hours.json";
  std::ifstream in(hours);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  const std::string from = R"("extraClosedDays": [])";
  ASSERT_NE(text.find(from), std::string::npos);
  text.replace(text.find(from), from.size(),
               R"("extraClosedDays": [{"date": "2026-12-28", "reason": "Closed"}])");
  std::ofstream(hours) << text;
  auto reloaded = httpCall(
      "POST", "http://127.0.0.1:" + std::to_string(gateways[0].port) + "/admin/mappings/reload", {},
      {{"Authorization", "Bearer " + tokenOf("integration")}, {"X-Brygga-Console", "1"}});
  ASSERT_EQ(reloaded.status, 200) << reloaded.body;
  const std::string after = version(gateways[0]);
  ASSERT_NE(after, before);
  // The second gateway hears of it through the database and loads the same version.
  EXPECT_TRUE(waitUntil([&] { return version(gateways[1]) == after; }, kWaitMs));
  // Either gateway's /metrics shows both, alive.
  EXPECT_TRUE(waitUntil(
      [&] {
        auto metrics =
            httpCall("GET", "http://127.0.0.1:" + std::to_string(gateways[1].port) + "/metrics", {},
                     {{"Authorization", "Bearer " + tokenOf("integration")}});
        return metrics.body.find("brygga_instances_alive 2") != std::string::npos &&
               metrics.body.find(":" + std::to_string(gateways[0].pid) + "\"") != std::string::npos;
      },
      kWaitMs));
  for (const auto& g : gateways) EXPECT_TRUE(stopServe(g, SIGTERM));
}

TEST_F(PostgresGateway, AConfigWithThePasswordInTheUrlOrAnUnreadablePasswordFileIsRefused) {
  const std::string inUrl = dir_.file("in-url.json");
  std::ofstream(inUrl) << R"({"dataDir":")" << dir_.file("data-x")
                       << R"(","storage":{"backend":"postgresql","postgresql":{"url":")"
                       << "postgresql://brygga:secret@127.0.0.1:" << server_->port() << "/brygga"
                       << R"("}}})";
  auto refused = runBrygga("serve --config " + inUrl + " 2>&1");
  EXPECT_NE(refused.exitCode, 0);
  EXPECT_NE(refused.output.find("passwordFile"), std::string::npos) << refused.output;
  EXPECT_EQ(refused.output.find("secret"), std::string::npos) << refused.output;

  const std::string noFile = dir_.file("no-file.json");
  std::ofstream(noFile) << R"({"dataDir":")" << dir_.file("data-x")
                        << R"(","storage":{"backend":"postgresql","postgresql":{"url":")" << url_
                        << R"(","passwordFile":")" << dir_.file("missing") << R"("}}})";
  auto unreadable = runBrygga("serve --config " + noFile + " 2>&1");
  EXPECT_NE(unreadable.exitCode, 0);
  EXPECT_NE(unreadable.output.find("cannot be read"), std::string::npos) << unreadable.output;

  // A wrong password: the server's refusal, named, and no gateway.
  std::ofstream(dir_.file("wrong")) << "not-the-password\n";
  const std::string wrong = dir_.file("wrong.json");
  std::ofstream(wrong) << R"({"dataDir":")" << dir_.file("data-x")
                       << R"(","storage":{"backend":"postgresql","postgresql":{"url":")" << url_
                       << R"(","passwordFile":")" << dir_.file("wrong") << R"("}}})";
  auto denied = runBrygga("serve --config " + wrong + " 2>&1");
  EXPECT_NE(denied.exitCode, 0);
  EXPECT_NE(denied.output.find("password authentication failed"), std::string::npos)
      << denied.output;
  EXPECT_EQ(denied.output.find("not-the-password"), std::string::npos) << denied.output;
}

// The failover example in ops/ha (docs/deployment-ha.md): the gateway accepts its config as it
// is, and HAProxy checks /readyz where that config listens and sends the database port its URL
// names to the Patroni primary.
TEST(PostgresDeployment, TheExampleConfigsAgreeWithWhatTheGatewayAcceptsAndListensOn) {
  const std::string dir = std::string(BRYGGA_SOURCE_DIR) + "/ops/ha/";
  std::ifstream in(dir + "brygga-instance.json");
  std::stringstream json;
  json << in.rdbuf();
  auto config = app::parseConfig(json.str());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->storage.backend, "postgresql");
  EXPECT_FALSE(config->storage.postgresql.passwordFile.empty());
  EXPECT_NE(config->storage.postgresql.url.find("target_session_attrs=read-write"),
            std::string::npos);
  EXPECT_FALSE(config->audit.signingKeyFile.empty());

  std::ifstream haproxyIn(dir + "haproxy.cfg");
  std::stringstream haproxy;
  haproxy << haproxyIn.rdbuf();
  const std::string cfg = haproxy.str();
  EXPECT_NE(cfg.find("option httpchk GET /readyz"), std::string::npos);
  EXPECT_NE(cfg.find(":" + std::to_string(config->server.httpsPort) + "\n"), std::string::npos)
      << "the gateways' servers must be checked on the HTTPS port the config listens on";
  const std::string& url = config->storage.postgresql.url;
  const size_t colon = url.find(':', url.find('@'));
  const std::string dbPort = url.substr(colon + 1, url.find('/', colon) - colon - 1);
  EXPECT_NE(cfg.find("bind 127.0.0.1:" + dbPort), std::string::npos);
  EXPECT_NE(cfg.find("option httpchk GET /primary"), std::string::npos);

  std::ifstream patroniIn(dir + "patroni.yml");
  std::stringstream patroni;
  patroni << patroniIn.rdbuf();
  EXPECT_NE(patroni.str().find("synchronous_mode: true"), std::string::npos)
      << "a failover must not lose what a gateway acknowledged";
}

}  // namespace
}  // namespace brygga::testing

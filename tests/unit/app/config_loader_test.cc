#include <gtest/gtest.h>

#include <fstream>

#include "gateway/app/config_loader.h"
#include "gateway/core/digest.h"
#include "tests/support/test_support.h"

namespace brygga::app {
namespace {

std::string errorOf(const std::string& json) {
  auto config = parseConfig(json);
  if (config.isOk()) {
    core::Status s = checkConfig(*config);
    return s.isOk() ? std::string() : s.message();
  }
  return config.status().message();
}

TEST(Config, TheEmbeddedDefaultsAreValidAndServeTheHallandClients) {
  app::GatewayConfig config = defaultConfig();
  EXPECT_TRUE(checkConfig(config).isOk());
  EXPECT_EQ(config.server.httpBindAddress, "127.0.0.1");
  EXPECT_EQ(config.server.httpsBindAddress, "127.0.0.1");
  EXPECT_EQ(config.server.httpPort, 8080);
  EXPECT_EQ(config.server.httpsPort, 8443);
  EXPECT_EQ(config.dataDir, "./var");
  ASSERT_EQ(config.clients.size(), 9u);
  EXPECT_EQ(config.clients[8].id, "followup");
  EXPECT_EQ(config.clients[8].role, core::ClientRole::kFollowUp);
  EXPECT_EQ(config.clients[0].certificateSubject, "CN=kungsbacka,O=Brygga Dev,C=SE");
  EXPECT_EQ(config.clients[0].certificateIssuer, "CN=Brygga Dev CA,O=Brygga Dev,C=SE");
  EXPECT_EQ(config.destinations.at("regional").name, "regional");
  EXPECT_EQ(config.access.relationshipGraceDays, 30);
}

TEST(Config, AFileOverridesOnlyWhatItNames) {
  auto config = parseConfig(R"({
    "server": {"httpPort": 0, "maxBodyBytes": 4096},
    "dataDir": "/tmp/x",
    "access": {"relationshipGraceDays": 7},
    "clients": [{"id": "procapita", "tenant": "varberg", "role": "municipal",
                 "tokenSha256": "580d28aa2fb9ee7836eab3294c802eee57ef8e890fcdaee71443e469663c617a"}],
    "destinations": {"regional": {"baseUrl": "https://ehr.example/fhir", "maxAttempts": 3},
                     "statistik": {"baseUrl": "https://statistik.example/fhir"}},
    "measures": {"forwardTo": "statistik"}
  })");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server.httpPort, 0);
  EXPECT_EQ(config->access.relationshipGraceDays, 7);
  EXPECT_EQ(config->server.httpsPort, 8443);
  EXPECT_EQ(config->server.limits.maxBodyBytes, 4096);
  ASSERT_EQ(config->clients.size(), 1u);
  EXPECT_EQ(config->clients[0].role, core::ClientRole::kMunicipal);
  EXPECT_EQ(config->destinations.at("regional").maxAttempts, 3);
  EXPECT_EQ(config->destinations.at("regional").name, "regional");
  EXPECT_EQ(config->measures.forwardTo, "statistik");
}

TEST(Config, AFingerprintAsOpensslPrintsItIsTaken) {
  std::string printed;
  for (int i = 0; i < 32; ++i) printed += std::string(i == 0 ? "" : ":") + "AB";
  auto config = parseConfig(R"({"clients":[{"id":"pinned","tenant":"t","role":"regional",
                                            "certificateSha256":")" +
                            printed + R"("}]})");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_TRUE(checkConfig(*config).isOk());
  std::string hex;
  for (int i = 0; i < 32; ++i) hex += "AB";
  EXPECT_EQ(config->clients[0].certificateSha256, hex);
}

TEST(Config, EveryMistakeNamesItsKey) {
  struct Case {
    const char* json;
    const char* key;
  };
  const Case cases[] = {
      {R"({"server":{"htpPort":1}})", "server.htpPort is not a known key"},
      {R"({"server":{"httpPort":"80"}})", "server.httpPort must be an integer"},
      {R"({"server":{"httpsPort":70000}})", "server.httpsPort must be an integer from -1 to 65535"},
      {R"({"clients":[{"id":"a","tenant":"t","role":"boss","tokenSha256":"ab"}]})",
       "clients[0].role"},
      {R"({"clients":[{"id":"a","tenant":"t","role":"regional","tokenSha256":"xyz"}]})",
       "clients[0].tokenSha256 must be 64 hex digits"},
      {R"({"clients":[{"id":"a","tenant":"t","role":"regional"}]})",
       "clients[0] needs tokenSha256, certificateIssuer with certificateSubject"},
      {R"({"clients":[{"tenant":"t","role":"regional","certificateSubject":"CN=a"}]})",
       "clients[0].id is required"},
      // Never a subject (or HSA-id) alone: any CA in tls.caFile could issue it.
      {R"({"clients":[{"id":"a","tenant":"t","role":"regional","certificateSubject":"CN=a"}]})",
       "clients[0].certificateIssuer is required with certificateSubject"},
      {R"({"clients":[{"id":"a","tenant":"t","role":"regional","hsaId":"SE1-1"}]})",
       "clients[0].certificateIssuer is required with hsaId"},
      {R"({"clients":[{"id":"a","tenant":"t","role":"regional","certificateSha256":"ab:cd"}]})",
       "clients[0].certificateSha256 must be the certificate's SHA-256 fingerprint"},
      {R"({"server":{"bindAddress":"0.0.0.0"}})",
       "server.bindAddress is no longer read: set server.httpBindAddress and "
       "server.httpsBindAddress"},
      {R"({"server":{"publicBaseUrl":"brygga.example"}})", "server.publicBaseUrl must be an http"},
      {R"({"server":{"rateLimit":{"perSource":{"perSecond":5,"burst":0}}}})",
       "server.rateLimit.perSource.burst must be an integer from 1"},
      {R"({"tls":{"ocsp":{"failMode":"sometimes"}}})",
       "tls.ocsp.failMode must be \"open\" or \"closed\""},
      {R"({"tls":{"crlFiles":["a.crl", 3]}})", "tls.crlFiles[1] must be a file name"},
      {R"({"destinations":{"regional":{"baseUrl":"ftp://x"}}})",
       "destinations.regional.baseUrl must be an http"},
      {R"({"destinations":{"regional":{"timeoutMs":5}}})",
       "destinations.regional.baseUrl is required"},
      {R"({"server":{"httpPort":-1,"httpsPort":-1}})", "disables both listeners"},
      {R"({"clients":[{"id":"a","tenant":"t","role":"regional","certificateSha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"},
                      {"id":"a","tenant":"u","role":"regional","tokenSha256":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}]})",
       "clients[1].id repeats the id a"},
      {R"({"server":{"port":1}, "x":2})", "server.port"},
      {R"({"access":{"relationshipGraceDays":-1}})",
       "access.relationshipGraceDays must be an integer from 0 to 3650"},
      {R"({"measures":{"forwardTo":"statistik"}})",
       "measures.forwardTo names no configured destination (statistik)"},
      {R"({"measures":{"forwardTo":3}})", "measures.forwardTo must be a string"},
      {R"([1,2])", "(root) must be an object"},
      {R"({"dataDir":"a","dataDir":"b"})", "duplicate key"},
  };
  for (const auto& c : cases) {
    std::string error = errorOf(c.json);
    EXPECT_NE(error.find(c.key), std::string::npos) << c.json << " -> " << error;
    EXPECT_EQ(error.rfind("config: ", 0), 0u) << error;
  }
}

TEST(Config, TheServerLimitsHaveNamedDefaultsAFileCanChange) {
  const http::ServerConfig defaults = defaultConfig().server;
  EXPECT_EQ(defaults.maxConnectionsPerSource, 256);
  EXPECT_EQ(defaults.maxRequestsPerConnection, 1000);
  EXPECT_EQ(defaults.keepAliveTimeoutMs, 15000);
  EXPECT_EQ(defaults.headerTimeoutMs, 10000);

  auto config =
      parseConfig(R"({"server": {"maxConnectionsPerSource": 64, "maxRequestsPerConnection": 5,
                                           "keepAliveTimeoutMs": 2500, "headerTimeoutMs": 60000}})");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server.maxConnectionsPerSource, 64);
  EXPECT_EQ(config->server.maxRequestsPerConnection, 5);
  EXPECT_EQ(config->server.keepAliveTimeoutMs, 2500);
  EXPECT_EQ(config->server.headerTimeoutMs, 60000);
  EXPECT_EQ(config->server.threads, 64);  // untouched
}

TEST(Config, TheOldServerKeysAreRefusedNamingWhatReplacedThem) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"server":{"maxQueuedConnections":64}})", "server.maxConnectionsPerSource"},
      {R"({"server":{"keepAliveMaxRequests":0}})", "server.maxRequestsPerConnection"},
      {R"({"server":{"timeoutMs":30000}})", "headerTimeoutMs"},
      {R"({"server":{"bindAddress":"0.0.0.0"}})", "server.httpBindAddress"},
  };
  for (const auto& [json, replacement] : cases) {
    const std::string error = errorOf(json);
    EXPECT_NE(error.find("is no longer read"), std::string::npos) << json << " -> " << error;
    EXPECT_NE(error.find(replacement), std::string::npos) << json << " -> " << error;
  }
}

TEST(Config, ARelativeMappingsDirectoryIsBesideTheConfigFile) {
  testing::TempDir dir;
  std::ofstream(dir.file("relative.json")) << R"({"mappings": {"directory": "../mappings"}})";
  std::ofstream(dir.file("absolute.json")) << R"({"mappings": {"directory": "/srv/mappings"}})";
  std::ofstream(dir.file("none.json")) << "{}";

  auto relative = loadConfigFile(dir.file("relative.json"));
  ASSERT_TRUE(relative.isOk()) << relative.status().toString();
  const std::string parent = dir.path().substr(0, dir.path().rfind('/'));
  EXPECT_EQ(relative->mappings.directory, parent + "/mappings");
  EXPECT_EQ(loadConfigFile(dir.file("absolute.json"))->mappings.directory, "/srv/mappings");
  EXPECT_EQ(loadConfigFile(dir.file("none.json"))->mappings.directory, "");  // the installed set
}

TEST(Config, LoopbackAddressesAreKnown) {
  for (const char* address : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "localhost"}) {
    EXPECT_TRUE(isLoopbackAddress(address)) << address;
  }
  for (const char* address : {"0.0.0.0", "::", "10.0.0.7", "192.168.1.10", "128.0.0.1",
                              "::ffff:10.0.0.1", "fe80::1", "brygga.example", ""}) {
    EXPECT_FALSE(isLoopbackAddress(address)) << address;
  }
}

TEST(Config, TheDevelopmentClientsServeOnlyOnLoopbackOrWithDev) {
  GatewayConfig config = defaultConfig();
  EXPECT_TRUE(checkServeConfig(config, false).isOk());  // 127.0.0.1

  config.server.httpsBindAddress = "0.0.0.0";
  const core::Status refused = checkServeConfig(config, false);
  EXPECT_EQ(refused.code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.message().rfind("config: clients ", 0), 0u) << refused.message();
  EXPECT_TRUE(checkServeConfig(config, true).isOk());  // serve --dev

  // The config's own clients: fine anywhere, unless one of them kept a development token.
  auto own = parseConfig(R"({"server":{"httpsBindAddress":"10.1.2.3"},
    "clients":[{"id":"procapita","tenant":"varberg","role":"municipal",
                "tokenSha256":"4a960de16c34a04642c047372230673096c5adef5a4365acebaa052ce6b30af2"}]})");
  ASSERT_TRUE(own.isOk()) << own.status().toString();
  EXPECT_TRUE(checkServeConfig(*own, false).isOk());
  own->clients[0].tokenSha256 = core::sha256Hex("dev-token-varberg");
  for (char& c : own->clients[0].tokenSha256) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  EXPECT_FALSE(checkServeConfig(*own, false).isOk());

  // Each enabled listener's own address counts: plain HTTP beyond loopback is refused too...
  config.server.httpsBindAddress = "127.0.0.1";
  config.server.httpBindAddress = "10.0.0.7";
  EXPECT_FALSE(checkServeConfig(config, false).isOk());
  // ...unless that listener is off.
  config.server.httpPort = -1;
  EXPECT_TRUE(checkServeConfig(config, false).isOk());
  config.server.httpsBindAddress = "0.0.0.0";
  EXPECT_FALSE(checkServeConfig(config, false).isOk());
  config.server.httpsPort = -1;
  EXPECT_TRUE(checkServeConfig(config, false).isOk());
}

TEST(Config, LimitsHaveSafeDefaultsAndNamedKeys) {
  EXPECT_EQ(defaultConfig().server.limits.maxBundleEntries, 1000);
  EXPECT_EQ(defaultConfig().storage.readPoolWaitMs, 5000);
  auto config = parseConfig(
      R"({"server":{"maxBundleEntries":20},"storage":{"readPoolWaitMs":250},
          "audit":{"provenanceTrustFile":"/etc/brygga/peer-ca.pem"}})");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server.limits.maxBundleEntries, 20);
  EXPECT_EQ(config->storage.readPoolWaitMs, 250);
  EXPECT_EQ(config->audit.provenanceTrustFile, "/etc/brygga/peer-ca.pem");
  EXPECT_NE(errorOf(R"({"server":{"maxBundleEntries":0}})").find("server.maxBundleEntries"),
            std::string::npos);
  EXPECT_NE(errorOf(R"({"storage":{"readPoolWaitMs":0}})").find("storage.readPoolWaitMs"),
            std::string::npos);
}

}  // namespace
}  // namespace brygga::app

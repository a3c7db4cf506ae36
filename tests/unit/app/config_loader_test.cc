#include <gtest/gtest.h>

#include "gateway/app/config_loader.h"

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
  core::GatewayConfig config = defaultConfig();
  EXPECT_TRUE(checkConfig(config).isOk());
  EXPECT_EQ(config.server.bindAddress, "127.0.0.1");
  EXPECT_EQ(config.server.httpPort, 8080);
  EXPECT_EQ(config.server.httpsPort, 8443);
  EXPECT_EQ(config.dataDir, "./var");
  ASSERT_EQ(config.clients.size(), 8u);
  EXPECT_EQ(config.clients[0].certificateSubject, "CN=kungsbacka,O=Brygga Dev,C=SE");
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
    "destinations": {"regional": {"baseUrl": "https://ehr.example/fhir", "maxAttempts": 3}}
  })");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server.httpPort, 0);
  EXPECT_EQ(config->access.relationshipGraceDays, 7);
  EXPECT_EQ(config->server.httpsPort, 8443);
  EXPECT_EQ(config->server.maxBodyBytes, 4096);
  ASSERT_EQ(config->clients.size(), 1u);
  EXPECT_EQ(config->clients[0].role, core::ClientRole::kMunicipal);
  EXPECT_EQ(config->destinations.at("regional").maxAttempts, 3);
  EXPECT_EQ(config->destinations.at("regional").name, "regional");
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
       "clients[0] needs tokenSha256 or certificateSubject"},
      {R"({"clients":[{"tenant":"t","role":"regional","certificateSubject":"CN=a"}]})",
       "clients[0].id is required"},
      {R"({"destinations":{"regional":{"baseUrl":"ftp://x"}}})",
       "destinations.regional.baseUrl must be an http"},
      {R"({"destinations":{"regional":{"timeoutMs":5}}})",
       "destinations.regional.baseUrl is required"},
      {R"({"server":{"httpPort":-1,"httpsPort":-1}})", "disables both listeners"},
      {R"({"clients":[{"id":"a","tenant":"t","role":"regional","certificateSubject":"CN=a"},
                      {"id":"a","tenant":"u","role":"regional","certificateSubject":"CN=b"}]})",
       "clients[1].id repeats the id a"},
      {R"({"server":{"port":1}, "x":2})", "server.port"},
      {R"({"access":{"relationshipGraceDays":-1}})",
       "access.relationshipGraceDays must be an integer from 0 to 3650"},
      {R"([1,2])", "(root) must be an object"},
      {R"({"dataDir":"a","dataDir":"b"})", "duplicate key"},
  };
  for (const auto& c : cases) {
    std::string error = errorOf(c.json);
    EXPECT_NE(error.find(c.key), std::string::npos) << c.json << " -> " << error;
    EXPECT_EQ(error.rfind("config: ", 0), 0u) << error;
  }
}

}  // namespace
}  // namespace brygga::app

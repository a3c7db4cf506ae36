// The audit.* configuration keys (issue 6) and the defaults the gateway and the CLI derive.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gateway/app/config_loader.h"
#include "gateway/app/gateway.h"

namespace brygga::app {
namespace {

using ::testing::HasSubstr;

TEST(AuditConfig, DefaultsSignEveryThousandRecordsOrMinute) {
  const app::GatewayConfig config = defaultConfig();
  EXPECT_EQ(config.audit.checkpointIntervalMs, 60000);
  EXPECT_EQ(config.audit.checkpointEveryRecords, 1000);
  EXPECT_EQ(auditSigningKeyFile(config), "./var/audit-signing.key");
  EXPECT_THAT(auditOrigin(config), ::testing::StartsWith("brygga."));
  EXPECT_THAT(auditOrigin(config), ::testing::EndsWith("/audit"));
}

TEST(AuditConfig, KeysAreReadAndChecked) {
  auto config = parseConfig(R"({"dataDir":"/srv/brygga","audit":{
      "signingKeyFile":"/etc/brygga/audit.key","origin":"brygga.regionhalland.se/audit",
      "checkpointIntervalMs":5000,"checkpointEveryRecords":250}})");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(auditSigningKeyFile(*config), "/etc/brygga/audit.key");
  EXPECT_EQ(auditOrigin(*config), "brygga.regionhalland.se/audit");
  EXPECT_EQ(config->audit.checkpointIntervalMs, 5000);
  EXPECT_EQ(config->audit.checkpointEveryRecords, 250);
  EXPECT_TRUE(config->audit.signProvenance);
  EXPECT_FALSE(parseConfig(R"({"audit":{"signProvenance":false}})")->audit.signProvenance);

  auto dataDirKey = parseConfig(R"({"dataDir":"/srv/brygga"})");
  EXPECT_EQ(auditSigningKeyFile(*dataDirKey), "/srv/brygga/audit-signing.key");

  for (const auto& [json, key] : std::vector<std::pair<std::string, std::string>>{
           {R"({"audit":{"checkpointIntervalMs":0}})", "audit.checkpointIntervalMs"},
           {R"({"audit":{"checkpointEveryRecords":"10"}})", "audit.checkpointEveryRecords"},
           {R"({"audit":{"origin":"two words"}})", "audit.origin"},
           {R"({"audit":{"origin":"a+b"}})", "audit.origin"},
           {R"({"audit":{"signingKeyFile":""}})", "audit.signingKeyFile"},
           {R"({"audit":{"signProvenance":"yes"}})", "audit.signProvenance"},
           {R"({"audit":{"witnessUrl":"x"}})", "audit.witnessUrl"}}) {
    auto bad = parseConfig(json);
    ASSERT_FALSE(bad.isOk()) << json;
    EXPECT_THAT(bad.status().message(), HasSubstr(key)) << json;
  }
}

}  // namespace
}  // namespace brygga::app

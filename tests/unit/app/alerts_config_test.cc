#include <gtest/gtest.h>

#include "gateway/app/config_loader.h"

namespace brygga::app {
namespace {

std::string errorOf(const std::string& json) {
  auto config = parseConfig(json);
  if (!config.isOk()) return config.status().message();
  core::Status s = checkConfig(*config);
  return s.isOk() ? std::string() : s.message();
}

TEST(AlertsConfig, DefaultsHaveEveryRuleOnAndNoWebhook) {
  const alerts::AlertsConfig a = defaultConfig().alerts;
  EXPECT_TRUE(a.webhookUrl.empty());
  EXPECT_EQ(a.evaluateIntervalMs, 15000);
  EXPECT_EQ(a.renotifyIntervalMs, 3600000);
  EXPECT_TRUE(a.sendResolved);
  EXPECT_EQ(a.queueAgeMs, 900000);
  EXPECT_EQ(a.queueDepth, 1000);
  EXPECT_TRUE(a.deadLetters);
  EXPECT_EQ(a.destinationFailingMs, 600000);
  EXPECT_EQ(a.checkpointOverdueMs, 600000);
  EXPECT_EQ(defaultConfig().storage.minFreeDiskBytes, 100LL * 1024 * 1024);
}

TEST(AlertsConfig, KeysAreReadAndChecked) {
  auto config = parseConfig(R"({
    "alerts": {"webhookUrl": "https://chat.example/hooks/abc", "evaluateIntervalMs": 5000,
               "renotifyIntervalMs": 0, "sendResolved": false, "queueAgeMs": 60000,
               "queueDepth": 0, "deadLetters": false, "destinationFailingMs": 120000,
               "checkpointOverdueMs": 300000, "webhookTimeoutMs": 2000, "instance": "brygga-prod"},
    "storage": {"minFreeDiskBytes": 1073741824}
  })");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  const alerts::AlertsConfig& a = config->alerts;
  EXPECT_EQ(a.webhookUrl, "https://chat.example/hooks/abc");
  EXPECT_EQ(a.evaluateIntervalMs, 5000);
  EXPECT_EQ(a.renotifyIntervalMs, 0);
  EXPECT_FALSE(a.sendResolved);
  EXPECT_EQ(a.queueAgeMs, 60000);
  EXPECT_EQ(a.queueDepth, 0);
  EXPECT_FALSE(a.deadLetters);
  EXPECT_EQ(a.destinationFailingMs, 120000);
  EXPECT_EQ(a.checkpointOverdueMs, 300000);
  EXPECT_EQ(a.webhookTimeoutMs, 2000);
  EXPECT_EQ(a.instance, "brygga-prod");
  EXPECT_EQ(config->storage.minFreeDiskBytes, 1073741824);
}

TEST(AlertsConfig, BadValuesNameTheKey) {
  EXPECT_EQ(errorOf(R"({"alerts": {"webhookUrl": "ftp://x"}})"),
            "config: alerts.webhookUrl must be an http:// or https:// URL (or empty: no webhook)");
  EXPECT_EQ(errorOf(R"({"alerts": {"evaluateIntervalMs": 10}})"),
            "config: alerts.evaluateIntervalMs must be an integer from 100 to 3600000");
  EXPECT_EQ(errorOf(R"({"alerts": {"queueDepth": -1}})"),
            "config: alerts.queueDepth must be an integer from 0 to 1000000000");
  EXPECT_EQ(errorOf(R"({"alerts": {"sendResolved": "yes"}})"),
            "config: alerts.sendResolved must be true or false");
  EXPECT_EQ(errorOf(R"({"alerts": {"webhook": "https://x"}})"),
            "config: alerts.webhook is not a known key");
  EXPECT_EQ(errorOf(R"({"storage": {"minFreeDiskBytes": -5}})"),
            "config: storage.minFreeDiskBytes must be an integer from 0 to 1125899906842624");
}

}  // namespace
}  // namespace brygga::app

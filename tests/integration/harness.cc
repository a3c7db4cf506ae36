#include "tests/integration/harness.h"

#include <gtest/gtest.h>

#include "tests/integration/fixtures.h"

namespace brygga::testing {

std::string certsDir() {
  return BRYGGA_CERTS_DIR;
}

GatewayHarness::GatewayHarness(TestPeer* peer, std::string dataDir) {
  config_ = app::defaultConfig();
  if (dataDir.empty()) {
    temp_ = std::make_unique<TempDir>();
    dataDir = temp_->path();
  }
  config_.dataDir = dataDir;
  config_.server.httpPort = 0;
  config_.server.httpsPort = 0;
  config_.server.limits.maxBodyBytes = 256 * 1024;
  config_.tls.certificateFile = certsDir() + "/server.crt";
  config_.tls.privateKeyFile = certsDir() + "/server.key";
  config_.tls.caFile = certsDir() + "/ca.crt";
  config_.delivery.pollIntervalMs = 20;
  // In process, the executable is this test binary, with no mapping data installed beside it.
  config_.mappings.directory = std::string(BRYGGA_SOURCE_DIR) + "/mappings/data";
  auto& regional = config_.destinations["regional"];
  regional.peer.baseUrl = peer != nullptr ? peer->baseUrl() : "http://127.0.0.1:1/fhir";
  regional.retryBaseMs = 50;
  regional.retryMaxMs = 200;
  regional.peer.timeoutMs = 5000;
}

GatewayHarness::~GatewayHarness() {
  stop();
}

void GatewayHarness::start() {
  ASSERT_TRUE(app::checkConfig(config_).isOk());
  app::Gateway::Options options;
  options.log = &log_;
  options.timeSystem = time_;
  auto g = app::Gateway::create(config_, options);
  ASSERT_TRUE(g.isOk()) << g.status().toString();
  gateway_ = std::move(g).value();
  auto s = gateway_->start();
  ASSERT_TRUE(s.isOk()) << s.toString();
}

void GatewayHarness::stop() {
  if (gateway_) gateway_->stop();
  gateway_.reset();
}

std::string GatewayHarness::base() const {
  return "http://127.0.0.1:" + std::to_string(gateway_->httpPort()) + "/fhir";
}

std::string GatewayHarness::httpsBase() const {
  return "https://localhost:" + std::to_string(gateway_->httpsPort()) + "/fhir";
}

HttpAnswer GatewayHarness::call(const std::string& client, const std::string& method,
                                const std::string& path, const std::string& body,
                                std::map<std::string, std::string> headers) {
  if (!client.empty()) headers["Authorization"] = "Bearer " + tokenOf(client);
  return httpCall(method, base() + path, body, headers);
}

HttpAnswer GatewayHarness::consoleCall(const std::string& client, const std::string& method,
                                       const std::string& path) {
  std::map<std::string, std::string> headers{{"X-Brygga-Console", "1"}};
  if (!client.empty()) headers["Authorization"] = "Bearer " + tokenOf(client);
  return httpCall(method, "http://127.0.0.1:" + std::to_string(gateway_->httpPort()) + path, "",
                  headers);
}

std::string GatewayHarness::enroll(const std::string& client, const std::string& personnummer,
                                   const std::string& episodeId) {
  auto r = call(client, "POST", "/", enrollmentBundle(personnummer, episodeId));
  EXPECT_EQ(r.status, 200) << r.body;
  if (r.status != 200) return {};
  auto doc = parse(r.body);
  return doc["entry"][0]["resource"]["id"].GetString();
}

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(json.c_str(), json.size());
  EXPECT_FALSE(doc.HasParseError()) << json.substr(0, 500);
  return doc;
}

}  // namespace brygga::testing

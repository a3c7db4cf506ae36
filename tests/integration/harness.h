#pragma once

#include <map>
#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "gateway/app/config_loader.h"
#include "gateway/app/gateway.h"
#include "tests/support/test_support.h"

namespace brygga::testing {

// A running gateway on ports 0 with its data in a temp dir, forwarding to a TestPeer.
class GatewayHarness {
 public:
  explicit GatewayHarness(TestPeer* peer, std::string dataDir = {});
  ~GatewayHarness();

  void start();
  void stop();
  app::Gateway& gateway() { return *gateway_; }
  app::GatewayConfig& config() { return config_; }
  // The gateway's time (a SimulatedTimeSystem: a Saturday is a Saturday, and background passes
  // run when the test advances it); set before start(). Not owned; outlives the harness.
  // Default: the machine's clocks.
  void setTimeSystem(core::TimeSystem* time) { time_ = time; }
  // What the gateway logged so far (JSON lines). Read it after stop(): the gateway writes it.
  std::string logText() const { return log_.str(); }

  std::string base() const;  // http://127.0.0.1:PORT/fhir
  std::string httpsBase() const;
  // A call with the dev token of `client` ("" for none).
  HttpAnswer call(const std::string& client, const std::string& method, const std::string& path,
                  const std::string& body = {}, std::map<std::string, std::string> headers = {});
  // A call of the integration team's endpoints as the console's script makes it (with
  // X-Brygga-Console: 1), with the dev token of `client`; `path` from the root
  // ("/admin/destinations", "/console/api/summary").
  HttpAnswer consoleCall(const std::string& client, const std::string& method,
                         const std::string& path);
  // Enrolls the person with `client`'s municipality (enrollmentBundle: a patient enters Brygga
  // through an enrollment) and returns the Patient's id; empty when it was refused.
  std::string enroll(const std::string& client, const std::string& personnummer,
                     const std::string& episodeId = "E-1001");

 private:
  std::unique_ptr<TempDir> temp_;
  app::GatewayConfig config_;
  std::ostringstream log_;
  std::unique_ptr<app::Gateway> gateway_;
  core::TimeSystem* time_ = nullptr;
};

// A test against a gateway started on the embedded defaults, delivering to `peer_`.
class GatewayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<GatewayHarness>(&peer_);
    harness_->start();
  }
  HttpAnswer call(const std::string& client, const std::string& method, const std::string& path,
                  const std::string& body = {}, std::map<std::string, std::string> headers = {}) {
    return harness_->call(client, method, path, body, std::move(headers));
  }

  TestPeer peer_;
  std::unique_ptr<GatewayHarness> harness_;
};

rapidjson::Document parse(const std::string& json);
std::string certsDir();

// The dev token of a default client.
inline std::string tokenOf(const std::string& client) {
  return "dev-token-" + client;
}

}  // namespace brygga::testing

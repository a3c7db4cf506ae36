#pragma once

#include <map>
#include <memory>
#include <sstream>
#include <string>

#include <rapidjson/document.h>

#include "gateway/app/config_loader.h"
#include "gateway/app/gateway.h"
#include "tests/support/test_support.h"

namespace brygga::testing {

// A running gateway on ports 0 with its data in a temp dir, forwarding to a FakePeer.
class GatewayHarness {
 public:
  explicit GatewayHarness(FakePeer* peer, std::string dataDir = {});
  ~GatewayHarness();

  void start();
  void stop();
  app::Gateway& gateway() { return *gateway_; }
  core::GatewayConfig& config() { return config_; }
  // A clock for the gateway (e.g. a FakeClock set to a Saturday); set before start(). Not owned.
  void setClock(const core::Clock* clock) { clock_ = clock; }
  // What the gateway logged so far (JSON lines). Read it after stop(): the gateway writes it.
  std::string logText() const { return log_.str(); }

  std::string base() const;  // http://127.0.0.1:PORT/fhir
  std::string httpsBase() const;
  // A call with the dev token of `client` ("" for none).
  HttpAnswer call(const std::string& client, const std::string& method, const std::string& path,
                  const std::string& body = {}, std::map<std::string, std::string> headers = {});
  // Enrolls the person with `client`'s municipality (enrollmentBundle: a patient enters Brygga
  // through an enrollment) and returns the Patient's id; empty when it was refused.
  std::string enroll(const std::string& client, const std::string& personnummer,
                     const std::string& episodeId = "E-1001");

 private:
  std::unique_ptr<TempDir> temp_;
  core::GatewayConfig config_;
  std::ostringstream log_;
  std::unique_ptr<app::Gateway> gateway_;
  const core::Clock* clock_ = nullptr;
};

rapidjson::Document parse(const std::string& json);
std::string certsDir();

// The dev token of a default client.
inline std::string tokenOf(const std::string& client) {
  return "dev-token-" + client;
}

}  // namespace brygga::testing

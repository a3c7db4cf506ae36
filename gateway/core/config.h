#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

// Validated, immutable configuration handed to constructors. Loaded and checked once by
// gateway/app/config_loader; nothing below app reads files or flags.
namespace brygga::core {

enum class ClientRole { kMunicipal, kRegional, kIntegration };
const char* toString(ClientRole role);

struct ClientConfig {
  std::string id;
  std::string tenant;
  ClientRole role = ClientRole::kMunicipal;
  std::string tokenSha256;         // hex SHA-256 of the bearer token; empty: no token login
  std::string certificateSubject;  // RFC 4514 subject DN; empty: no certificate login
};

struct ServerConfig {
  std::string bindAddress = "127.0.0.1";
  int httpPort = 8080;   // 0 picks a free port; -1 disables the plain HTTP listener
  int httpsPort = 8443;  // 0 picks a free port; -1 disables the HTTPS listener
  int threads = 16;
  int64_t maxBodyBytes = 8 * 1024 * 1024;
  int maxJsonDepth = 64;
  int defaultPageSize = 50;
  int maxPageSize = 500;
};

struct TlsConfig {
  std::string certificateFile = "certs/out/server.crt";
  std::string privateKeyFile = "certs/out/server.key";
  std::string caFile = "certs/out/ca.crt";  // CA that signs client certificates
};

struct DestinationConfig {
  std::string name;
  std::string baseUrl;
  int64_t connectTimeoutMs = 2000;
  int64_t timeoutMs = 10000;
  int maxAttempts = 20;
  int64_t retryBaseMs = 1000;
  int64_t retryMaxMs = 5 * 60 * 1000;
  std::string clientCertificateFile;  // PEM, for mutual TLS towards the peer (optional)
  std::string clientKeyFile;
  std::string caFile;  // CA bundle to verify the peer; empty: the system store
};

struct DeliveryConfig {
  int64_t pollIntervalMs = 200;
  int batchSize = 32;
};

struct GatewayConfig {
  ServerConfig server;
  TlsConfig tls;
  std::string dataDir = "./var";
  std::vector<ClientConfig> clients;
  std::map<std::string, DestinationConfig> destinations;  // by name; "regional" is the EHR
  DeliveryConfig delivery;
};

}  // namespace brygga::core

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
  // An entry still undelivered this long after acceptance is dead; 0: no age limit.
  int64_t maxAgeMs = 0;
  // Back-pressure: writes that would enqueue to a destination with this many pending entries
  // are refused with 503.
  int64_t maxQueueDepth = 100000;
};

struct DeliveryConfig {
  int64_t pollIntervalMs = 200;
  int batchSize = 32;
  int64_t retentionMs = 7LL * 24 * 60 * 60 * 1000;  // delivered payloads are deleted after this
  int64_t retentionIntervalMs = 10 * 60 * 1000;     // how often retention runs
};

struct StorageConfig {
  // Upper bound on the database file; 0: none but the disk. Past it writes fail with 503 as on a
  // full disk (see store::SqliteOptions::maxDatabaseBytes).
  int64_t maxDatabaseBytes = 0;
};

// The audit transparency log: its signing key and when it makes signed checkpoints.
struct AuditConfig {
  std::string signingKeyFile;  // Ed25519 PEM private key; empty: <dataDir>/audit-signing.key
  std::string origin;          // checkpoint origin and key name; empty: brygga.<host name>/audit
  int64_t checkpointIntervalMs = 60000;   // at most this long between a record and a checkpoint
  int64_t checkpointEveryRecords = 1000;  // or sooner, once this many records are unsigned
  // Forwarded Bundles carry a Provenance signed with the TLS certificate and key (when those
  // can be read).
  bool signProvenance = true;
};

// The home-care flows' mapping files (ConceptMaps, routing tables, service hours).
struct MappingsConfig {
  // Empty: mappings/data under the working directory, else the source tree's (compiled in).
  std::string directory;
};

struct GatewayConfig {
  ServerConfig server;
  TlsConfig tls;
  std::string dataDir = "./var";
  std::vector<ClientConfig> clients;
  std::map<std::string, DestinationConfig> destinations;  // by name; "regional" is the EHR
  DeliveryConfig delivery;
  StorageConfig storage;
  AuditConfig audit;
  MappingsConfig mappings;
};

}  // namespace brygga::core

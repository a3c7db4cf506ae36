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
  // May name the person behind a request (X-Brygga-User-HSA-Id), recorded as the AuditEvent's
  // user agent; other clients' requests with that header are refused (400).
  bool mayAssertUser = false;
};

struct ServerConfig {
  std::string bindAddress = "127.0.0.1";
  int httpPort = 8080;   // 0 picks a free port; -1 disables the plain HTTP listener
  int httpsPort = 8443;  // 0 picks a free port; -1 disables the HTTPS listener
  // A kept-alive connection holds its worker thread between requests (POCO's HTTPServer), so
  // this also bounds the connections served at once: connections beyond it wait in the queue.
  int threads = 64;
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
  // 128: a worker that sends 32 per pass fell behind 64 busy senders (its recording unit waits
  // for a group commit each pass); see BENCHMARKS.md, Delivery.
  int batchSize = 128;
  int64_t retentionMs = 7LL * 24 * 60 * 60 * 1000;  // delivered payloads are deleted after this
  int64_t retentionIntervalMs = 10 * 60 * 1000;     // how often retention runs
};

struct StorageConfig {
  // Upper bound on the database file; 0: none but the disk. Past it writes fail with 503 as on a
  // full disk (see store::SqliteOptions::maxDatabaseBytes).
  int64_t maxDatabaseBytes = 0;
  // /readyz answers 503 while the file system holding dataDir has less free space than this.
  int64_t minFreeDiskBytes = 100LL * 1024 * 1024;
};

// Forwarding audit records to an Audit Record Repository as RFC 5424 syslog over TLS (RFC
// 5425 framing). Off while host is empty.
struct SyslogForwardConfig {
  std::string host;
  int port = 6514;
  std::string serverName;  // name the ARR's certificate must carry; empty: host
  std::string caFile;      // CA that signs the ARR's certificate (required when host is set)
  std::string clientCertificateFile;  // optional client certificate (PEM) and key
  std::string clientKeyFile;
  std::string hostname;  // HOSTNAME of the messages; empty: this machine's host name
  int64_t connectTimeoutMs = 5000;
  int64_t timeoutMs = 10000;  // per write
};

// Audit forwarding (gateway/audit/audit_forwarder.h): the audit table is the queue, each sink
// keeps a cursor; one thread per configured sink.
struct AuditForwardConfig {
  SyslogForwardConfig syslog;
  // FHIR AuditEvent POSTs to <fhir.baseUrl>/AuditEvent; off while baseUrl is empty. maxAttempts,
  // maxAgeMs and maxQueueDepth do not apply (records are never given up).
  DestinationConfig fhir;
  int batchSize = 100;           // records read and sent per pass
  int64_t pollIntervalMs = 500;  // how often a sink looks for new records
  int64_t retryBaseMs = 1000;    // first backoff after a failure; doubles...
  int64_t retryMaxMs = 60000;    // ...up to this
};

// Pushing signed checkpoints to a C2SP tlog-witness (POST <url>/add-checkpoint); off while the
// URL is empty.
struct WitnessConfig {
  DestinationConfig endpoint;  // baseUrl: the witness URL; TLS and timeouts as for destinations
  int64_t retryIntervalMs = 30000;  // a failed push is tried again after this
  // The witness's Ed25519 cosigner vkey (C2SP tlog-cosignature, type 0x04); when set, only an
  // answer with a valid cosignature by it counts as witnessed.
  std::string vkey;
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
  AuditForwardConfig forward;
  WitnessConfig witness;
};

// Access by care relationship (gateway/access).
struct AccessConfig {
  // A municipality keeps access this long after its home-care episode ended (closing notes).
  int relationshipGraceDays = 30;
};

// The home-care flows' mapping files (ConceptMaps, routing tables, service hours).
struct MappingsConfig {
  // Empty: mappings/data under the working directory, else the source tree's (compiled in).
  std::string directory;
};

// Alert rules, evaluated by the AlertMonitor thread; firing and resolved alerts are POSTed as JSON
// to webhookUrl. A threshold of 0 turns its rule off.
struct AlertsConfig {
  std::string webhookUrl;     // empty: alerts are evaluated and logged, not sent
  std::string webhookCaFile;  // CA bundle to verify an https webhook; empty: the system store
  int64_t webhookTimeoutMs = 5000;
  int64_t evaluateIntervalMs = 15000;
  // A firing alert is repeated at most this often; 0: never.
  int64_t renotifyIntervalMs = 60LL * 60 * 1000;
  bool sendResolved = true;
  int64_t queueAgeMs = 15LL * 60 * 1000;            // oldest waiting message older than this
  int64_t queueDepth = 1000;                        // this many messages waiting
  bool deadLetters = true;                          // a destination has dead letters
  int64_t destinationFailingMs = 10LL * 60 * 1000;  // every attempt failed for this long
  int64_t checkpointOverdueMs = 10LL * 60 * 1000;   // records waiting for a checkpoint this long
  std::string instance;  // names the gateway in alert texts; empty: the host name
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
  AlertsConfig alerts;
  AccessConfig access;
};

}  // namespace brygga::core

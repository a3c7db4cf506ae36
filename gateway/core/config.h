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
  std::string tokenSha256;  // hex SHA-256 of the bearer token; empty: no token login
  // Certificate login, by one of: the issuer's and the subject's DN (RFC 4514); the issuer's DN
  // and the HSA-id in the subject's serialNumber (SITHS function certificates); the certificate's
  // SHA-256 fingerprint. Never by subject alone: tls.caFile may hold more than one CA.
  std::string certificateIssuer;
  std::string certificateSubject;
  std::string hsaId;
  std::string certificateSha256;  // lower-case hex, no separators
  // May name the person behind a request (X-Brygga-User-HSA-Id), recorded as the AuditEvent's
  // user agent; other clients' requests with that header are refused (400).
  bool mayAssertUser = false;
};

// A token bucket: `perSecond` requests a second, `burst` saved up; perSecond 0: no limit.
struct RateLimitConfig {
  int perSecond = 0;
  int burst = 0;
};

struct ServerConfig {
  // Each listener its own address: plain HTTP stays on loopback unless configured otherwise.
  std::string httpBindAddress = "127.0.0.1";
  std::string httpsBindAddress = "127.0.0.1";
  int httpPort = 8080;   // 0 picks a free port; -1 disables the plain HTTP listener
  int httpsPort = 8443;  // 0 picks a free port; -1 disables the HTTPS listener
  // Every absolute URL the gateway writes (Location, fullUrl, paging links) starts with this,
  // e.g. "https://brygga.regionhalland.se"; empty: the listener's own address. Never the Host
  // header.
  std::string publicBaseUrl;
  int threads = 64;  // workers: requests handled at once (an idle connection holds none)
  int64_t maxBodyBytes = 8 * 1024 * 1024;
  int maxJsonDepth = 64;
  int defaultPageSize = 50;
  int maxPageSize = 500;
  // The front's limits (gateway/http/http_front.h): deadlines, sizes, connection caps.
  int64_t requestLineTimeoutMs = 10000;
  int64_t headerTimeoutMs = 10000;
  int64_t bodyTimeoutMs = 30000;
  int64_t writeTimeoutMs = 30000;
  int64_t minBytesPerSecond = 4096;
  int64_t keepAliveTimeoutMs = 15000;
  int maxRequestsPerConnection = 1000;
  int maxRequestLineBytes = 8 * 1024;
  int maxHeaderBytes = 64 * 1024;
  int maxConnections = 10000;
  int maxConnectionsPerSource = 256;
  int maxQueuedRequests = 1024;
  // Requests that name no valid client count against their source address; authenticated ones
  // against their client. Beyond: 429 with Retry-After, nothing recorded.
  struct RateLimits {
    RateLimitConfig perSource{50, 100};
    RateLimitConfig perClient{1000, 2000};
  } rateLimit;
  // Refused logins are audited as one AuditEvent per source address and window, with the count.
  int64_t failedAuthWindowMs = 60000;
};

// OCSP for client certificates that name a responder (Authority Information Access).
struct OcspConfig {
  bool enabled = true;
  // What no usable answer means: "open" accepts the certificate (CRLs still apply), "closed"
  // refuses the request with 503.
  bool failClosed = false;
  int64_t timeoutMs = 3000;
};

struct TlsConfig {
  std::string certificateFile = "certs/out/server.crt";
  std::string privateKeyFile = "certs/out/server.key";
  std::string caFile = "certs/out/ca.crt";  // CA(s) that sign client certificates
  std::vector<std::string> crlFiles;        // their CRLs (PEM or DER), re-read on SIGHUP
  OcspConfig ocsp;
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
};

}  // namespace brygga::core

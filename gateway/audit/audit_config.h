#pragma once

#include <cstdint>
#include <string>

#include "adapters/http_client.h"

// The audit log's configuration (audit.*).
namespace brygga::audit {

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

// Audit forwarding (audit_forwarder.h): the audit table is the queue, each sink keeps a cursor;
// one thread per configured sink.
struct AuditForwardConfig {
  SyslogForwardConfig syslog;
  // FHIR AuditEvent POSTs to <fhir.baseUrl>/AuditEvent; off while baseUrl is empty. Records are
  // never given up, so there is no attempt or age limit.
  adapters::HttpPeer fhir;
  int batchSize = 100;           // records read and sent per pass
  int64_t pollIntervalMs = 500;  // how often a sink looks for new records
  int64_t retryBaseMs = 1000;    // first backoff after a failure; doubles...
  int64_t retryMaxMs = 60000;    // ...up to this
};

// Pushing signed checkpoints to a C2SP tlog-witness (POST <url>/add-checkpoint); off while the
// URL is empty.
struct WitnessConfig {
  adapters::HttpPeer endpoint;      // baseUrl: the witness URL (audit.witness.url)
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
  // CA certificate(s), PEM, that `brygga verify-provenance` accepts signers from (its --ca flag
  // overrides it); without either it verifies nothing.
  std::string provenanceTrustFile;
  AuditForwardConfig forward;
  WitnessConfig witness;
};

}  // namespace brygga::audit

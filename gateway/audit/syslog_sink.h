#pragma once

#include <memory>
#include <string>
#include <vector>

#include "gateway/audit/audit_config.h"
#include "gateway/audit/audit_forwarder.h"
#include "gateway/core/status.h"
#include "gateway/store/store.h"

// Audit records as RFC 5424 syslog messages over TLS (RFC 5425), the way IHE ATNA feeds an Audit
// Record Repository, with the FHIR AuditEvent JSON as the message:
//
//   <85>1 2026-11-23T10:15:02.123Z gw01 brygga 4711 read [meta sequenceId="42"]
//   BOM{"resourceType":...}
//
// PRI: facility 10 (security/authorization) with severity 5 notice for a success, 4 warning for
// a minor failure (4xx), 3 error for a serious one; TIMESTAMP: when the record was written;
// APP-NAME brygga; PROCID the process id; MSGID the subtype code (read, create, search-type, ...,
// 110122 for a login; "AuditEvent" when it has none); structured data the registered SD-ID meta
// with the record's seq as sequenceId (so an ARR can drop a repeat); MSG the AuditEvent exactly as
// stored (UTF-8, with the BOM RFC 5424 asks for). Each message is framed by octet counting: MSG-LEN
// SP MSG.
namespace brygga::audit {

struct SyslogFields {
  std::string hostname;  // empty: "-"
  int procId = 0;        // 0: "-"
};

// The SYSLOG-MSG of one record (without framing).
std::string formatSyslogMessage(const store::AuditRecord& record, const SyslogFields& fields);
// MSG-LEN SP SYSLOG-MSG.
std::string frameSyslogMessage(const std::string& message);

// The sink: one TLS connection to the ARR (TLS 1.2 or later, the server's certificate verified
// against config.caFile and its name against serverName or host; optional client certificate),
// kept open between batches. A batch is written in one go; the records count as accepted once
// the write returned (RFC 5425 has no acknowledgement: what TCP had not delivered when the
// connection breaks may be lost, which is why the forwarder checks that the connection is still
// open before each batch). Writes that fail are reported with accepted = 0, so the whole batch
// is sent again on a new connection.
class SyslogTlsSink final : public AuditSink {
 public:
  // Loads the CA and client certificate (kInvalidArgument naming the file when they do not load).
  static core::StatusOr<std::unique_ptr<SyslogTlsSink>> create(const SyslogForwardConfig& config);
  ~SyslogTlsSink() override;

  std::string name() const override { return "syslog"; }
  Result send(const std::vector<store::AuditRecord>& records) override;
  void disconnect() override;

 private:
  struct Impl;
  explicit SyslogTlsSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace brygga::audit

#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapters/http_client.h"
#include "gateway/audit/audit_forwarder.h"

namespace brygga::audit {

// Audit records as FHIR AuditEvent creates: each record, exactly as stored (its id is its seq),
// is POSTed to <baseUrl>/AuditEvent as application/fhir+json with `X-Brygga-Audit-Seq: <seq>`,
// one after the other in seq order. A 2xx accepts it; anything else (no answer, 4xx, 5xx) stops
// the batch there and the forwarder retries from that record after its backoff, so a record is
// never skipped (a 4xx that never clears keeps the cursor where it is and is logged).
class FhirAuditSink final : public AuditSink {
 public:
  FhirAuditSink(std::string baseUrl, std::unique_ptr<adapters::HttpClient> client);

  std::string name() const override { return "fhir"; }
  Result send(const std::vector<store::AuditRecord>& records) override;

 private:
  const std::string url_;
  std::unique_ptr<adapters::HttpClient> client_;
};

}  // namespace brygga::audit

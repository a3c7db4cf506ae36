#include "gateway/audit/fhir_audit_sink.h"

#include <utility>

namespace brygga::audit {

namespace {

std::string trimSlash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

FhirAuditSink::FhirAuditSink(std::string baseUrl, std::unique_ptr<adapters::HttpClient> client)
    : url_(trimSlash(std::move(baseUrl)) + "/AuditEvent"), client_(std::move(client)) {}

AuditSink::Result FhirAuditSink::send(const std::vector<store::AuditRecord>& records) {
  Result result;
  for (const store::AuditRecord& record : records) {
    adapters::HttpRequestSpec request;
    request.method = "POST";
    request.url = url_;
    request.headers = {{"Content-Type", "application/fhir+json"},
                       {"Accept", "application/fhir+json"},
                       {"X-Brygga-Audit-Seq", std::to_string(record.seq)}};
    request.body = record.json;
    adapters::HttpResult answer = client_->send(request);
    if (answer.status < 200 || answer.status >= 300) {
      result.status =
          core::unavailable("fhir: POST AuditEvent (record " + std::to_string(record.seq) + ") " +
                            (answer.status == 0 ? "got no answer: " + answer.error
                                                : "was answered " + std::to_string(answer.status)));
      return result;
    }
    ++result.accepted;
  }
  return result;
}

}  // namespace brygga::audit

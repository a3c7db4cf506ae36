#include "gateway/app/provenance_http_client.h"

#include <rapidjson/document.h>

#include "gateway/fhir/json.h"

namespace brygga::app {

namespace {

// A transaction or batch Bundle: what Brygga forwards and signs.
bool isForwardedBundle(const std::string& body) {
  auto doc = fhir::parseJson(body);
  if (!doc.isOk() || fhir::stringMember(*doc, "resourceType") != "Bundle") return false;
  const std::string_view type = fhir::stringMember(*doc, "type");
  return type == "transaction" || type == "batch";
}

}  // namespace

adapters::HttpResult ProvenanceHttpClient::send(const adapters::HttpRequestSpec& request) {
  if (request.method != "POST" || !isForwardedBundle(request.body)) return inner_->send(request);
  auto signedBody = signer_->signBundle(request.body, clock_.nowMs());
  if (!signedBody.isOk()) {
    adapters::HttpResult failed;
    failed.error = "not sent: its Provenance could not be signed: " + signedBody.status().message();
    return failed;
  }
  adapters::HttpRequestSpec withProvenance = request;
  withProvenance.body = std::move(signedBody).value();
  return inner_->send(withProvenance);
}

}  // namespace brygga::app

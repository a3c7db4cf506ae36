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

void ProvenanceHttpClient::start(adapters::HttpRequestSpec request, Completion done) {
  if (request.method == "POST" && isForwardedBundle(request.body)) {
    auto signedBody = signer_->signBundle(request.body, clock_.nowMs());
    if (!signedBody.isOk()) {
      adapters::HttpResult failed;
      failed.error =
          "not sent: its Provenance could not be signed: " + signedBody.status().message();
      completeNow(std::move(done), std::move(failed));
      return;
    }
    request.body = std::move(signedBody).value();
  }
  inner().start(std::move(request), std::move(done));
}

}  // namespace brygga::app

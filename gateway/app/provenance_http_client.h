#pragma once

#include <memory>

#include "adapters/http_client.h"
#include "gateway/audit/provenance.h"
#include "gateway/core/time_source.h"

namespace brygga::app {

// Signs what the delivery workers forward: a POSTed transaction or batch Bundle gets its signed
// Provenance entry (gateway/audit/provenance.h) just before it leaves, every attempt anew; other
// bodies pass unchanged. A Bundle that cannot be signed is not sent (status 0, so the worker
// retries it and in the end makes it dead) rather than sent unsigned. Decorates the destination's
// client, so neither the delivery engine nor the mappings know about signatures. Like the client
// it wraps, driven by one thread.
class ProvenanceHttpClient final : public adapters::AsyncHttpDecorator {
 public:
  ProvenanceHttpClient(std::unique_ptr<adapters::AsyncHttpClient> inner,
                       std::shared_ptr<const audit::ProvenanceSigner> signer,
                       const core::TimeSource& clock)
      : AsyncHttpDecorator(std::move(inner)), signer_(std::move(signer)), clock_(clock) {}

  void start(adapters::HttpRequestSpec request, Completion done) override;

 private:
  std::shared_ptr<const audit::ProvenanceSigner> signer_;
  const core::TimeSource& clock_;
};

}  // namespace brygga::app

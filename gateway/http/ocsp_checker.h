#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "gateway/core/status.h"
#include "gateway/http/tls_context.h"

namespace brygga::http {

// Carries an OCSP request to a responder (RFC 6960 over HTTP POST, application/ocsp-request)
// and returns the DER response body. Implemented by app with the adapters' HTTP client, so that
// gateway/http needs no HTTP client of its own. Blocking, bounded by its own timeout; called on
// worker threads, never on the event loop. Thread-safe.
class OcspTransport {
 public:
  virtual ~OcspTransport() = default;
  virtual core::StatusOr<std::string> post(const std::string& url, const std::string& request) = 0;
};

// Asks a client certificate's OCSP responder (the URL in its Authority Information Access)
// whether it is revoked. A response counts only when its signature verifies to a CA of
// tls.caFile (the CA itself, or a responder it delegated to) and it is current (thisUpdate not in
// the future, nextUpdate not past, five minutes' leeway); it is kept until its nextUpdate (at
// most `maxCacheMs`), a failure for `failureCacheMs` so that a dead responder is not asked on
// every request. Thread-safe.
class OcspChecker {
 public:
  enum class Verdict { kGood, kRevoked, kUnknown };
  struct Result {
    Verdict verdict = Verdict::kUnknown;
    std::string detail;  // why, for the log: "revoked", "responder unreachable: ...", ...
  };
  struct Options {
    int64_t maxCacheMs = 60LL * 60 * 1000;
    int64_t failureCacheMs = 10 * 1000;
  };

  OcspChecker(OcspTransport& transport, Options options);

  // `trust`: the CAs to verify responses with (TlsServerContext::caStore). `nowMs`: wall clock.
  Result check(const PeerCertificate& certificate, X509_STORE* trust, int64_t nowMs);

 private:
  Result ask(const PeerCertificate& certificate, X509_STORE* trust, int64_t nowMs,
             int64_t& validUntilMs);

  OcspTransport& transport_;
  const Options options_;
  std::mutex mutex_;
  struct Cached {
    Result result;
    int64_t untilMs = 0;
  };
  std::map<std::string, Cached> cache_;  // by certificate SHA-256
};

}  // namespace brygga::http

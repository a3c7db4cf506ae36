#include "gateway/http/ocsp_checker.h"

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <ctime>
#include <memory>

namespace brygga::http {

namespace {

// Responses may come from a clock a little ahead or behind ours.
constexpr long kLeewaySeconds = 300;

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using CertIdPtr = std::unique_ptr<OCSP_CERTID, Deleter<OCSP_CERTID, OCSP_CERTID_free>>;
using RequestPtr = std::unique_ptr<OCSP_REQUEST, Deleter<OCSP_REQUEST, OCSP_REQUEST_free>>;
using ResponsePtr = std::unique_ptr<OCSP_RESPONSE, Deleter<OCSP_RESPONSE, OCSP_RESPONSE_free>>;
using BasicPtr = std::unique_ptr<OCSP_BASICRESP, Deleter<OCSP_BASICRESP, OCSP_BASICRESP_free>>;

int64_t epochMs(const ASN1_GENERALIZEDTIME* time) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

OcspChecker::Result unknown(std::string detail) {
  ERR_clear_error();
  return {OcspChecker::Verdict::kUnknown, std::move(detail)};
}

}  // namespace

OcspChecker::OcspChecker(OcspTransport& transport, Options options)
    : transport_(transport), options_(options) {}

OcspChecker::Result OcspChecker::check(const PeerCertificate& certificate, X509_STORE* trust,
                                       int64_t nowMs) {
  {
    std::lock_guard lock(mutex_);
    auto it = cache_.find(certificate.sha256);
    if (it != cache_.end() && nowMs < it->second.untilMs) return it->second.result;
    // Expired entries of other certificates go as they are met, so the cache stays as large as
    // the set of clients seen within an hour.
    std::erase_if(cache_, [nowMs](const auto& entry) { return entry.second.untilMs <= nowMs; });
  }
  int64_t validUntilMs = nowMs + options_.failureCacheMs;
  Result result = ask(certificate, trust, nowMs, validUntilMs);
  std::lock_guard lock(mutex_);
  cache_[certificate.sha256] = Cached{result, validUntilMs};
  return result;
}

OcspChecker::Result OcspChecker::ask(const PeerCertificate& certificate, X509_STORE* trust,
                                     int64_t nowMs, int64_t& validUntilMs) {
  if (certificate.ocspUrl.empty()) return unknown("the certificate names no OCSP responder");
  if (!certificate.issuerCertificate) return unknown("the certificate's issuer is not known");
  // SHA-1 CertIDs are what responders index by (RFC 5019); the hash only names the certificate.
  CertIdPtr id(OCSP_cert_to_id(EVP_sha1(), certificate.certificate.get(),
                               certificate.issuerCertificate.get()));
  RequestPtr request(OCSP_REQUEST_new());
  if (!id || !request ||
      OCSP_request_add0_id(request.get(), OCSP_CERTID_dup(id.get())) == nullptr) {
    return unknown("cannot build the OCSP request");
  }
  unsigned char* der = nullptr;
  const int derSize = i2d_OCSP_REQUEST(request.get(), &der);
  if (derSize <= 0) return unknown("cannot encode the OCSP request");
  const std::string body(reinterpret_cast<char*>(der), static_cast<size_t>(derSize));
  OPENSSL_free(der);

  auto answer = transport_.post(certificate.ocspUrl, body);
  if (!answer.isOk()) return unknown("responder unreachable: " + answer.status().message());
  const auto* bytes = reinterpret_cast<const unsigned char*>(answer->data());
  ResponsePtr response(d2i_OCSP_RESPONSE(nullptr, &bytes, static_cast<long>(answer->size())));
  if (!response) return unknown("the responder's answer is not an OCSP response");
  const int status = OCSP_response_status(response.get());
  if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return unknown(std::string("the responder answered ") + OCSP_response_status_str(status));
  }
  BasicPtr basic(OCSP_response_get1_basic(response.get()));
  if (!basic) return unknown("the OCSP response has no basic response");
  STACK_OF(X509)* issuer = sk_X509_new_null();
  sk_X509_push(issuer, certificate.issuerCertificate.get());
  const int verified = OCSP_basic_verify(basic.get(), issuer, trust, 0);
  sk_X509_free(issuer);
  if (verified <= 0) return unknown("the OCSP response's signature does not verify to our CAs");

  int certStatus = 0;
  int reason = 0;
  ASN1_GENERALIZEDTIME* revokedAt = nullptr;
  ASN1_GENERALIZEDTIME* thisUpdate = nullptr;
  ASN1_GENERALIZEDTIME* nextUpdate = nullptr;
  if (OCSP_resp_find_status(basic.get(), id.get(), &certStatus, &reason, &revokedAt, &thisUpdate,
                            &nextUpdate) != 1) {
    return unknown("the OCSP response does not name the certificate");
  }
  if (OCSP_check_validity(thisUpdate, nextUpdate, kLeewaySeconds, -1) != 1) {
    return unknown("the OCSP response is not current");
  }
  validUntilMs = nowMs + options_.maxCacheMs;
  if (nextUpdate != nullptr) validUntilMs = std::min(validUntilMs, epochMs(nextUpdate));
  validUntilMs = std::max(validUntilMs, nowMs + 1000);
  switch (certStatus) {
    case V_OCSP_CERTSTATUS_GOOD:
      return {Verdict::kGood, "good"};
    case V_OCSP_CERTSTATUS_REVOKED:
      return {Verdict::kRevoked, std::string("revoked (") + OCSP_crl_reason_str(reason) + ")"};
    default:
      return unknown("the responder does not know the certificate");
  }
}

}  // namespace brygga::http

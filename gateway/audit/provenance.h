#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/core/status.h"

// Signed Provenance on forwarded content (issue 6 item 5). A forwarded transaction or batch
// Bundle gets one more entry: a Provenance (POST Provenance) whose targets are every other entry
// (by fullUrl) and whose signature is
//   type        urn:iso-astm:E1762-95:2013#1.2.840.10065.1.12.1.14 (Source Signature)
//   sigFormat   application/jose, targetFormat application/fhir+json
//   data        base64 of a JWS in compact serialization with a detached payload (RFC 7515
//               appendix F: "<header>..<signature>"), ES256, ES384 or RS256 by the key's type, the
//               signer's certificate chain in the x5c header.
// The payload that was signed, and that a verifier rebuilds, is the FHIR canonical JSON
// (http://hl7.org/fhir/canonicalization/json, RFC 8785) of a JSON array of the target resources in
// Provenance.target order, each exactly as it stands in the Bundle.
namespace brygga::audit {

// Signs with the gateway's TLS certificate and key (the certificate peers already know).
// Immutable and thread-safe.
class ProvenanceSigner {
 public:
  // A PEM certificate chain (the signer's first) and its private key (EC P-256 or RSA).
  static core::StatusOr<ProvenanceSigner> fromPem(std::string_view certificateChainPem,
                                                  std::string_view privateKeyPem);
  static core::StatusOr<ProvenanceSigner> fromFiles(const std::string& certificateFile,
                                                    const std::string& privateKeyFile);

  // The Bundle with its signed Provenance entry added. kInvalidArgument for anything that is
  // not a transaction or batch Bundle whose resource entries all have a fullUrl.
  core::StatusOr<std::string> signBundle(std::string_view bundleJson, int64_t nowMs) const;

  const std::string& subject() const { return subject_; }

 private:
  struct Key;
  std::shared_ptr<Key> key_;
  std::vector<std::string> chainDer_;  // x5c, signer first
  std::string alg_;                    // ES256 | ES384 | RS256
  std::string subject_;
};

struct ProvenanceVerification {
  int signatures = 0;                // Provenance signatures checked, all valid
  int targets = 0;                   // resources they cover
  std::vector<std::string> signers;  // certificate subjects (RFC 4514)
};

// Verifies every JOSE-signed Provenance in a Bundle (there must be at least one): rebuilds the
// canonical payload from the Bundle's own entries, checks the JWS with the certificate in its x5c
// header, and that the certificate chains to one of the CAs in `trustedCaPem` (PEM, one or more;
// required: the certificate comes with the Bundle, so only the verifier's own trust anchors say
// whom it belongs to). Every entry must be covered: a target of a valid signature, or the
// Provenance carrying one. kInvalidArgument for a malformed Bundle, Provenance or JWS, no CA, or
// two entries with one fullUrl; kUnauthenticated for a signature that does not verify (a changed
// byte anywhere in a target), a signer outside the trusted CAs, or an entry no signature covers.
core::StatusOr<ProvenanceVerification> verifyBundleProvenance(std::string_view bundleJson,
                                                              std::string_view trustedCaPem);

}  // namespace brygga::audit

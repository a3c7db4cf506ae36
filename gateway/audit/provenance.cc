#include "gateway/audit/provenance.h"

#include <optional>
#include <sstream>
#include <unordered_map>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "gateway/audit/canonical_json.h"
#include "gateway/audit/signed_note.h"
#include "gateway/auth/jose.h"
#include "gateway/core/base64.h"
#include "gateway/core/civil_time.h"
#include "gateway/core/digest.h"
#include "gateway/core/log.h"
#include "gateway/core/openssl_ptr.h"
#include "gateway/core/text.h"
#include "gateway/fhir/json.h"

namespace brygga::audit {

namespace {

using rapidjson::Value;

constexpr const char* kSignatureTypeSystem = "urn:iso-astm:E1762-95:2013";
constexpr const char* kSourceSignature = "1.2.840.10065.1.12.1.14";
constexpr const char* kJose = "application/jose";
constexpr const char* kFhirJson = "application/fhir+json";

using core::X509Ptr;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string subjectOf(X509* cert) {
  core::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return {};
  X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

std::string derOf(X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  if (n <= 0) return {};
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

X509Ptr certFromDer(std::string_view der) {
  const unsigned char* p = bytes(der);
  return X509Ptr(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

// The entries of a Bundle by fullUrl. Two entries with one fullUrl are refused: a signature over
// one of them would seem to vouch for the other.
using FullUrlIndex = std::unordered_map<std::string_view, size_t>;
core::StatusOr<FullUrlIndex> indexByFullUrl(const Value& entries) {
  FullUrlIndex index;
  for (size_t i = 0; i < entries.Size(); ++i) {
    const std::string_view fullUrl = fhir::stringMember(entries[i], "fullUrl");
    if (fullUrl.empty()) continue;
    if (!index.emplace(fullUrl, i).second) {
      return core::invalidArgument("two entries of the Bundle have the fullUrl " +
                                   fhir::quoteForDiagnostics(fullUrl));
    }
  }
  return index;
}

// The canonical payload: a JSON array of the resources the references name, from the Bundle's
// entries (by fullUrl). Marks the entries it took in `covered`.
core::StatusOr<std::string> payloadOf(const Value& entries, const FullUrlIndex& index,
                                      const std::vector<std::string>& refs,
                                      std::vector<bool>& covered) {
  std::string out = "[";
  for (size_t i = 0; i < refs.size(); ++i) {
    auto it = index.find(refs[i]);
    const Value* found =
        it == index.end() ? nullptr : fhir::member(entries[it->second], "resource");
    if (found == nullptr || !found->IsObject()) {
      return core::invalidArgument("Provenance target " + fhir::quoteForDiagnostics(refs[i]) +
                                   " is not a resource of the Bundle");
    }
    covered[it->second] = true;
    if (i > 0) out += ',';
    out += canonicalJson(*found);
  }
  return out + "]";
}

core::StatusOr<rapidjson::Document> parseBundle(std::string_view json) {
  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, fhir::parseJson(json));
  if (fhir::stringMember(doc, "resourceType") != "Bundle") {
    return core::invalidArgument("not a Bundle");
  }
  const Value* entries = fhir::member(doc, "entry");
  if (entries == nullptr || !entries->IsArray()) {
    return core::invalidArgument("the Bundle has no entries");
  }
  return doc;
}

// Where the top-level "entry" array of a JSON object closes: the offset of its ']'. The text is
// valid JSON (it was parsed first); strings are skipped with their escapes.
std::optional<size_t> entryArrayEnd(std::string_view json) {
  int depth = 0;
  bool expectEntry = false;  // the last top-level key was "entry"
  int entryDepth = -1;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < json.size() && json[j] != '"') j += json[j] == '\\' ? 2 : 1;
      if (depth == 1 && entryDepth < 0) {
        // A key at the top level when a ':' follows.
        size_t k = j + 1;
        while (k < json.size() && core::isAsciiSpace(json[k])) ++k;
        if (k < json.size() && json[k] == ':') {
          expectEntry = json.substr(i + 1, j - i - 1) == "entry";
        }
      }
      i = j;
    } else if (c == '{' || c == '[') {
      ++depth;
      if (c == '[' && depth == 2 && expectEntry && entryDepth < 0) entryDepth = depth;
    } else if (c == '}' || c == ']') {
      if (c == ']' && depth == entryDepth) return i;
      --depth;
    }
  }
  return std::nullopt;
}

}  // namespace

struct ProvenanceSigner::Key {
  auth::JoseKey jose;
};

core::StatusOr<ProvenanceSigner> ProvenanceSigner::fromPem(std::string_view certificateChainPem,
                                                           std::string_view privateKeyPem) {
  ProvenanceSigner signer;
  core::BioPtr certBio(
      BIO_new_mem_buf(certificateChainPem.data(), static_cast<int>(certificateChainPem.size())));
  X509Ptr first;
  while (certBio) {
    X509Ptr cert(PEM_read_bio_X509(certBio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    signer.chainDer_.push_back(derOf(cert.get()));
    if (!first) first = std::move(cert);
  }
  if (!first) return core::invalidArgument("no PEM certificate to sign Provenance with");
  core::BioPtr keyBio(
      BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size())));
  core::PkeyPtr key(keyBio ? PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr)
                           : nullptr);
  if (!key) return core::invalidArgument("no PEM private key to sign Provenance with");
  if (X509_check_private_key(first.get(), key.get()) != 1) {
    return core::invalidArgument("the Provenance signing key does not belong to the certificate");
  }
  auto jose = auth::JoseKey::fromOpenSsl(key.get());
  if (!jose.isOk()) {
    return core::invalidArgument("Provenance signing key: " + jose.status().message());
  }
  signer.alg_ = auth::toString(jose->naturalAlgorithm());
  signer.subject_ = subjectOf(first.get());
  signer.key_ = std::make_shared<Key>(Key{std::move(jose).value()});
  return signer;
}

core::StatusOr<ProvenanceSigner> ProvenanceSigner::fromFiles(const std::string& certificateFile,
                                                             const std::string& privateKeyFile) {
  BRYGGA_ASSIGN_OR_RETURN(std::string cert, readFile(certificateFile));
  BRYGGA_ASSIGN_OR_RETURN(std::string key, readFile(privateKeyFile));
  return fromPem(cert, key);
}

core::StatusOr<std::string> ProvenanceSigner::signBundle(std::string_view bundleJson,
                                                         int64_t nowMs) const {
  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, parseBundle(bundleJson));
  const std::string_view type = fhir::stringMember(doc, "type");
  if (type != "transaction" && type != "batch") {
    return core::invalidArgument("only transaction and batch Bundles are signed");
  }
  const Value& entries = doc["entry"];
  std::vector<std::string> targets;
  for (const Value& entry : entries.GetArray()) {
    // Every entry is covered, or a verifier refuses the Bundle; an entry without a resource (a
    // DELETE) would have nothing to sign.
    if (fhir::member(entry, "resource") == nullptr) {
      return core::invalidArgument("an entry without a resource cannot be signed");
    }
    const std::string_view fullUrl = fhir::stringMember(entry, "fullUrl");
    if (fullUrl.empty()) return core::invalidArgument("an entry to sign has no fullUrl");
    targets.emplace_back(fullUrl);
  }
  if (targets.empty()) return core::invalidArgument("the Bundle has nothing to sign");
  BRYGGA_ASSIGN_OR_RETURN(const FullUrlIndex index, indexByFullUrl(entries));
  std::vector<bool> covered(entries.Size());
  BRYGGA_ASSIGN_OR_RETURN(std::string payload, payloadOf(entries, index, targets, covered));

  std::string header = "{\"alg\":\"" + alg_ + "\",\"x5c\":[";
  for (size_t i = 0; i < chainDer_.size(); ++i) {
    if (i > 0) header += ',';
    header += "\"" + core::base64Encode(chainDer_[i]) + "\"";
  }
  header += "]}";
  // RFC 7515 appendix F: the payload part is left empty; the verifier rebuilds it.
  BRYGGA_ASSIGN_OR_RETURN(
      const std::string jws,
      auth::signCompactJws(key_->jose, key_->jose.naturalAlgorithm(), header, payload, true));

  const std::string when = core::formatInstant(nowMs);
  std::string provenance = R"({"resourceType":"Provenance","target":[)";
  for (size_t i = 0; i < targets.size(); ++i) {
    if (i > 0) provenance += ',';
    provenance += "{\"reference\":\"";
    core::appendJsonEscaped(provenance, targets[i]);
    provenance += "\"}";
  }
  provenance +=
      R"(],"recorded":")" + when +
      R"(","agent":[{"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/provenance-participant-type","code":"assembler","display":"Assembler"}]},"who":{"display":"Brygga"}}],"signature":[{"type":[{"system":")" +
      kSignatureTypeSystem + R"(","code":")" + kSourceSignature +
      R"(","display":"Source Signature"}],"when":")" + when +
      R"(","who":{"display":"Brygga"},"targetFormat":")" + kFhirJson + R"(","sigFormat":")" +
      kJose + R"(","data":")" + core::base64Encode(jws) + "\"}]}";
  const std::string entry = R"({"fullUrl":"urn:uuid:)" + core::newUuid() + R"(","resource":)" +
                            provenance + R"(,"request":{"method":"POST","url":"Provenance"}})";

  // Spliced into the text rather than re-serialized, so the content keeps its exact bytes (a
  // decimal such as 1.50 stays 1.50).
  auto end = entryArrayEnd(bundleJson);
  if (!end) return core::invalidArgument("cannot find the Bundle's entry array");
  std::string out(bundleJson.substr(0, *end));
  out += entries.Empty() ? "" : ",";
  out += entry;
  out += bundleJson.substr(*end);
  return out;
}

core::StatusOr<ProvenanceVerification> verifyBundleProvenance(std::string_view bundleJson,
                                                              std::string_view trustedCaPem) {
  // The signer's certificate travels in the Bundle, so only a CA the verifier chose can say whom
  // it belongs to: without one, anybody's self-made certificate would do.
  core::X509StorePtr store(X509_STORE_new());
  core::BioPtr caBio(BIO_new_mem_buf(trustedCaPem.data(), static_cast<int>(trustedCaPem.size())));
  int cas = 0;
  while (store && caBio) {
    X509Ptr ca(PEM_read_bio_X509(caBio.get(), nullptr, nullptr, nullptr));
    if (!ca) break;
    X509_STORE_add_cert(store.get(), ca.get());
    ++cas;
  }
  ERR_clear_error();  // the end of the PEM text
  if (cas == 0) return core::invalidArgument("no trusted CA certificate to check the signer with");

  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document doc, parseBundle(bundleJson));
  const Value& entries = doc["entry"];
  BRYGGA_ASSIGN_OR_RETURN(const FullUrlIndex index, indexByFullUrl(entries));
  std::vector<bool> covered(entries.Size());
  ProvenanceVerification result;
  for (size_t e = 0; e < entries.Size(); ++e) {
    const Value* resource = fhir::member(entries[e], "resource");
    if (resource == nullptr || fhir::stringMember(*resource, "resourceType") != "Provenance") {
      continue;
    }
    const Value* signatures = fhir::member(*resource, "signature");
    if (signatures == nullptr || !signatures->IsArray()) continue;
    std::vector<std::string> refs;
    if (const Value* targets = fhir::member(*resource, "target"); targets && targets->IsArray()) {
      for (const Value& t : targets->GetArray())
        refs.emplace_back(fhir::stringMember(t, "reference"));
    }
    if (refs.empty()) return core::invalidArgument("a signed Provenance has no targets");
    for (const Value& sig : signatures->GetArray()) {
      if (fhir::stringMember(sig, "sigFormat") != kJose) continue;
      auto jws = core::base64Decode(fhir::stringMember(sig, "data"));
      if (!jws.isOk()) return core::invalidArgument("Provenance.signature.data is not base64");
      std::vector<bool> targeted(entries.Size());
      BRYGGA_ASSIGN_OR_RETURN(std::string payload, payloadOf(entries, index, refs, targeted));
      auto parsed = auth::parseCompactJws(*jws, payload, jws->size());
      if (!parsed.isOk()) {
        return core::invalidArgument("the signature is not a JWS with a detached payload: " +
                                     parsed.status().message());
      }
      auto headerDoc = fhir::parseJson(parsed->header);
      if (!headerDoc.isOk()) return core::invalidArgument("the JWS header is not JSON");
      const Value* x5c = fhir::member(*headerDoc, "x5c");
      if (x5c == nullptr || !x5c->IsArray() || x5c->Empty() || !(*x5c)[0].IsString()) {
        return core::invalidArgument("the JWS header carries no x5c certificate");
      }
      std::vector<X509Ptr> chain;
      for (const Value& c : x5c->GetArray()) {
        auto der = c.IsString()
                       ? core::base64Decode(c.GetString())
                       : core::StatusOr<std::string>(core::invalidArgument("not a string"));
        X509Ptr cert = der.isOk() ? certFromDer(*der) : nullptr;
        if (!cert) return core::invalidArgument("an x5c certificate does not parse");
        chain.push_back(std::move(cert));
      }
      core::PkeyPtr key(X509_get_pubkey(chain.front().get()));
      auto jose = auth::JoseKey::fromOpenSsl(key.get());
      // The header's alg must be the key's own.
      const auto alg = auth::jwsAlgorithmNamed(fhir::stringMember(*headerDoc, "alg"));
      if (!jose.isOk() || alg != jose->naturalAlgorithm() ||
          !jose->verify(*alg, parsed->signingInput, parsed->signature)) {
        return core::unauthenticated(
            "the Provenance signature does not verify: a target was changed after signing, or "
            "it was not signed by this certificate");
      }
      core::X509StackPtr untrusted(sk_X509_new_null());
      for (size_t i = 1; i < chain.size(); ++i) {
        X509_up_ref(chain[i].get());
        sk_X509_push(untrusted.get(), chain[i].get());
      }
      core::X509StoreCtxPtr ctx(X509_STORE_CTX_new());
      if (!ctx ||
          X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get()) != 1 ||
          X509_verify_cert(ctx.get()) != 1) {
        return core::unauthenticated("the signing certificate " + subjectOf(chain.front().get()) +
                                     " does not chain to the trusted CA");
      }
      for (size_t i = 0; i < targeted.size(); ++i) covered[i] = covered[i] || targeted[i];
      covered[e] = true;  // the Provenance carrying a valid signature
      ++result.signatures;
      result.targets += static_cast<int>(refs.size());
      result.signers.push_back(subjectOf(chain.front().get()));
    }
  }
  if (result.signatures == 0) return core::invalidArgument("the Bundle has no signed Provenance");
  for (size_t i = 0; i < covered.size(); ++i) {
    if (covered[i]) continue;
    const std::string_view fullUrl = fhir::stringMember(entries[i], "fullUrl");
    return core::unauthenticated("entry " + std::to_string(i) +
                                 (fullUrl.empty()
                                      ? std::string(" (no fullUrl)")
                                      : " (" + fhir::quoteForDiagnostics(fullUrl) + ")") +
                                 " is not covered by a signature, so nothing vouches for it");
  }
  return result;
}

}  // namespace brygga::audit

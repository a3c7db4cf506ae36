#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/core/status.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

// JOSE as Brygga uses it: keys (EC P-256 and P-384, RSA of 2048 bits and more) read from PEM or
// a JWK (RFC 7517/7518), and JWS compact serialization (RFC 7515) signed and verified with
// ES256, ES384, RS256 and RS384. Nothing else: no HMAC, no "none", no key in a JWS header is ever
// trusted. An ECDSA JWS signature is R || S, each padded to the curve's size (RFC 7518 §3.4),
// not OpenSSL's DER; both directions are converted here.
namespace brygga::auth {

enum class JwsAlgorithm { kES256, kES384, kRS256, kRS384 };
const char* toString(JwsAlgorithm alg);
// The algorithm of a JWS "alg" name; nullopt for any other name ("none", "HS256", ...).
std::optional<JwsAlgorithm> jwsAlgorithmNamed(std::string_view name);

// A public or private key. Immutable and thread-safe; copies share the key.
class JoseKey {
 public:
  // A PEM private key (PKCS#8 or traditional), EC P-256/P-384 or RSA >= 2048 bits.
  static core::StatusOr<JoseKey> privateFromPem(std::string_view pem);
  static core::StatusOr<JoseKey> privateFromFile(const std::string& path);
  // A public JWK (kty EC with crv P-256/P-384, x, y; or kty RSA with n, e). Private members (d,
  // p, ...) are refused: a JWKS that carries them is a configuration mistake worth stopping on.
  static core::StatusOr<JoseKey> publicFromJwk(std::string_view jwkJson);
  // Takes a reference of an OpenSSL key (e.g. a certificate's public key); the caller keeps its
  // own. kInvalidArgument for a key type or size JOSE signing here does not support.
  static core::StatusOr<JoseKey> fromOpenSsl(evp_pkey_st* key);

  // Whether this key can sign or verify with `alg` (an EC key only with its own curve's ES
  // algorithm; an RSA key with RS256 and RS384).
  bool fits(JwsAlgorithm alg) const;
  // ES256 for P-256, ES384 for P-384, RS256 for RSA.
  JwsAlgorithm naturalAlgorithm() const;
  bool isPrivate() const;

  // The JOSE signature of `input` (fails unless private and fits(alg)).
  core::StatusOr<std::string> sign(JwsAlgorithm alg, std::string_view input) const;
  // Whether `signature` (JOSE form) is this key's signature of `input` with `alg`; false also
  // when the key does not fit `alg`.
  bool verify(JwsAlgorithm alg, std::string_view input, std::string_view signature) const;

  // The public JWK as JSON text, with "kid" and "alg" (and "use":"sig") when given.
  std::string publicJwk(std::string_view kid, std::optional<JwsAlgorithm> alg) const;

 private:
  struct Holder;
  explicit JoseKey(std::shared_ptr<const Holder> holder) : holder_(std::move(holder)) {}
  std::shared_ptr<const Holder> holder_;
};

// A JWS in compact serialization, split and decoded; nothing is verified yet.
struct CompactJws {
  std::string signingInput;  // "<header part>.<payload part>", as signed
  std::string header;        // decoded JSON text
  std::string payload;       // decoded bytes (empty for a detached payload)
  std::string signature;     // decoded bytes
};

// Splits and decodes "<header>.<payload>.<signature>" (strict base64url, exactly three parts, a
// payload part left empty when `detachedPayload` is given, which then becomes the payload).
// kInvalidArgument when malformed; `maxBytes` bounds the text.
core::StatusOr<CompactJws> parseCompactJws(std::string_view text,
                                           std::optional<std::string_view> detachedPayload = {},
                                           size_t maxBytes = 16 * 1024);

// "<b64url(header)>.<b64url(payload)>.<b64url(signature)>", or with the payload part empty when
// `detached` (RFC 7515 appendix F).
core::StatusOr<std::string> signCompactJws(const JoseKey& key, JwsAlgorithm alg,
                                           std::string_view headerJson, std::string_view payload,
                                           bool detached = false);

}  // namespace brygga::auth

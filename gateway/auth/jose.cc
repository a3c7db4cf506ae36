#include "gateway/auth/jose.h"

#include <fstream>
#include <sstream>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "gateway/core/base64.h"
#include "gateway/core/log.h"
#include "gateway/core/openssl_ptr.h"
#include "gateway/fhir/json.h"

namespace brygga::auth {

namespace {

using core::BignumPtr;
using core::BioPtr;
using core::EcdsaSigPtr;
using core::MdCtxPtr;
using core::ParamBldPtr;
using core::ParamPtr;
using core::PkeyCtxPtr;
using core::PkeyPtr;

constexpr int kMinRsaBits = 2048;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

enum class KeyKind { kP256, kP384, kRsa };

// The curve size in bytes of an ES algorithm's R and S.
size_t halfOf(KeyKind kind) {
  return kind == KeyKind::kP256 ? 32 : 48;
}

core::StatusOr<KeyKind> kindOf(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
      return core::invalidArgument("an RSA key must have at least " + std::to_string(kMinRsaBits) +
                                   " bits");
    }
    return KeyKind::kRsa;
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    size_t length = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof group, &length) == 1) {
      const std::string_view name(group);
      if (name == "prime256v1" || name == "P-256") return KeyKind::kP256;
      if (name == "secp384r1" || name == "P-384") return KeyKind::kP384;
    }
    return core::invalidArgument("an EC key must be on the curve P-256 or P-384");
  }
  return core::invalidArgument("the key must be an EC (P-256, P-384) or RSA key");
}

const EVP_MD* digestOf(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kES256 || alg == JwsAlgorithm::kRS256 ? EVP_sha256() : EVP_sha384();
}

bool isEcdsa(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kES256 || alg == JwsAlgorithm::kES384;
}

std::optional<std::string> derToRaw(std::string_view der, size_t half) {
  const unsigned char* p = bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * half, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  const int n = static_cast<int>(half);
  if (BN_bn2binpad(r, out, n) < 0 || BN_bn2binpad(s, out + half, n) < 0) return std::nullopt;
  return raw;
}

std::optional<std::string> rawToDer(std::string_view raw, size_t half) {
  if (raw.size() != 2 * half) return std::nullopt;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(raw), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + half, static_cast<int>(half), nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(sig.get(), &der);
  if (n <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  return out;
}

std::string bignumBytes(const BIGNUM* bn, size_t width) {
  std::string out(width == 0 ? static_cast<size_t>(BN_num_bytes(bn)) : width, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(out.size()));
  return out;
}

std::optional<std::string> bignumParam(EVP_PKEY* key, const char* name, size_t width) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 || bn == nullptr) return std::nullopt;
  std::string out = bignumBytes(bn, width);
  BN_free(bn);
  return out;
}

// A base64url member of a JWK, decoded; nullopt when missing or malformed.
std::optional<std::string> jwkBytes(const rapidjson::Value& jwk, std::string_view name) {
  const rapidjson::Value* v = fhir::member(jwk, name);
  if (v == nullptr || !v->IsString() || v->GetStringLength() == 0) return std::nullopt;
  auto bytes = core::base64UrlDecode(std::string_view(v->GetString(), v->GetStringLength()));
  if (!bytes.isOk()) return std::nullopt;
  return std::move(bytes).value();
}

core::StatusOr<PkeyPtr> keyFromParams(const char* type, OSSL_PARAM* params) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
    return core::invalidArgument("the JWK does not describe a valid public key");
  }
  return PkeyPtr(key);
}

core::StatusOr<PkeyPtr> ecFromJwk(const rapidjson::Value& jwk) {
  const std::string_view crv = fhir::stringMember(jwk, "crv");
  size_t size = 0;
  const char* group = nullptr;
  if (crv == "P-256") {
    size = 32;
    group = "prime256v1";
  } else if (crv == "P-384") {
    size = 48;
    group = "secp384r1";
  } else {
    return core::invalidArgument("an EC JWK must have crv P-256 or P-384");
  }
  auto x = jwkBytes(jwk, "x");
  auto y = jwkBytes(jwk, "y");
  if (!x || !y || x->size() != size || y->size() != size) {
    return core::invalidArgument("an EC JWK needs x and y of the curve's size, base64url");
  }
  const std::string point = std::string(1, '\x04') + *x + *y;  // uncompressed
  ParamBldPtr build(OSSL_PARAM_BLD_new());
  if (!build ||
      OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return core::internalError("cannot build an EC key");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(build.get()));
  if (!params) return core::internalError("cannot build an EC key");
  BRYGGA_ASSIGN_OR_RETURN(PkeyPtr key, keyFromParams("EC", params.get()));
  // EVP_PKEY_fromdata does not check that the point is on the curve; a point off the curve
  // invites invalid-curve attacks.
  PkeyCtxPtr check(EVP_PKEY_CTX_new(key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return core::invalidArgument("the EC JWK's point is not on its curve");
  }
  return key;
}

core::StatusOr<PkeyPtr> rsaFromJwk(const rapidjson::Value& jwk) {
  auto n = jwkBytes(jwk, "n");
  auto e = jwkBytes(jwk, "e");
  if (!n || !e) return core::invalidArgument("an RSA JWK needs n and e, base64url");
  BignumPtr bn(BN_bin2bn(bytes(*n), static_cast<int>(n->size()), nullptr));
  BignumPtr be(BN_bin2bn(bytes(*e), static_cast<int>(e->size()), nullptr));
  ParamBldPtr build(OSSL_PARAM_BLD_new());
  if (!bn || !be || !build ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, be.get()) != 1) {
    return core::internalError("cannot build an RSA key");
  }
  ParamPtr params(OSSL_PARAM_BLD_to_param(build.get()));
  if (!params) return core::internalError("cannot build an RSA key");
  return keyFromParams("RSA", params.get());
}

void appendMember(std::string& out, std::string_view name, std::string_view value) {
  out += out.size() > 1 ? ",\"" : "\"";
  out += name;
  out += "\":\"";
  out += value;  // base64url, names and kids checked by the caller: nothing to escape
  out += '"';
}

}  // namespace

struct JoseKey::Holder {
  PkeyPtr key;
  KeyKind kind = KeyKind::kP256;
  bool isPrivate = false;
};

const char* toString(JwsAlgorithm alg) {
  switch (alg) {
    case JwsAlgorithm::kES256:
      return "ES256";
    case JwsAlgorithm::kES384:
      return "ES384";
    case JwsAlgorithm::kRS256:
      return "RS256";
    case JwsAlgorithm::kRS384:
      return "RS384";
  }
  return "";
}

std::optional<JwsAlgorithm> jwsAlgorithmNamed(std::string_view name) {
  for (JwsAlgorithm alg :
       {JwsAlgorithm::kES256, JwsAlgorithm::kES384, JwsAlgorithm::kRS256, JwsAlgorithm::kRS384}) {
    if (name == toString(alg)) return alg;
  }
  return std::nullopt;
}

core::StatusOr<JoseKey> JoseKey::privateFromPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key) return core::invalidArgument("not a PEM private key");
  BRYGGA_ASSIGN_OR_RETURN(KeyKind kind, kindOf(key.get()));
  auto holder = std::make_shared<Holder>();
  holder->key = std::move(key);
  holder->kind = kind;
  holder->isPrivate = true;
  return JoseKey(std::move(holder));
}

core::StatusOr<JoseKey> JoseKey::privateFromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::notFound("cannot read the key file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto key = privateFromPem(text.str());
  if (!key.isOk()) return core::invalidArgument(path + ": " + key.status().message());
  return key;
}

core::StatusOr<JoseKey> JoseKey::publicFromJwk(std::string_view jwkJson) {
  BRYGGA_ASSIGN_OR_RETURN(rapidjson::Document jwk, fhir::parseJson(jwkJson, {16 * 1024, 4}));
  if (!jwk.IsObject()) return core::invalidArgument("a JWK must be a JSON object");
  for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k"}) {
    if (fhir::member(jwk, secret) != nullptr) {
      return core::invalidArgument(std::string("a public JWK must not carry the private member ") +
                                   secret);
    }
  }
  const std::string_view kty = fhir::stringMember(jwk, "kty");
  PkeyPtr key;
  if (kty == "EC") {
    BRYGGA_ASSIGN_OR_RETURN(key, ecFromJwk(jwk));
  } else if (kty == "RSA") {
    BRYGGA_ASSIGN_OR_RETURN(key, rsaFromJwk(jwk));
  } else {
    return core::invalidArgument("a JWK must have kty EC or RSA");
  }
  BRYGGA_ASSIGN_OR_RETURN(KeyKind kind, kindOf(key.get()));
  auto holder = std::make_shared<Holder>();
  holder->key = std::move(key);
  holder->kind = kind;
  return JoseKey(std::move(holder));
}

core::StatusOr<JoseKey> JoseKey::fromOpenSsl(evp_pkey_st* key) {
  if (key == nullptr) return core::invalidArgument("no key");
  BRYGGA_ASSIGN_OR_RETURN(KeyKind kind, kindOf(key));
  EVP_PKEY_up_ref(key);
  auto holder = std::make_shared<Holder>();
  holder->key.reset(key);
  holder->kind = kind;
  // A key with a private part answers its private parameters; a public one does not.
  BIGNUM* priv = nullptr;
  const char* name = kind == KeyKind::kRsa ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
  holder->isPrivate = EVP_PKEY_get_bn_param(key, name, &priv) == 1;
  BN_clear_free(priv);
  return JoseKey(std::move(holder));
}

bool JoseKey::fits(JwsAlgorithm alg) const {
  switch (holder_->kind) {
    case KeyKind::kP256:
      return alg == JwsAlgorithm::kES256;
    case KeyKind::kP384:
      return alg == JwsAlgorithm::kES384;
    case KeyKind::kRsa:
      return alg == JwsAlgorithm::kRS256 || alg == JwsAlgorithm::kRS384;
  }
  return false;
}

JwsAlgorithm JoseKey::naturalAlgorithm() const {
  switch (holder_->kind) {
    case KeyKind::kP256:
      return JwsAlgorithm::kES256;
    case KeyKind::kP384:
      return JwsAlgorithm::kES384;
    case KeyKind::kRsa:
      break;
  }
  return JwsAlgorithm::kRS256;
}

bool JoseKey::isPrivate() const {
  return holder_->isPrivate;
}

core::StatusOr<std::string> JoseKey::sign(JwsAlgorithm alg, std::string_view input) const {
  if (!holder_->isPrivate) return core::internalError("a public key cannot sign");
  if (!fits(alg)) {
    return core::invalidArgument(std::string("the key cannot sign ") + toString(alg));
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t length = 0;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, digestOf(alg), nullptr, holder_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, bytes(input), input.size()) != 1) {
    return core::internalError("signing failed");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     bytes(input), input.size()) != 1) {
    return core::internalError("signing failed");
  }
  signature.resize(length);
  if (!isEcdsa(alg)) return signature;
  auto raw = derToRaw(signature, halfOf(holder_->kind));
  if (!raw) return core::internalError("signing failed (ECDSA signature)");
  return *raw;
}

bool JoseKey::verify(JwsAlgorithm alg, std::string_view input, std::string_view signature) const {
  if (!fits(alg)) return false;
  std::string der(signature);
  if (isEcdsa(alg)) {
    auto converted = rawToDer(signature, halfOf(holder_->kind));
    if (!converted) return false;
    der = std::move(*converted);
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx &&
         EVP_DigestVerifyInit(ctx.get(), nullptr, digestOf(alg), nullptr, holder_->key.get()) ==
             1 &&
         EVP_DigestVerify(ctx.get(), bytes(der), der.size(), bytes(input), input.size()) == 1;
}

std::string JoseKey::publicJwk(std::string_view kid, std::optional<JwsAlgorithm> alg) const {
  EVP_PKEY* key = holder_->key.get();
  std::string out = "{";
  if (holder_->kind == KeyKind::kRsa) {
    appendMember(out, "kty", "RSA");
    appendMember(out, "n",
                 core::base64UrlEncode(bignumParam(key, OSSL_PKEY_PARAM_RSA_N, 0).value_or("")));
    appendMember(out, "e",
                 core::base64UrlEncode(bignumParam(key, OSSL_PKEY_PARAM_RSA_E, 0).value_or("")));
  } else {
    const size_t size = halfOf(holder_->kind);
    appendMember(out, "kty", "EC");
    appendMember(out, "crv", holder_->kind == KeyKind::kP256 ? "P-256" : "P-384");
    appendMember(
        out, "x",
        core::base64UrlEncode(bignumParam(key, OSSL_PKEY_PARAM_EC_PUB_X, size).value_or("")));
    appendMember(
        out, "y",
        core::base64UrlEncode(bignumParam(key, OSSL_PKEY_PARAM_EC_PUB_Y, size).value_or("")));
  }
  if (!kid.empty()) {
    out += ",\"kid\":\"";
    core::appendJsonEscaped(out, kid);
    out += '"';
  }
  if (alg) appendMember(out, "alg", toString(*alg));
  appendMember(out, "use", "sig");
  return out + "}";
}

core::StatusOr<CompactJws> parseCompactJws(std::string_view text,
                                           std::optional<std::string_view> detachedPayload,
                                           size_t maxBytes) {
  if (text.size() > maxBytes) return core::invalidArgument("the JWS is too long");
  const size_t first = text.find('.');
  const size_t second = first == std::string_view::npos ? first : text.find('.', first + 1);
  if (second == std::string_view::npos || text.find('.', second + 1) != std::string_view::npos) {
    return core::invalidArgument("a compact JWS has exactly three parts");
  }
  const std::string_view headerPart = text.substr(0, first);
  const std::string_view payloadPart = text.substr(first + 1, second - first - 1);
  CompactJws jws;
  auto header = core::base64UrlDecode(headerPart);
  auto signature = core::base64UrlDecode(text.substr(second + 1));
  if (headerPart.empty() || !header.isOk() || !signature.isOk() || signature->empty()) {
    return core::invalidArgument("the JWS header or signature is not base64url");
  }
  jws.header = std::move(*header);
  jws.signature = std::move(*signature);
  if (detachedPayload) {
    if (!payloadPart.empty()) return core::invalidArgument("the JWS payload must be detached");
    jws.payload.assign(*detachedPayload);
    jws.signingInput = std::string(headerPart) + "." + core::base64UrlEncode(*detachedPayload);
  } else {
    auto payload = core::base64UrlDecode(payloadPart);
    if (!payload.isOk()) return core::invalidArgument("the JWS payload is not base64url");
    jws.payload = std::move(*payload);
    jws.signingInput.assign(text.substr(0, second));
  }
  return jws;
}

core::StatusOr<std::string> signCompactJws(const JoseKey& key, JwsAlgorithm alg,
                                           std::string_view headerJson, std::string_view payload,
                                           bool detached) {
  const std::string header = core::base64UrlEncode(headerJson);
  const std::string body = core::base64UrlEncode(payload);
  BRYGGA_ASSIGN_OR_RETURN(std::string signature, key.sign(alg, header + "." + body));
  return header + "." + (detached ? std::string() : body) + "." + core::base64UrlEncode(signature);
}

}  // namespace brygga::auth

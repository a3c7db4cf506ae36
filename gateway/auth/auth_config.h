#pragma once

#include <cstdint>
#include <string>

// The auth module's configuration: how Brygga gets an access token for a destination
// (destinations.<name>.auth) and how long the tokens it issues itself live (auth.*).
namespace brygga::auth {

// OAuth2 client credentials towards a destination; see token_client.h.
struct DestinationAuthConfig {
  enum class Type {
    kNone,          // no Authorization header (mutual TLS or nothing)
    kSmartBackend,  // SMART Backend Services: a client assertion signed with privateKeyFile
    kClientSecret,  // client_secret_basic with the secret read from clientSecretFile
  };
  Type type = Type::kNone;
  std::string tokenUrl;
  std::string clientId;
  std::string scope;                // space-separated, sent as requested
  std::string privateKeyFile;       // smart-backend: PEM, EC P-384 (ES384) or RSA (RS384)
  std::string keyId;                // smart-backend: the kid the token endpoint knows the key by
  std::string algorithm = "ES384";  // smart-backend: ES384 | RS384
  std::string clientSecretFile;     // client-secret
  // A failing token endpoint is tried again after retryBaseMs, doubling up to retryMaxMs.
  int64_t retryBaseMs = 1000;
  int64_t retryMaxMs = 60000;
};

// The inbound token endpoint (SMART Backend Services, POST /auth/token).
struct AuthConfig {
  int64_t accessTokenLifetimeMs = 5 * 60 * 1000;  // at most 5 minutes
};

}  // namespace brygga::auth

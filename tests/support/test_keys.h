#pragma once

#include <string>

#include "gateway/auth/auth_config.h"

// Fresh private keys for tests, as PKCS#8 PEM: nothing secret is ever committed (STYLE.md), and
// each test makes its own.
namespace brygga::testing {

std::string makeEcKeyPem(const char* curve = "P-384");  // "P-256" | "P-384"
std::string makeRsaKeyPem(int bits = 2048);
// The PEM private key written to `path` (mode 0600); returns the PEM.
std::string writeKeyFile(const std::string& path, const std::string& pem);
// The public key of a PEM private key, as a PEM SubjectPublicKeyInfo.
std::string publicKeyPemOf(const std::string& privateKeyPem);
// A JOSE signature checked with OpenSSL directly, not with Brygga's JOSE code: ES384 as R || S of
// 48 bytes each, read straight into ECDSA_do_verify (a check of the layout that does not go through
// a DER conversion), RS384 as PKCS #1 v1.5. False for any other alg.
bool verifiesWithOpenSsl(const std::string& publicKeyPem, const std::string& alg,
                         const std::string& input, const std::string& signature);

// destinations.<name>.auth of a SMART Backend Services client "brygga" that signs with the key in
// `keyFile` (known at `tokenUrl` as `kid`) and asks for system/Patient.cu system/EpisodeOfCare.cu.
auth::DestinationAuthConfig smartBackendAuth(const std::string& tokenUrl,
                                             const std::string& keyFile, const std::string& kid,
                                             const std::string& alg);

}  // namespace brygga::testing

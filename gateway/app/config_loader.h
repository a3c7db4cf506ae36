#pragma once

#include <string>

#include "gateway/app/gateway_config.h"
#include "gateway/core/status.h"

namespace brygga::app {

// The embedded defaults: data under ./var, HTTP on 127.0.0.1:8080, HTTPS on 8443 with the dev
// certificates from certs/out, the six Halland municipalities, the region and the integration
// team as clients (dev certificates CN=<id>,O=Brygga Dev,C=SE and dev tokens "dev-token-<id>"),
// and the regional EHR expected at http://127.0.0.1:9090/fhir.
GatewayConfig defaultConfig();

// Reads a JSON config over the defaults. Every key is checked: an unknown key, a wrong type or a
// bad value is kInvalidArgument with a message naming the key ("config: server.httpPort must be
// an integer from -1 to 65535").
core::StatusOr<GatewayConfig> parseConfig(const std::string& jsonText);
// parseConfig of the file at `path`; a relative mappings.directory is then made absolute against
// the file's directory (the mapping files travel with the config that names them).
core::StatusOr<GatewayConfig> loadConfigFile(const std::string& path);

// Checks cross-key rules (after flags were applied): at least one listener, unique client ids,
// destination URLs.
core::Status checkConfig(const GatewayConfig& config);

// 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z) or "localhost".
bool isLoopbackAddress(const std::string& address);

// What `serve` checks besides checkConfig, so that a gateway reachable from the network never runs
// with the development identities: when a listener is bound to an address other than loopback,
// the config must name its own `clients`, none of them with a development token
// ("dev-token-<id>", published in the README); `development` (serve --dev) allows them anyway.
// kInvalidArgument naming the key `clients`.
core::Status checkServeConfig(const GatewayConfig& config, bool development);

}  // namespace brygga::app

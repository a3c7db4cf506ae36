#!/usr/bin/env bash
# ctest entry of the third-party client test: fhir-kit-client from npm against the real binary
# (tests/support/node-test.sh installs it and runs client.test.mjs).
#   run.sh SOURCE_DIR BUILD_DIR BRYGGA_BIN CERTS_DIR
set -euo pipefail
exec "$1/tests/support/node-test.sh" client client.test.mjs "$@"

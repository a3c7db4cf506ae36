#!/usr/bin/env bash
# Builds Brygga and runs the whole test suite; exits with ctest's status.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# PostgreSQL 15's server for the store tests that start their own (tests/support/postgres_server.h);
# the gateway itself needs only the client library, which setup.sh always installs.
./scripts/setup.sh postgresql-15
./scripts/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 600

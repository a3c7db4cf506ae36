#!/usr/bin/env bash
# Builds Brygga and runs the whole test suite; exits with ctest's status.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/build.sh
ctest --test-dir build --output-on-failure -j2 --timeout 600

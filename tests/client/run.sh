#!/usr/bin/env bash
# ctest entry of the third-party client test: installs fhir-kit-client (npm ci, from the committed
# package-lock.json) into the build directory, then runs client.test.mjs against the real binary,
# trusting the dev CA through NODE_EXTRA_CA_CERTS.
#   run.sh SOURCE_DIR BUILD_DIR BRYGGA_BIN CERTS_DIR
set -euo pipefail
source_dir="$1" build_dir="$2" bin="$3" certs="$4"
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "FAIL: node and npm are needed (scripts/setup.sh installs them)" >&2
  exit 1
fi
work="$build_dir/client"
mkdir -p "$work/out"
cp "$source_dir/tests/client/package.json" "$source_dir/tests/client/package-lock.json" \
   "$source_dir/tests/client/client.test.mjs" "$work/"
if ! cmp -s "$work/package-lock.json" "$work/node_modules/.installed-lock" 2>/dev/null; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$work/package-lock.json" "$work/node_modules/.installed-lock"
fi
cd "$work"
NODE_EXTRA_CA_CERTS="$certs/ca.crt" BRYGGA_BIN="$bin" BRYGGA_CERTS_DIR="$certs" \
  BRYGGA_SOURCE_DIR="$source_dir" BRYGGA_OUT_DIR="$work/out" node client.test.mjs

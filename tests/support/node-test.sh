#!/usr/bin/env bash
# Runs one of the node tests (tests/browser, tests/client) against the real binary: installs its
# npm packages (npm ci, from its committed package-lock.json) into the build directory once per
# lock file, then runs its test file there with the gateway's paths in the environment and the
# dev CA trusted (NODE_EXTRA_CA_CERTS).
#   node-test.sh NAME TEST_FILE SOURCE_DIR BUILD_DIR BRYGGA_BIN CERTS_DIR
set -euo pipefail
name="$1" test_file="$2" source_dir="$3" build_dir="$4" bin="$5" certs="$6"
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "FAIL: node and npm are needed (scripts/setup.sh installs them)" >&2
  exit 1
fi
work="$build_dir/$name"
mkdir -p "$work/out"
cp "$source_dir/tests/$name/package.json" "$source_dir/tests/$name/package-lock.json" \
   "$source_dir/tests/$name/$test_file" "$source_dir/tests/support/serve.mjs" "$work/"
if ! cmp -s "$work/package-lock.json" "$work/node_modules/.installed-lock" 2>/dev/null; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$work/package-lock.json" "$work/node_modules/.installed-lock"
fi
cd "$work"
NODE_EXTRA_CA_CERTS="$certs/ca.crt" BRYGGA_BIN="$bin" BRYGGA_CERTS_DIR="$certs" \
  BRYGGA_SOURCE_DIR="$source_dir" BRYGGA_OUT_DIR="$work/out" node "$test_file"

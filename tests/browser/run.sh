#!/usr/bin/env bash
# ctest entry of the console's browser test: installs playwright-core (npm ci, from the committed
# package-lock.json) into the build directory, then runs console.test.mjs against the real binary.
# Skips (exit 77) only when there is no chromium to drive; scripts/setup.sh installs it.
#   run.sh SOURCE_DIR BUILD_DIR BRYGGA_BIN CERTS_DIR
set -euo pipefail
source_dir="$1" build_dir="$2" bin="$3" certs="$4"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "SKIP: $chromium is not installed (scripts/setup.sh installs Debian's chromium); the console's browser test did not run"
  exit 77
fi
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "FAIL: node and npm are needed (scripts/setup.sh installs them)" >&2
  exit 1
fi
work="$build_dir/browser"
mkdir -p "$work/out"
cp "$source_dir/tests/browser/package.json" "$source_dir/tests/browser/package-lock.json" \
   "$source_dir/tests/browser/console.test.mjs" "$work/"
if ! cmp -s "$work/package-lock.json" "$work/node_modules/.installed-lock" 2>/dev/null; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$work/package-lock.json" "$work/node_modules/.installed-lock"
fi
cd "$work"
BRYGGA_BIN="$bin" BRYGGA_CERTS_DIR="$certs" BRYGGA_SOURCE_DIR="$source_dir" \
  BRYGGA_OUT_DIR="$work/out" CHROMIUM="$chromium" node console.test.mjs

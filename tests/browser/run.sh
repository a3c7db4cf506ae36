#!/usr/bin/env bash
# ctest entry of a browser test (the console's, the follow-up page's): playwright-core from npm
# against the real binary (tests/support/node-test.sh installs it and runs TEST).
# Skips (exit 77) only when there is no chromium to drive; scripts/setup.sh installs it.
#   run.sh TEST SOURCE_DIR BUILD_DIR BRYGGA_BIN CERTS_DIR
set -euo pipefail
test_file="$1"
shift
source_dir="$1"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "SKIP: $chromium is not installed (scripts/setup.sh installs Debian's chromium); $test_file did not run"
  exit 77
fi
export CHROMIUM="$chromium"
exec "$source_dir/tests/support/node-test.sh" browser "$test_file" "$@"

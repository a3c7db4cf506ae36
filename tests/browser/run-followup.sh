#!/usr/bin/env bash
# ctest entry of the follow-up page's browser test: playwright-core from npm against the real binary
# (tests/support/node-test.sh installs it and runs followup.test.mjs).
# Skips (exit 77) only when there is no chromium to drive; scripts/setup.sh installs it.
#   run.sh SOURCE_DIR BUILD_DIR BRYGGA_BIN CERTS_DIR
set -euo pipefail
source_dir="$1"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "SKIP: $chromium is not installed (scripts/setup.sh installs Debian's chromium); the follow-up page's browser test did not run"
  exit 77
fi
export CHROMIUM="$chromium"
exec "$source_dir/tests/support/node-test.sh" browser followup.test.mjs "$@"

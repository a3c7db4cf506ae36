#!/usr/bin/env bash
# Regenerates gateway/fhir/r4/definitions.json from the official FHIR R4 package
# (hl7.fhir.r4.examples 4.0.1 on the npm registry): fetches the package with npm pack (cached in
# ~/.cache/brygga/fhir-package), builds the C++ generator brygga_gen_definitions and runs it.
# The output names the SHA-256 of the tarball it came from; the same package always gives the
# same bytes. Builds never run this: the definitions are committed, so a build needs no network.
#
#   scripts/generate-fhir-definitions.sh [BUILD_DIR]     (default: build)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build}"
cache="${BRYGGA_FHIR_PACKAGE_DIR:-$HOME/.cache/brygga/fhir-package}"

# --no-verify: the point may be to move to a different tarball than the committed one.
"$root/scripts/fetch-fhir-package.sh" --no-verify "$cache"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" --target brygga_gen_definitions -j"$(nproc)"
"$build/gateway/fhir/brygga_gen_definitions" "$cache/package" \
  "$cache/hl7.fhir.r4.examples-4.0.1.tgz" "$root/gateway/fhir/r4/definitions.json"

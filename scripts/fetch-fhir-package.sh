#!/usr/bin/env bash
# Fetches the official FHIR R4 package hl7.fhir.r4.examples 4.0.1 (every R4 StructureDefinition,
# ValueSet and CodeSystem, and the official examples) with `npm pack`, and unpacks it.
#
#   scripts/fetch-fhir-package.sh [--no-verify] [DIR]
#
# DIR defaults to $BRYGGA_FHIR_PACKAGE_DIR or ~/.cache/brygga/fhir-package; the tarball and its
# unpacked package/ folder are kept there, so the network is needed once. The tarball's SHA-256
# must equal the one gateway/fhir/r4/definitions.json was generated from (--no-verify skips that,
# for regenerating the definitions from another package).
set -euo pipefail

readonly kPackage="hl7.fhir.r4.examples"
readonly kVersion="4.0.1"
readonly kTarball="${kPackage}-${kVersion}.tgz"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
verify=1
if [[ "${1:-}" == "--no-verify" ]]; then
  verify=0
  shift
fi
dest="${1:-${BRYGGA_FHIR_PACKAGE_DIR:-$HOME/.cache/brygga/fhir-package}}"
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
# One fetch at a time per cache (parallel test runs share it).
exec 9>"$dest/.lock"
flock 9

cannot_fetch() {
  echo "fetch-fhir-package: cannot fetch ${kPackage}@${kVersion}: $1" >&2
  echo "fetch-fhir-package: run scripts/fetch-fhir-package.sh with network access to the npm" \
       "registry (npm must be installed: scripts/setup.sh does it), or put ${kTarball} in ${dest}" >&2
  exit 1
}

if [[ ! -s "$dest/$kTarball" ]]; then
  command -v npm >/dev/null 2>&1 || cannot_fetch "npm is not installed"
  echo "fetch-fhir-package: npm pack ${kPackage}@${kVersion} into ${dest}"
  if ! (cd "$dest" && npm pack --silent "${kPackage}@${kVersion}" >/dev/null); then
    rm -f "$dest/$kTarball"
    cannot_fetch "npm pack failed"
  fi
fi

actual="$(sha256sum "$dest/$kTarball" | cut -d' ' -f1)"
if ((verify)); then
  expected="$(sed -n 's/.*"sha256": "\([0-9a-f]\{64\}\)".*/\1/p' \
    "$root/gateway/fhir/r4/definitions.json" | head -n 1)"
  if [[ "$actual" != "$expected" ]]; then
    echo "fetch-fhir-package: $dest/$kTarball has SHA-256 $actual, but the committed definitions" \
         "were generated from $expected; delete the file and run again" >&2
    exit 1
  fi
fi

marker="$dest/package/.brygga-unpacked-$actual"
if [[ ! -f "$marker" ]]; then
  rm -rf "$dest/package" "$dest/package.tmp"
  mkdir -p "$dest/package.tmp"
  tar -xzf "$dest/$kTarball" -C "$dest/package.tmp"
  mv "$dest/package.tmp/package" "$dest/package"
  rmdir "$dest/package.tmp"
  touch "$marker"
fi
echo "fetch-fhir-package: ${kPackage}@${kVersion} ready in $dest/package"

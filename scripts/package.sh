#!/usr/bin/env bash
# Builds the Debian package of Brygga: the `brygga` binary (only that target, not the tests), then
# cpack (packaging/CMakeLists.txt) in build/. Prints the path of the .deb; install it with
# `sudo apt install ./build/brygga_<version>_<arch>.deb` (README.md, "Installing the .deb").
#
# Usage: scripts/package.sh [OUTPUT_DIR]   (default: build/)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$(realpath -m "${1:-build}")"

./scripts/build.sh brygga
mkdir -p "$out"
(cd build && cpack -B "$out" >/dev/null)
ls "$out"/brygga_*.deb

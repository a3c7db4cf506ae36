#!/usr/bin/env bash
# Configures and builds Brygga in build/ (RelWithDebInfo). ccache is used when installed: the
# root CMakeLists.txt sets it as the compiler launcher.
#
# Usage: scripts/build.sh [TARGET...]   only these CMake targets (default: everything, the tests
#                                       included)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/setup.sh
# Configure every time: it is cheap when nothing changed and picks up new or changed CMake files.
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build build -j"$(nproc)" "${targets[@]}"

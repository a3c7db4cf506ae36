#!/usr/bin/env bash
# Makes a fresh Debian 12 machine able to build and test Brygga. Installs only what is missing;
# when everything is present it says so and touches nothing. Packages named as arguments are
# needed too (scripts/fuzz.sh asks for clang and its sanitizer runtimes this way; the test suite
# does not need them).
set -euo pipefail

readonly kPackages=(
  build-essential cmake pkg-config ccache git ca-certificates openssl
  libssl-dev libpoco-dev rapidjson-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev sqlite3 libpq-dev curl
  nodejs npm
  dpkg-dev  # cpack's .deb: dpkg-shlibdeps computes its Depends (scripts/package.sh, tests/packaging)
  chromium
  libjs-chart.js
  "$@"
)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: dpkg-query/apt-get not found; this script supports Debian 12 only." >&2
  echo "setup: install these packages (or their equivalents) yourself: ${kPackages[*]}" >&2
  exit 1
fi

missing=()
for pkg in "${kPackages[@]}"; do
  status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
  if [[ "$status" != "install ok installed" ]]; then
    # npm for the FHIR conformance tests (npm pack): a nodejs from elsewhere (NodeSource's
    # bundles npm and conflicts with Debian's) will do as long as the commands are there.
    if [[ "$pkg" == nodejs ]] && command -v node >/dev/null 2>&1; then continue; fi
    if [[ "$pkg" == npm ]] && command -v npm >/dev/null 2>&1; then continue; fi
    # chromium for the console's browser test (tests/browser, driven by playwright-core).
    if [[ "$pkg" == chromium ]] && [[ -x /usr/bin/chromium ]]; then continue; fi
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all packages present"
  exit 0
fi

if ((EUID == 0)); then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: need root to install them, and sudo is not available; run as root." >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"

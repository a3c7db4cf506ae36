#!/usr/bin/env bash
# The Debian package as cpack builds it (packaging/CMakeLists.txt), checked without installing it
# (the machine is left as it was): its control fields, files, conffile, maintainer scripts and
# systemd unit; then an extraction install (dpkg-deb -x into a temporary root) whose binary runs
# on the packaged config, reading the packaged mapping data.
#
# Usage: package_test.sh BUILD_DIR BRYGGA_BINARY      (exit 77: a tool is missing, skipped)
set -euo pipefail

build="$1"
brygga="$2"

for tool in cpack dpkg-deb dpkg-shlibdeps curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool is not installed"
    exit 77
  fi
done

mkdir -p "$build/test-tmp"
tmp="$(mktemp -d "$build/test-tmp/package.XXXXXX")"
serve_pid=""
cleanup() {
  if [[ -n "$serve_pid" ]]; then kill -KILL "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
expect_line() {  # FILE LINE: LINE is a whole line of FILE
  grep -qxF -- "$2" "$1" || fail "$(basename "$1") has no line '$2'"
}

(cd "$build" && cpack -B "$tmp/out") >"$tmp/cpack.log" 2>&1 || {
  cat "$tmp/cpack.log"
  fail "cpack failed"
  exit 1
}
debs=("$tmp"/out/brygga_*.deb)
[[ ${#debs[@]} -eq 1 && -f "${debs[0]}" ]] || { fail "no single brygga_*.deb: ${debs[*]}"; exit 1; }
deb="${debs[0]}"
echo "package: $(basename "$deb")"

# Control fields: the version is the gateway's own, the dependencies were computed.
version="$("$brygga" --version | awk '{print $2}')"
[[ "$(dpkg-deb -f "$deb" Package)" == brygga ]] || fail "Package is not brygga"
[[ "$(dpkg-deb -f "$deb" Version)" == "$version" ]] ||
  fail "Version $(dpkg-deb -f "$deb" Version) is not brygga --version's $version"
[[ "$(basename "$deb")" == "brygga_${version}_$(dpkg --print-architecture).deb" ]] ||
  fail "file name $(basename "$deb")"
[[ -n "$(dpkg-deb -f "$deb" Maintainer)" ]] || fail "no Maintainer"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
for dependency in libc6 libstdc++6 libssl3 libsqlite3-0 libcurl4 libpq5 libpocofoundation adduser \
  init-system-helpers; do
  [[ "$depends" == *"$dependency"* ]] || fail "Depends lacks $dependency"
done

# Files.
dpkg-deb -c "$deb" | awk '{print $1, $NF}' >"$tmp/contents"
expect_line "$tmp/contents" "-rwxr-xr-x ./usr/bin/brygga"
expect_line "$tmp/contents" "-rw-r--r-- ./usr/lib/systemd/system/brygga.service"
expect_line "$tmp/contents" "-rw-r--r-- ./etc/brygga/brygga.json"
expect_line "$tmp/contents" "drwxr-xr-x ./var/lib/brygga/"
expect_line "$tmp/contents" "-rw-r--r-- ./usr/share/brygga/mappings/service-hours.json"
expect_line "$tmp/contents" "-rw-r--r-- ./usr/share/doc/brygga/README.md"

# Maintainer scripts: the config is a conffile (an edited one survives upgrades), postinst makes
# the system user and its data dir.
dpkg-deb -e "$deb" "$tmp/control"
expect_line "$tmp/control/conffiles" "/etc/brygga/brygga.json"
for script in postinst prerm postrm; do
  [[ -x "$tmp/control/$script" ]] || fail "$script is not executable"
  sh -n "$tmp/control/$script" || fail "$script is not valid sh"
done
grep -q 'adduser --system --group --home /var/lib/brygga' "$tmp/control/postinst" ||
  fail "postinst makes no system user brygga"
expect_line "$tmp/control/postinst" "  install -d -o brygga -g brygga -m 0750 /var/lib/brygga"

# The unit: Type=notify, reload by SIGHUP, its own user, the hardening.
dpkg-deb -x "$deb" "$tmp/root"
unit="$tmp/root/usr/lib/systemd/system/brygga.service"
for line in "Type=notify" "ExecStart=/usr/bin/brygga serve --config /etc/brygga/brygga.json" \
  'ExecReload=/bin/kill -HUP $MAINPID' "User=brygga" "ProtectSystem=strict" \
  "ReadWritePaths=/var/lib/brygga" "NoNewPrivileges=yes" "CapabilityBoundingSet=" \
  "PrivateTmp=yes" "ProtectHome=yes" "ProtectKernelTunables=yes" "ProtectKernelModules=yes" \
  "ProtectKernelLogs=yes" "ProtectControlGroups=yes" \
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "SystemCallFilter=@system-service"; do
  expect_line "$unit" "$line"
done
if command -v systemd-analyze >/dev/null; then
  # verify checks that ExecStart's binary exists: the extracted one stands in for /usr/bin's.
  # It only warns about unknown keys, so any output fails.
  sed "s|^ExecStart=/usr/bin/brygga|ExecStart=$tmp/root/usr/bin/brygga|" "$unit" \
    >"$tmp/brygga.service"
  if ! verify="$(systemd-analyze verify "$tmp/brygga.service" 2>&1)" || [[ -n "$verify" ]]; then
    fail "systemd-analyze verify: $verify"
  fi
  # Exposure 2.0 or less ("OK" and better).
  systemd-analyze security --offline=yes --threshold=20 "$unit" >"$tmp/security" 2>&1 ||
    fail "systemd-analyze security: $(tail -1 "$tmp/security")"
  tail -1 "$tmp/security"
else
  echo "systemd-analyze is not installed: the unit is not verified by it"
fi

# Extraction install: the packaged config passes the gateway's own checks, and the packaged
# binary serves on it (only the data dir and port changed), reading the packaged mapping data.
"$tmp/root/usr/bin/brygga" check-config "$tmp/root/etc/brygga/brygga.json" >"$tmp/check" 2>&1 ||
  fail "check-config of the packaged config: $(cat "$tmp/check")"
expect_line "$tmp/check" "clients: 0 ()"
coproc SERVE {
  exec "$tmp/root/usr/bin/brygga" serve --config "$tmp/root/etc/brygga/brygga.json" \
    --data-dir "$tmp/data" --http-port 0 2>"$tmp/serve.log"
}
serve_pid=$SERVE_PID
port=""
while [[ -z "$port" ]] && IFS= read -r -t 60 -u "${SERVE[0]}" line; do
  if [[ "$line" =~ http-port=([0-9]+) ]]; then port="${BASH_REMATCH[1]}"; fi
done
if [[ -z "$port" ]]; then
  fail "the packaged gateway did not start: $(cat "$tmp/serve.log")"
  exit 1
fi
base="http://127.0.0.1:$port"
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
[[ "$(status "$base/healthz")" == 200 ]] || fail "/healthz"
[[ "$(status "$base/console/")" == 200 ]] || fail "the console is not served"
# No development identity: the packaged config names no clients.
[[ "$(status -H 'Authorization: Bearer dev-token-integration' "$base/fhir/Patient")" == 401 ]] ||
  fail "a development token is accepted"
grep -qF "\"event\":\"mappings.loaded\",\"directory\":\"$tmp/root/usr/share/brygga/mappings\"" \
  "$tmp/serve.log" || fail "the packaged mapping data was not the one read"
kill -TERM "$serve_pid"
code=0
wait "$serve_pid" || code=$?
serve_pid=""
[[ "$code" == 0 ]] || fail "the packaged gateway exited $code on SIGTERM"
[[ -f "$tmp/data/brygga.db" ]] || fail "no database in the data dir"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "ok"

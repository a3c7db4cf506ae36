#!/usr/bin/env bash
# Builds the gateway (the `brygga` target and its mapping data; not the tests), makes the dev
# certificates if needed and starts the gateway with its embedded defaults: data under ./var, HTTP
# on 127.0.0.1:8080, HTTPS on 8443 with certs/out/*.
# Arguments go to `brygga serve`.
#
# `scripts/run.sh --demo` also starts a stand-in regional EHR on 127.0.0.1:9090 and sends
# synthetic home-care traffic from the six municipalities (brygga-traffic), so that messages are
# seen flowing; the gateway's own log goes to var/brygga-demo.log.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

demo=false
if [[ "${1:-}" == "--demo" ]]; then
  demo=true
  shift
fi

# Only what runs here: the gateway (and, for the demo, brygga-traffic); ./scripts/test.sh builds
# the tests.
if $demo; then
  ./scripts/build.sh brygga brygga-traffic
else
  ./scripts/build.sh brygga
fi
./certs/make-dev-certs.sh
mkdir -p var
if ! $demo; then
  exec build/bin/brygga serve "$@"
fi

# The stand-in EHR refuses the first delivery of each message about Tolvan Tolvansson
# (19121212-1212, a Skatteverket test number), so the console has a failed message to replay.
build/bin/brygga-traffic sink --port 9090 --refuse-once 19121212-1212 &
sink=$!
build/bin/brygga serve "$@" 2>var/brygga-demo.log &
gateway=$!
trap 'kill "$sink" "$gateway" 2>/dev/null || true; wait 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 100); do
  if (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then break; fi
  sleep 0.1
done
curl -s -o /dev/null -w 'enrollment of 19121212-1212 from kungsbacka -> %{http_code} (the stand-in EHR will refuse its delivery once)\n' \
  -H 'Authorization: Bearer dev-token-kungsbacka' -H 'Content-Type: application/fhir+json' \
  --data-binary @tests/testdata/enrollment-bundle.json http://127.0.0.1:8080/fhir
echo "Console: http://127.0.0.1:8080/console/ (token dev-token-integration)"
build/bin/brygga-traffic send --count "${BRYGGA_DEMO_MESSAGES:-60}" --rate 5
echo "The gateway keeps running at http://127.0.0.1:8080/fhir (its log: var/brygga-demo.log);"
echo "Ctrl-C stops it and the stand-in EHR."
wait "$gateway"

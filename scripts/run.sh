#!/usr/bin/env bash
# Builds Brygga, makes the dev certificates if needed and starts the gateway with its embedded
# defaults: data under ./var, HTTP on 127.0.0.1:8080, HTTPS on 8443 with certs/out/*.
# Arguments go to `brygga serve`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

./scripts/build.sh
./certs/make-dev-certs.sh
mkdir -p var
exec build/bin/brygga serve "$@"

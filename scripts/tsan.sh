#!/usr/bin/env bash
# Builds the store's and delivery's tests with ThreadSanitizer in build-tsan/ (apart from the
# normal build) and runs the tests of concurrent code: the store's group commit and reader pool,
# the delivery workers, the integration tests that deliver (admin, faults, enrollment flow), and
# the event-driven front's. A data race, lock-order inversion or use after free fails the test that
# met it (halt_on_error).
#
#   scripts/tsan.sh [CTEST_REGEX]
#
# Not part of .ci/run: a TSan build is slow and doubles the suite's time.
set -euo pipefail

cd "$(dirname "$0")/.."
readonly kBuildDir=build-tsan
# Every test of unit_store (its group commit is tested as SqliteStoreTest.ManyConcurrentWriters...
# and SqliteDeliveryStoreTest.UnitsQueuedBehindASlowOne...), of unit_delivery, and the integration
# tests that deliver or write in parallel, and those of the event-driven front (ServingTest).
readonly regex="${1:-Sqlite|Rollback|Search|Schema|ReadPool|Outbox|Delivery|Retention|EnrollmentFlow|Parallel|Concurrent|Serving}"

./scripts/setup.sh
if [[ ! -f "$kBuildDir/CMakeCache.txt" ]]; then
  cmake -S . -B "$kBuildDir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBRYGGA_SANITIZE=thread \
    -DBRYGGA_BUILD_BENCH=OFF
fi
cmake --build "$kBuildDir" -j2 --target unit_store unit_delivery integration_gateway brygga
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
ctest --test-dir "$kBuildDir" -R "$regex" --output-on-failure --timeout 900 -j2

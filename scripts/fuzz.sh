#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang, ASan and UBSan in build-fuzz/ (apart from
# the normal build) and runs each for a number of executions, one after the other, at low
# priority. Prints one line per target: executions, seconds, coverage (libFuzzer's cov: edges and
# ft: features) and the corpus size; a crash stops with the reproducer's path.
#
#   scripts/fuzz.sh [--runs N] [--max-time SECONDS] [--build-only] [TARGET...]
#
# TARGET is a name of tests/fuzz/CMakeLists.txt (json_reader, validator, search_query,
# signed_note, config, mappings, http_request_parser); default: all of them. --runs defaults to
# 10000000; --max-time stops a target earlier, after that many seconds (libFuzzer's
# -max_total_time; default: no limit), for a target too slow to reach --runs.
# New inputs go to build-fuzz/fuzz/<target>/corpus (the seed corpus in tests/fuzz/corpus is only
# read); logs to build-fuzz/fuzz/<target>/log. A crash found: fix it, copy the reproducer into
# tests/fuzz/corpus/<target>/ so that ctest replays it for good, and run again.
set -euo pipefail

cd "$(dirname "$0")/.."
readonly kBuildDir=build-fuzz
runs=10000000
max_time=0
build_only=0
targets=()
while (($#)); do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --max-time) max_time="$2"; shift 2 ;;
    --build-only) build_only=1; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(sed -n 's/^brygga_fuzz_target(\([a-z_0-9]*\) .*/\1/p' tests/fuzz/CMakeLists.txt)
fi

# Longest input per target: a little more than the largest seed.
declare -A max_len=([json_reader]=8192 [validator]=16384 [search_query]=1024 [signed_note]=2048
                    [config]=8192 [mappings]=8192 [http_request_parser]=8192)
# Targets reading JSON get the JSON dictionary.
declare -A dict=([json_reader]=1 [validator]=1 [config]=1 [mappings]=1)

./scripts/setup.sh clang libclang-rt-14-dev
if [[ ! -f "$kBuildDir/CMakeCache.txt" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$kBuildDir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBRYGGA_FUZZ=ON -DBRYGGA_SANITIZE=address,undefined -DBRYGGA_BUILD_BENCH=OFF
fi
nice -n 19 cmake --build "$kBuildDir" -j2 --target "${targets[@]/#/fuzz_}"
((build_only)) && exit 0

printf '%-14s %12s %9s %7s %7s %7s\n' target executions seconds cov ft corpus
for target in "${targets[@]}"; do
  work="$kBuildDir/fuzz/$target"
  mkdir -p "$work/corpus" "$work/artifacts"
  args=(-runs="$runs" -max_total_time="$max_time" -max_len="${max_len[$target]:-4096}" -timeout=30 -rss_limit_mb=2560
        -print_final_stats=1 -artifact_prefix="$work/artifacts/")
  [[ -n "${dict[$target]:-}" ]] && args+=(-dict=tests/fuzz/json.dict)
  start=$(date +%s)
  status=0
  nice -n 19 "$kBuildDir/tests/fuzz/fuzz_$target" "${args[@]}" "$work/corpus" \
    "tests/fuzz/corpus/$target" >"$work/log" 2>&1 || status=$?
  seconds=$(($(date +%s) - start))
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$work/log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corpus=$(find "$work/corpus" -type f | wc -l)
  printf '%-14s %12s %9s %7s %7s %7s\n' "$target" "${executions:-?}" "$seconds" "${cov:-?}" \
    "${ft:-?}" "$corpus"
  if ((status != 0)); then
    echo "fuzz: $target stopped (exit $status); see $work/log; reproducer:" \
      "$(ls -t "$work/artifacts" | head -1)" >&2
    exit 1
  fi
done

#!/usr/bin/env bash
# Runs each libFuzzer target of a sanitized build (scripts/dev.sh builds it: `dev.sh fuzz` or
# `dev.sh sanitize`) for N seconds from the seed corpus in tests/fuzz_corpus/<target>/, printing
# the executions. New inputs go to BUILD_DIR/corpus/<target>/ (the seeds are not touched); a
# crash stops that target with the input saved as BUILD_DIR/crash-<target>-*, and this exits 1.
#   scripts/fuzz.sh BUILD_DIR [seconds] [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:?usage: scripts/fuzz.sh BUILD_DIR [seconds] [target...]}
SECONDS_EACH=${2:-20}
shift 2 || shift $#
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(fuzz_events fuzz_signature fuzz_csv_import fuzz_policy)

status=0
for t in "${TARGETS[@]}"; do
    if [ ! -x "$BUILD_DIR/fuzz/$t" ]; then
        echo "fuzz.sh: $BUILD_DIR/fuzz/$t is not built (./scripts/dev.sh fuzz builds it)" >&2
        exit 2
    fi
    mkdir -p "$BUILD_DIR/corpus/$t"
    log="$BUILD_DIR/$t.log"
    if ASAN_OPTIONS=detect_leaks=1 "$BUILD_DIR/fuzz/$t" -max_total_time="$SECONDS_EACH" -max_len=65536 \
        -artifact_prefix="$BUILD_DIR/crash-$t-" "$BUILD_DIR/corpus/$t" "tests/fuzz_corpus/$t" >"$log" 2>&1; then
        runs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || echo "?")
        echo "$t: $runs executions in ${SECONDS_EACH} s, no crash (corpus $(ls "$BUILD_DIR/corpus/$t" | wc -l) inputs)"
    else
        echo "$t: CRASH, see $log and $BUILD_DIR/crash-$t-*" >&2
        tail -40 "$log" >&2
        status=1
    fi
done
exit $status

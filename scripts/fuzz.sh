#!/usr/bin/env bash
# Builds the libFuzzer targets in fuzz/ with clang into build-fuzz and runs each for N seconds
# (default 20) from the seed corpus in tests/fuzz_corpus/<target>/, printing the executions.
# New inputs found go to build-fuzz/corpus/<target>/ (the seeds are not touched); a crash stops
# the run with the input saved as build-fuzz/crash-<target>-*, and this script exits 1.
#   scripts/fuzz.sh [seconds] [target...]
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(fuzz_events fuzz_signature fuzz_csv_import fuzz_policy)
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}

if ! command -v clang++ >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    echo "fuzz.sh: needs clang and libFuzzer (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
fi
CXX=clang++ CC=clang cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUICKTOOLS_FUZZ=ON \
    -DQUICKTOOLS_BUILD_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "${TARGETS[@]}"

status=0
for t in "${TARGETS[@]}"; do
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

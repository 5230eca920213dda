#!/usr/bin/env bash
# quicktools developer entry point: installs what is missing (Debian 12, apt-get), builds, and
#   demo   runs the main job on a generated sample database
#   test [--quick]  runs the whole test suite (unit + end-to-end, the Debian package's test too) through
#          CTest; --quick leaves out the slow end-to-end tests (crash harness, real terminals)
#   build  only builds
#   bench [CASE...] [--users N] [--rounds R] [--events N] [--work DIR]  runs bench/run.py: quicktools
#                  side by side with its peers in bench/peers (docs/benchmarks.md)
#   package  builds the Debian package quicktools_<version>_amd64.deb into $BUILD_DIR/package
#   sanitize [SECONDS]  builds with clang, AddressSanitizer and UndefinedBehaviorSanitizer (build-san),
#                  runs the whole suite (unit + e2e) on that build, then each fuzz target SECONDS (10)
#   fuzz [SECONDS] [TARGET...]  builds the libFuzzer targets (build-san) and runs each (scripts/fuzz.sh)
#   lint   clang-format and clang-tidy, as CI runs them (.clang-format, .clang-tidy)
#   completions  regenerates completions/ from the command tree (after adding commands)
# Environment: BUILD_DIR (default build), SAN_BUILD_DIR (default build-san), CI=true for -Werror.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD_DIR=${BUILD_DIR:-build}
SAN_BUILD_DIR=${SAN_BUILD_DIR:-build-san}

PACKAGES=(cmake make g++ pkg-config libcli11-dev libsqlite3-dev libfmt-dev nlohmann-json3-dev
          libcurl4-openssl-dev libssl-dev libsimdjson-dev doctest-dev sqlite3 python3 python3-pytest
          python3-pytest-xdist tmux libpq-dev postgresql-15 postgresql-client)
BENCH_PACKAGES=(python3-sqlalchemy python3-psycopg2 time)  # psycopg2: the ORM and handler peers on PostgreSQL
FUZZ_PACKAGES=(clang libclang-rt-14-dev)
LINT_PACKAGES=(clang-format-14 clang-tidy-14)
PACKAGE_PACKAGES=(dpkg-dev)   # dpkg-shlibdeps: the package's Depends

install_missing() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "dev.sh: installing ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

werror() { if [ "${CI:-}" = "true" ]; then echo ON; else echo OFF; fi; }

build() {
    cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUICKTOOLS_WERROR="$(werror)" \
          -DQUICKTOOLS_SANITIZE="${QUICKTOOLS_SANITIZE:-OFF}" -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
    cmake --build "$BUILD_DIR" -j"$(nproc)"
}

# One clang build for the sanitizer suite and the fuzz targets: the library is compiled with
# ASan, UBSan and libFuzzer's coverage; -O1 keeps both the build and the suite quick.
sanitized_build() {
    CXX=clang++ CC=clang cmake -S . -B "$SAN_BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DQUICKTOOLS_FUZZ=ON \
          -DQUICKTOOLS_WERROR="$(werror)" -DPython3_EXECUTABLE=/usr/bin/python3 >/dev/null
    cmake --build "$SAN_BUILD_DIR" -j"$(nproc)" "$@"
}

demo() {
    local dir q
    dir=$(mktemp -d)
    q="$ROOT/$BUILD_DIR/quicktools"
    echo "== a legacy (subscription) database with 1000 users: $dir/quicktools.db"
    /usr/bin/python3 tests/tools/make_legacy_db.py "$dir/quicktools.db" --users 1000
    export QUICKTOOLS_DB="$dir/quicktools.db"
    for cmd in "db status" "db upgrade --dry-run" "db upgrade" "db verify"; do
        echo "== quicktools $cmd"
        # shellcheck disable=SC2086
        "$q" $cmd
    done
    if "$q" migrate --help >/dev/null 2>&1; then
        echo "== quicktools migrate packs --no-backup"
        "$q" migrate packs --no-backup
    fi
    if "$q" report --help >/dev/null 2>&1; then
        echo "== quicktools report"
        "$q" report
    fi
}

# The style checks CI runs: clang-format (.clang-format) over every C++ file git knows, and
# clang-tidy (.clang-tidy) over src/ compiled as one translation unit, so the headers are parsed
# once (about a minute instead of ten).
lint() {
    local files
    mapfile -t files < <(git ls-files '*.cpp' '*.hpp')
    clang-format-14 --dry-run -Werror "${files[@]}"
    echo "lint: clang-format clean (${#files[@]} files)" >&2
    # shellcheck disable=SC2046
    clang-tidy-14 --quiet "$BUILD_DIR/generated/all_sources.cpp" -- -std=c++17 -Iinclude -Isrc \
        -I"$BUILD_DIR/generated" $(pkg-config --cflags-only-I libpq | sed 's/-I/-isystem /g')
    echo "lint: clang-tidy clean" >&2
}

completions() {
    local q="$ROOT/$BUILD_DIR/quicktools"
    "$q" completion bash > completions/quicktools.bash
    "$q" completion zsh > completions/_quicktools
    "$q" completion fish > completions/quicktools.fish
    echo "completions/ regenerated from the command tree" >&2
}

case "${1:-}" in
    build) install_missing "${PACKAGES[@]}"; build ;;
    demo) install_missing "${PACKAGES[@]}"; build; demo ;;
    test) install_missing "${PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"; build
          # --quick leaves out the end-to-end tests marked slow (crash harness, terminals); CI runs all.
          if [ "${2:-}" = "--quick" ]; then export PYTEST_ADDOPTS="-m 'not slow'"; fi
          ctest --test-dir "$BUILD_DIR" --output-on-failure ;;
    bench) install_missing "${PACKAGES[@]}" "${BENCH_PACKAGES[@]}"; build
           shift; /usr/bin/python3 bench/run.py --quicktools "$ROOT/$BUILD_DIR/quicktools" "$@" ;;
    sanitize) install_missing "${PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"; sanitized_build
              # The slow tests (kill -9 harness, real terminals) test crash safety, not memory: the
              # normal build runs them; under the sanitizers they would only double CI's time.
              PYTEST_ADDOPTS="-m 'not slow'" ASAN_OPTIONS=detect_leaks=1 \
                  ctest --test-dir "$SAN_BUILD_DIR" --output-on-failure
              ./scripts/fuzz.sh "$SAN_BUILD_DIR" "${2:-10}" ;;
    fuzz) install_missing "${PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"; shift
          sanitized_build --target fuzz_events fuzz_signature fuzz_csv_import fuzz_policy
          ./scripts/fuzz.sh "$SAN_BUILD_DIR" "$@" ;;
    package) install_missing "${PACKAGES[@]}" "${PACKAGE_PACKAGES[@]}"; build
             (cd "$BUILD_DIR" && cpack -G DEB -B package >&2)
             ls "$BUILD_DIR"/package/quicktools_*.deb ;;
    lint) install_missing "${PACKAGES[@]}" "${LINT_PACKAGES[@]}"; build; lint ;;
    completions) install_missing "${PACKAGES[@]}"; build; completions ;;
    *) echo "usage: scripts/dev.sh demo|test|build|bench|package|sanitize|fuzz|lint|completions" >&2; exit 2 ;;
esac

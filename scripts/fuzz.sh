#!/bin/sh
# Builds the libFuzzer target with clang + ASan + UBSan and runs it for a
# bounded time (default 60 s) on the seed corpus. A crash leaves its input in
# build-fuzz/artifacts/; copy it to tests/fuzz/crashes/ so the test suite
# replays it. Usage: scripts/fuzz.sh [SECONDS]
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-60}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNORDPII_FUZZ=ON \
  -DNORDPII_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target nordpii_scan_fuzzer
mkdir -p build-fuzz/corpus build-fuzz/artifacts
cp tests/fuzz/seeds/* build-fuzz/corpus/ 2>/dev/null || true
NORDPII_CACHE_DIR=off ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  build-fuzz/tests/nordpii_scan_fuzzer -max_total_time="$SECS" -max_len=4096 -timeout=10 \
  -seed="${FUZZ_SEED:-0}" -print_final_stats=1 \
  -rss_limit_mb=2048 -artifact_prefix=build-fuzz/artifacts/ build-fuzz/corpus

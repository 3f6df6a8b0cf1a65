#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Whole-process benchmark: nordpii scan against `cat` and `rg -c -f` with the
# same identifier shapes (bench/shapes.txt, generated from patterns/ by
# bench/make_shapes.py; no checksums, no context), all on the same
# page-cached corpus in the same run; then the stage benchmarks (Google
# Benchmark). Usage: bench/run.sh [MEGABYTES] [typical|dense|mail|all]
# (default 200 all: every profile, each with its own rg baseline in the
# same interleaved rounds).
set -eu
cd "$(dirname "$0")/.."
MB=${1:-200}
PROFILES=${2:-all}
[ "$PROFILES" = all ] && PROFILES="typical dense mail"
/usr/bin/python3 bench/make_shapes.py > bench/shapes.txt  # the shapes the patterns define
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target nordpii nordpii_bench >/dev/null
ROUNDS=${ROUNDS:-7}
. bench/timing.sh
mkdir -p bench/corpus
SUMMARY=$(mktemp)
echo "profile digits nordpii_MB/s rg_MB/s ratio cat_MB/s peak_RSS_KB" > "$SUMMARY"
for PROFILE in $PROFILES; do
  CORPUS=bench/corpus/tickets-$PROFILE-$MB.txt
  [ -s "$CORPUS" ] || /usr/bin/python3 bench/gen_corpus.py "$CORPUS" "$MB" 42 "$PROFILE"
  ln -sf "tickets-$PROFILE-$MB.txt" bench/corpus/tickets.txt
  BYTES=$(stat -c %s "$CORPUS")
  cat "$CORPUS" >/dev/null  # page cache
  timing_init
  expect_output np build/src/nordpii scan --input text --format jsonl "$CORPUS"
  i=0
  while [ $i -lt "$ROUNDS" ]; do
    run cat cat "$CORPUS"
    run rg rg -c -f bench/shapes.txt "$CORPUS"
    run np build/src/nordpii scan --input text --format jsonl "$CORPUS"
    run npr build/src/nordpii scan --input text --format jsonl --categories national-id,financial,credential "$CORPUS"
    i=$((i + 1))
  done
  CAT_T=$(best cat); RG_T=$(best rg); NP_T=$(best np); NPR_T=$(best npr); NP_RSS=$(peak np)
  rm -rf "$TD"
  DIGITS=$(head -c 20000000 "$CORPUS" | tr -cd '0-9' | wc -c)
  DPCT=$(awk -v d="$DIGITS" -v b="$BYTES" 'BEGIN{n = b < 20000000 ? b : 20000000; printf "%.1f", 100 * d / n}')
  echo "corpus: $CORPUS ($BYTES bytes, $DPCT % digits), 1 core each, best of $ROUNDS interleaved rounds"
  printf "%-48s %8s MB/s\n" "cat" "$(mbs "$BYTES" "$CAT_T")"
  printf "%-48s %8s MB/s\n" "rg -c -f bench/shapes.txt ($(wc -l < bench/shapes.txt) shapes)" "$(mbs "$BYTES" "$RG_T")"
  printf "%-48s %8s MB/s  (peak RSS %s KB)\n" "nordpii scan --input text --format jsonl" "$(mbs "$BYTES" "$NP_T")" "$NP_RSS"
  printf "%-48s %8s MB/s\n" "nordpii scan (redacted categories only)" "$(mbs "$BYTES" "$NPR_T")"
  RATIO=$(awk -v a="$RG_T" -v b="$NP_T" 'BEGIN{printf "%.2f", a/b}')
  echo "ratio nordpii / rg: ${RATIO}x"
  echo "$PROFILE $DPCT% $(mbs "$BYTES" "$NP_T") $(mbs "$BYTES" "$RG_T") ${RATIO}x $(mbs "$BYTES" "$CAT_T") $NP_RSS" >> "$SUMMARY"
done
echo
column -t "$SUMMARY"
rm -f "$SUMMARY"
[ "${NORDPII_BENCH_STAGES:-1}" = 1 ] && build/bench/nordpii_bench --benchmark_min_time=0.5

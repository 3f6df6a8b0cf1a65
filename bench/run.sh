#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Whole-process benchmark: nordpii scan against `cat` and `rg -c -f` with the
# same identifier shapes (bench/shapes.txt, generated from patterns/ by
# bench/make_shapes.py; no checksums, no context), all on the same
# page-cached corpus in the same run; then the stage benchmarks (Google
# Benchmark). Usage: bench/run.sh [MEGABYTES] [dense|typical]   (default 200 dense)
set -eu
cd "$(dirname "$0")/.."
MB=${1:-200}
PROFILE=${2:-dense}
CORPUS=bench/corpus/tickets-$PROFILE-$MB.txt
mkdir -p bench/corpus
[ -s "$CORPUS" ] || /usr/bin/python3 bench/gen_corpus.py "$CORPUS" "$MB" 42 "$PROFILE"
ln -sf "tickets-$PROFILE-$MB.txt" bench/corpus/tickets.txt
/usr/bin/python3 bench/make_shapes.py > bench/shapes.txt  # the shapes the patterns define
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target nordpii nordpii_bench >/dev/null
BYTES=$(stat -c %s "$CORPUS")
cat "$CORPUS" >/dev/null  # page cache

ROUNDS=${ROUNDS:-7}
. bench/timing.sh
timing_init
expect_output np build/src/nordpii scan --format jsonl "$CORPUS"
i=0
while [ $i -lt "$ROUNDS" ]; do
  run cat cat "$CORPUS"
  run rg rg -c -f bench/shapes.txt "$CORPUS"
  run np build/src/nordpii scan --format jsonl "$CORPUS"
  run npr build/src/nordpii scan --format jsonl --categories national-id,financial,credential "$CORPUS"
  i=$((i + 1))
done
CAT_T=$(best cat); RG_T=$(best rg); NP_T=$(best np); NPR_T=$(best npr); NP_RSS=$(peak np)
rm -rf "$TD"
mbs() { awk -v b="$BYTES" -v t="$1" 'BEGIN{ if (t<=0) t=0.001; printf "%.0f", b/t/1e6 }'; }

DIGITS=$(head -c 20000000 "$CORPUS" | tr -cd '0-9' | wc -c)
echo "corpus: $CORPUS ($BYTES bytes, $(awk -v d=$DIGITS 'BEGIN{printf "%.1f", d/200000}') % digits), 1 core each, best of $ROUNDS interleaved rounds"
printf "%-48s %8s MB/s\n" "cat" "$(mbs $CAT_T)"
printf "%-48s %8s MB/s\n" "rg -c -f bench/shapes.txt ($(wc -l < bench/shapes.txt) shapes)" "$(mbs $RG_T)"
printf "%-48s %8s MB/s  (peak RSS %s KB)\n" "nordpii scan --format jsonl" "$(mbs $NP_T)" "$NP_RSS"
printf "%-48s %8s MB/s\n" "nordpii scan (redacted categories only)" "$(mbs $NPR_T)"
awk -v a="$RG_T" -v b="$NP_T" 'BEGIN{printf "ratio nordpii / rg: %.2fx\n", a/b}'
[ "${NORDPII_BENCH_STAGES:-1}" = 1 ] && build/bench/nordpii_bench --benchmark_min_time=0.5

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# One big export on all cores (issue 14): whole-process `nordpii batch` MB/s
# with --jobs 1 and --jobs 2 on ONE generated Zendesk-style JSONL file, which
# batch splits into record-aligned ranges of 16 MiB (src/batch/work_items.h),
# in ROUNDS interleaved rounds (default 3) on the page-cached file, and one job
# over the unsplit file (NORDPII_WORK_ITEMS=whole: what batch did before);
# checks that all give the same findings.jsonl byte for byte. Also times two
# independent one-job processes at once: what this (shared) machine gives two
# processes, the ceiling for --jobs 2.
# Usage: bench/run_bigfile.sh [MB]   (default 300)
set -eu
cd "$(dirname "$0")/.."
MB=${1:-300}
ROUNDS=${ROUNDS:-3}
BIN=${NORDPII:-build/src/nordpii}
. bench/lib.sh
tickets_bigfile "$MB"
SIZE=$(stat -c %s "$FILE")
export NORDPII_KEY=${NORDPII_KEY:-bench-key}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cat "$FILE" > /dev/null  # page cache
best0=0 best1=0 best2=0 bestp=0
for r in $(seq "$ROUNDS"); do
  t0=$(date +%s.%N)
  NORDPII_WORK_ITEMS=whole "$BIN" batch -q --jobs 1 "$FILE" --report "$OUT/j0" || [ $? -eq 1 ]
  t1=$(date +%s.%N)
  mbs=$(echo "$SIZE $t0 $t1" | awk '{printf "%.0f", $1 / ($3 - $2) / 1e6}')
  echo "round $r: --jobs 1, whole file: $mbs MB/s"
  [ "$mbs" -gt "$best0" ] && best0=$mbs
  for j in 1 2; do
    t0=$(date +%s.%N)
    "$BIN" batch -q --jobs $j "$FILE" --report "$OUT/j$j" || [ $? -eq 1 ]
    t1=$(date +%s.%N)
    mbs=$(echo "$SIZE $t0 $t1" | awk '{printf "%.0f", $1 / ($3 - $2) / 1e6}')
    echo "round $r: --jobs $j: $mbs MB/s"
    if [ $j = 1 ]; then [ "$mbs" -gt "$best1" ] && best1=$mbs; else [ "$mbs" -gt "$best2" ] && best2=$mbs; fi
  done
  t0=$(date +%s.%N)
  NORDPII_WORK_ITEMS=whole "$BIN" batch -q --jobs 1 "$FILE" --report "$OUT/p1" &
  NORDPII_WORK_ITEMS=whole "$BIN" batch -q --jobs 1 "$FILE" --report "$OUT/p2" || [ $? -eq 1 ]
  wait $! || [ $? -eq 1 ]
  t1=$(date +%s.%N)
  mbs=$(echo "$SIZE $t0 $t1" | awk '{printf "%.0f", 2 * $1 / ($3 - $2) / 1e6}')
  echo "round $r: two one-job processes at once: $mbs MB/s together"
  [ "$mbs" -gt "$bestp" ] && bestp=$mbs
  cmp -s "$OUT/j1/findings.jsonl" "$OUT/j2/findings.jsonl" || { echo "FINDINGS DIFFER"; exit 1; }
  cmp -s "$OUT/j0/findings.jsonl" "$OUT/j2/findings.jsonl" || { echo "FINDINGS DIFFER (whole file)"; exit 1; }
done
echo "one $((SIZE / 1000000)) MB JSONL file, $(wc -l < "$OUT/j1/findings.jsonl") findings lines (identical for 1 and 2 jobs)"
echo "best of $ROUNDS: --jobs 1 whole file $best0 MB/s, --jobs 1 $best1 MB/s, --jobs 2 $best2 MB/s" \
  "(x$(echo "$best1 $best2" | awk '{printf "%.2f", $2 / $1}')); two processes $bestp MB/s" \
  "(x$(echo "$best0 $bestp" | awk '{printf "%.2f", $2 / $1}'), the machine's own scaling)"

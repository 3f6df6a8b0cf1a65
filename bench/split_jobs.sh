#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# One big export on all cores (issue 14): ONE generated Zendesk-style JSONL
# file (default 1000 MB) scanned whole-process, page-cached, in ROUNDS
# interleaved rounds (default 3) by
#   batch --jobs 1 / --jobs 2   (record-aligned ranges of 16 MiB, work_items.h)
#   scan --threads 1 / 2        (ranges of 4 MiB, batch/parallel_records.h)
#   two one-job batch processes at once on the whole file (NORDPII_WORK_ITEMS=whole):
#                               what the machine gives two processes, the
#                               ceiling for --jobs 2 on a shared host
# and prints, per command, wall seconds (best, median), MB/s at the best,
# CPU seconds (user + system, median) and peak RSS, the speed-ups of 2 over 1, and
# checks that 1 and 2 give the same findings byte for byte (batch:
# findings.jsonl and summary.json; scan: its JSONL output). Target: >= 1.8x
# for 2 jobs on a quiet 2-core machine.
# Usage: bench/split_jobs.sh [MB]     FILE=some.jsonl to use an existing file;
#        NORDPII=path/to/nordpii (default build/src/nordpii); ROUNDS=N
set -eu
cd "$(dirname "$0")/.."
MB=${1:-1000}
ROUNDS=${ROUNDS:-3}
BIN=${NORDPII:-build/src/nordpii}
if [ -z "${FILE:-}" ]; then
  . bench/lib.sh
  tickets_bigfile "$MB"
fi
SIZE=$(stat -c %s "$FILE")
export NORDPII_KEY=${NORDPII_KEY:-bench-key}
export SOURCE_DATE_EPOCH=1764000000  # summary.json compares byte for byte
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cat "$FILE" > /dev/null  # page cache
# timed NAME CMD...: one run; appends "wall cpu rss" to $OUT/NAME.t
timed() {
  name=$1
  shift
  rc=0
  /usr/bin/time -o "$OUT/time" -f "%e %U %S %M" "$@" || rc=$?
  [ "$rc" -le 1 ] || { echo "$name: exit $rc"; exit 1; }
  # (time writes "Command exited with non-zero status 1" first: findings)
  tail -n 1 "$OUT/time" | awk '{printf "%.3f %.3f %d\n", $1, $2 + $3, $4}' >> "$OUT/$name.t"
}
pair() {  # two one-job processes at once; wall of the pair, CPU of both, larger RSS
  t0=$(date +%s.%N)
  NORDPII_WORK_ITEMS=whole /usr/bin/time -o "$OUT/pa" -f "%U %S %M" "$BIN" batch -q --jobs 1 "$FILE" --report "$OUT/pa-r" &
  NORDPII_WORK_ITEMS=whole /usr/bin/time -o "$OUT/pb" -f "%U %S %M" "$BIN" batch -q --jobs 1 "$FILE" --report "$OUT/pb-r" || true
  wait || true
  t1=$(date +%s.%N)
  cat "$OUT/pa" "$OUT/pb" | grep -v exited | awk -v w="$(echo "$t0 $t1" | awk '{print $2 - $1}')" \
    '{c += $1 + $2; if ($3 > m) m = $3} END {printf "%.3f %.3f %d\n", w / 2, c / 2, m}' >> "$OUT/pair.t"
}
for r in $(seq "$ROUNDS"); do
  timed batch1 "$BIN" batch -q --jobs 1 "$FILE" --report "$OUT/b1"
  timed batch2 "$BIN" batch -q --jobs 2 "$FILE" --report "$OUT/b2"
  timed scan1 sh -c "exec \"$BIN\" scan --format jsonl --threads 1 \"$FILE\" > \"$OUT/s1.jsonl\""
  timed scan2 sh -c "exec \"$BIN\" scan --format jsonl --threads 2 \"$FILE\" > \"$OUT/s2.jsonl\""
  pair
  cmp -s "$OUT/b1/findings.jsonl" "$OUT/b2/findings.jsonl" || { echo "batch: FINDINGS DIFFER"; exit 1; }
  cmp -s "$OUT/b1/summary.json" "$OUT/b2/summary.json" || { echo "batch: SUMMARY DIFFERS"; exit 1; }
  cmp -s "$OUT/s1.jsonl" "$OUT/s2.jsonl" || { echo "scan: OUTPUT DIFFERS"; exit 1; }
  echo "round $r: $(for n in batch1 batch2 scan1 scan2 pair; do printf '%s %ss  ' $n "$(tail -1 "$OUT/$n.t" | cut -d' ' -f1)"; done)"
done
echo "one $((SIZE / 1000000)) MB JSONL file, $(wc -l < "$OUT/b1/findings.jsonl") findings;" \
  "output identical for 1 and 2 jobs/threads in every round; $(uptime | sed 's/.*load/load/')"
printf '%-34s %8s %8s %8s %8s %8s\n' "whole process, $ROUNDS rounds" "best s" "median s" "MB/s" "CPU s*" "RSS MB"
for n in batch1 batch2 scan1 scan2 pair; do
  case $n in
    batch1) label="batch --jobs 1" ;; batch2) label="batch --jobs 2" ;;
    scan1) label="scan --threads 1" ;; scan2) label="scan --threads 2" ;;
    pair) label="two 1-job processes (per file)" ;;
  esac
  cpu=$(cut -d' ' -f2 "$OUT/$n.t" | sort -n | awk '{c[NR] = $1} END {print c[int((NR + 1) / 2)]}')
  sort -n "$OUT/$n.t" | awk -v l="$label" -v sz="$SIZE" -v cpu="$cpu" '{w[NR] = $1; m[NR] = $3}
    END {printf "%-34s %8.2f %8.2f %8.0f %8.2f %8.0f\n", l, w[1], w[int((NR + 1) / 2)], sz / w[1] / 1e6, cpu, m[1] / 1024}'
  sort -n "$OUT/$n.t" | head -1 | cut -d' ' -f1 > "$OUT/$n.best"
done
echo "* CPU s: median user + system over the rounds, the figure that does not depend on the host's load"
ratio() { awk -v a="$(cat "$OUT/$1.best")" -v b="$(cat "$OUT/$2.best")" 'BEGIN {printf "%.2f", a / b}'; }
echo "speed-up, best wall: batch --jobs 2 x$(ratio batch1 batch2), scan --threads 2 x$(ratio scan1 scan2)," \
  "two processes x$(ratio batch1 pair) (the machine's own scaling; target for --jobs 2: >= 1.8)"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# CPU seconds (user + system) of batch --jobs 1/2 and scan --threads 1/2 on
# one big file, two builds in interleaved rounds (issue 14: 2 jobs should
# cost no more CPU than 1; CPU time does not depend on the host's load, wall
# time on a shared host does). Prints per build and command the median,
# min and max CPU s (perf stat task-clock when perf is there, else user +
# system from time(1)) and the best wall s, and per build the CPU of 2
# jobs/threads over 1 (median and min).
# Usage: bench/ab_split.sh FILE ROUNDS NORDPII_A NORDPII_B
set -eu
F=$1 R=$2 A=$3 B=$4
export NORDPII_KEY=${NORDPII_KEY:-bench-key} SOURCE_DATE_EPOCH=1764000000
O=$(mktemp -d)
trap 'rm -rf "$O"' EXIT
cat "$F" > /dev/null
PERF=$(command -v perf || true)
for r in $(seq "$R"); do
  for b in A B; do
    if [ "$b" = A ]; then BIN=$A; else BIN=$B; fi
    for c in batch1 batch2 scan1 scan2; do
      case $c in
        batch1) set -- "$BIN" batch -q --jobs 1 "$F" --report "$O/r" ;;
        batch2) set -- "$BIN" batch -q --jobs 2 "$F" --report "$O/r" ;;
        scan1) set -- "$BIN" scan --format jsonl --threads 1 "$F" ;;
        scan2) set -- "$BIN" scan --format jsonl --threads 2 "$F" ;;
      esac
      if [ -n "$PERF" ]; then
        t0=$(date +%s.%N)
        perf stat -x, -e task-clock -o "$O/p" "$@" > /dev/null 2>&1 || true
        t1=$(date +%s.%N)
        awk -F, -v k="$b $c" -v w="$(echo "$t0 $t1" | awk '{print $2 - $1}')" '/task-clock/ {print k, w, $1 / 1000}' "$O/p" >> "$O/all"
      else
        /usr/bin/time -o "$O/t" -f "%e %U %S" "$@" > /dev/null 2>&1 || true
        tail -n 1 "$O/t" | awk -v k="$b $c" '{print k, $1, $2 + $3}' >> "$O/all"
      fi
    done
  done
done
for k in "A batch1" "A batch2" "A scan1" "A scan2" "B batch1" "B batch2" "B scan1" "B scan2"; do
  grep "^$k " "$O/all" | awk '{print $4, $3}' | sort -n | awk -v k="$k" '{c[NR] = $1; w[NR] = $2}
    END {m = int((NR + 1) / 2); printf "%s: CPU s median %.3f (min %.3f, max %.3f), best wall %.2f s\n", k, c[m], c[1], c[NR], w[1]}' |
    tee -a "$O/sum"
done
for b in A B; do
  for c in batch scan; do
    awk -v b="$b" -v c="$c" '$1 == b && $2 == c "1:" {m1 = $6; n1 = $8} $1 == b && $2 == c "2:" {m2 = $6; n2 = $8}
      END {gsub(/[(,]/, "", n1); gsub(/[(,]/, "", n2);
           printf "%s %s: CPU of 2 over 1: median x%.3f, min x%.3f\n", b, c, m2 / m1, n2 / n1}' "$O/sum"
  done
done

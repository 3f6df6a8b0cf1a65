#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A/B CPU time of ticket-export scans (JSONL and CSV from bench/gen_tickets.py)
# across source trees built Release, in the same interleaved rounds: for each
# tree and format the min and median user CPU time and task-clock (user +
# system) over ROUNDS runs, MB/s of the min user time, and the ratio to the
# FIRST tree (the baseline). Each tree runs with its own patterns/.
# Hardware counters (instructions, cycles) are not available in this VM; CPU
# time of the process is far steadier than wall time on the shared vCPUs.
# Usage: bench/ab_tickets.sh [MB] [ROUNDS] TREE...
#   e.g. git worktree add /tmp/np-base 780f66b^ && cmake -S /tmp/np-base -B
#   /tmp/np-base/build -DCMAKE_BUILD_TYPE=Release && cmake --build ... then
#   bench/ab_tickets.sh 90 7 /tmp/np-base .
# A tree is a directory with build/src/nordpii and patterns/.
set -eu
cd "$(dirname "$0")/.."
MB=${1:-90}; ROUNDS=${2:-7}; shift 2
[ $# -ge 1 ] || { echo "usage: bench/ab_tickets.sh MB ROUNDS TREE..." >&2; exit 2; }
. bench/lib.sh
tickets_export "$MB" jsonl csv
export NORDPII_KEY=${NORDPII_KEY:-0123456789abcdef0123456789abcdef}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat "$DIR"/export-000.* >/dev/null
TREES="$*"  # paths without spaces
one() {  # NAME TREE FORMAT: append "user_ms task_ms"
  rc=0
  perf stat -e task-clock -o "$T/stat" "$2/build/src/nordpii" scan --patterns "$2/patterns" --input "$3" \
    --format jsonl "$DIR/export-000.$3" >/dev/null 2>"$T/err" || rc=$?
  [ "$rc" -le 1 ] || { echo "ab_tickets: $2 $3 exited $rc" >&2; cat "$T/err" >&2; exit 1; }
  u=$(awk '/seconds user/ { printf "%.1f", $1 * 1000 }' "$T/stat")
  c=$(awk '/task-clock/ { gsub(",", "", $1); printf "%.1f", $1 }' "$T/stat")
  echo "$u $c" >> "$T/$1"
}
i=0
while [ "$i" -lt "$ROUNDS" ]; do
  for fmt in jsonl csv; do
    k=0
    for tree in "$@"; do one "$fmt.$k" "$tree" "$fmt"; k=$((k + 1)); done
  done
  i=$((i + 1))
done
stats() {  # FILE COLUMN -> "min median"
  cut -d" " -f"$2" "$1" | sort -n | awk '{ v[NR] = $1 } END { printf "%s %s", v[1], v[int((NR + 1) / 2)] }'
}
echo "ticket export scan, $ROUNDS interleaved rounds, CPU time of the process (perf stat)"
printf "%-6s %-28s %9s %9s %9s %9s %8s %7s\n" format tree user_min user_med task_min task_med "MB/s" ratio
for fmt in jsonl csv; do
  BYTES=$(stat -c %s "$DIR/export-000.$fmt")
  k=0; base=""
  for tree in $TREES; do
    umin=$(stats "$T/$fmt.$k" 1 | cut -d" " -f1); umed=$(stats "$T/$fmt.$k" 1 | cut -d" " -f2)
    cmin=$(stats "$T/$fmt.$k" 2 | cut -d" " -f1); cmed=$(stats "$T/$fmt.$k" 2 | cut -d" " -f2)
    [ -n "$base" ] || base=$umin
    mbs=$(awk -v b="$BYTES" -v t="$umin" 'BEGIN { printf "%.0f", b / t / 1e3 }')
    ratio=$(awk -v a="$base" -v t="$umin" 'BEGIN { printf "%.3f", a / t }')
    printf "%-6s %-28s %9s %9s %9s %9s %8s %7s\n" "$fmt" "$(echo "$tree" | tail -c 28)" "$umin" "$umed" "$cmin" "$cmed" "$mbs" "$ratio"
    k=$((k + 1))
  done
done
echo "MB/s and ratio from the min user time; ratio = baseline (first tree) time / this tree's time (>1: faster)"

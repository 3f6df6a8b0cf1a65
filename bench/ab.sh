#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A/B CPU-time comparison of nordpii builds on one corpus, with the rg
# baseline in the same interleaved rounds. On shared vCPUs wall time swings
# with the neighbours; CPU time (perf stat task-clock: user + system of the
# process) much less, so this reports the min and median task-clock of each
# command and MB/s of CPU time. (Hardware counters -- instructions, cycles --
# are not available in this VM; where they are, add them to EVENTS.)
# Usage: bench/ab.sh CORPUS ROUNDS NORDPII_BINARY...
set -eu
cd "$(dirname "$0")/.."
CORPUS=$1; ROUNDS=$2; shift 2
EVENTS=${EVENTS:-task-clock}
BYTES=$(stat -c %s "$CORPUS")
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
cat "$CORPUS" >/dev/null
tc() {  # NAME COMMAND... : append task-clock ms
  n=$1; shift
  rc=0; perf stat -x, -e "$EVENTS" -o "$T/stat" "$@" >/dev/null 2>&1 || rc=$?
  [ "$rc" -le 1 ] || { echo "ab: $n exited $rc" >&2; exit 1; }
  grep task-clock "$T/stat" | cut -d, -f1 >> "$T/$n"
}
i=0
while [ $i -lt "$ROUNDS" ]; do
  tc rg rg -c -f bench/shapes.txt "$CORPUS"
  k=0
  for b in "$@"; do
    tc "np$k" "$b" scan --input text --format jsonl "$CORPUS"
    k=$((k + 1))
  done
  i=$((i + 1))
done
report() {
  sort -n "$T/$1" | awk -v b="$BYTES" -v name="$2" '{ v[NR] = $1 } END {
    med = v[int((NR + 1) / 2)]
    printf "%-40s min %7.1f ms  median %7.1f ms  %6.0f MB/s (min)  %6.0f MB/s (median)\n", name, v[1], med, b / v[1] / 1e3, b / med / 1e3 }'
}
echo "corpus $CORPUS ($BYTES bytes), $ROUNDS interleaved rounds, CPU time (task-clock)"
report rg "rg -c -f bench/shapes.txt"
k=0
for b in "$@"; do report "np$k" "$b"; k=$((k + 1)); done

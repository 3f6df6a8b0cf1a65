#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Findings of two source trees on the ticket-export bench corpora, compared
# byte for byte (the output check beside bench/ab_tickets.sh's timing): the
# JSONL and CSV exports of bench/gen_tickets.py (generated as ab_tickets.sh
# does), `scan --format jsonl` with each tree's own patterns/ and a fixed key.
# Exit 0 when both formats give identical output, 1 otherwise.
# Usage: bench/cmp_tickets.sh [MB] TREE_A TREE_B   (a tree has build/src/nordpii and patterns/)
set -eu
cd "$(dirname "$0")/.."
MB=90
case "${1:-}" in [0-9]*) MB=$1; shift ;; esac
[ $# -eq 2 ] || { echo "usage: bench/cmp_tickets.sh [MB] TREE_A TREE_B" >&2; exit 2; }
. bench/lib.sh
tickets_export "$MB" jsonl csv
export NORDPII_KEY=${NORDPII_KEY:-0123456789abcdef0123456789abcdef}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
status=0
for fmt in jsonl csv; do
  for side in a b; do
    if [ "$side" = a ]; then tree=$1; else tree=$2; fi
    rc=0
    "$tree/build/src/nordpii" scan --patterns "$tree/patterns" --input "$fmt" --format jsonl \
      --reference-date 2026-12-03 "$DIR/export-000.$fmt" >"$T/$side.$fmt" 2>"$T/err" || rc=$?
    [ "$rc" -le 1 ] || { echo "cmp_tickets: $tree $fmt exited $rc" >&2; cat "$T/err" >&2; exit 2; }
  done
  if cmp -s "$T/a.$fmt" "$T/b.$fmt"; then
    echo "$fmt: identical ($(wc -l < "$T/a.$fmt") findings)"
  else
    echo "$fmt: DIFFERENT ($(wc -l < "$T/a.$fmt") vs $(wc -l < "$T/b.$fmt") lines)"; status=1
  fi
done
exit $status

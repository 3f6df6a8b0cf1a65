#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A ticket on lines in several ranges of one file (an incremental export:
# the same ticket id again with a newer date and another subject) gets the
# same date, subject and counts in overdue.csv and summary.json with ranges
# scanned by 3 jobs (also with the summaries spilled: --summary-bytes 1) as
# with one job over the whole file: its parts are combined in file order
# (review of split14b: they were combined in the order of the workers'
# summaries, another date and subject from run to run).
# Usage: range_doc_order.sh NORDPII
set -eu
BIN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NORDPII_KEY=range-doc-order-test-key
export SOURCE_DATE_EPOCH=1764000000  # summaries compare byte for byte
awk 'BEGIN { for (k = 0; k < 3000; k++)
  printf "{\"id\": %d, \"subject\": \"subj %d\", \"description\": \"fnr 15108695088\", \"updated_at\": \"2020-%02d-%02dT00:00:00Z\"}\n",
    k % 5, k, 1 + k % 12, 1 + k % 28 }' > "$T/tickets.jsonl"
mkdir "$T/one"
rc=0
"$BIN" batch "$T/tickets.jsonl" --jobs 1 --report "$T/one" -q --retention 30d > /dev/null 2>&1 || rc=$?
[ $rc -eq 1 ] || { echo "FAIL: one job: exit $rc"; exit 1; }
for round in 1 2 3; do
  for bytes in 16777216 1; do
    rm -rf "$T/many"
    mkdir "$T/many"
    rc=0
    NORDPII_RANGE_BYTES=3000 "$BIN" batch "$T/tickets.jsonl" --jobs 3 --summary-bytes $bytes --report "$T/many" -q \
      --retention 30d > /dev/null 2>&1 || rc=$?
    [ $rc -eq 1 ] || { echo "FAIL: 3 jobs: exit $rc"; exit 1; }
    for f in summary.json overdue.csv; do
      cmp "$T/one/$f" "$T/many/$f" || { echo "FAIL: $f differs (round $round, --summary-bytes $bytes)"; exit 1; }
    done
  done
done
echo ok

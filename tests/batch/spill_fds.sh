#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Many large files whose first range's summary spilled (documents known by
# record number: a JSONL export without ticket ids) do not keep a spill
# file open each to the end of the batch: 60 files cut into ranges of 1000
# bytes with the summaries spilled at every document (--summary-bytes 1)
# under `ulimit -n 40` give exit 1 and the same summary.json and
# overdue.csv as one job over whole files, never "cannot create the
# summary's spill file: Too many open files" (exit 2; review of sumspill).
# Usage: spill_fds.sh NORDPII
set -eu
BIN=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NORDPII_KEY=spill-fds-test-key
export SOURCE_DATE_EPOCH=1764000000  # summaries compare byte for byte
mkdir "$T/in"
i=0
while [ $i -lt 60 ]; do
  awk -v f=$i 'BEGIN { for (r = 0; r < 40; r++)
    printf "{\"subject\": \"sak %d-%d\", \"description\": \"fnr 15108695088\", \"created_at\": \"2020-0%d-01\"}\n", f, r, 1 + r % 9 }' \
    > "$T/in/f$i.jsonl"
  i=$((i + 1))
done
mkdir "$T/one" "$T/many"
rc=0
"$BIN" batch "$T/in" --jobs 1 --report "$T/one" -q --retention 30d > /dev/null 2> "$T/one.err" || rc=$?
[ $rc -eq 1 ] || { echo "FAIL: one job: exit $rc"; cat "$T/one.err"; exit 1; }
rc=0
(ulimit -n 40 && NORDPII_RANGE_BYTES=1000 exec "$BIN" batch "$T/in" --jobs 2 --report "$T/many" -q --retention 30d \
  --summary-bytes 1 > /dev/null 2> "$T/many.err") || rc=$?
if [ $rc -ne 1 ]; then echo "FAIL: ranges, spilled summaries, ulimit -n 40: exit $rc"; cat "$T/many.err"; exit 1; fi
for f in summary.json overdue.csv; do
  cmp "$T/one/$f" "$T/many/$f" || { echo "FAIL: $f differs"; exit 1; }
done
echo ok

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A range done before the range in front of it is parked, and its worker
# takes the next range, also when its findings spilled to a file (issue 14:
# the ranges of a ticket export, ~2 MB of findings per 16 MiB, all spill;
# their worker waited for the range before at every range, so two jobs went
# in lockstep). One JSONL file in ranges of 4099 bytes, every range's
# findings spilled (--held-bytes 1), the first range's scan held back 4 s
# (NORDPII_TEST_FIRST_ITEM_DELAY_MS), 2 jobs: meanwhile the other job scans
# the next ranges and parks them with their spill files (at least 3 spill
# files at once; at most 4 per job parked plus one in each job's hands: 10),
# and the report equals one job's byte for byte.
# Usage: park_spilled.sh NORDPII
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NORDPII_KEY=park-spilled-test-key
export SOURCE_DATE_EPOCH=1764000000  # summaries compare byte for byte
/usr/bin/python3 "$HERE/gen_ranges.py" "$T/in"
fail() { echo "FAIL: $*"; exit 1; }
rc=0
NORDPII_RANGE_BYTES=4099 "$BIN" batch -q --jobs 1 --reference-date 2026-11-23 "$T/in/big.jsonl" --report "$T/one" || rc=$?
[ "$rc" -eq 1 ] || fail "one job: exit $rc"
mkdir "$T/two"
NORDPII_TEST_FIRST_ITEM_DELAY_MS=4000 NORDPII_RANGE_BYTES=4099 "$BIN" batch -q --jobs 2 --held-bytes 1 \
  --reference-date 2026-11-23 "$T/in/big.jsonl" --report "$T/two" &
pid=$!
most=0
while kill -0 $pid 2> /dev/null; do
  n=$(find "$T/two" -name '.worker-*' | wc -l)
  [ "$n" -gt "$most" ] && most=$n
  sleep 0.1
done
rc=0
wait $pid || rc=$?
[ "$rc" -eq 1 ] || fail "two jobs: exit $rc"
[ "$most" -ge 3 ] || fail "at most $most spill files at once while the first range was held back: spilled ranges were not parked"
[ "$most" -le 10 ] || fail "$most spill files at once: more than 4 parked ranges per job"
for f in findings.jsonl summary.json; do
  cmp "$T/one/$f" "$T/two/$f" || fail "$f differs from one job"
done
[ -z "$(find "$T/two" -name '.worker-*')" ] || fail "spill files left behind"
# A parked range holds no open file: 6 jobs parking up to 24 spilled ranges
# under a limit of 24 descriptors (it failed with "Too many open files" when
# each parked range kept its spill file open; one job per range ran fine).
mkdir "$T/six"
rc=0
(ulimit -n 24 && NORDPII_TEST_FIRST_ITEM_DELAY_MS=3000 NORDPII_RANGE_BYTES=4099 exec "$BIN" batch -q --jobs 6 --held-bytes 1 \
  --reference-date 2026-11-23 "$T/in/big.jsonl" --report "$T/six") || rc=$?
[ "$rc" -eq 1 ] || fail "six jobs under ulimit -n 24: exit $rc"
for f in findings.jsonl summary.json; do
  cmp "$T/one/$f" "$T/six/$f" || fail "$f differs from one job (six jobs, ulimit -n 24)"
done
[ -z "$(find "$T/six" -name '.worker-*')" ] || fail "spill files left behind (six jobs)"
echo "ok: up to $most spill files at once (parked ranges), report identical to one job"

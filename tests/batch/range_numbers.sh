#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Ranges numbered from their start and fixed up when written (issue 14,
# work_items.h): a JSONL export without ticket ids (its documents are known
# by record number in summary.json and overdue.csv) with a record that does
# not parse in the middle ("record N at offset": the error names an absolute
# record number), and an mbox without Message-IDs with messages over
# --max-message-size ("message N (...) is larger": errors in many ranges),
# cut into ranges of 997 and 4099 bytes and scanned by 1 and 3 jobs: the
# same findings.jsonl, summary.json, overdue.csv, stderr and exit status as
# one job over the whole file, also with the summaries spilled at every
# document (--summary-bytes 1); and a run killed after 10 checkpoint lines
# and resumed (the ranges done before are counted, not scanned) the same.
# Usage: range_numbers.sh NORDPII
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NORDPII_KEY=range-numbers-test-key
export SOURCE_DATE_EPOCH=1764000000  # summaries compare byte for byte
/usr/bin/python3 "$HERE/gen_ranges.py" "$T/in" > /dev/null
mkdir "$T/f"
sed 's/^{"id": [0-9]*, /{/' "$T/in/big.jsonl" | awk 'NR == 700 { print "{\"subject\": broken" } { print }' > "$T/f/noid.jsonl"
# (every 37th message padded past --max-message-size 1500 below)
grep -v '^Message-ID:' "$T/in/big.mbox" | awk -v pad="$(printf '%01600d' 0)" '
  /^From / { n++ } { print } /^Subject:/ && n % 37 == 0 { print "X-Pad: " pad }' > "$T/f/nomid.mbox"
grep -q '"id"' "$T/f/noid.jsonl" && { echo "FAIL: ids left in the JSONL"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
run() {  # range-bytes jobs report file [args...]: exit status and stderr in report.rc / report.err
  rb=$1 j=$2 rep=$3 input=$4
  shift 4
  rc=0
  NORDPII_RANGE_BYTES=$rb "$BIN" batch -q --jobs "$j" --reference-date 2026-11-23 --retention 90d --date-field created \
    --max-message-size 1500 "$input" --report "$rep" "$@" 2> "$rep.err" || rc=$?
  echo "$rc" > "$rep.rc"
}
same() {  # a b what
  for x in findings.jsonl summary.json overdue.csv; do
    cmp -s "$1/$x" "$2/$x" || fail "$3: $x differs: $(diff "$1/$x" "$2/$x" | head -3 | cut -c1-200)"
  done
  cmp -s "$1.err" "$2.err" || fail "$3: stderr differs: $(diff "$1.err" "$2.err" | head -3 | cut -c1-200)"
  cmp -s "$1.rc" "$2.rc" || fail "$3: exit $(cat "$2.rc"), whole file $(cat "$1.rc")"
}
for f in noid.jsonl nomid.mbox; do
  run 1000000000 1 "$T/whole-$f" "$T/f/$f"
  [ "$(cat "$T/whole-$f.rc")" = 2 ] || fail "$f: exit $(cat "$T/whole-$f.rc") (expected 2: an error)"
  grep -q '"#[0-9]' "$T/whole-$f/summary.json" || fail "$f: no document known by its number in summary.json"
  case $f in
    *.jsonl) grep -q ': record [0-9]* at offset' "$T/whole-$f.err" || fail "$f: no record error: $(head -c 300 "$T/whole-$f.err")" ;;
    *) [ "$(grep -c ': message [0-9]* (' "$T/whole-$f.err")" -gt 5 ] || fail "$f: few message errors" ;;
  esac
  for rb in 997 4099; do
    for j in 1 3; do
      run $rb $j "$T/r$rb-$j-$f" "$T/f/$f"
      same "$T/whole-$f" "$T/r$rb-$j-$f" "$f, ranges of $rb bytes, $j jobs"
    done
  done
  # The summaries spilled at every document (bounded memory, batch_summary.h):
  # a range's own summary too, whose runs are ordered by its own numbers and
  # come back renumbered when it is merged.
  run 997 3 "$T/spill-$f" "$T/f/$f" --summary-bytes 1
  same "$T/whole-$f" "$T/spill-$f" "$f, ranges of 997 bytes, 3 jobs, summaries spilled"
  echo "ok $f: $(wc -l < "$T/whole-$f/findings.jsonl") lines, $(wc -l < "$T/whole-$f.err") errors, the same for ranges of 997 and 4099 bytes on 1 and 3 jobs"
done
# Resume: killed after 10 checkpoint lines, rerun to the end: the ranges
# done before are counted for the numbers of the ranges after them.
for f in noid.jsonl nomid.mbox; do
  rc=0
  NORDPII_TEST_KILL_AFTER_CHECKPOINTS=10 NORDPII_RANGE_BYTES=4099 "$BIN" batch -q --jobs 2 --reference-date 2026-11-23 \
    --retention 90d --date-field created --max-message-size 1500 "$T/f/$f" --report "$T/res-$f" --checkpoint "$T/cp-$f" 2>/dev/null || rc=$?
  [ "$rc" -eq 137 ] || fail "$f: the killed run exited $rc"
  run 4099 2 "$T/res-$f" "$T/f/$f" --checkpoint "$T/cp-$f"
  cmp -s "$T/whole-$f/findings.jsonl" "$T/res-$f/findings.jsonl" || fail "$f resumed: findings differ"
  cmp -s "$T/whole-$f/overdue.csv" "$T/res-$f/overdue.csv" || fail "$f resumed: overdue.csv differs"
  # (the errors of the ranges done before the kill are in the checkpoint)
  cmp -s "$T/whole-$f/summary.json" "$T/res-$f/summary.json" || fail "$f resumed: summary differs: $(diff "$T/whole-$f/summary.json" "$T/res-$f/summary.json" | head -3 | cut -c1-200)"
done
echo "ok resumed runs equal one job over the whole file"

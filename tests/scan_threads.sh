#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# `scan --threads N` on one text file (batch/parallel_text.h) gives the same
# output, byte for byte and in the same order, as one thread: the benchmark
# profiles (4 MiB each), the mail profile as one line without any line
# break (ranges cut mid-line: columns), with CRLF line ends, and the
# samples; small ranges (--thread-range, hidden) so that there are hundreds
# of seams; JSONL and mbox files in record ranges (see below). Not a timed
# test.
# Usage: scan_threads.sh NORDPII SOURCE_DIR
set -eu
NP=$(realpath "$1")
SRC=$(realpath "$2")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
for p in typical dense mail; do /usr/bin/python3 "$SRC/bench/gen_corpus.py" "$p.txt" 4 7 "$p"; done
tr '\n' ' ' < mail.txt > oneline.txt
sed 's/$/\r/' typical.txt > crlf.txt
for i in 1 2 3 4 5 6 7 8; do cat "$SRC"/samples/*.txt; done > samples.txt
scan() { NORDPII_KEY=threads-test "$NP" scan --patterns "$SRC/patterns" --reference-date 2026-11-23 --input text --format jsonl "$@"; }
fail=0
for f in typical.txt dense.txt mail.txt oneline.txt crlf.txt samples.txt; do
  rc1=0; scan "$f" > one.jsonl || rc1=$?
  [ -s one.jsonl ] || { echo "FAIL: $f: no findings with one thread"; fail=1; }
  for args in "--threads 2 --thread-range 4096" "--threads 3 --thread-range 65536" "--threads 2 --thread-range 1000000"; do
    rc=0
    # shellcheck disable=SC2086
    scan $args "$f" > many.jsonl || rc=$?
    if [ "$rc" != "$rc1" ] || ! cmp -s one.jsonl many.jsonl; then
      echo "FAIL: $f with $args: exit $rc (one thread: $rc1), $(wc -l < many.jsonl) lines (one thread: $(wc -l < one.jsonl))"
      diff one.jsonl many.jsonl | head -4 | cut -c1-300
      fail=1
    else
      echo "ok: $f $args ($(wc -l < many.jsonl) findings)"
    fi
  done
done
# JSONL and mbox files (batch/parallel_records.h): the work-item test's
# corpora (ids at, before and after every line start, labels on the line
# before, blank JSONL lines, CRLF, quoted ">From " lines), cut into record
# ranges of many sizes, in the JSONL and text formats; a JSONL file with a
# record that does not parse in the middle (an error: exit 2 and the same
# stderr), and --fields naming a field of the first records only (no error)
# or of none (one error).
/usr/bin/python3 "$SRC/tests/batch/gen_ranges.py" "$T/rec" > /dev/null
scan() { NORDPII_KEY=threads-test "$NP" scan --patterns "$SRC/patterns" --reference-date 2026-11-23 "$@"; }
awk 'NR == 700 { print "{\"id\": broken" } { print }' "$T/rec/big.jsonl" > broken.jsonl
head -n 2 "$T/rec/big.jsonl" | sed 's/"description"/"special"/' > fields.jsonl
cat "$T/rec/big.jsonl" >> fields.jsonl
for f in "$T/rec/big.jsonl" "$T/rec/big.mbox" broken.jsonl fields.jsonl; do
  for fmt in jsonl text; do
    extra=""
    [ "$f" = fields.jsonl ] && extra="--fields special,description"
    [ "$f" = fields.jsonl ] && [ "$fmt" = text ] && extra="--fields nosuch,description"
    rc1=0
    # shellcheck disable=SC2086
    scan --format $fmt $extra "$f" > one.out 2> one.err || rc1=$?
    [ -s one.out ] || { echo "FAIL: $f: no findings with one thread"; fail=1; }
    for args in "--threads 2 --thread-range 4096" "--threads 3 --thread-range 7001" "--threads 4 --thread-range 65536"; do
      rc=0
      # shellcheck disable=SC2086
      scan --format $fmt $extra $args "$f" > many.out 2> many.err || rc=$?
      if [ "$rc" != "$rc1" ] || ! cmp -s one.out many.out || ! cmp -s one.err many.err; then
        echo "FAIL: $f $fmt $extra $args: exit $rc (one thread: $rc1), $(wc -l < many.out) lines (one: $(wc -l < one.out))"
        diff one.out many.out | head -4 | cut -c1-300
        diff one.err many.err | head -4 | cut -c1-300
        fail=1
      else
        echo "ok: $(basename "$f") $fmt $extra $args ($(wc -l < many.out) findings, exit $rc)"
      fi
    done
  done
done
# An unreadable file is still an error with threads (fail closed).
rc=0; scan --threads 2 "$T/missing.txt" > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || { echo "FAIL: missing file with --threads 2: exit $rc, want 2"; fail=1; }
exit $fail

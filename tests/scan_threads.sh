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
# A range whose report outgrows memory (1 MiB) goes to a file in a private
# directory under $TMPDIR (the 2N + 2 ranges' reports held in memory were
# 628 MB for a 20 MB mbox with 2 threads): the same output as one thread,
# within a bound, and no directory left behind.
/usr/bin/python3 -c '
import sys
l = "{\"subject\":\"s\",\"description\":\"" + " ".join(["fnr 15108695088"] * 20) + "\"}\n"
sys.stdout.write(l * (6000000 // len(l)))' > dense.jsonl
mkdir -p "$T/tmp"
scan --format jsonl dense.jsonl > one.out 2> one.err || true
for args in "--threads 2 --thread-range 1048576" "--threads 3 --thread-range 400000"; do
  rc=0
  # shellcheck disable=SC2086
  TMPDIR="$T/tmp" /usr/bin/time -f %M -o "$T/rss" env NORDPII_KEY=threads-test "$NP" scan --patterns "$SRC/patterns" \
    --reference-date 2026-11-23 --format jsonl $args dense.jsonl > many.out 2> many.err || rc=$?
  kb=$(tail -1 "$T/rss")
  left=$(find "$T/tmp" -mindepth 1 | wc -l)
  if [ "$rc" != 1 ] || ! cmp -s one.out many.out || [ "$left" != 0 ] || [ "$kb" -gt $((96 * 1024)) ]; then
    echo "FAIL: dense.jsonl $args: exit $rc, $(wc -l < many.out) lines (one thread: $(wc -l < one.out)), peak $((kb / 1024)) MB (bound 96), $left left in TMPDIR"
    fail=1
  else
    echo "ok: dense.jsonl $args: $(wc -l < many.out) findings as one thread, peak $((kb / 1024)) MB, nothing left in TMPDIR"
  fi
done
# Text: a range's findings are held compactly and text ranges are at most
# 512 KiB (4 MiB ranges of Finding structs were 248 MB for 60 MB of text
# with an id every 29 bytes, 2 threads; 237 MB for this one): 12 MB of such text
# within 44 MB with 2 threads (57 MB, each further thread ~23 MB, with ~150
# bytes a finding in a string grown by doubling; 36 MB since 2026-12-04
# evening: ~70 bytes a finding in 64 KiB blocks, one thread 33 MB).
/usr/bin/python3 -c '
import sys
sys.stdout.write("Kunde fnr 15108695088 ok\n" * (12000000 // 25))' > dense-text.txt
scan --format jsonl --input text dense-text.txt > one.out 2> one.err || true
rc=0
TMPDIR="$T/tmp" /usr/bin/time -f %M -o "$T/rss" env NORDPII_KEY=threads-test "$NP" scan --patterns "$SRC/patterns" \
  --reference-date 2026-11-23 --format jsonl --input text --threads 2 dense-text.txt > many.out 2> many.err || rc=$?
kb=$(tail -1 "$T/rss")
if [ "$rc" != 1 ] || ! cmp -s one.out many.out || [ "$kb" -gt $((44 * 1024)) ]; then
  echo "FAIL: dense-text.txt --threads 2: exit $rc, $(wc -l < many.out) lines (one thread: $(wc -l < one.out)), peak $((kb / 1024)) MB (bound 44)"
  fail=1
else
  echo "ok: dense-text.txt --threads 2: $(wc -l < many.out) findings as one thread, peak $((kb / 1024)) MB"
fi
# An unreadable file is still an error with threads (fail closed).
rc=0; scan --threads 2 "$T/missing.txt" > /dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || { echo "FAIL: missing file with --threads 2: exit $rc, want 2"; fail=1; }
exit $fail

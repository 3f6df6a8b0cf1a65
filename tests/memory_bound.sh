#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Issue 12 #9: peak memory must not grow with the number of findings.
# Generates inputs dense with valid synthetic national ids (one per ~29
# bytes; bench/gen_dense_inputs.py) — plain text, .eml with an 8bit,
# quoted-printable and base64 part, one JSONL ticket holding the whole text —
# and checks the peak RSS (/usr/bin/time %M) of `scan --format jsonl` and
# `redact` on each against the documented bound (README, Performance):
#   text:  48 MB whatever the size (streamed)
#   mail:  32 MB + 4 x the message (message, decoded part and maps, output)
#   JSONL: 32 MB + 5 x the record (record, padded copy, text, maps, output)
# Before the fix (16 MB inputs) a message peaked at 218-249 MB and the record at 306-450 MB
# (a Finding with its strings per finding, held per message / record).
# Also checks that every finding was reported and redacted.
# Usage: memory_bound.sh NORDPII SOURCE_DIR [MB]
set -u
bin=$1 src=$2 mb=${3:-12}
[ -x /usr/bin/time ] || { echo "SKIP: /usr/bin/time missing"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$src/bench/gen_dense_inputs.py" "$tmp/in" "$mb" || { echo "FAIL: generator"; exit 1; }
export NORDPII_CACHE_DIR=off
fail=0
check() {  # KIND FILE
  local kind=$1 f=$2 size bound kb n red
  size=$(( $(stat -c %s "$tmp/in/$f") / 1048576 + 1 ))
  case $kind in
    text) bound=48 ;;
    mail) bound=$((32 + 4 * size)) ;;
    jsonl) bound=$((32 + 5 * size)) ;;
  esac
  /usr/bin/time -f %M -o "$tmp/rss" "$bin" scan --format jsonl "$tmp/in/$f" > "$tmp/scan.out" 2> "$tmp/err"
  rc=$?
  kb=$(tail -1 "$tmp/rss"); n=$(wc -l < "$tmp/scan.out")
  echo "scan   $f: exit $rc, $n findings, peak $((kb / 1024)) MB (bound $bound MB)"
  [ "$rc" = 1 ] && [ "$n" -gt $((mb * 20000)) ] || { echo "FAIL: scan $f did not report its findings"; cat "$tmp/err"; fail=1; }
  [ "$kb" -lt $((bound * 1024)) ] || { echo "FAIL: scan $f peak RSS over the bound"; fail=1; }
  /usr/bin/time -f %M -o "$tmp/rss" "$bin" redact "$tmp/in/$f" -o "$tmp/red" 2> "$tmp/err"
  rc=$?
  kb=$(tail -1 "$tmp/rss"); red=$(sed -n 's/.*redacted \([0-9]*\) finding.*/\1/p' "$tmp/err")
  echo "redact $f: exit $rc, $red redacted, peak $((kb / 1024)) MB (bound $bound MB)"
  [ "$rc" = 0 ] && [ "$red" = "$n" ] || { echo "FAIL: redact $f did not redact every finding"; cat "$tmp/err"; fail=1; }
  [ "$kb" -lt $((bound * 1024)) ] || { echo "FAIL: redact $f peak RSS over the bound"; fail=1; }
  rm -f "$tmp/red"
}
check text dense.txt
check mail dense-8bit.eml
check mail dense-qp.eml
check mail dense-b64.eml
check jsonl dense.jsonl
[ $fail = 0 ] && echo "PASS"
exit $fail

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Hostile review (2026-12-03 evening):
# 1. UTF-8 JSONL with a byte-order mark: scan, batch and scan --threads find
#    the id at its file offsets; redact keeps the BOM byte for byte. A record
#    that is not JSON gives a readable message (no simdjson API hint).
# 2. redact to stdout that fails after writing records says the output is
#    incomplete (not "nothing written"); with -o FILE nothing is written.
# Usage: jsonl_bom_redact_stdout.sh NORDPII SOURCE_DIR
set -eu
NP=$(realpath "$1")
SRC=$(realpath "$2")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
np() { cmd=$1; shift; NORDPII_KEY=bom-test "$NP" "$cmd" --patterns "$SRC/patterns" --reference-date 2026-11-23 "$@"; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ID=15108695088
printf '\357\273\277{"id":1,"description":"fnr %s"}\n{"id":2,"description":"fnr %s"}\n' $ID $ID > bom.jsonl
# scan: exit 1 (findings), 2 findings, the first at byte 3+22 (after the BOM).
rc=0; np scan --format jsonl bom.jsonl > scan.jsonl 2> scan.err || rc=$?
[ "$rc" = 1 ] || bad "scan bom.jsonl: rc=$rc ($(cat scan.err))"
[ "$(grep -c . scan.jsonl)" = 2 ] || bad "scan bom.jsonl: $(grep -c . scan.jsonl) findings, want 2"
start=$(head -1 scan.jsonl | /usr/bin/python3 -c 'import json,sys; f=json.loads(sys.stdin.readline()); print(f["start"], f["end"])' 2>/dev/null) || start=none
want=$(/usr/bin/python3 -c "b=open('bom.jsonl','rb').read(); i=b.index(b'$ID'); print(i, i+11)")
[ "$start" = "$want" ] || bad "scan bom.jsonl: first finding at $start, the id is at $want"
grep -q 'unparsed' scan.jsonl && bad "scan bom.jsonl: an unparsed record"
# scan --threads 2 on a multi-MB BOM file: the same findings as one thread.
/usr/bin/python3 - <<PY
with open('big.jsonl', 'wb') as f:
    f.write(b'\xef\xbb\xbf')
    for i in range(40000):
        f.write(b'{"id":%d,"description":"%s fnr $ID"}\n' % (i, b'x' * 40))
PY
rc1=0; np scan --format jsonl big.jsonl > one.jsonl 2>/dev/null || rc1=$?
rc2=0; np scan --format jsonl --threads 2 --thread-range 65536 big.jsonl > two.jsonl 2> two.err || rc2=$?
[ "$rc1" = 1 ] && [ "$rc2" = 1 ] || bad "scan big BOM file: rc $rc1 / $rc2 with --threads 2 ($(head -c 300 two.err))"
[ "$(grep -c . one.jsonl)" = 40000 ] || bad "scan big BOM file: $(grep -c . one.jsonl) findings, want 40000"
cmp -s one.jsonl two.jsonl || bad "scan big BOM file: --threads 2 differs from one thread"
# batch: the same two findings, no error.
mkdir in
cp bom.jsonl in/
rc=0; np batch --report rep in > batch.out 2> batch.err || rc=$?
[ "$rc" = 1 ] || bad "batch: rc=$rc ($(head -c 300 batch.err))"
[ "$(grep -c '"start"' rep/findings.jsonl 2>/dev/null || echo 0)" = 2 ] || bad "batch: findings.jsonl has not 2 findings"
# redact: exit 0, the BOM kept, the ids gone, the rest byte for byte.
rc=0; np redact bom.jsonl -o red.jsonl 2> red.err || rc=$?
[ "$rc" = 0 ] || bad "redact bom.jsonl: rc=$rc ($(cat red.err))"
[ "$(head -c 3 red.jsonl | od -An -tx1 | tr -d ' ')" = efbbbf ] || bad "redact bom.jsonl: BOM not kept"
grep -q $ID red.jsonl && bad "redact bom.jsonl: the id is still there"
[ "$(tail -c +4 red.jsonl | head -c 7)" = '{"id":1' ] || bad "redact bom.jsonl: record 1 not after the BOM"
# A record that is not JSON: a readable message without the record's bytes.
printf '{"id":1,"description":"ok"}\nfnr %s trailing\n' $ID > notjson.jsonl
rc=0; np scan notjson.jsonl > /dev/null 2> nj.err || rc=$?
[ "$rc" = 2 ] || bad "scan notjson.jsonl: rc=$rc"
grep -q 'record 2 .*not valid JSON' nj.err || bad "scan notjson.jsonl: message '$(cat nj.err)'"
grep -qi 'get_bool\|scalar' nj.err && bad "scan notjson.jsonl: simdjson's API hint in '$(cat nj.err)'"
grep -q $ID nj.err && bad "scan notjson.jsonl: the id in the message"
# 2. redact, stdout: record 2 over a limit (a 5 MB HTML description, and
#    65,537 fields) after record 1 was written.
/usr/bin/python3 - <<PY
import json
r1 = json.dumps({"id": 1, "description": "fnr $ID"}) + "\n"
r3 = json.dumps({"id": 3, "description": "fnr $ID"}) + "\n"
html = "<p>" + "x" * (5 << 20) + "</p>"
open('html.jsonl', 'w').write(r1 + json.dumps({"id": 2, "description": html}) + "\n" + r3)
fields = "{" + ",".join('"f%d":"v"' % i for i in range(65537)) + "}"
open('fields.jsonl', 'w').write(r1 + fields + "\n" + r3)
PY
for f in html fields; do
  rc=0; np redact < $f.jsonl > out.jsonl 2> err || rc=$?
  [ "$rc" = 2 ] || bad "redact < $f.jsonl: rc=$rc"
  if [ -s out.jsonl ]; then
    grep -q 'nothing written' err && bad "redact < $f.jsonl > out: wrote $(wc -c < out.jsonl) bytes but says '$(cat err)'"
    grep -q 'output is incomplete' err || bad "redact < $f.jsonl > out: '$(cat err)' does not say the output is incomplete"
  fi
  grep -q $ID out.jsonl && bad "redact < $f.jsonl: an id written"
  rm -f file.jsonl
  rc=0; np redact $f.jsonl -o file.jsonl 2> err || rc=$?
  [ "$rc" = 2 ] || bad "redact $f.jsonl -o: rc=$rc"
  [ -e file.jsonl ] && bad "redact $f.jsonl -o: file.jsonl written"
  grep -q 'nothing written' err || bad "redact $f.jsonl -o: '$(cat err)'"
done
[ "$fail" = 0 ] && echo "ok"
exit "$fail"

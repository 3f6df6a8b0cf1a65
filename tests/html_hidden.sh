#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# html21 (lead, 2026-12-05): an id with its label in the <title>, a <meta
# content>, a <script> or a <style> of an HTML mail body or HTML attachment
# was not scanned (exit 0). Through the CLI, each form in a body, in an HTML
# attachment and as a .html file: found at its bytes (exit 1); redacted in
# place, the markup intact (the same tags in the same order), and the
# redacted file scans clean. Then decoys: pages whose scripts, JSON state and
# style sheets are full of numbers (tests/html_decoys.py) give no finding,
# and the labelled ids put into some of them are all found.
# Usage: html_hidden.sh NORDPII SOURCE_DIR
set -eu
NP=$(realpath "$1")
SRC=$(realpath "$2")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export NORDPII_CACHE_DIR="$T/cache"
np() { cmd=$1; shift; NORDPII_KEY=html21 "$NP" "$cmd" --patterns "$SRC/patterns" --reference-date 2026-12-05 "$@"; }
fail=0
bad() { echo "FAIL: $*"; fail=1; }
ID=15108695088
n=0
for form in "<head><title>F&oslash;dselsnummer $ID</title></head>" \
            "<head><meta name=\"description\" content=\"fødselsnummer $ID\"></head>" \
            "<script>var fnr=\"$ID\"; // fødselsnummer</script>" \
            "<style>/* fødselsnummer $ID */</style>"; do
  n=$((n + 1))
  html="<html>$form<body><p>Hei</p></body></html>"
  printf 'From: a@example.com\nTo: b@example.com\nSubject: x\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n%s\n' "$html" > body$n.eml
  printf 'From: a@example.com\nTo: b@example.com\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="BB"\n\n--BB\nContent-Type: text/plain\n\nHei\n--BB\nContent-Type: text/html; charset=utf-8\nContent-Disposition: attachment; filename="side.html"\n\n%s\n--BB--\n' "$html" > attach$n.eml
  printf '%s\n' "$html" > file$n.html
  for f in body$n.eml attach$n.eml file$n.html; do
    rc=0; np scan --format jsonl "$f" > "$f.jsonl" 2> "$f.err" || rc=$?
    [ "$rc" = 1 ] || { bad "scan $f: rc=$rc, want 1 ($(cat "$f.err"))"; continue; }
    got=$(/usr/bin/python3 -c "import json,sys; print(' '.join('%d-%d' % (json.loads(l)['start'], json.loads(l)['end']) for l in open(sys.argv[1])))" "$f.jsonl")
    want=$(/usr/bin/python3 -c "import sys; b=open(sys.argv[1],'rb').read(); i=b.index(b'$ID'); print('%d-%d' % (i, i + 11))" "$f")
    [ "$got" = "$want" ] || bad "scan $f: findings at $got, the id is at $want"
    rc=0; np redact "$f" > "red-$f" 2> "$f.rerr" || rc=$?
    [ "$rc" = 0 ] || bad "redact $f: rc=$rc ($(cat "$f.rerr"))"
    /usr/bin/python3 - "$f" "red-$f" <<'PY' || bad "redact $f: not redacted in place"
import re, sys
a, b = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2], encoding="utf-8").read()
assert "15108695088" not in b and "[NO-FNR]" in b
tags = lambda s: re.findall(r"<[^>]*>", s[s.index("<html>"):])
assert tags(a.replace("15108695088", "[NO-FNR]")) == tags(b), (tags(a), tags(b))
assert b[b.index("<html>"):] == a[a.index("<html>"):].replace("15108695088", "[NO-FNR]")
PY
    rc=0; np scan --format jsonl "red-$f" > /dev/null 2>&1 || rc=$?
    [ "$rc" = 0 ] || bad "scan red-$f: rc=$rc, want 0"
  done
done
# A label in the body does not reach a number in a script (and an unlabelled
# number in a script is not reported).
printf 'Subject: x\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n<p>Fødselsnummer:</p><script>var x="%s";</script><p>Hei</p>\n' $ID > label.eml
rc=0; np scan --format jsonl label.eml > label.jsonl 2>&1 || rc=$?
[ "$rc" = 0 ] || bad "scan label.eml: rc=$rc, want 0 ($(cat label.jsonl))"
# Decoys: 100 pages, every 10th with a labelled id in its JSON state.
set -- $(/usr/bin/python3 "$SRC/tests/html_decoys.py" pages 100 21 --ids 10)
runs=$1 ids=$2
rc=0; np scan --format jsonl pages/*.eml > decoys.jsonl 2> decoys.err || rc=$?
[ "$rc" = 1 ] || bad "scan decoys: rc=$rc ($(cat decoys.err))"
found=$(/usr/bin/python3 -c "import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)['type'] == 'no.fnr' and json.loads(l)['confidence'] == 'high'))" decoys.jsonl)
total=$(grep -c . decoys.jsonl || true)
echo "decoys: $runs digit runs of 6+ digits in scripts and style sheets of 100 pages; $total findings, $found of the $ids labelled ids"
[ "$found" = "$ids" ] && [ "$total" = "$ids" ] || bad "decoys: $total findings ($found labelled ids of $ids): $(grep -v '"high"' decoys.jsonl | head -3)"
[ "$fail" = 0 ] && echo "html_hidden: ok"
exit $fail

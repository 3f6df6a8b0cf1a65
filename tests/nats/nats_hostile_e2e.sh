#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hostile-review regressions of the distributed scan (issue 17 review), with a
# real JetStream server on loopback.
#   nats_hostile_e2e.sh NORDPII
# 1. A work item whose job id is ".." (published by anyone who can publish
#    to NAME.work.*) must not make a worker write its redacted copy outside
#    --out-dir: the item is dropped as malformed.
# 2. A FIFO: `submit` of a FIFO named on the command line (shared path or
#    --upload) is an error (exit 2) and does not hang; a work item naming a
#    FIFO does not block the worker (it goes to the dead letter, and the
#    worker still exits on --idle-exit).
# 3. A resubmit of the same job id: with the same items nothing is published
#    (exit 0); with other items (a file added) it is refused (exit 2) instead
#    of publishing items the collector never reports.
# 4. A symlink in --out-dir (DIR/<job> pointing elsewhere) is not followed.
# 5. A work item whose path holds a NUL ("in/a.txt\u0000x" or in path_hex)
#    is dropped as malformed: the worker opened the path up to the NUL and
#    scanned another file than the one named (2026-12-05).
# Exit 77 (skipped) without nats-server or a nordpii built with libnats.
set -u
N=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/lib.sh" nordpii-natshostile
# A raw NATS publish with a Nats-Msg-Id (what any client allowed to publish
# to the work subject can send).
pub() {
  /usr/bin/python3 - "$P1" "$1" "$2" "$3" <<'PY'
import socket, sys
port, subj, payload, mid = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), sys.argv[4].encode()
s = socket.create_connection(("127.0.0.1", port), timeout=5); s.recv(4096)
hdr = b"NATS/1.0\r\nNats-Msg-Id: " + mid + b"\r\n\r\n"
s.sendall(b'CONNECT {"verbose":false,"headers":true}\r\n')
s.sendall(b"HPUB %s %d %d\r\n" % (subj.encode(), len(hdr), len(hdr) + len(payload)) + hdr + payload + b"\r\nPING\r\n")
assert b"PONG" in s.recv(4096)
PY
}
export NORDPII_KEY=nats-hostile-test-key
cd "$T"
require_libnats "$N"
start_js_server js server.log || fail "server did not start"
P1=$PORT
mkdir -p in out
printf 'Kunde fødselsnummer 15108695088 ringte.\n' > in/a.txt
"$N" submit in --nats "$URL" --job setup --ack-wait 2 --max-deliver 2 -q > /dev/null 2> submit.log || fail "submit setup"

# 1 + 2: hostile items, then one worker (bounded: before the fix it blocked
# in open() of the FIFO for ever, deaf to SIGTERM).
pub NORDPII.work.x '{"job":"..","item":0,"path":"'"$T"'/in/a.txt","format":"text","size":42,"redact":true,"style":"label"}' x/0
mkfifo in-fifo
pub NORDPII.work.fifo '{"job":"fifo","item":0,"path":"'"$T"'/in-fifo","format":"text","size":0}' fifo/0
timeout -k 1 30 "$N" worker --nats "$URL" --out-dir "$T/out" --idle-exit 4 > worker.log 2>&1
rc=$?
[ $rc = 0 ] || fail "worker: exit $rc (124/137: it hung on the FIFO)"
leaked=$(find "$T" -path "$T/out" -prune -o -path "$T/js" -prune -o -type f -name a.txt -print | grep -v "^$T/in/a.txt$")
[ -z "$leaked" ] || fail "a work item with job \"..\" wrote outside --out-dir: $leaked"
grep -q "dropping a malformed work item" worker.log || fail "the \"..\" item was not dropped"
grep -q "item fifo/0: dead-letter after 2 deliveries: .*not a regular file" worker.log || fail "the FIFO item was not dead-lettered"

# 2: submit of a FIFO named on the command line.
timeout -k 1 20 "$N" submit in-fifo --nats "$URL" --job fifo2 -q > /dev/null 2> submit-fifo.log
rc=$?
[ $rc = 2 ] || fail "submit of a FIFO: exit $rc, expected 2"
grep -q "not a regular file" submit-fifo.log || fail "submit of a FIFO: no reason given"
timeout -k 1 20 "$N" submit in-fifo --nats "$URL" --job fifo3 --upload -q > /dev/null 2> submit-fifo-up.log
rc=$?
[ $rc = 2 ] || fail "submit --upload of a FIFO: exit $rc, expected 2 (124: it hung)"

# 3: resubmit of one job id.
mkdir rs
printf 'b: fødselsnummer 15108695088\n' > rs/b.txt
"$N" submit rs --nats "$URL" --job rs -q > /dev/null 2> rs1.log || fail "submit rs"
"$N" submit rs --nats "$URL" --job rs -q > /dev/null 2> rs2.log || fail "resubmit rs, same items: exit $?"
printf 'a: fødselsnummer 15108695088\n' > rs/a.txt
"$N" submit rs --nats "$URL" --job rs -q > /dev/null 2> rs3.log
rc=$?
[ $rc = 2 ] || fail "resubmit rs with a file added: exit $rc, expected 2 (its items would never be reported)"
grep -q "submitted before with other items" rs3.log || fail "resubmit rs: no reason given"
rm rs/a.txt
"$N" worker --nats "$URL" --idle-exit 3 -q > worker-rs.log 2>&1
"$N" collect --nats "$URL" --job rs --report rsrep --timeout 20 -q 2> collect-rs.log
rc=$?
[ $rc = 1 ] || fail "collect rs: exit $rc, expected 1"
"$N" batch rs --report rsbatch -q > /dev/null 2>&1
cmp <(sort rsrep/findings.jsonl) <(sort rsbatch/findings.jsonl) || fail "rs: findings differ from batch's"
# 4: a symlink planted in a shared --out-dir (DIR/<job> -> elsewhere): the
# redacted copy is not written through it (an error of the item, exit 2).
mkdir -p sl victim out2
printf 'c: fødselsnummer 15108695088\n' > sl/c.txt
"$N" submit sl --nats "$URL" --job sl --redact -q > /dev/null 2> sl.log || fail "submit sl"
ln -s "$T/victim" out2/sl
"$N" worker --nats "$URL" --out-dir "$T/out2/" --idle-exit 3 -q > worker-sl.log 2>&1
[ -z "$(find victim -type f)" ] || fail "a redacted copy was written through a symlink in --out-dir: $(find victim -type f)"
"$N" collect --nats "$URL" --job sl --report slrep --timeout 20 -q 2> collect-sl.log
rc=$?
[ $rc = 2 ] || fail "collect sl: exit $rc, expected 2 (the copy not written)"
grep -q "symlink below --out-dir" slrep/summary.json || fail "sl: the symlink is not named in the report"
# 5: a NUL in the path (a JSON escape, and in path_hex): dropped, no result.
pub NORDPII.work.nul '{"job":"nul","item":0,"path":"'"$T"'/in/a.txt\u0000.not-this","format":"text","size":42}' nul/0
hex=$(printf '%s' "$T/in/a.txt" | od -An -tx1 | tr -d ' \n')
pub NORDPII.work.nulhex '{"job":"nulhex","item":0,"path":"x","path_hex":"'"$hex"'00","format":"text","size":42}' nulhex/0
"$N" worker --nats "$URL" --idle-exit 3 > worker-nul.log 2>&1
[ "$(grep -c "dropping a malformed work item" worker-nul.log)" = 2 ] || fail "a work item with a NUL in its path was not dropped"
grep -q "item nul" worker-nul.log && fail "a work item with a NUL in its path was scanned"
echo "PASS"

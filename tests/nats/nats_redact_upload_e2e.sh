#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Distributed redaction and the object-store input source (issue 17), with a
# real JetStream server on loopback.
#   nats_redact_upload_e2e.sh NORDPII SAMPLES_DIR
# Job "red" (shared path, submit --redact): three workers with --out-dir; one
# is killed (-9) mid-item with its redacted copy staged and not in place, one
# dies after placing its copy and publishing its results and before the ack
# (the redelivery finds the same bytes there); a fresh worker finishes. Then:
# every redacted copy (OUT/red/<path>) equals `nordpii redact` of the same
# input byte for byte, nothing else in the job's tree (the killed worker's
# staging file stays in OUT/.nordpii-partial), a file already there is not
# replaced (an error of its item), an archive (redact refuses it) is an error of its item, big files
# are whole items (no ranges), findings equal `batch`.
# Job "up" (submit --upload --redact): the inputs go into the object store and
# are removed from disk before the workers start, in a directory where the
# paths do not exist; one worker is killed mid-item (the object is fetched
# again): findings equal `batch`, copies equal `nordpii redact`,
# and collect empties the bucket.
# Exit 77 (skipped) without nats-server or a nordpii built with libnats.
set -u
N=$(realpath "$1"); SAMPLES=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/lib.sh" nordpii-natsred
export NORDPII_KEY=nats-redact-test-key
cd "$T"
require_libnats "$N"
mkdir in
cp -r "$SAMPLES"/. in/
/usr/bin/python3 "$HERE/../batch/gen_ranges.py" in/big || fail "gen_ranges.py"
/usr/bin/python3 -c 'import zipfile
with zipfile.ZipFile("in/members.zip", "w") as z: z.write("in/ticket-no.txt", "ticket-no.txt")' || fail "zip"

# What `nordpii redact` writes for each input (an archive: refused).
refused=()
while IFS= read -r f; do
  mkdir -p "expected/$(dirname "$f")"
  if ! "$N" redact "$f" -o "expected/$f" 2> /dev/null; then refused+=("$f"); fi
done < <(find in -type f | sort)
[ "${refused[*]}" = "in/members.zip" ] || fail "redact refused: ${refused[*]}"
files=$(find in -type f | wc -l)

start_js_server js server.log || fail "server did not start"
P1=$PORT

"$N" batch in --report single -q -j 2 > /dev/null 2> batch.log
[ $? = 1 ] || fail "batch exit"
sort single/findings.jsonl > single.sorted

# --- Job red: shared path, --redact, workers killed mid-item ---------------
mkdir -p out/red/in
echo "precious, not ours" > out/red/in/hard-negatives.txt   # must not be replaced
NORDPII_RANGE_BYTES=65537 "$N" submit in --nats "$URL" --job red --redact --ack-wait 3 --max-deliver 3 -q \
  > job.txt 2> submit.log || fail "submit red"
RED=()
FAULTS=(env NORDPII_TEST_WORKER_DIE_MID_REDACT=in/ticket-no.txt NORDPII_TEST_WORKER_DIE_BEFORE_ACK=in/big/big.jsonl)
for w in A B C; do
  "${FAULTS[@]}" "$N" worker --nats "$URL" --name $w --out-dir "$T/out" --idle-exit 6 > worker$w.log 2>&1 &
  PIDS+=($!); RED+=($!)
done
sleep 2
# (the faults strike on an item's first delivery, whoever takes it)
"${FAULTS[@]}" "$N" worker --nats "$URL" --name D --out-dir "$T/out" --idle-exit 8 > workerD.log 2>&1 &
PIDS+=($!); RED+=($!)
"$N" collect --nats "$URL" --job red --report dist --timeout 60 > /dev/null 2> collect.log
rc=$?
[ $rc = 2 ] || fail "collect red: exit $rc, expected 2 (the archive and the existing file)"
grep -q "red: $files items" collect.log || fail "a --redact job is not one item per file"
grep -Eq "item red/[0-9]+ delivery [23]" worker?.log || fail "no redelivery"
ls out/.nordpii-partial/red.* > /dev/null 2>&1 || fail "no staged copy of the worker killed mid-item"
sort dist/findings.jsonl > dist.sorted
cmp single.sorted dist.sorted || fail "red: findings differ from batch's"
[ "$(cat out/red/in/hard-negatives.txt)" = "precious, not ours" ] || fail "an existing file was replaced"
/usr/bin/python3 - dist/summary.json <<'PY' || fail "red: errors"
import json, sys
e = json.load(open(sys.argv[1]))["errors"]
assert len(e) == 2, e
assert any("in/members.zip: not redacted" in x and "archive" in x for x in e), e
assert any("in/hard-negatives.txt: not redacted" in x and "not replaced" in x for x in e), e
PY
cp expected/in/hard-negatives.txt expected-hn.txt
echo "precious, not ours" > expected/in/hard-negatives.txt
diff -r expected out/red > diff.log || fail "red: redacted copies differ from nordpii redact ($(head -3 diff.log))"
grep -q "$((files - 2)) redacted copies" collect.log || fail "red: redacted copies not counted"
cp expected-hn.txt expected/in/hard-negatives.txt

# --- Job up: --upload --redact; the inputs gone from disk -------------------
for p in "${RED[@]}"; do kill -9 "$p" 2>/dev/null; done  # only workers that cannot see in/
mkdir up w spool
UPW=()
cp -a in up/in
(cd up && "$N" submit in --nats "$URL" --job up --upload --redact -q > ../job-up.txt 2> ../submit-up.log) || fail "submit up"
# The bucket as the NATS object-store protocol lays it out (what nats.go and
# the `nats` CLI read): item 0's metadata on $O.NORDPII.M.<base64url(name)>,
# with its size, chunk count and SHA-256 digest, its chunks on
# $O.NORDPII.C.<nuid>.
/usr/bin/python3 - "$P1" up/in <<'PY' || fail "up: object store layout"
import base64, hashlib, json, os, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b'CONNECT {"verbose":false}\r\nSUB _r.* 1\r\n')
buf = b""
def req(subject, body, n=[0]):
    global buf
    n[0] += 1
    inbox = b"_r.%d" % n[0]
    body = json.dumps(body).encode()
    s.sendall(b"PUB %s %s %d\r\n%s\r\n" % (subject.encode(), inbox, len(body), body))
    while True:
        at = buf.find(b"MSG " + inbox + b" ")
        e = buf.find(b"\r\n", at) if at >= 0 else -1
        if e >= 0:
            size = int(buf[at:e].split()[-1])
            if len(buf) >= e + 2 + size:
                r = json.loads(buf[e + 2:e + 2 + size])
                buf = buf[e + 2 + size:]
                return r
        buf += s.recv(65536)
meta = "$O.NORDPII.M." + base64.urlsafe_b64encode(b"up/0").decode()
r = req("$JS.API.STREAM.MSG.GET.OBJ_NORDPII", {"last_by_subj": meta})
info = json.loads(base64.b64decode(r["message"]["data"]))
assert info["name"] == "up/0" and info["bucket"] == "NORDPII", info
assert b"Nats-Rollup: sub" in base64.b64decode(r["message"]["hdrs"]), r
digests = {}
for root, _, files in os.walk(sys.argv[2]):
    for f in files:
        data = open(os.path.join(root, f), "rb").read()
        digests["SHA-256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode()] = len(data)
assert digests.get(info["digest"]) == info["size"], info
assert info["chunks"] == (info["size"] + 131071) // 131072 and info["chunks"] > 1, info
assert info["options"]["max_chunk_size"] == 131072, info
chunks = "$O.NORDPII.C." + info["nuid"]
st = req("$JS.API.STREAM.INFO.OBJ_NORDPII", {"subjects_filter": chunks})["state"]
assert st["subjects"] == {chunks: info["chunks"]}, st["subjects"]
print("object up/0: %d bytes in %d chunks, digest ok" % (info["size"], info["chunks"]))
PY
rm -rf up
cd w   # no in/ here: a worker reading the shared path would fail
for w in E F G; do
  NORDPII_TEST_WORKER_DIE_MID_REDACT=in/ticket-se.txt "$N" worker --nats "$URL" --name $w --out-dir "$T/out" \
    --spool "$T/spool" --idle-exit 8 > worker$w.log 2>&1 &
  PIDS+=($!); UPW+=($!)
done
"$N" collect --nats "$URL" --job up --report ../dist-up --timeout 60 > /dev/null 2> ../collect-up.log
rc=$?
cd ..
[ $rc = 2 ] || fail "collect up: exit $rc, expected 2 (the archive)"
sort dist-up/findings.jsonl > dist-up.sorted
cmp single.sorted dist-up.sorted || fail "up: findings differ from batch's"
/usr/bin/python3 - dist-up/summary.json single/summary.json <<'PY' || fail "up: summary"
import json, sys
d, s = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert len(d["errors"]) == 1 and "in/members.zip: not redacted" in d["errors"][0], d["errors"]
for k in s:
    if k not in ("errors", "run", "size"):
        assert d[k] == s[k], (k, d[k], s[k])
PY
diff -r expected out/up > diff.log || fail "up: redacted copies differ from nordpii redact ($(head -3 diff.log))"
grep -Eq "item up/[0-9]+ delivery 2" w/worker?.log || fail "up: no redelivery"
grep -q "nordpii-spool" dist-up/findings.jsonl collect-up.log && fail "up: spool path in the report"
# Spool files: only the one of the worker killed mid-item is left (the others
# are removed after each item, their directories when the workers exit).
for p in "${UPW[@]}"; do kill -TERM "$p" 2>/dev/null; done
for p in "${UPW[@]}"; do wait "$p" 2>/dev/null; done
left=$(find spool -type f)
[ "$(echo "$left" | grep -c .)" = 1 ] && echo "$left" | grep -q '/up-[0-9]*-1\.txt$' ||
  fail "up: spool files: expected only the killed worker's, found: $left"
# The job's objects left the bucket once collected: no chunk or metadata
# subject of OBJ_NORDPII holds data any more.
/usr/bin/python3 - "$P1" <<'PY' || fail "up: objects left in the bucket"
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b'CONNECT {"verbose":false,"headers":true}\r\nSUB _r.1 1\r\nPUB $JS.API.STREAM.INFO.OBJ_NORDPII _r.1 0\r\n\r\n')
buf = b""
while True:
    buf += s.recv(65536)
    at = buf.find(b"MSG _r.1")
    if at >= 0:
        head_end = buf.find(b"\r\n", at)
        n = int(buf[at:head_end].split()[-1])
        while len(buf) < head_end + 2 + n:
            buf += s.recv(65536)
        info = json.loads(buf[head_end + 2:head_end + 2 + n])
        break
msgs = info["state"]["messages"]
assert msgs == 0, "%d messages in OBJ_NORDPII after collect" % msgs
PY
echo "PASS: $files inputs redacted as nordpii redact does (shared path and object store), findings equal batch's"

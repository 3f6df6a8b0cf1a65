#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Distributed batch over NATS JetStream with real servers on loopback (issue 17).
#   nats_e2e.sh NORDPII SAMPLES_DIR single|cluster
# single:  one JetStream server; cluster: 3 nodes, R3 streams, and one node is
# killed (-9) mid-run. Both: 3 workers, one killed -9 mid-item (after its scan,
# before its results), one dying by itself after publishing its results and
# before the ack (so its item's results are published twice), a fresh worker
# started; a poison item (its file removed after submit) ends in the dead-letter
# subject. Then: the collected findings equal a single-machine `batch` over the
# same inputs (sorted, byte for byte: nothing lost, nothing duplicated), the
# summary equals batch's but for the poison item, listed as an error (exit 2).
# And no raw national-id/financial value of the inputs in the JetStream store.
# Exit 77 (skipped) without nats-server or a nordpii built with libnats.
set -u
N=$(realpath "$1"); SAMPLES=$(realpath "$2"); MODE=${3:-single}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$(dirname "$0")/lib.sh" nordpii-nats
export NORDPII_KEY=nats-e2e-test-key
cd "$T"
require_libnats "$N"
mkdir in poison
cp -r "$SAMPLES"/. in/
cp in/ticket-no.txt in/slow-item.txt
# A file name that is not UTF-8 (Latin-1 "å"): its item carries the name's
# bytes as path_hex (a JSON string would carry U+FFFD, a name no worker opens).
cp in/ticket-no.txt "in/sak-$(printf '\345')-svar.txt"
# ... and one whose name differs from it only in that byte (Latin-1 "ø"),
# other findings in it: two documents in batch's summary, and in collect's
# (one before: collect takes its paths from the findings lines).
cp in/ticket-se.txt "in/sak-$(printf '\370')-svar.txt"
cp in/ticket-no.txt poison/gone.txt
# Big files split into record-aligned ranges (work items; submit with
# NORDPII_RANGE_BYTES=65537): a JSONL export, an mbox and a text file.
/usr/bin/python3 "$HERE/../batch/gen_ranges.py" in/big || fail "gen_ranges.py"
# ... and a zip scanned member by member (one item per member).
/usr/bin/python3 -c 'import sys, zipfile
with zipfile.ZipFile("in/members.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for n in ("ticket-no.txt", "ticket-se.txt", "big/big.mbox"): z.write("in/" + n, n)' || fail "zip"

declare -A SPID
WPIDS=()
if [ "$MODE" = cluster ]; then
  P=(); C=()
  for i in 1 2 3; do P[$i]=$(freeport); C[$i]=$(freeport); done
  for i in 1 2 3; do
    routes=""
    for j in 1 2 3; do [ $j = $i ] || routes="$routes nats-route://127.0.0.1:${C[$j]}"; done
    cat > n$i.conf <<CONF
server_name: n$i
listen: 127.0.0.1:${P[$i]}
jetstream { store_dir: "$T/js$i" }
cluster { name: nordpii-test, listen: 127.0.0.1:${C[$i]}, routes: [$(echo $routes | sed 's/ /, /g')] }
CONF
    nats-server -c n$i.conf > server$i.log 2>&1 &
    SPID[$i]=$!; PIDS+=($!)
  done
  for i in 1 2 3; do wait_port ${P[$i]} || fail "server n$i did not start"; done
  URL="nats://127.0.0.1:${P[1]},nats://127.0.0.1:${P[2]},nats://127.0.0.1:${P[3]}"
  REPL="--replicas 3"
else
  start_js_server js server1.log || fail "server did not start"
  SPID[1]=$SERVER_PID
  REPL=""
fi

# Deliveries per item: 2; 3 in the cluster, where a delivery in flight when
# the node is killed can be lost with the consumer leader and still count.
MD=2
[ "$MODE" = cluster ] && MD=3
# Submit (retried while a new cluster elects its JetStream meta leader).
ok=""
for _ in $(seq 30); do
  if NORDPII_RANGE_BYTES=65537 "$N" submit in poison/gone.txt --nats "$URL" --job e2e --ack-wait 3 --max-deliver $MD $REPL -q \
       > job.txt 2> submit.log; then ok=1; break; fi
  sleep 1
done
[ -n "$ok" ] || fail "submit"
[ "$(cat job.txt)" = e2e ] || fail "submit printed no job id"
rm poison/gone.txt  # the poison item: unreadable on every delivery

FAULTS=(env NORDPII_TEST_WORKER_SLEEP=slow-item NORDPII_TEST_WORKER_DIE_BEFORE_ACK=in/ticket-se.txt)
for w in A B C; do
  "${FAULTS[@]}" "$N" worker --nats "$URL" --name $w --idle-exit 8 > worker$w.log 2>&1 &
  eval "W$w=$!"; PIDS+=($!); WPIDS+=($!)
done
wait_grep "test sleep" workerA.log workerB.log workerC.log || fail "no worker took the slow item"
SLEEPER=$(grep -l "test sleep" workerA.log workerB.log workerC.log | head -1 | sed 's/worker\(.\)\.log/\1/')
SLOW=$(grep -o 'item e2e/[0-9]*: test sleep' worker$SLEEPER.log | sed 's/item e2e\/\([0-9]*\).*/\1/')
# Heartbeats: held for more than twice ack_wait (3 s), the item stays with its worker.
sleep 7
grep -q "item e2e/$SLOW delivery" workerA.log workerB.log workerC.log &&
  fail "slow item redelivered while its worker was alive (in_progress heartbeats)"
if [ "$MODE" = cluster ]; then
  kill -9 "${SPID[1]}"  # a server node dies mid-run; R3 streams keep going on two
fi
eval "kill -9 \$W$SLEEPER"  # a worker dies mid-item
"$N" worker --nats "$URL" --name D --idle-exit 60 > workerD.log 2>&1 &
PIDS+=($!); WPIDS+=($!)

"$N" collect --nats "$URL" --job e2e --report dist --timeout 90 > collect.out 2> collect.log
rc=$?
[ $rc = 2 ] || fail "collect exit $rc, expected 2 (the poison item)"
items=$(sed -n 's/.*collect: job e2e: \([0-9]*\) items.*/\1/p' collect.log)
files=$(( $(find in -type f | wc -l) + 1 ))
[ "${items:-0}" -ge $((files + 8)) ] || fail "big files not split into range / member items ($items items, $files files)"
grep -Eq "item e2e/$SLOW delivery [2-$MD]" worker?.log || fail "slow item not redelivered after its worker was killed"
grep -q "dead-letter after $MD deliveries" worker?.log || fail "poison item not dead-lettered"
dies=$(grep -c "delivery 2" worker?.log | awk -F: '{s+=$2} END {print s}')

"$N" batch in --report single -q -j 2 > /dev/null 2> batch.log
brc=$?
[ $brc = 1 ] || fail "batch exit $brc"
sort single/findings.jsonl > single.sorted
sort dist/findings.jsonl > dist.sorted
[ -s single.sorted ] || fail "batch found nothing"
cmp single.sorted dist.sorted || fail "collected findings differ from batch's"
# Each big file's findings, published as several range items, in file order
# (as batch writes them), and each was split.
for f in big/big.txt big/big.jsonl big/big.mbox members.zip; do
  grep -F "\"path\":\"in/$f" single/findings.jsonl > single-${f#*/}
  grep -F "\"path\":\"in/$f" dist/findings.jsonl > dist-${f#*/}
  [ "$(wc -l < single-${f#*/})" -gt 500 ] || fail "$f: few findings"
  cmp single-${f#*/} dist-${f#*/} || fail "$f: collected range / member items differ from batch (order)"
done
[ "$(sort -u dist.sorted | wc -l)" = "$(wc -l < dist.sorted)" ] || fail "duplicated findings"
/usr/bin/python3 - "$T" <<'PY' || fail "summary differs"
import json, sys, os
t = sys.argv[1]
d = json.load(open(os.path.join(t, "dist/summary.json")))
s = json.load(open(os.path.join(t, "single/summary.json")))
gone = os.path.getsize(os.path.join(t, "in/ticket-no.txt"))
assert d["inputs"] == s["inputs"] + 1, (d["inputs"], s["inputs"])
assert d["bytes"] == s["bytes"] + gone, (d["bytes"], s["bytes"])
assert s["errors"] == [], s["errors"]
assert len(d["errors"]) == 1 and "poison/gone.txt" in d["errors"][0] and "dead-letter" in d["errors"][0], d["errors"]
for k in s:
    if k not in ("inputs", "bytes", "size", "errors", "run"):  # run: date, options, key id of each run
        assert d[k] == s[k], k
html = open(os.path.join(t, "dist/report.html")).read()
assert "dead-letter" in html and "poison/gone.txt" in html
print("summary ok: %d findings, error: %s" % (d["findings"], d["errors"][0]))
PY
grep -q "131052\|151086[0-9]" collect.log collect.out && fail "raw identifier in collect output"

# No raw identifier on the wire or in the broker's storage: every national-id
# and financial value of the inputs (from scan --reveal), as written and as
# digits only, searched for in the JetStream store files (work items carry
# paths; results masked values and hashes).
"$N" scan --reveal --format jsonl in > reveal.jsonl 2> /dev/null
/usr/bin/python3 - "$T" <<'PY' || fail "raw identifier in the JetStream store"
import json, os, sys
t = sys.argv[1]
vals = set()
for line in open(os.path.join(t, "reveal.jsonl")):
    f = json.loads(line)
    if f.get("category") in ("national-id", "financial") and "value" in f:
        v = f["value"]
        d = "".join(c for c in v if c.isdigit())
        if len(d) >= 8:
            vals.update({v.encode(), d.encode()})
assert len(vals) > 10, len(vals)
# Thousands of values (the big files): values made of digits and separators
# are looked up window by window in the store's runs of such bytes (one pass),
# the others (IBANs with letters) searched for one by one.
import re
plain = {v for v in vals if re.fullmatch(rb"[0-9][0-9 ./-]*[0-9]", v)}
other = vals - plain
lengths = sorted({len(v) for v in plain})
blobs = 0
for root, _, files in os.walk(t):
    if "/js" not in root:
        continue
    for name in files:
        data = open(os.path.join(root, name), "rb").read()
        blobs += len(data)
        for m in re.finditer(rb"[0-9][0-9 ./-]*[0-9]", data):
            r = m.group()
            for n in lengths:
                for i in range(len(r) - n + 1):
                    assert r[i:i + n] not in plain, "raw value in %s" % os.path.join(root, name)
        for v in other:
            assert v not in data, "raw value in %s" % os.path.join(root, name)
assert blobs > 10000, blobs
print("store: %d bytes searched for %d raw values: none found" % (blobs, len(vals)))
PY

if [ "$MODE" = single ]; then
  # An item on which every worker crashes: no worker can dead-letter it; the
  # server's max-deliveries advisory (kept in the results stream) does.
  for p in "${WPIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  cp in/ticket-no.txt poison/crash.txt
  "$N" submit poison/crash.txt --nats "$URL" --job crash -q > /dev/null 2>> submit.log || fail "submit crash job"
  for w in E F G; do  # two die on its two deliveries; the third pulls, so the server gives up on it
    NORDPII_TEST_WORKER_CRASH=poison/crash.txt "$N" worker --nats "$URL" --name $w --idle-exit 30 > worker$w.log 2>&1 &
    PIDS+=($!)
  done
  "$N" collect --nats "$URL" --job crash --report crash --timeout 40 > /dev/null 2> collect-crash.log
  rc=$?
  [ $rc = 2 ] || fail "crash job: collect exit $rc, expected 2"
  grep -q 'poison/crash.txt: no result after 2 deliveries' crash/summary.json || fail "crashing item not dead-lettered"
  grep -q "item crash/0 delivery" workerE.log workerF.log workerG.log && fail "crashing item got a result"
fi
echo "PASS ($MODE): $(wc -l < dist.sorted) findings lines equal batch's; slow item $SLOW redelivered; $dies redeliveries"

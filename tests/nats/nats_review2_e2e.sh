#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Second hostile-review regressions of the distributed scan (issue 17), with
# a real JetStream server on loopback.
#   nats_review2_e2e.sh NORDPII_TESTHOOKS NORDPII
# (NORDPII_TESTHOOKS: nordpii-testhooks, with the NORDPII_TEST_WORKER_* fault
# injection compiled in; NORDPII: the installed binary, without it.)
# 5. A scan that hangs (injected: NORDPII_TEST_WORKER_HANG) is abandoned
#    after --item-timeout: the worker gives the item back / dead-letters it
#    and exits 3; collect reports it "not scanned" (exit 2).
# 6. collect without --timeout: a mistyped job id warns that there is no
#    manifest; a broker killed (-9) makes collect fail (exit 2) after
#    --broker-timeout.
# 8. collect's summary.json run.options and run.key_id equal batch's.
# 9. The production binary ignores NORDPII_TEST_WORKER_*; a redacted copy's
#    staging file name carries the host name and a random part.
# 7. A redelivery whose output differs (the input changed after a worker
#    died with part 0 of 2 published) is reported as one whole set.
# Every case runs and reports; exit 1 when any failed.
# Exit 77 (skipped) without nats-server or a nordpii built with libnats.
set -u
N=$(realpath "$1")
PROD=$(realpath "${2:-$1}")
. "$(dirname "$0")/lib.sh" nordpii-natsreview2
FAILED=()
fail() {  # every case runs and reports (instead of lib.sh's exit)
  echo "FAIL: $*"
  FAILED+=("$1")
}
logs() { for f in "$@"; do [ -f "$f" ] && { echo "== $f"; tail -n 8 "$f"; }; done; }
export NORDPII_KEY=nats-review2-test-key
cd "$T"
require_libnats "$N"
start_js_server js server.log || { echo "FAIL: server did not start"; exit 1; }
mkdir -p hang ok mix out
printf 'Kunde fødselsnummer 15108695088 ringte.\n' > hang/ok.txt
printf 'Kunde fødselsnummer 01017010170 skrev.\n' > hang/hang-item.txt
printf 'Kunde fødselsnummer 15108695088 ringte.\nAnnen kunde 01017010251.\n' > ok/a.txt

# --- 5: a hung scan --------------------------------------------------------
"$N" submit hang --nats "$URL" --job hang --ack-wait 2 --max-deliver 2 -q > /dev/null 2> submit-hang.log || fail 5 "submit hang"
for w in 1 2; do
  NORDPII_TEST_WORKER_HANG=hang-item timeout -k 1 20 "$N" worker --nats "$URL" --item-timeout 2 --idle-exit 3 \
    > "worker-hang$w.log" 2>&1
  rc=$?
  [ $rc = 3 ] || { fail 5 "worker $w: exit $rc, expected 3 (abandoned the hung item)"; logs "worker-hang$w.log"; }
done
grep -q "dead-letter" worker-hang2.log || fail 5 "the second delivery was not dead-lettered"
timeout 20 "$N" collect --nats "$URL" --job hang --report rep-hang -q 2> collect-hang.log
rc=$?
[ $rc = 2 ] || fail 5 "collect of a job with a hung item: exit $rc, expected 2"
grep -q "not scanned.*item-timeout" rep-hang/summary.json 2>/dev/null || { fail 5 "summary.json does not list the hung item as not scanned"; logs collect-hang.log; }
grep -q 01017010170 collect-hang.log worker-hang*.log rep-hang/* 2>/dev/null && fail 5 "a raw identifier in a log or report"

# --- 6: mistyped job, broker gone --------------------------------------------
timeout 20 "$N" collect --nats "$URL" --job no-such-job --report rep-nojob --manifest-warn 1 --timeout 3 -q 2> collect-nojob.log
grep -q "warning: no manifest for job no-such-job" collect-nojob.log || { fail 6 "no warning for a job without a manifest"; logs collect-nojob.log; }
P2=$(freeport)
nats-server -js -sd "$T/js2" -a 127.0.0.1 -p "$P2" > server2.log 2>&1 &
S2=$!
PIDS+=($S2)
wait_port "$P2" || fail 6 "server 2 did not start"
timeout 20 "$N" collect --nats "nats://127.0.0.1:$P2" --job gone --report rep-gone --broker-timeout 2 -q 2> collect-gone.log &
C=$!
sleep 1.5
kill -9 $S2
wait $C
rc=$?
[ $rc = 2 ] || { fail 6 "collect with the broker killed: exit $rc, expected 2 (124: still waiting)"; logs collect-gone.log; }
grep -q "unreachable" collect-gone.log || fail 6 "collect does not say the broker was unreachable"

# --- 8: summary run fields as batch ------------------------------------------
"$N" submit ok --nats "$URL" --job okjob --categories national-id,financial -q > /dev/null 2> submit-ok.log || fail 8 "submit ok"
"$N" worker --nats "$URL" --categories national-id,financial --idle-exit 2 -q > worker-ok.log 2>&1
"$N" collect --nats "$URL" --job okjob --report rep-ok --retention 90d --timeout 20 -q 2> collect-ok.log
"$N" batch ok --report rep-batch --retention 90d --categories national-id,financial -q 2> batch-ok.log
/usr/bin/python3 - rep-batch/summary.json rep-ok/summary.json <<'PY' || fail 8 "summary run.options/key_id differ from batch"
import json, sys
b, c = (json.load(open(p))["run"] for p in sys.argv[1:])
for k in ("options", "key_id"):
    print(f"{k}: batch {b.get(k)!r} collect {c.get(k)!r}")
    assert b.get(k) and b.get(k) == c.get(k), k
PY

# --- 9: hooks off in the production binary; staging name ----------------------
printf 'Kunde fødselsnummer 15108695088 ringte.\n' > ok/crash-me.txt
"$PROD" submit ok/crash-me.txt --nats "$URL" --job prod -q > /dev/null 2>&1 || fail 9 "submit prod"
NORDPII_TEST_WORKER_CRASH=crash-me timeout -k 1 20 "$PROD" worker --nats "$URL" --idle-exit 2 -q > worker-prod.log 2>&1
rc=$?
[ $rc = 0 ] || fail 9 "the production worker obeyed NORDPII_TEST_WORKER_CRASH (exit $rc)"
mkdir -p red
printf 'Kunde fødselsnummer 15108695088 ringte.\n' > red/r.txt
"$N" submit red --nats "$URL" --job red --redact -q > /dev/null 2>&1 || fail 9 "submit red"
NORDPII_TEST_WORKER_DIE_MID_REDACT=red/r.txt timeout -k 1 20 "$N" worker --nats "$URL" --out-dir "$T/out" --idle-exit 2 -q \
  > worker-red.log 2>&1
HOST=$(hostname | tr -c 'A-Za-z0-9-\n' '_')
ls out/.nordpii-partial/ 2>/dev/null | grep -Eq "^red\.0\.$HOST\.[0-9]+\.[0-9A-Za-z]{10}$" ||
  { fail 9 "staging file name without host and random part: $(ls out/.nordpii-partial/ 2>/dev/null)"; }

# --- 7: one result set per delivery attempt -------------------------------------
printf 'Kunde fødselsnummer 15108695088 ringte.\nAnnen kunde 01017010251.\n' > mix/m.txt
"$N" submit mix --nats "$URL" --job mix --ack-wait 2 -q > /dev/null 2>&1 || fail 7 "submit mix"
NORDPII_TEST_WORKER_PART_BYTES=1 NORDPII_TEST_WORKER_DIE_AFTER_PART0=mix/m.txt timeout -k 1 20 \
  "$N" worker --nats "$URL" --idle-exit 2 -q > worker-mix1.log 2>&1
# The input changes before the redelivery (other identifiers).
printf 'Kunde fødselsnummer 01017010170 ringte.\nAnnen kunde 01017010170.\n' > mix/m.txt
NORDPII_TEST_WORKER_PART_BYTES=1 timeout -k 1 20 "$N" worker --nats "$URL" --idle-exit 4 -q > worker-mix2.log 2>&1
"$N" collect --nats "$URL" --job mix --report rep-mix --timeout 20 -q 2> collect-mix.log
"$N" batch mix --report rep-mixb -q 2> /dev/null
sort rep-mix/findings.jsonl > a.sorted 2>/dev/null
sort rep-mixb/findings.jsonl > b.sorted
[ -s a.sorted ] && cmp -s a.sorted b.sorted || { fail 7 "the report mixes two delivery attempts' results"; diff a.sorted b.sorted | head -5; }

if [ ${#FAILED[@]} -gt 0 ]; then
  echo "FAILED cases: ${FAILED[*]}"
  exit 1
fi
echo "OK: hung scan abandoned and dead-lettered, collect warns/fails, summary run fields, hooks gated, staging name, one set per attempt"

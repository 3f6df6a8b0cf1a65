#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Distributed batch benchmark (issue 17): items/s and MB/s of
# submit + N workers + collect over one local NATS JetStream server, against
# `nordpii batch --jobs N` on the same inputs, on this machine; and the
# per-item cost of the broker path on tiny items (1 KiB files: scan time ~0,
# so items/s is what publish + fetch + results + ack cost).
# Also: the same text inputs with submit --upload (read from the object
# store, not the shared path), the average size of a work-item and a result
# message (stream info between submit and the workers), the submit time,
# and after it the acks/s and the broker's message rate (each item: a fetch
# delivery and an ack, and per result message its publish and the
# collector's delivery).
# Usage: bench/run_nats.sh [MB] [WORKERS...]   (default 64 MB; 1 2 4 workers)
set -eu
cd "$(dirname "$0")/.."
MB=${1:-64}; shift || true
WORKERS=${*:-1 2 4}
command -v nats-server >/dev/null || { echo "needs nats-server (scripts/install-deps.sh --test)"; exit 1; }
TEXT=bench/corpus/tickets-typical-200.txt
DATA=bench/corpus/nats-$MB
TINY=bench/corpus/nats-tiny
mkdir -p bench/corpus
[ -s "$TEXT" ] || /usr/bin/python3 bench/gen_corpus.py "$TEXT" 200 42 typical
if [ ! -d "$DATA" ]; then  # 64 files cut from the text corpus, repeated to MB in total
  mkdir -p "$DATA"
  /usr/bin/python3 - "$TEXT" "$DATA" "$MB" <<'PY'
import sys
src, out, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
per = mb * 1024 * 1024 // 64
for i in range(64):
    buf = bytearray()
    while len(buf) < per:
        buf += data
    cut = buf.rfind(b"\n", 0, per) + 1
    open("%s/part-%02d.txt" % (out, i), "wb").write(buf[:cut])
PY
fi
if [ ! -d "$TINY" ]; then
  mkdir -p "$TINY"
  head -c 1024 "$TEXT" > /tmp/nordpii-tiny.txt
  for i in $(seq -w 1 1000); do cp /tmp/nordpii-tiny.txt "$TINY/t$i.txt"; done
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target nordpii >/dev/null
N=$(realpath build/src/nordpii)
export NORDPII_KEY=bench-key
T=$(mktemp -d)
PORT=$(/usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
nats-server -js -sd "$T/js" -a 127.0.0.1 -p "$PORT" > "$T/server.log" 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null; rm -rf "$T"' EXIT
sleep 1
URL=nats://127.0.0.1:$PORT
now() { date +%s.%N; }
jsinfo() {  # STREAM -> "messages bytes" ($JS.API.STREAM.INFO over a raw NATS connection)
  /usr/bin/python3 - "$PORT" "$1" <<'PY'
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b'CONNECT {"verbose":false}\r\nSUB _r.1 1\r\nPUB $JS.API.STREAM.INFO.%s _r.1 0\r\n\r\n' % sys.argv[2].encode())
buf = b""
while True:
    buf += s.recv(65536)
    at = buf.find(b"MSG _r.1")
    if at >= 0:
        e = buf.find(b"\r\n", at)
        if e < 0:
            continue
        n = int(buf[at:e].split()[-1])
        while len(buf) < e + 2 + n:
            buf += s.recv(65536)
        st = json.loads(buf[e + 2:e + 2 + n]).get("state", {})
        print(st.get("messages", 0), st.get("bytes", 0))
        break
PY
}
row() { /usr/bin/python3 -c "import sys; n,b,t=int(sys.argv[2]),int(sys.argv[3]),float(sys.argv[4]); print('%-28s %6d items %8.1f MB %7.2f s %8.1f items/s %7.1f MB/s' % (sys.argv[1], n, b/1e6, t, n/t, b/1e6/t))" "$@"; }
run_set() {  # NAME DIR
  local name=$1 dir=$2 items bytes
  items=$(ls "$dir" | wc -l); bytes=$(cat "$dir"/* | wc -c)
  cat "$dir"/* > /dev/null
  for j in $WORKERS; do
    t0=$(now); "$N" batch "$dir" --report "$T/b" -q -j "$j" > /dev/null 2>&1 || true; t1=$(now)
    row "$name batch -j$j" "$items" "$bytes" "$(echo "$t1 - $t0" | bc)"
  done
  for w in $WORKERS ${UPLOAD:+up}; do
    job=$name-$w-$RANDOM
    up=""; label="$w worker(s)"
    [ "$w" = up ] && { up=--upload; w=2; label="--upload, 2 workers"; }
    r0=$(jsinfo NORDPII_RESULTS 2>/dev/null || echo "0 0")
    t0=$(now)
    "$N" submit "$dir" --nats "$URL" --job "$job" $up -q > /dev/null
    ts=$(now)
    wk=$(jsinfo NORDPII 2>/dev/null || echo "0 0")
    pids=()
    for i in $(seq "$w"); do "$N" worker --nats "$URL" --idle-exit 2 -q > /dev/null 2>&1 & pids+=($!); done
    "$N" collect --nats "$URL" --job "$job" --report "$T/c" -q > /dev/null 2>&1 || true
    t1=$(now)
    row "$name nats $label" "$items" "$bytes" "$(echo "$t1 - $t0" | bc)"
    r1=$(jsinfo NORDPII_RESULTS 2>/dev/null || echo "0 0")
    # After submit (its synchronous publishes are one round trip per item):
    # workers + collect only.
    /usr/bin/python3 -c "import sys; wm,wb,a,b,c,d,n,t,sub=map(float,sys.argv[1:]); print('  submit %.2f s, then %.0f items/s; work items: %d msgs, %.0f B each; results: %d msgs, %.0f B each; %.0f acks/s, ~%.0f broker msgs/s' % (sub, n/(t-sub), wm, wb/max(wm,1), c-a, (d-b)/max(c-a,1), n/(t-sub), (2*n+(c-a)*2)/(t-sub)))" \
      $wk $r0 $r1 "$items" "$(echo "$t1 - $t0" | bc)" "$(echo "$ts - $t0" | bc)"
    wait "${pids[@]}" 2>/dev/null || true
    cmp <(sort "$T/b/findings.jsonl") <(sort "$T/c/findings.jsonl") > /dev/null || echo "  (findings differ from batch!)"
  done
}
echo "machine: $(nproc) cores (load $(cut -d' ' -f1-3 /proc/loadavg): shared with other jobs); nats-server $(nats-server --version | awk '{print $2}'); one server, file storage"
[ -z "${TINY_ONLY:-}" ] && UPLOAD=1 run_set "text-$MB" "$DATA"
run_set "tiny-1KiB" "$TINY"

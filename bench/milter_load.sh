#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Milter load benchmark (not a test): N messages (5-200 KB, 10 % with an
# identifier) through a private Postfix on loopback with CLIENTS parallel SMTP
# clients — without a milter (baseline), with a null milter (bench/null_milter.c
# on libmilter, else bench/null_milter.py: same negotiation, no scanning) to
# separate Postfix's own milter cost, and with `nordpii milter` (policy: flag
# national ids), in the same run. Two loads:
#   saturated  every client sends its next message as soon as the last is
#              done: messages/s is the machine's limit; latency is mostly
#              queueing (client, Postfix and milter share the 2 vCPUs);
#   open       messages due at a fixed RATE (default 100/s, below every
#              saturated rate), latency counted from when each was due: the
#              time the milter adds to a message at that load.
# Reports messages/s, latency per message (p50/p99, all and < 100 KB) and the
# differences, and counts the delivered files (none lost or duplicated).
# Needs root (Postfix).
# Usage: bench/milter_load.sh [N] [CLIENTS] [RATE]   (default 2000 8 100)
set -eu
cd "$(dirname "$0")/.."
N=${1:-2000}
export N
CLIENTS=${2:-8}
RATE=${3:-100}
NULL_MILTER=""
# NULL_NO_CONTENT=1: the null milter asks for no headers and no body (what a
# milter costs Postfix before the message is streamed to it).
if cc -O2 ${NULL_NO_CONTENT:+-DNULL_MILTER_NO_CONTENT} -o /tmp/nordpii-null-milter bench/null_milter.c \
    -lmilter -lpthread 2>/dev/null; then
  NULL_MILTER=/tmp/nordpii-null-milter
fi
. tests/milter/postfix_lab.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target nordpii >/dev/null
MSGS=bench/corpus/milter-load-$N
[ -d "$MSGS" ] || /usr/bin/python3 bench/gen_mail_load.py "$MSGS" "$N"
POLICY=$(mktemp)
cat > "$POLICY" <<'EOF'
[[rule]]
name = "flag-ids"
categories = ["national-id"]
min_confidence = "medium"
action = "flag"
EOF
# Busy CPU ticks of the whole machine (user+nice+system+irq+softirq+steal).
busy_ticks() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat; }
run() {  # name milter(yes|no|null) [rate]
  local lab port mport mpid=""
  lab=$(mktemp -d /tmp/nordpii-load.XXXXXX); chmod 755 "$lab"
  port=$(lab_free_port); mport=$(lab_free_port)
  if [ "$2" = null ]; then
    if [ -n "$NULL_MILTER" ]; then
      "$NULL_MILTER" "$mport" >/dev/null 2>&1 &
    else
      /usr/bin/python3 bench/null_milter.py "$mport" >/dev/null 2>&1 &
    fi
    mpid=$!
    sleep 1
    lab_start "$lab" "$port" "inet:127.0.0.1:$mport"
  elif [ "$2" = yes ]; then
    NORDPII_KEY=bench build/src/nordpii milter --listen "inet:$mport@127.0.0.1" --config "$POLICY" >/dev/null 2>"$lab/milter.log" &
    mpid=$!
    sleep 1
    lab_start "$lab" "$port" "inet:127.0.0.1:$mport"
  else
    lab_start "$lab" "$port" ""
  fi
  local cpu0 cpu1 clients=$CLIENTS
  [ -n "${3:-}" ] && clients=16  # open load: enough clients that none is missing when a message is due
  cpu0=$(busy_ticks)
  /usr/bin/time -f "%U %S" -o "$lab/client.cpu" \
    /usr/bin/python3 bench/milter_load.py "$port" "$MSGS" "$clients" ${3:+"$3"} > "$lab/result.json"
  for _ in $(seq 600); do  # wait for delivery to finish
    [ "$(ls "$lab/mail/inbox/new" 2>/dev/null | wc -l)" -ge "$N" ] && break
    sleep 0.1
  done
  cpu1=$(busy_ticks)
  # CPU of the whole machine per message, without the load client's own.
  local with=""
  [ "$2" = null ] && with=" + null milter"
  [ "$2" = yes ] && with=" + nordpii"
  awk -v a="$cpu0" -v b="$cpu1" -v hz="$(getconf CLK_TCK)" -v n="$N" -v w="$with" \
    '{printf "CPU per message: %.2f ms (machine) - %.2f ms (load client) = %.2f ms (Postfix%s)\n", (b-a)*1000/hz/n, ($1+$2)*1000/n, (b-a)*1000/hz/n-($1+$2)*1000/n, w}' \
    "$lab/client.cpu"
  delivered=$(ls "$lab/mail/inbox/new" | wc -l)
  flagged=$(grep -l '^X-Nordpii-Verdict' "$lab/mail/inbox/new/"* 2>/dev/null | wc -l)
  lab_stop "$lab"
  if [ -n "$mpid" ] && [ "$2" = yes ]; then
    # CPU seconds the milter used (utime + stime, clock ticks)
    awk -v hz="$(getconf CLK_TCK)" '{printf "milter CPU: %.2f s user+sys for %s messages\n", ($14+$15)/hz, ENVIRON["N"]}' "/proc/$mpid/stat"
    # nordpii's own time per message (end of message to verdict, from its log)
    grep -o ' ms=[0-9]*' "$lab/milter.log" | cut -d= -f2 | sort -n | awk '{v[NR]=$1} END {if (NR) {p = int(NR*0.99)+1; if (p > NR) p = NR; printf "nordpii time per message (its log): p50 %d ms, p99 %d ms, max %d ms\n", v[int(NR*0.5)+1], v[p], v[NR]}}'

  fi
  [ -n "$mpid" ] && kill "$mpid"
  /usr/bin/python3 - "$1" "$lab/result.json" "$delivered" "$flagged" "$N" <<'EOF'
import json, sys
name, path, delivered, flagged, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
r = json.load(open(path))
def pct(v, p):
    v = sorted(x for x in v if x is not None)
    return v[min(len(v) - 1, int(p * len(v)))] * 1000 if v else float("nan")
small = [l for l, s in zip(r["latency"], r["sizes"]) if s < 100000]
print("%-14s %7.1f msg/s  p50 %6.1f ms  p99 %6.1f ms  (<100 KB: p50 %6.1f p99 %6.1f)  delivered %d/%d  flagged %d  errors %d"
      % (name, r["count"] / r["seconds"], pct(r["latency"], .5), pct(r["latency"], .99), pct(small, .5),
         pct(small, .99), delivered, n, flagged, r["error_count"]))
json.dump({"rate": r["count"] / r["seconds"], "p50": pct(small, .5), "p99": pct(small, .99)},
          open(path + ".sum", "w"))
EOF
  cp "$lab/result.json.sum" "/tmp/nordpii-load-$1.sum"
  rm -rf "$lab"
}
echo "N=$N messages (5-200 KB, 10 % with an identifier), loopback; null milter: ${NULL_MILTER:+C, libmilter}${NULL_MILTER:-Python}"
echo "saturated: $CLIENTS parallel SMTP clients, each sending as fast as it can"
run postfix no
run postfix+null null
run postfix+milter yes
compare() {  # prefix label
  /usr/bin/python3 - "$1" "$2" <<'EOF'
import json, sys
p, label = sys.argv[1], sys.argv[2]
a = json.load(open("/tmp/nordpii-load-%spostfix.sum" % p)); b = json.load(open("/tmp/nordpii-load-%spostfix+milter.sum" % p))
z = json.load(open("/tmp/nordpii-load-%spostfix+null.sum" % p))
print("%s: a null milter alone: rate %.0f %% of without, p50 %+.1f ms, p99 %+.1f ms (< 100 KB)"
      % (label, 100 * z["rate"] / a["rate"], z["p50"] - a["p50"], z["p99"] - a["p99"]))
print("%s: nordpii vs the null milter: rate %.0f %%, p50 %+.1f ms, p99 %+.1f ms"
      % (label, 100 * b["rate"] / z["rate"], b["p50"] - z["p50"], b["p99"] - z["p99"]))
print("%s: added latency (< 100 KB): p50 %+.1f ms, p99 %+.1f ms (target p99 < 10 ms); rate with milter %.0f %% of without (target >= 95 %%)"
      % (label, b["p50"] - a["p50"], b["p99"] - a["p99"], 100 * b["rate"] / a["rate"]))
EOF
}
compare "" saturated
echo "open: messages due at $RATE/s"
run open-postfix no "$RATE"
run open-postfix+null null "$RATE"
run open-postfix+milter yes "$RATE"
compare open- "open $RATE/s"
rm -f "$POLICY"

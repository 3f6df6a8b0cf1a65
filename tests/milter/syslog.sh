#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# milter.log = "syslog": log lines go to /dev/log (facility mail, ident
# nordpii, with levels), none to stderr. Runs in a private mount namespace
# with a tmpfs on /dev whose /dev/log is a datagram socket read by Python
# (the system's /dev/log, if any, is not touched). Needs root and unshare;
# exits 77 (CTest: skipped) otherwise.
# Usage: syslog.sh NORDPII_BINARY SOURCE_DIR
set -u
BIN=$1
SRC=$2
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then echo "SKIP: needs root and unshare"; exit 77; fi
# A chroot without its own mount namespace support (a minimal build root)
# cannot make a private /dev/log: skipped there, run on a real machine.
unshare -m --propagation private true 2>/dev/null || { echo "SKIP: unshare -m not possible here"; exit 77; }
T=$(mktemp -d /tmp/nordpii-syslog.XXXXXX)
trap 'rm -rf "$T"' EXIT
printf '[milter]\nlog = "auto"\n[[rule]]\nname = "r"\ncategories = ["national-id"]\naction = "reject"\n' > "$T/auto.toml"
printf '[milter]\nlog = "syslog"\n[[rule]]\nname = "r"\ncategories = ["national-id"]\naction = "reject"\n' > "$T/p.toml"
unshare -m --propagation private bash -c '
  set -u
  T=$1; BIN=$2; SRC=$3
  mount -t tmpfs tmpfs /dev || exit 77
  touch /dev/null  # a plain file on the tmpfs: writes there go nowhere that matters
  /usr/bin/python3 - "$T/syslog.txt" <<PY &
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
PY
  PY=$!
  for _ in $(seq 50); do [ -e "$T/syslog.txt.ready" ] && break; sleep 0.1; done
  NORDPII_KEY=k NORDPII_CACHE_DIR=off "$BIN" milter --listen "unix:$T/m.sock" --config "$T/p.toml" \
    --patterns "$SRC/patterns" 2>"$T/stderr.txt" &
  M=$!
  for _ in $(seq 100); do grep -q "listening on" "$T/syslog.txt" 2>/dev/null && break; sleep 0.1; done
  kill -HUP $M; sleep 0.3
  kill $M; wait $M
  # log = "auto" with $JOURNAL_STREAM set (started by systemd): syslog too.
  JOURNAL_STREAM=8:1 NORDPII_KEY=k NORDPII_CACHE_DIR=off "$BIN" milter --listen "unix:$T/a.sock" \
    --config "$T/auto.toml" --patterns "$SRC/patterns" 2>>"$T/stderr.txt" &
  M=$!
  for _ in $(seq 100); do grep -q "listening on unix:$T/a.sock" "$T/syslog.txt" 2>/dev/null && break; sleep 0.1; done
  kill $M; wait $M
  sleep 0.2
  kill $PY
' _ "$T" "$BIN" "$SRC"
rc=$?
[ $rc = 77 ] && { echo "SKIP: cannot mount in a private namespace"; exit 77; }
FAILS=0
# <22> = facility mail (2) * 8 + info (6)
if grep -q '^<22>.*nordpii\[[0-9]*\]: nordpii milter: listening on unix:' "$T/syslog.txt" &&
   grep -q '^<22>.*nordpii milter: configuration reloaded' "$T/syslog.txt"; then
  echo "ok   - syslog: mail.info lines with ident and pid"
else echo "FAIL - syslog: $(cat "$T/syslog.txt" 2>&1)"; FAILS=$((FAILS + 1)); fi
if grep -q "^<22>.*listening on unix:$T/a.sock" "$T/syslog.txt"; then
  echo "ok   - log = auto under systemd (\$JOURNAL_STREAM): syslog"
else echo "FAIL - syslog: $(cat "$T/syslog.txt" 2>&1)"; FAILS=$((FAILS + 1)); fi
if [ ! -s "$T/stderr.txt" ]; then echo "ok   - nothing on stderr"
else echo "FAIL - stderr: $(cat "$T/stderr.txt")"; FAILS=$((FAILS + 1)); fi
[ "$FAILS" = 0 ]

# SPDX-License-Identifier: Apache-2.0
# Shared set-up of the NATS JetStream end-to-end scripts (tests/nats/*_e2e.sh),
# sourced after `set -u`:   . "$(dirname "$0")/lib.sh" NAME
# Skips (exit 77) without nats-server; makes the work directory $T
# (/tmp/NAME.XXXXXX, kept with KEEP=1), the PIDS array killed at exit, and
# fail (print, tail the logs, exit 1), freeport, wait_port PORT and
# wait_grep PATTERN FILES... (up to 40 s), require_libnats BIN (exit 77 when
# BIN was built without libnats) and start_js_server STORE LOG (a JetStream
# server on a free loopback port: sets PORT, URL and SERVER_PID; returns 1 when
# it did not start). A script may redefine fail.
command -v nats-server >/dev/null || { echo "SKIP: nats-server not installed (scripts/install-deps.sh --test)"; exit 77; }
T=$(mktemp -d "/tmp/${1:-nordpii-nats}.XXXXXX")
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  [ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$T"/*.log "$T"/*/*.log; do [ -f "$f" ] && { echo "== $f"; tail -n 15 "$f"; }; done
  exit 1
}
freeport() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.1; done; return 1; }
wait_grep() {  # PATTERN FILES... : up to 40 s
  local pat=$1; shift
  for _ in $(seq 400); do grep -q -- "$pat" "$@" 2>/dev/null && return 0; sleep 0.1; done; return 1
}
require_libnats() {
  if "$1" submit x --nats nats://127.0.0.1:1 2>&1 | grep -q "built without NATS"; then
    echo "SKIP: nordpii built without libnats"; exit 77
  fi
}
start_js_server() {  # STORE LOG
  PORT=$(freeport)
  nats-server -js -sd "$T/$1" -a 127.0.0.1 -p "$PORT" > "$2" 2>&1 &
  SERVER_PID=$!; PIDS+=($!)
  URL="nats://127.0.0.1:$PORT"
  wait_port "$PORT"
}

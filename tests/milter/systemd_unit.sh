#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# conf/nordpii-milter.service: `systemd-analyze verify` passes (with
# ExecStart pointed at the built binary) and `systemd-analyze security`
# (offline) rates its exposure at 3.0 or less. Exits 77 (CTest: skipped)
# without systemd-analyze.
# Usage: systemd_unit.sh NORDPII_BINARY SOURCE_DIR
set -u
BIN=$1
SRC=$2
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
T=$(mktemp -d /tmp/nordpii-unit.XXXXXX)
trap 'rm -rf "$T"' EXIT
sed "s|/usr/local/bin/nordpii|$BIN|g" "$SRC/conf/nordpii-milter.service" > "$T/nordpii-milter.service"
FAILS=0
if out=$(systemd-analyze verify "$T/nordpii-milter.service" 2>&1) && [ -z "$out" ]; then
  echo "ok   - systemd-analyze verify"
else echo "FAIL - systemd-analyze verify: $out"; FAILS=$((FAILS + 1)); fi
score=$(systemd-analyze security --offline=true "$T/nordpii-milter.service" 2>&1 | grep 'Overall exposure')
if systemd-analyze security --offline=true --threshold=30 "$T/nordpii-milter.service" >/dev/null 2>&1; then
  echo "ok   - systemd-analyze security: $score (threshold 3.0)"
else echo "FAIL - systemd-analyze security above 3.0: $score"; FAILS=$((FAILS + 1)); fi
[ "$FAILS" = 0 ]

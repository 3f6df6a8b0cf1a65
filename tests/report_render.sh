#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The batch report opens in a real browser: headless Chromium (Debian
# `chromium`) loads report.html from a batch over samples/, and the DOM it
# builds must hold the charts and tables; a screenshot must be written.
# Usage: report_render.sh NORDPII_BINARY SOURCE_DIR
set -eu
BIN=$1
SRC=$2
command -v chromium >/dev/null || { echo "FAIL: chromium missing (scripts/install-deps.sh installs it)"; exit 1; }
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
NORDPII_KEY=render-key "$BIN" batch -q --jobs 2 --retention 90d --reference-date 2026-11-23 \
  "$SRC/samples" --report "$D/rep" || [ $? -eq 1 ]
CHROME="chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir=$D/profile"
timeout 120 $CHROME --dump-dom "file://$D/rep/report.html" > "$D/dom.html" 2>/dev/null
timeout 120 $CHROME --window-size=1000,1400 --screenshot="$D/shot.png" "file://$D/rep/report.html" >/dev/null 2>&1
fail=0
for want in '<svg class="chart"' '<rect ' 'id="retention"' 'id="top"' 'findings in' 'id="overdue"' 'id="run"' \
    'id="legend"' 'id="by-confidence"' 'most overdue of'; do
  grep -q "$want" "$D/dom.html" || { echo "FAIL: rendered DOM lacks $want"; fail=1; }
done
size=$(stat -c %s "$D/shot.png" 2>/dev/null || echo 0)
[ "$size" -gt 20000 ] || { echo "FAIL: screenshot missing or blank ($size bytes)"; fail=1; }
if grep -q -e 15108695088 -e '151086 95088' "$D/dom.html"; then echo "FAIL: a raw value in the report"; fail=1; fi
[ $fail = 0 ] && echo "report renders in Chromium (screenshot $size bytes)"
exit $fail

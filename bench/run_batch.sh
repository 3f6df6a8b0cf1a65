#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Batch benchmark: whole-process `nordpii batch` MB/s with 1 and 2 jobs on a
# generated Zendesk-style JSONL export (16 files) and on the mail benchmark's
# mbox split into 8 files, beside `nordpii scan` of the plain-text corpus
# (the baseline) in the same run. Parallelism is per input file.
# Usage: bench/run_batch.sh [MB]   (default 500)
set -eu
cd "$(dirname "$0")/.."
MB=${1:-500}
TEXT=bench/corpus/tickets-typical-200.txt
EXPORT=bench/corpus/export-$MB
MBOXDIR=bench/corpus/mbox-split
mkdir -p bench/corpus
[ -s "$TEXT" ] || /usr/bin/python3 bench/gen_corpus.py "$TEXT" 200 42 typical
[ -d "$EXPORT" ] || /usr/bin/python3 bench/gen_tickets.py "$TEXT" "$EXPORT" "$MB" 16
if [ ! -d "$MBOXDIR" ]; then
  [ -s bench/corpus/mail-pdf-200.mbox ] || /usr/bin/python3 bench/gen_mbox.py "$TEXT" bench/corpus/mail-pdf-200.mbox 200
  mkdir -p "$MBOXDIR"
  /usr/bin/python3 - bench/corpus/mail-pdf-200.mbox "$MBOXDIR" <<'PY'
import sys
src, out = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
parts = data.split(b"\nFrom ")
n = 8
per = (len(parts) + n - 1) // n
for i in range(n):
    chunk = parts[i * per:(i + 1) * per]
    if not chunk:
        continue
    body = b"\nFrom ".join(chunk)
    if i > 0:
        body = b"From " + body
    if not body.endswith(b"\n"):
        body += b"\n"
    open("%s/part-%d.mbox" % (out, i), "wb").write(body)
PY
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target nordpii >/dev/null
cat "$TEXT" "$EXPORT"/* "$MBOXDIR"/* >/dev/null
. bench/timing.sh
timing_init
size() { du -cb "$@" | tail -1 | cut -f1; }
R=$(mktemp -d)
expect_output T build/src/nordpii scan --format jsonl "$TEXT"
TB=$(size "$TEXT"); EB=$(size "$EXPORT"); MBB=$(size "$MBOXDIR")
i=0
while [ $i -lt "$ROUNDS" ]; do
  run T build/src/nordpii scan --format jsonl "$TEXT"
  # What this machine gives two processes at once (the ceiling for 2 jobs).
  run T2 sh -c "build/src/nordpii scan --format jsonl '$TEXT' >/dev/null & p=\$!; build/src/nordpii scan --format jsonl '$TEXT' >/dev/null; a=\$?; wait \$p; b=\$?; [ \$a -le 1 ] && [ \$b -le 1 ]"
  run E1 build/src/nordpii batch -q --jobs 1 "$EXPORT" --report "$R/e1"
  run E2 build/src/nordpii batch -q --jobs 2 "$EXPORT" --report "$R/e2"
  run M1 build/src/nordpii batch -q --jobs 1 "$MBOXDIR" --report "$R/m1"
  run M2 build/src/nordpii batch -q --jobs 2 "$MBOXDIR" --report "$R/m2"
  i=$((i + 1))
done
T=$(best T) T2=$(best T2) E1=$(best E1) E2=$(best E2) M1=$(best M1) M2=$(best M2)
echo "text $TB bytes; JSONL export $EB bytes (16 files); mbox $MBB bytes (8 files); $(nproc) cores"
printf "%-36s %6s MB/s\n" "scan text (baseline, 1 core)" "$(mbs "$TB" "$T")"
printf "%-36s %6s MB/s  (x%s: the machine's own 2-core scaling)\n" "2 scan processes at once (total)" "$(mbs "$((TB * 2))" "$T2")" "$(awk -v a="$T" -v b="$T2" 'BEGIN{printf "%.2f", 2*a/b}')"
printf "%-36s %6s MB/s\n" "batch JSONL export, 1 job" "$(mbs "$EB" "$E1")"
printf "%-36s %6s MB/s  (x%s)\n" "batch JSONL export, 2 jobs" "$(mbs "$EB" "$E2")" "$(awk -v a="$E1" -v b="$E2" 'BEGIN{printf "%.2f", a/b}')"
printf "%-36s %6s MB/s\n" "batch mbox, 1 job" "$(mbs "$MBB" "$M1")"
printf "%-36s %6s MB/s  (x%s)\n" "batch mbox, 2 jobs" "$(mbs "$MBB" "$M2")" "$(awk -v a="$M1" -v b="$M2" 'BEGIN{printf "%.2f", a/b}')"
awk -v t="$(mbs "$TB" "$T")" -v e="$(mbs "$EB" "$E1")" 'BEGIN{printf "JSONL (1 job) / text scan: %.0f %% (target >= 50 %%)\n", 100*e/t}'
rm -rf "$R" "$TD"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Mail benchmark: whole-process `nordpii scan` and `nordpii redact` on a
# generated mbox (mixed QP / base64 / 8bit / HTML / binary attachments),
# beside `nordpii scan` on the plain-text ticket corpus it was made from, in
# the same run. Target: mail scanning >= 40 % of the plain-text speed; peak
# memory bounded by the largest message plus a constant.
# Usage: bench/run_mail.sh [MEGABYTES]   (default 200)
set -eu
cd "$(dirname "$0")/.."
MB=${1:-200}
TEXT=bench/corpus/tickets-typical-$MB.txt
MBOX=bench/corpus/mail-pdf-$MB.mbox  # "-pdf": real PDF attachments (gen_mbox.py, 2026-12-05)
mkdir -p bench/corpus
[ -s "$TEXT" ] || /usr/bin/python3 bench/gen_corpus.py "$TEXT" "$MB" 42 typical
[ -s "$MBOX" ] || /usr/bin/python3 bench/gen_mbox.py "$TEXT" "$MBOX" "$MB"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target nordpii >/dev/null
cat "$TEXT" "$MBOX" >/dev/null  # page cache
. bench/timing.sh
timing_init
TB=$(stat -c %s "$TEXT"); MBB=$(stat -c %s "$MBOX")
expect_output M build/src/nordpii scan --format jsonl "$MBOX"
i=0
while [ $i -lt "$ROUNDS" ]; do
  run T build/src/nordpii scan --format jsonl "$TEXT"
  run M build/src/nordpii scan --format jsonl "$MBOX"
  run R build/src/nordpii redact "$MBOX" -o /tmp/nordpii-bench.mbox
  i=$((i + 1))
done
T_T=$(best T); T_RSS=$(peak T); M_T=$(best M); M_RSS=$(peak M); R_T=$(best R); R_RSS=$(peak R)
rm -rf "$TD" /tmp/nordpii-bench.mbox
echo "text: $TEXT ($TB bytes); mbox: $MBOX ($MBB bytes, $(grep -c '^From ' "$MBOX") messages); 1 core, best of $ROUNDS interleaved rounds"
printf "%-34s %6s MB/s  peak RSS %s KB\n" "scan text (baseline)" "$(mbs $TB $T_T)" "$T_RSS"
printf "%-34s %6s MB/s  peak RSS %s KB\n" "scan mbox" "$(mbs $MBB $M_T)" "$M_RSS"
printf "%-34s %6s MB/s  peak RSS %s KB\n" "redact mbox -> mbox" "$(mbs $MBB $R_T)" "$R_RSS"
awk -v a="$(mbs $TB $T_T)" -v b="$(mbs $MBB $M_T)" 'BEGIN{printf "mail scan / text scan: %.0f %% (target >= 40 %%)\n", 100*b/a}'

#!/bin/sh
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
MBOX=bench/corpus/mail-$MB.mbox
mkdir -p bench/corpus
[ -s "$TEXT" ] || /usr/bin/python3 bench/gen_corpus.py "$TEXT" "$MB" 42 typical
[ -s "$MBOX" ] || /usr/bin/python3 bench/gen_mbox.py "$TEXT" "$MBOX" "$MB"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target nordpii >/dev/null
cat "$TEXT" "$MBOX" >/dev/null  # page cache
best() {  # best wall time of 3 runs and its peak RSS (KB)
  b=999999; rss=0
  for i in 1 2 3; do
    /usr/bin/time -f "%e %M" -o /tmp/nordpii-bench.time "$@" >/dev/null 2>&1 || true
    t=$(tail -1 /tmp/nordpii-bench.time | cut -d" " -f1); m=$(tail -1 /tmp/nordpii-bench.time | cut -d" " -f2)
    if awk -v a="$b" -v c="$t" 'BEGIN{exit !(c<a)}'; then b=$t; rss=$m; fi
  done
  echo "$b $rss"
}
mbs() { awk -v b="$1" -v t="$2" 'BEGIN{ if (t<=0) t=0.001; printf "%.0f", b/t/1e6 }'; }
TB=$(stat -c %s "$TEXT"); MBB=$(stat -c %s "$MBOX")
set -- $(best build/src/nordpii scan --format jsonl "$TEXT"); T_T=$1; T_RSS=$2
set -- $(best build/src/nordpii scan --format jsonl "$MBOX"); M_T=$1; M_RSS=$2
set -- $(best build/src/nordpii redact "$MBOX" -o /tmp/nordpii-bench.mbox); R_T=$1; R_RSS=$2
rm -f /tmp/nordpii-bench.mbox
echo "text: $TEXT ($TB bytes); mbox: $MBOX ($MBB bytes, $(grep -c '^From ' "$MBOX") messages); 1 core, best of 3"
printf "%-34s %6s MB/s  peak RSS %s KB\n" "scan text (baseline)" "$(mbs $TB $T_T)" "$T_RSS"
printf "%-34s %6s MB/s  peak RSS %s KB\n" "scan mbox" "$(mbs $MBB $M_T)" "$M_RSS"
printf "%-34s %6s MB/s  peak RSS %s KB\n" "redact mbox -> mbox" "$(mbs $MBB $R_T)" "$R_RSS"
awk -v a="$(mbs $TB $T_T)" -v b="$(mbs $MBB $M_T)" 'BEGIN{printf "mail scan / text scan: %.0f %% (target >= 40 %%)\n", 100*b/a}'

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Measurements the README quotes that are not part of bench/run*.sh:
#   start-up     wall time of `nordpii scan` on an empty input (median of 50)
#   compile      Hyperscan database build without the on-disk cache
#                (NORDPII_CACHE_DIR=off) minus start-up with the cache
#   longline     a file that is one 2 GiB line (written sparse-free, 2 GiB of
#                disk for the run): time and peak RSS   (only with `longline`)
# Usage: bench/oneoff.sh [longline]
# Every command's exit status is checked (bench/timing.sh).
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target nordpii >/dev/null
NP=build/src/nordpii
ms() {  # median wall milliseconds of 50 runs of "$@"
  for i in $(seq 50); do
    t0=$(date +%s%N)
    rc=0; "$@" </dev/null >/dev/null 2>&1 || rc=$?
    t1=$(date +%s%N)
    [ "$rc" -le 1 ] || { echo "oneoff: exit $rc: $*" >&2; exit 1; }
    echo $(((t1 - t0) / 1000))
  done | sort -n | sed -n 25p | awk '{printf "%.1f", $1/1000}'
}
$NP scan /dev/null >/dev/null || true  # fill the database cache
echo "start-up (scan of an empty input, cached database): $(ms $NP scan --input text /dev/null) ms"
echo "start-up without the database cache (compile included): $(NORDPII_CACHE_DIR=off ms $NP scan --input text /dev/null) ms"
if [ "${1:-}" = longline ]; then
  f=$(mktemp /tmp/nordpii-longline.XXXXXX)
  trap 'rm -f "$f"' EXIT
  /usr/bin/python3 - "$f" <<'PY'
import sys
chunk = (b"ordre 4500012346 kunde fnr 15108695088 " * 1000)[:1 << 20]
with open(sys.argv[1], "wb") as f:
    for _ in range(2048):
        f.write(chunk.replace(b"\n", b" "))
    f.write(b"\n")
PY
  t0=$(date +%s%N)
  rc=0; /usr/bin/time -f "%M" -o "$f.rss" $NP scan --format jsonl "$f" > "$f.out" || rc=$?
  t1=$(date +%s%N)
  [ "$rc" -eq 1 ] || { echo "oneoff: longline exit $rc" >&2; exit 1; }
  echo "2 GiB single line: $(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.1f", (b-a)/1e9}') s, peak RSS $(cat "$f.rss") KB, $(wc -l < "$f.out") findings, last column $(tail -1 "$f.out" | sed 's/.*"column":\([0-9]*\).*/\1/')"
  rm -f "$f.rss" "$f.out"
fi

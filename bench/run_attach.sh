#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Attachment benchmark: whole-process `nordpii scan` of an mbox where every
# message carries one small PDF / DOCX / XLSX (bench/gen_attach_mbox.py),
# with the helpers' start-up servers (default) and without
# (NORDPII_EXTRACT_ZYGOTE=0: fork + exec of the helper per document, the
# baseline), in the same interleaved rounds; prints wall ms per document
# and the ratio. The findings of both ways must be the same (checked).
# Usage: bench/run_attach.sh [MESSAGES] [KINDS]   (default 300 pdf,docx,xlsx)
set -eu
cd "$(dirname "$0")/.."
N=${1:-300}
KINDS=${2:-pdf,docx,xlsx}
MBOX=bench/corpus/attach-$N-$(echo "$KINDS" | tr , -).mbox
mkdir -p bench/corpus
[ -s "$MBOX" ] || /usr/bin/python3 bench/gen_attach_mbox.py "$MBOX" "$N" "$KINDS"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)" --target nordpii nordpii-extract >/dev/null
cmake --build build -j"$(nproc)" --target nordpii-extract-pdf >/dev/null 2>&1 || true
. bench/timing.sh
timing_init
export NORDPII_KEY=bench
build/src/nordpii scan --format jsonl "$MBOX" >"$TD/with.jsonl" 2>/dev/null || [ $? -eq 1 ]
NORDPII_EXTRACT_ZYGOTE=0 build/src/nordpii scan --format jsonl "$MBOX" >"$TD/without.jsonl" 2>/dev/null || [ $? -eq 1 ]
cmp -s "$TD/with.jsonl" "$TD/without.jsonl" || { echo "bench: findings differ with and without servers" >&2; exit 1; }
echo "check: $(wc -l <"$TD/with.jsonl") findings, the same both ways"
i=0
while [ $i -lt "$ROUNDS" ]; do
  run Z build/src/nordpii scan --format jsonl "$MBOX"
  run E env NORDPII_EXTRACT_ZYGOTE=0 build/src/nordpii scan --format jsonl "$MBOX"
  i=$((i + 1))
done
Z_T=$(best Z); E_T=$(best E)
rm -rf "$TD"
echo "$MBOX: $N messages, one $KINDS attachment each; best of $ROUNDS interleaved rounds, wall time"
awk -v z="$Z_T" -v e="$E_T" -v n="$N" 'BEGIN{
  printf "fork + exec per document (baseline)  %7.2f ms per document\n", 1000 * e / n;
  printf "start-up servers (default)           %7.2f ms per document  (x%.1f)\n", 1000 * z / n, e / z }'

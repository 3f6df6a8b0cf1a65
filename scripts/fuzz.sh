#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the libFuzzer targets with clang + ASan + UBSan and runs each for a
# bounded time (default 60 s) on its seed corpus:
#   nordpii_scan_fuzzer  text engine, decoders, HTML text (seeds: tests/fuzz/seeds)
#   nordpii_mail_fuzzer  MIME reader, mail scan/redact, mbox splitter
#                        (seeds: tests/fuzz/mail_seeds + CPython's email test data)
#   nordpii_ticket_fuzzer JSONL / JSON / CSV readers, ticket scan/redact
#                        (seeds: tests/fuzz/ticket_seeds)
#   nordpii_office_fuzzer OOXML / ODF extractor (seeds: tests/fuzz/office_seeds;
#                        finds go to tests/fuzz/office_crashes/)
#   nordpii_pdf_fuzzer   PDF helper's parsing: poppler-cpp text, qpdf forms,
#                        annotations, bookmarks, XMP (seeds: tests/fuzz/pdf_seeds)
#   nordpii_ocr_fuzzer   OCR helper's image decoding: Leptonica, TIFF pages,
#                        animated GIF frames (seeds: tests/fuzz/ocr_seeds)
# A crash leaves its input in build-fuzz/artifacts/; copy it to
# tests/fuzz/crashes/ (text), tests/fuzz/mail_crashes/ (mail) or
# tests/fuzz/ticket_crashes/ (tickets) so the test
# suite replays it. Usage: scripts/fuzz.sh [SECONDS] [scan|mail|tickets|office|pdf|ocr|all]
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-60}
WHICH=${2:-all}
CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNORDPII_FUZZ=ON \
  -DNORDPII_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target nordpii_scan_fuzzer nordpii_mail_fuzzer nordpii_ticket_fuzzer nordpii_office_fuzzer \
  nordpii_pdf_fuzzer nordpii_ocr_fuzzer
mkdir -p build-fuzz/artifacts
run() {  # target corpus-dir seed-dirs...
  target=$1; corpus=$2; shift 2
  mkdir -p "$corpus"
  for s in "$@"; do cp "$s"/* "$corpus"/ 2>/dev/null || true; done
  NORDPII_CACHE_DIR=off ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "build-fuzz/tests/$target" -max_total_time="$SECS" -max_len="${MAX_LEN:-8192}" -timeout="${UNIT_TIMEOUT:-10}" \
    -seed="${FUZZ_SEED:-0}" -print_final_stats=1 \
    -rss_limit_mb=2048 -artifact_prefix=build-fuzz/artifacts/ "$corpus"
}
if [ "$WHICH" = all ] || [ "$WHICH" = scan ]; then
  MAX_LEN=4096 run nordpii_scan_fuzzer build-fuzz/corpus tests/fuzz/seeds
fi
if [ "$WHICH" = all ] || [ "$WHICH" = mail ]; then
  run nordpii_mail_fuzzer build-fuzz/mail-corpus tests/fuzz/mail_seeds /usr/lib/python3.11/test/test_email/data
fi
if [ "$WHICH" = all ] || [ "$WHICH" = tickets ]; then
  run nordpii_ticket_fuzzer build-fuzz/ticket-corpus tests/fuzz/ticket_seeds
fi
if [ "$WHICH" = all ] || [ "$WHICH" = office ]; then
  MAX_LEN=65536 run nordpii_office_fuzzer build-fuzz/office-corpus tests/fuzz/office_seeds
fi
if [ "$WHICH" = all ] || [ "$WHICH" = pdf ]; then
  # poppler itself can take over 10 s on one input under ASan; in nordpii the
  # PDF helper is stopped after 60 s (an error, never a pass): the same bound here.
  UNIT_TIMEOUT=60 MAX_LEN=16384 run nordpii_pdf_fuzzer build-fuzz/pdf-corpus tests/fuzz/pdf_seeds tests/fuzz/pdf_crashes
fi
if [ "$WHICH" = all ] || [ "$WHICH" = ocr ]; then
  MAX_LEN=16384 run nordpii_ocr_fuzzer build-fuzz/ocr-corpus tests/fuzz/ocr_seeds
fi

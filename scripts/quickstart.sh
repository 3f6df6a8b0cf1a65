#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing (Debian 12), builds nordpii (Release) and scans the
# bundled samples/ — the README's first command.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# Tests and benchmarks are not built here (their packages come with scripts/test.sh).
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNORDPII_BUILD_TESTS=OFF -DNORDPII_BUILD_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)" --target nordpii
echo "== nordpii scan samples/*.txt samples/mail samples/tickets (text format; exit 1 means: findings)"
# samples/expected/ and samples/mail/expected/ hold the golden JSONL the tests
# compare with; not inputs.
build/src/nordpii scan --format text samples/*.txt samples/mail/*.eml samples/mail/archive.mbox \
  samples/mail/Maildir samples/tickets/*.jsonl samples/tickets/*.json samples/tickets/*.csv || [ $? -eq 1 ]

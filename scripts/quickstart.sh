#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing (Debian 12), builds nordpii (Release) and scans the
# bundled samples/ — the README's first command.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# Only nordpii is built here. The tests are configured when their packages
# (Catch2: scripts/test.sh installs it) are there, so that build/ is not left
# with the tests off for a later `cmake --build build && ctest` (they were
# always off here before); without Catch2 they are off and this says so.
tests=OFF
dpkg-query -W -f='${Status}' catch2 2>/dev/null | grep -q "install ok installed" && tests=ON
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNORDPII_BUILD_TESTS=$tests -DNORDPII_BUILD_BENCH=$tests >/dev/null
cmake --build build -j"$(nproc)" --target nordpii
[ "$tests" = ON ] || echo "== tests not configured in build/ (Catch2 missing): ./scripts/test.sh installs it and runs them"
echo "== nordpii scan samples/*.txt samples/mail samples/tickets (text format; exit 1 means: findings)"
# samples/expected/ and samples/mail/expected/ hold the golden JSONL the tests
# compare with; not inputs.
build/src/nordpii scan --format text samples/*.txt samples/mail/*.eml samples/mail/archive.mbox \
  samples/mail/Maildir samples/tickets/*.jsonl samples/tickets/*.json samples/tickets/*.csv || [ $? -eq 1 ]
echo "== to run the README's examples: export PATH=\"$PWD/build/src:\$PATH\""


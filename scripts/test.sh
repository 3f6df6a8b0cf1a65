#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs what is missing (Debian 12), builds everything (Release), runs
# the whole test suite with CTest and a bounded fuzz run — the README's second
# command; .ci/run calls it.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test --package
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DNORDPII_BUILD_TESTS=ON -DNORDPII_BUILD_BENCH=ON >/dev/null
cmake --build build -j"$(nproc)"
(cd build && ctest -j"$(nproc)" --output-on-failure)
# The Debian package, installed in a fresh Debian 12 root (as root; skipped
# with exit 77 otherwise). Outside CTest: it builds a second tree and a root,
# 5-10 minutes. NORDPII_PACKAGE_TEST=0 leaves it out.
if [ "${NORDPII_PACKAGE_TEST:-1}" != 0 ]; then
  rc=0; tests/package/install_test.sh build-deb || rc=$?
  [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || exit "$rc"
fi
# Bounded fuzz runs under ASan+UBSan (fixed seed, so a CI failure
# reproduces): the text engine, the mail reader, the ticket readers, the
# office, PDF and OCR helpers' parsers, 60 s each (6 minutes in all); finds
# go to tests/fuzz/*crashes/ and are replayed above.
FUZZ_SEED=1 ./scripts/fuzz.sh "${NORDPII_FUZZ_SECONDS:-60}"

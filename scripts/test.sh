#!/bin/sh
# Installs what is missing (Debian 12), builds everything (Release), runs
# the whole test suite with CTest and a bounded fuzz run — the README's second
# command; .ci/run calls it.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
(cd build && ctest -j"$(nproc)" --output-on-failure)
# Bounded fuzz runs under ASan+UBSan (fixed seed, so a CI failure
# reproduces): the text engine, the mail reader and the ticket readers, 60 s
# each; finds go to tests/fuzz/*crashes/ and are replayed above.
FUZZ_SEED=1 ./scripts/fuzz.sh "${NORDPII_FUZZ_SECONDS:-60}"

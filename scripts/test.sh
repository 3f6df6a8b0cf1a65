#!/bin/sh
# Installs what is missing (Debian 12), builds everything (Release) and runs
# the whole test suite with CTest — the README's second command; .ci/run
# calls it.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
cd build && ctest -j"$(nproc)" --output-on-failure

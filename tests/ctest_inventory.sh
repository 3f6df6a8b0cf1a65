#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Every Catch2 test case is exactly one CTest entry, and every CTest entry
# is a Catch2 test case or a script test registered with add_test() in
# tests/CMakeLists.txt. Guards against names that catch_discover_tests
# splits (a ';' in a name once turned 11 test cases into 23 entries that
# matched nothing and "passed").
# Usage: ctest_inventory.sh TEST_BINARY SOURCE_DIR BUILD_DIR
set -eu
bin=$1 src=$2 build=$3
catch=$("$bin" --list-test-names-only | grep -c .)
scripts=$(grep -c '^add_test(' "$src/tests/CMakeLists.txt")
entries=$(cd "$build" && ctest -N | sed -n 's/^Total Tests: //p')
echo "catch test cases: $catch, script tests: $scripts, ctest entries: $entries"
if [ "$entries" -ne $((catch + scripts)) ]; then
  echo "FAIL: ctest entries ($entries) != catch test cases ($catch) + script tests ($scripts)"
  exit 1
fi
# Names too: each Catch test case is listed by CTest under its own name.
tmp=$(mktemp); trap 'rm -f "$tmp"' EXIT
(cd "$build" && ctest -N) | sed -n 's/^ *Test *#[0-9]*: //p' > "$tmp"
"$bin" --list-test-names-only | grep . | while IFS= read -r name; do
  if ! grep -qxF "$name" "$tmp"; then
    echo "FAIL: catch test case not a ctest entry: $name"
    exit 1
  fi
done

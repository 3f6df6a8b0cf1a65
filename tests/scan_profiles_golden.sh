#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Findings on the benchmark corpora stay byte-identical (issue 14): every
# profile of bench/gen_corpus.py (typical, dense, mail; 4 MiB each, fixed
# seed) is scanned as text with both engines, and the JSONL must equal the
# golden digest in tests/data/scan_profiles.golden (SHA-256, line count and
# findings per type, recorded with the scanner before the speed work).
# The speed-ups (lazy context, the hand e-mail matcher, ...) must not move a
# single byte of output. Not a timed test.
# A change that is meant to change findings (patterns, validators, context
# rules) or the generator must record the new digest in the same commit:
#   tests/scan_profiles_golden.sh build/src/nordpii . --update
# and say in the commit message why the findings moved.
# Usage: scan_profiles_golden.sh NORDPII SOURCE_DIR [--update]
set -eu
NP=$(realpath "$1")
SRC=$(realpath "$2")
GOLDEN=$SRC/tests/data/scan_profiles.golden
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"  # the report names the file: the same relative name every run
digest() {  # FILE -> "sha256 lines type=count,..."
  printf '%s %s %s\n' "$(sha256sum < "$1" | cut -c1-64)" "$(wc -l < "$1")" \
    "$(grep -o '"type":"[^"]*"' "$1" | sed 's/"type":"//; s/"$//' | sort | uniq -c | awk '{printf "%s=%s,", $2, $1}')"
}
fail=0
for profile in typical dense mail; do
  /usr/bin/python3 "$SRC/bench/gen_corpus.py" "$profile.txt" 4 7 "$profile"
  for engine in hyperscan re2; do
    rc=0
    NORDPII_KEY=profiles-golden-key "$NP" scan --patterns "$SRC/patterns" --input text --format jsonl --engine "$engine" --reference-date 2026-11-23 "$profile.txt" \
      > "$T/$profile.$engine.jsonl" || rc=$?
    [ "$rc" -eq 1 ] || { echo "FAIL: $profile/$engine exited $rc (want 1)"; fail=1; continue; }
    got="$profile $(digest "$T/$profile.$engine.jsonl")"
    if [ "${3:-}" = --update ]; then
      [ "$engine" = hyperscan ] && echo "$got" >> "$T/new.golden"
      continue
    fi
    want=$(grep "^$profile " "$GOLDEN" || true)
    if [ "$got" != "$want" ]; then
      echo "FAIL: $profile with engine $engine differs from the golden output"
      echo "  want: $want"
      echo "  got:  $got"
      fail=1
    else
      echo "ok: $profile/$engine ($(wc -l < "$T/$profile.$engine.jsonl") findings)"
    fi
  done
done
if [ "${3:-}" = --update ]; then cp "$T/new.golden" "$GOLDEN"; cat "$GOLDEN"; fi
exit $fail

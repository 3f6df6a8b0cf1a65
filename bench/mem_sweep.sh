#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Peak RSS (/usr/bin/time %M) of `scan --format jsonl`, `redact` and
# `batch --report` on each input (issue 12 #9): one line per input and
# command, "input command peakMB exit". Outputs go to a mktemp directory.
# Usage: mem_sweep.sh NORDPII INPUT...
set -u
bin=$1; shift
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export NORDPII_CACHE_DIR=off
for f in "$@"; do
  n=$(basename "$f")
  /usr/bin/time -f %M -o "$tmp/rss" "$bin" scan --format jsonl "$f" > /dev/null 2> "$tmp/err"; rc=$?
  printf '%-24s scan   %5d MB exit %d  %s\n' "$n" $(( $(tail -1 "$tmp/rss") / 1024 )) $rc "$(grep -v -e '^[0-9]*$' -e "random key" "$tmp/err" | head -1 | cut -c1-110)"
  /usr/bin/time -f %M -o "$tmp/rss" "$bin" redact "$f" -o "$tmp/red" > /dev/null 2> "$tmp/err"; rc=$?
  w=$([ -e "$tmp/red" ] && echo written || echo "nothing written")
  printf '%-24s redact %5d MB exit %d  %s; %s\n' "$n" $(( $(tail -1 "$tmp/rss") / 1024 )) $rc "$w" "$(grep -v -e '^[0-9]*$' -e "random key" "$tmp/err" | tail -1 | cut -c1-110)"
  rm -rf "$tmp/red" "$tmp/rep"
  /usr/bin/time -f %M -o "$tmp/rss" "$bin" batch -q --report "$tmp/rep" "$f" > /dev/null 2> "$tmp/err"; rc=$?
  printf '%-24s batch  %5d MB exit %d  %s\n' "$n" $(( $(tail -1 "$tmp/rss") / 1024 )) $rc "$(grep -v -e '^[0-9]*$' -e "random key" "$tmp/err" | head -1 | cut -c1-110)"
  rm -rf "$tmp/rep"
done

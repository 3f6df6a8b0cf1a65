#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Work items (issues 14 and 17): one big JSONL, mbox and text file split into
# record-aligned byte ranges ($NORDPII_RANGE_BYTES, several odd sizes so that
# boundaries fall between a label and its value, inside CRLF lines, next to
# blank JSONL lines and quoted ">From " lines) and scanned by 3 threads give
# findings.jsonl and summary.json byte-identical to one job over the whole
# file; the three files in one batch give the same findings per file; a zip
# and a tar are scanned member by member (a .tar.gz stays whole) with the
# findings of the whole archive; a run
# killed with SIGKILL between a range's findings and its checkpoint line and
# then resumed ends with the same report.
# Usage: work_items.sh NORDPII
set -eu
BIN=$1
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NORDPII_KEY=work-items-test-key
export SOURCE_DATE_EPOCH=1764000000  # the report's run date, fixed so summaries compare byte for byte
/usr/bin/python3 "$HERE/gen_ranges.py" "$T/in"
fail() { echo "FAIL: $*"; exit 1; }
run() {  # range-bytes jobs report inputs...
  rb=$1 j=$2 rep=$3
  shift 3
  rc=0
  NORDPII_RANGE_BYTES=$rb "$BIN" batch -q --jobs "$j" --reference-date 2026-11-23 --retention 90d \
    "$@" --report "$rep" || rc=$?
  [ "$rc" -eq 1 ] || fail "batch exit $rc (expected 1: findings)"
}
for f in big.txt big.jsonl big.mbox; do
  run 1000000000 1 "$T/whole-$f" "$T/in/$f"
  n=$(wc -l < "$T/whole-$f/findings.jsonl")
  [ "$n" -gt 500 ] || fail "$f: only $n findings"
  for rb in 997 4099 8192 65537; do
    run $rb 3 "$T/r$rb-$f" "$T/in/$f"
    cmp "$T/whole-$f/findings.jsonl" "$T/r$rb-$f/findings.jsonl" || fail "$f: ranges of $rb bytes, 3 jobs: findings differ"
    cmp "$T/whole-$f/summary.json" "$T/r$rb-$f/summary.json" || fail "$f: ranges of $rb bytes: summary differs"
  done
  run 4099 1 "$T/j1-$f" "$T/in/$f"
  cmp "$T/whole-$f/findings.jsonl" "$T/j1-$f/findings.jsonl" || fail "$f: ranges, 1 job: findings differ"
  echo "ok $f: $n findings, identical for ranges of 997-65537 bytes on 3 jobs"
done
# --fields over a file's ranges: a field only in the first records is found
# (no error in the ranges without it), one that no record has is one error,
# as for one job over the whole file.
head -c 3000 "$T/in/big.jsonl" | head -n 2 | sed 's/"description"/"special"/' > "$T/fields.jsonl"
cat "$T/in/big.jsonl" >> "$T/fields.jsonl"
for fl in special,description nosuch,description; do
  for rb in 1000000000 4099; do
    rc=0
    NORDPII_RANGE_BYTES=$rb "$BIN" batch -q --jobs 3 --reference-date 2026-11-23 --fields $fl "$T/fields.jsonl" \
      --report "$T/fields-$rb" 2> "$T/fields-$rb.err" || rc=$?
    echo "rc $rc" >> "$T/fields-$rb.err"
  done
  cmp "$T/fields-1000000000.err" "$T/fields-4099.err" || fail "--fields $fl: errors over ranges differ from one job: $(head -c 300 "$T/fields-4099.err")"
  cmp "$T/fields-1000000000/findings.jsonl" "$T/fields-4099/findings.jsonl" || fail "--fields $fl: findings differ"
done
echo "ok --fields checked over all ranges of a file"
# All three in one batch: each file's lines in the same order as its own run.
run 4099 3 "$T/all" "$T/in"
for f in big.txt big.jsonl big.mbox; do
  grep -F "\"path\":\"$T/in/$f\"" "$T/all/findings.jsonl" > "$T/all-$f" || true
  cmp "$T/whole-$f/findings.jsonl" "$T/all-$f" || fail "$f in a batch of three: findings differ"
done
# Resume: killed (SIGKILL) after the 20th checkpoint line, with the next
# range's findings already in findings.jsonl; the rerun equals a clean run.
run 4099 1 "$T/clean" "$T/in"
sort "$T/clean/findings.jsonl" > "$T/a"
rc=0
NORDPII_TEST_KILL_AFTER_CHECKPOINTS=20 NORDPII_RANGE_BYTES=4099 "$BIN" batch -q --jobs 2 --reference-date 2026-11-23 \
  --retention 90d "$T/in" --report "$T/resumed" --checkpoint "$T/cp" 2>/dev/null || rc=$?
[ "$rc" -eq 137 ] || fail "the killed run exited $rc"
[ "$(wc -l < "$T/cp")" -eq 20 ] || fail "checkpoint lines after the kill: $(wc -l < "$T/cp")"
# A checkpoint without findings spans (as an older nordpii wrote it): findings
# are kept by path, ranges are scanned again; the same report.
cp -r "$T/resumed" "$T/oldcp"
sed 's/\x1d[0-9]*-[0-9]*$//' "$T/cp" > "$T/oldcp.cp"
run 4099 2 "$T/oldcp" "$T/in" --checkpoint "$T/oldcp.cp"
sort "$T/oldcp/findings.jsonl" > "$T/b"
cmp "$T/a" "$T/b" || fail "resumed from a checkpoint without spans: findings differ from a clean run"
cmp "$T/clean/summary.json" "$T/oldcp/summary.json" || fail "resumed from a checkpoint without spans: summary differs"
# Killed again 15 checkpoint lines into the resumed run (its spans are in the
# rewritten findings.jsonl), then resumed to the end.
rc=0
NORDPII_TEST_KILL_AFTER_CHECKPOINTS=15 NORDPII_RANGE_BYTES=4099 "$BIN" batch -q --jobs 2 --reference-date 2026-11-23 \
  --retention 90d "$T/in" --report "$T/resumed" --checkpoint "$T/cp" 2>/dev/null || rc=$?
[ "$rc" -eq 137 ] || fail "the second killed run exited $rc"
[ "$(wc -l < "$T/cp")" -eq 35 ] || fail "checkpoint lines after the second kill: $(wc -l < "$T/cp")"
run 4099 2 "$T/resumed" "$T/in" --checkpoint "$T/cp"
sort "$T/clean/findings.jsonl" > "$T/a"
sort "$T/resumed/findings.jsonl" > "$T/b"
cmp "$T/a" "$T/b" || fail "resumed run: findings differ from a clean run"
cmp "$T/clean/summary.json" "$T/resumed/summary.json" || fail "resumed run: summary differs"
for f in big.txt big.jsonl big.mbox; do  # and each file's ranges in file order
  grep -F "\"path\":\"$T/in/$f\"" "$T/resumed/findings.jsonl" > "$T/res-$f" || true
  cmp "$T/whole-$f/findings.jsonl" "$T/res-$f" || fail "$f after resume: order differs"
done
echo "ok resume after kill -9 mid-file"
# Archives: one item per member of a zip and of a tar (a nested archive, a
# directory entry, a document among them); a tar.gz stays one item.
mkdir "$T/arc"
/usr/bin/python3 - "$T/in" "$T/arc" <<'PY'
import io, os, sys, tarfile, zipfile
src, out = sys.argv[1], sys.argv[2]
files = {n: open(os.path.join(src, n), "rb").read() for n in ("big.txt", "big.jsonl", "big.mbox")}
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w") as z:
    z.writestr("inner.txt", b"fnr 01010112345")
files["nested.zip"] = inner.getvalue()
files["notes/small.txt"] = files["big.txt"][:3000]
with zipfile.ZipFile(os.path.join(out, "a.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("notes/", b"")
    for n, b in files.items():
        z.writestr(n, b)
for name, mode in (("a.tar", "w"), ("a.tar.gz", "w:gz")):
    with tarfile.open(os.path.join(out, name), mode) as t:
        d = tarfile.TarInfo("notes"); d.type = tarfile.DIRTYPE; t.addfile(d)
        for n, b in files.items():
            i = tarfile.TarInfo(n); i.size = len(b); t.addfile(i, io.BytesIO(b))
PY
for a in a.zip a.tar a.tar.gz; do
  NORDPII_WORK_ITEMS=whole run 4099 1 "$T/whole-$a" "$T/arc/$a"
  rm -f "$T/cp-$a"
  run 4099 3 "$T/items-$a" "$T/arc/$a" --checkpoint "$T/cp-$a"
  cmp "$T/whole-$a/findings.jsonl" "$T/items-$a/findings.jsonl" || fail "$a: member items differ from the whole archive"
  cmp "$T/whole-$a/summary.json" "$T/items-$a/summary.json" || fail "$a: summary differs"
  members=$(grep -c "$(printf '\036')#" "$T/cp-$a" || true)
  case $a in
    *.gz) [ "$members" -eq 0 ] || fail "$a: split into members" ;;
    *) [ "$members" -eq 5 ] || fail "$a: $members member items, expected 5" ;;
  esac
done
echo "ok zip and tar member by member (tar.gz whole), findings as the whole archive"

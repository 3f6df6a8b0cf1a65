#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# redact of a Maildir whose later message fails (more than 10,000 header
# fields: not scanned) writes nothing: before (review), the messages before it
# stayed in the output tree while nordpii said "nothing written". A run into an
# existing directory removes only what it added. Usage: maildir_redact_takeback.sh NORDPII
set -u
N=$1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export NORDPII_KEY=takeback-test
fail=0
mkdir -p "$T/md/cur" "$T/md/new" "$T/md/tmp"
printf 'From: a@b.example\nSubject: x\n\nsmall 31129956715\n' > "$T/md/cur/0:2,S"
/usr/bin/python3 -c "print('Subject: a\n'+''.join('X-H%d: v\n'%i for i in range(10001))+'\nbody 15108695088')" > "$T/md/cur/2:2,S"
"$N" redact "$T/md" -o "$T/out" 2> "$T/err"; rc=$?
[ $rc = 2 ] && grep -q "nothing written" "$T/err" || { echo "FAIL: exit $rc"; cat "$T/err"; fail=1; }
[ ! -e "$T/out" ] || { echo "FAIL: the output tree was left: $(find "$T/out" -type f)"; fail=1; }
mkdir -p "$T/out2/cur"
echo keep > "$T/out2/cur/mine"
"$N" redact "$T/md" -o "$T/out2" 2> "$T/err"; rc=$?
[ $rc = 2 ] || { echo "FAIL: existing dir: exit $rc"; fail=1; }
[ "$(find "$T/out2" -type f | sed "s|$T/||")" = "out2/cur/mine" ] || { echo "FAIL: existing dir: $(find "$T/out2" -type f)"; fail=1; }
rm "$T/md/cur/2:2,S"
"$N" redact "$T/md" -o "$T/out3" 2> "$T/err"; rc=$?
[ $rc = 0 ] && [ -f "$T/out3/cur/0:2,S" ] && ! grep -q 31129956715 "$T/out3/cur/0:2,S" || { echo "FAIL: a good Maildir: exit $rc"; fail=1; }
[ $fail = 0 ] && echo PASS
exit $fail

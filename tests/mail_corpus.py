#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Real-world mail nobody here wrote: every message of CPython's email test
data (Debian libpython3.11-testsuite) plus our samples goes through
`nordpii scan` and `nordpii redact` (each with a timeout: no crash, no hang),
and every redacted message must re-parse with Python's email package to the
same part tree and content types. A message with nothing to redact must come
out byte-identical. The mbox sample must stay an mbox of the same messages.

Usage: mail_corpus.py NORDPII_BINARY SOURCE_DIR"""
import glob
import mailbox
import os
import subprocess
import sys
import tempfile
from email import message_from_bytes, policy

nordpii, src = sys.argv[1], sys.argv[2]
corpus = "/usr/lib/python3.11/test/test_email/data"
files = sorted(glob.glob(os.path.join(corpus, "msg_*.txt")))
if not files:
    print("mail_corpus: %s missing (install libpython3.11-testsuite)" % corpus)
    sys.exit(1)
files += sorted(glob.glob(os.path.join(src, "samples/mail/*.eml")))
env = dict(os.environ, NORDPII_KEY="corpus-key", NORDPII_CACHE_DIR="off")


def tree(data):
    m = message_from_bytes(data, policy=policy.compat32)
    return [p.get_content_type() for p in m.walk()]


failures = []
changed = 0
with tempfile.TemporaryDirectory() as tmp:
    for f in files:
        name = os.path.basename(f)
        cats = ["--categories", "national-id,financial,credential,contact"]
        r = subprocess.run([nordpii, "scan", "--input", "eml", "--format", "jsonl"] + cats + [f], env=env,
                           capture_output=True, timeout=30)
        if r.returncode not in (0, 1):
            failures.append("%s: scan exit %d: %s" % (name, r.returncode, r.stderr.decode()[:200]))
            continue
        clean = r.returncode == 0
        out = os.path.join(tmp, name + ".out")
        r = subprocess.run([nordpii, "redact", "--input", "eml"] + cats + [f, "-o", out],
                           env=env, capture_output=True, timeout=30)
        if r.returncode != 0:
            failures.append("%s: redact exit %d: %s" % (name, r.returncode, r.stderr.decode()[:200]))
            continue
        a, b = open(f, "rb").read(), open(out, "rb").read()
        # Clean in (scan finds nothing) -> byte-identical out, whatever the
        # output's headers say; something found -> the output differs.
        if clean and a != b:
            failures.append("%s: nothing found but output differs" % name)
        if not clean and a == b:
            failures.append("%s: findings but output unchanged" % name)
        if a != b:
            changed += 1
        try:
            if tree(a) != tree(b):
                failures.append("%s: part tree changed %s -> %s" % (name, tree(a), tree(b)))
        except Exception as e:  # noqa: BLE001 - any parse failure is a test failure
            failures.append("%s: redacted message does not parse: %s" % (name, e))

    mbox_in = os.path.join(src, "samples/mail/archive.mbox")
    mbox_out = os.path.join(tmp, "out.mbox")
    r = subprocess.run([nordpii, "redact", mbox_in, "-o", mbox_out], env=env, capture_output=True, timeout=30)
    if r.returncode != 0:
        failures.append("mbox redact exit %d" % r.returncode)
    else:
        before = [m.get("Message-ID") for m in mailbox.mbox(mbox_in)]
        after = [m.get("Message-ID") for m in mailbox.mbox(mbox_out)]
        if before != after:
            failures.append("mbox messages changed: %s -> %s" % (before, after))
        if b"15108695088" in open(mbox_out, "rb").read():
            failures.append("mbox: identifier left after redaction")

print("mail_corpus: %d messages, %d rewritten, %d failures" % (len(files), changed, len(failures)))
for x in failures:
    print("  " + x)
sys.exit(1 if failures else 0)

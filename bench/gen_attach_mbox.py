#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Generates an mbox whose messages each carry one small document attachment
(PDF, DOCX, XLSX in turn, or the kinds given) with a few synthetic ids, for
the attachment benchmark (bench/run_attach.sh): what it measures is the cost
per document, not per byte.
Usage: gen_attach_mbox.py OUT MESSAGES [KINDS]   (KINDS default pdf,docx,xlsx)"""
import base64
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "attach"))
import gen_docs as g  # noqa: E402

out, n = sys.argv[1], int(sys.argv[2])
kinds = (sys.argv[3] if len(sys.argv) > 3 else "pdf,docx,xlsx").split(",")
rng = random.Random(3)
ids = g.make_ids(rng, 60)
tmp = tempfile.mkdtemp(prefix="nordpii-attach-")
docs = {}
for k in kinds:
    p = os.path.join(tmp, "one." + k)
    if k == "pdf":
        g.pdf(p, [["Saken gjelder %s %s" % ids[i][:2] for i in range(p0, p0 + 20)] for p0 in (0, 20)])
    elif k == "docx":
        g.docx(p, ["Saken gjelder %s %s." % ids[i][:2] for i in range(40)])
    elif k == "xlsx":
        g.xlsx(p, [["Navn", "Personnummer"]] + [[ids[i][0], ids[i][1]] for i in range(40)])
    else:
        sys.exit("unknown kind " + k)
    with open(p, "rb") as f:
        docs[k] = f.read()
    os.unlink(p)
os.rmdir(tmp)
with open(out, "w") as f:
    for m in range(n):
        k = kinds[m % len(kinds)]
        b = base64.encodebytes(docs[k]).decode()
        f.write("From a@example.com Mon Jan  1 00:00:00 2024\nFrom: a@example.com\nTo: b@example.com\n"
                "Subject: Vedlegg %d\nMessage-ID: <m%d@example.com>\nMIME-Version: 1.0\n"
                "Content-Type: multipart/mixed; boundary=\"XX\"\n\n--XX\nContent-Type: text/plain; charset=utf-8\n\n"
                "Hei, se vedlegg.\n\n--XX\nContent-Type: application/octet-stream; name=\"doc%d.%s\"\n"
                "Content-Disposition: attachment; filename=\"doc%d.%s\"\nContent-Transfer-Encoding: base64\n\n"
                "%s\n--XX--\n\n" % (m, m, m, k, m, k, b))
print("wrote %s: %d messages (%s)" % (out, n, ",".join(kinds)))

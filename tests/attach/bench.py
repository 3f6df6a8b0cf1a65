#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Throughput of attachment extraction + scan per format (README figures):
one generated document per format of about SIZE MB, `nordpii scan` timed
(best of 3), and milter latency for one message with a ~2 MB xlsx attachment.
usage: bench.py NORDPII [DIR]  (not a CTest test; a few seconds)"""
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_docs as g  # noqa: E402
import attach_test as t  # noqa: E402

NORDPII = sys.argv[1]
d = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="nordpii-attach-bench-")
os.makedirs(d, exist_ok=True)
rng = random.Random(5)
ids = g.make_ids(rng, 400)
filler = "Saken gjelder oppfølging av søknad og vedlagt dokumentasjon fra arbeidsgiver"


def noise():  # text that does not compress away (real sheets are not one repeated line)
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzæøå ") for _ in range(60))


def rows(n):
    return [["Navn", "Personnummer", "Merknad"]] + [["Person %d" % i, ids[i % 400][1], noise()] for i in range(n)]


docs = {
    "big.xlsx": lambda p: g.xlsx(p, rows(40000)),
    "big.docx": lambda p: g.docx(p, ["%s %s. %s." % (ids[i % 400][0], ids[i % 400][1], noise()) for i in range(20000)]),
    "big.odt": lambda p: g.odt(p, ["%s %s. %s." % (ids[i % 400][0], ids[i % 400][1], noise()) for i in range(20000)]),
    "big.ods": lambda p: g.ods(p, rows(30000)),
    "big.pptx": lambda p: g.pptx(p, [["%s %s" % ids[(s * 5 + k) % 400][:2] for k in range(5)] + [filler] for s in range(2000)]),
    "big.pdf": lambda p: g.pdf(p, [["%s %s" % ids[(s * 40 + k) % 400][:2] for k in range(40)] for s in range(500)]),
}
print("%-9s %9s %10s %8s %9s %7s" % ("format", "file MB", "text MB", "seconds", "file MB/s", "docs/s"))
for name, make in docs.items():
    p = os.path.join(d, name)
    make(p)
    size = os.path.getsize(p)
    best = 1e9
    for _ in range(3):
        t0 = time.time()
        r = subprocess.run([NORDPII, "scan", "--format", "jsonl", p], capture_output=True)
        best = min(best, time.time() - t0)
    assert r.returncode == 1, r.stderr
    fmt = name.split(".")[1]
    ex = subprocess.run([os.path.join(os.path.dirname(NORDPII), "nordpii-extract-pdf" if fmt == "pdf" else "nordpii-extract"),
                         fmt, str(1 << 30), str(1 << 31), "10000", "256", "100000"], stdin=open(p, "rb"),
                        capture_output=True)
    print("%-9s %9.2f %10.2f %8.3f %9.2f %7.1f  (%d findings)" % (fmt, size / 1e6, len(ex.stdout) / 1e6, best,
          size / 1e6 / best, 1 / best, r.stdout.count(b"\n")))

# Milter latency: one message with a ~2 MB xlsx attachment.
p = os.path.join(d, "two-mb.xlsx")
g.xlsx(p, rows(45000))
m = os.path.join(d, "two-mb.eml")
t.eml(m, p, t.CTYPES["xlsx"])
pol = os.path.join(d, "policy.toml")
open(pol, "w").write('[[rule]]\nname = "ids"\ncategories = ["national-id"]\naction = "reject"\n')
proc, port = t.start_milter(pol)
try:
    raw = open(m, "rb").read()
    lat = []
    for _ in range(3):
        t0 = time.time()
        r = t.milter_message(port, raw)
        lat.append(time.time() - t0)
    print("milter: message %.2f MB with a %.2f MB xlsx: %s -> %r" % (len(raw) / 1e6, os.path.getsize(p) / 1e6,
          ", ".join("%.0f ms" % (x * 1000) for x in lat), r[-1][1][:12]))
finally:
    proc.terminate()
    proc.wait()

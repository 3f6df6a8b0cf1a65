#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Milter latency with a 2 MB xlsx attachment (issue 16, README figure).

Builds a 2.0 MB .xlsx (3 columns under a header: name, personnummer, a
60-character note that does not compress away; synthetic ids from
gen_docs), sends messages to a `nordpii milter` started here over the milter
protocol itself (inet socket on 127.0.0.1; the attachment suite's client,
attach_test.milter_message's packets) and times each message two ways:
end of message ('E' sent) to the final reply — the milter's own work: MIME
parse, base64, the extraction helper, the scan, the policy — and the whole
exchange (connect, negotiation, headers, body chunks, end of message).
Three messages, RUNS times each, interleaved so load on the shared machine
hits them alike:
  baseline  the same message without the attachment (its text part only)
  xlsx-ids  with the 2 MB xlsx holding ids       -> 550 (rule reject)
  xlsx-clean with a 2 MB xlsx of the same shape without ids -> accept
Prints median, min and max per message; exits 1 if an answer is not the
expected one.
usage: milter_latency.py NORDPII [RUNS] [DIR]   (about 10 s with RUNS = 7; DIR is kept)
CTest attachments_milter_latency runs it with RUNS = 2 for the answers only."""
import os
import random
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_docs as g  # noqa: E402
import attach_test as t  # noqa: E402

NORDPII = sys.argv[1]
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
KEEP = len(sys.argv) > 3
d = sys.argv[3] if KEEP else tempfile.mkdtemp(prefix="nordpii-milter-latency-")
os.makedirs(d, exist_ok=True)
TARGET = 2.0e6
rng = random.Random(2)
ids = g.make_ids(rng, 400)


def noise():
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyzæøå ") for _ in range(60))


def sheet(path, n, with_ids):
    rows = [["Navn", "Personnummer" if with_ids else "Saksnummer", "Merknad"]]
    for i in range(n):
        rows.append(["Person %d" % i, ids[i % 400][1] if with_ids else "S-%d" % (i * 7919 % 100000), noise()])
    g.xlsx(path, rows)


def two_mb(path, with_ids):
    """An xlsx within 5 % of 2.0 MB: rows scaled from a first try."""
    n = 30000
    for _ in range(4):
        sheet(path, n, with_ids)
        size = os.path.getsize(path)
        if abs(size - TARGET) < 0.05 * TARGET:
            return size
        n = int(n * TARGET / size)
    return size


def timed(port, raw):
    """(end of message to reply, whole exchange) in seconds, and the reply."""
    t0 = time.perf_counter()
    s = t.milter_open(port, raw, timeout=60)
    t1 = time.perf_counter()
    c, data = t.milter_eom(s)[-1]
    t2 = time.perf_counter()
    s.close()
    return t2 - t1, t2 - t0, (c, data[:3])


def main():
    msgs = {}
    base = os.path.join(d, "baseline.eml")
    with open(base, "w") as f:
        f.write("From: a@example.no\nTo: b@example.no\nSubject: vedlegg\nMessage-ID: <base@example.no>\n"
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nSe vedlegg.\n")
    msgs["baseline"] = (base, b"c")
    sizes = {}
    for name, with_ids, want in (("xlsx-ids", True, b"y"), ("xlsx-clean", False, b"c")):
        x = os.path.join(d, name + ".xlsx")
        sizes[name] = two_mb(x, with_ids)
        m = os.path.join(d, name + ".eml")
        t.eml(m, x, t.CTYPES["xlsx"])
        msgs[name] = (m, want)
    pol = os.path.join(d, "policy.toml")
    with open(pol, "w") as f:
        f.write('[[rule]]\nname = "ids"\ncategories = ["national-id"]\n'
                'action = "reject"\n')
    proc, port = t.start_milter(pol)
    bad = 0
    try:
        raws = {k: open(p, "rb").read() for k, (p, _w) in msgs.items()}
        for k in raws:  # one warm-up each (page cache, the helper's first start)
            timed(port, raws[k])
        res = {k: ([], []) for k in raws}
        for _ in range(RUNS):
            for k, raw in raws.items():
                eom, whole, reply = timed(port, raw)
                if reply[0] != msgs[k][1]:
                    bad += 1
                    print("unexpected answer for %s: %r" % (k, reply))
                res[k][0].append(eom)
                res[k][1].append(whole)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    print("milter latency, %d runs each (nordpii milter, milter protocol over 127.0.0.1; ms)" % RUNS)
    print("%-11s %7s %8s %28s %28s" % ("message", "msg MB", "xlsx MB", "EOM->reply median (min-max)",
                                       "whole median (min-max)"))
    for k, (eom, whole) in res.items():
        ms = [x * 1000 for x in eom]
        ws = [x * 1000 for x in whole]
        print("%-11s %7.2f %8s %12.1f (%6.1f-%6.1f) %12.1f (%6.1f-%6.1f)" % (
            k, len(raws[k]) / 1e6, "%.2f" % (sizes[k] / 1e6) if k in sizes else "-",
            statistics.median(ms), min(ms), max(ms), statistics.median(ws), min(ws), max(ws)))
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        rc = main()
    finally:
        if not KEEP:
            shutil.rmtree(d, ignore_errors=True)
    sys.exit(rc)

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Generates a plain-text, a JSONL and an mbox file for the work-item
# (record-aligned range) test: synthetic Norwegian national ids (mod-11
# check digits computed here, checked with python3-stdnum), many of them
# just before, at and just after every line, with their label on the line
# before, so that range boundaries fall between a label and its value.
# Usage: gen_ranges.py OUTDIR [SEED]
import json
import os
import random
import sys

from stdnum.no import fodselsnummer

out = sys.argv[1]
r = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 11)
os.makedirs(out, exist_ok=True)


def fnr():
    while True:
        d = "%02d%02d%02d%03d" % (r.randint(1, 28), r.randint(1, 12), r.randint(0, 99), r.randint(0, 499))
        w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2]
        k1 = 11 - sum(int(c) * w for c, w in zip(d, w1)) % 11
        k1 = 0 if k1 == 11 else k1
        if k1 == 10:
            continue
        w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]
        k2 = 11 - sum(int(c) * w for c, w in zip(d + str(k1), w2)) % 11
        k2 = 0 if k2 == 11 else k2
        if k2 == 10:
            continue
        v = d + str(k1) + str(k2)
        assert fodselsnummer.is_valid(v)
        return v


WORDS = "kunden ringte om fakturaen og ordren vi sjekket saken igjen takk for svaret hilsen".split()


def prose(n):
    return " ".join(r.choice(WORDS) for _ in range(n))


def line():
    k = r.random()
    if k < 0.25:
        return "Fødselsnummer:\n" + fnr()  # the label on the line before
    if k < 0.45:
        return fnr() + " " + prose(r.randint(0, 6))  # at a line start
    if k < 0.6:
        return prose(r.randint(1, 8)) + " fnr " + fnr()  # at a line end
    if k < 0.65:
        return ""
    return prose(r.randint(1, 14))


with open(os.path.join(out, "big.txt"), "w", encoding="utf-8") as f:
    for _ in range(6000):
        f.write(line() + ("\r\n" if r.random() < 0.05 else "\n"))

with open(os.path.join(out, "big.jsonl"), "w", encoding="utf-8") as f:
    for i in range(1500):
        rec = {"id": 1000 + i, "subject": prose(3), "created_at": "2025-%02d-10T09:00:00Z" % r.randint(1, 12),
               "description": "\n".join(line() for _ in range(r.randint(1, 6)))}
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        if r.random() < 0.05:
            f.write("\n" if r.random() < 0.5 else "  \r\n")  # blank lines: not records

with open(os.path.join(out, "big.mbox"), "w", encoding="utf-8") as f:
    for i in range(700):
        f.write("From sender%d@example.no Mon Jan  5 10:00:00 2026\n" % i)
        f.write("From: Kunde <k%d@example.no>\nTo: support@example.no\nSubject: sak %d\n" % (i, i))
        f.write("Message-ID: <m%d@example.no>\nDate: Mon, 5 Jan 2026 10:00:00 +0100\n\n" % i)
        for _ in range(r.randint(1, 8)):
            f.write(line() + "\n")
        if r.random() < 0.1:
            f.write(">From the archive, quoted\n")
        f.write("\n")

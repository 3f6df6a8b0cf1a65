#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Messages for the milter load benchmark: sizes 5-200 KB (uniform), plain
text / QP / base64 mix, 10 % carrying a synthetic national id.
Usage: gen_mail_load.py OUTDIR COUNT [SEED]"""
import base64
import os
import random
import sys

out, n = sys.argv[1], int(sys.argv[2])
r = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 5)
os.makedirs(out, exist_ok=True)
words = ("hei takk for svar kunden ringte om fakturaen leveringen er forsinket vi ser paa saken "
         "ordre 4500012345 dato 2026-11-23 kl 10:15 versjon 3.2.1 mvh kundeservice").split()
for i in range(n):
    size = r.randint(5000, 200000)
    lines, total = [], 0
    while total < size:
        line = " ".join(r.choice(words) for _ in range(12))
        lines.append(line)
        total += len(line) + 2
    if r.random() < 0.10:
        lines.insert(r.randrange(len(lines)), "Mitt fodselsnummer er 151086 95088.")
    body = "\r\n".join(lines) + "\r\n"
    head = ("From: Load <load@example.org>\r\nTo: inbox@pii.test\r\nSubject: load %d\r\n"
            "Message-ID: <load-%d@example.org>\r\nMIME-Version: 1.0\r\n" % (i, i))
    if i % 3 == 0:
        enc = base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
        msg = head + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + enc
    else:
        msg = head + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + body
    with open(os.path.join(out, "%06d.eml" % i), "w", newline="") as f:
        f.write(msg)

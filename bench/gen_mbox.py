#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Generates a deterministic mbox for the mail benchmark from the ticket text
corpus: messages of 2-50 KB of ticket prose wrapped the ways mail really
comes — quoted-printable UTF-8 text (40 %), base64 text (15 %), 8bit text
(15 %), multipart/alternative with a QP HTML part (20 %), and multipart/mixed
with a 20-100 KB binary attachment (10 %).
Usage: gen_mbox.py TEXT_CORPUS OUT MEGABYTES [SEED]"""
import base64
import quopri
import random
import sys

from text_chunks import TextChunks

src, out, mb = sys.argv[1], sys.argv[2], int(sys.argv[3])
r = random.Random(int(sys.argv[4]) if len(sys.argv) > 4 else 7)
chunk = TextChunks(src)
target = mb * 1000 * 1000


def b64(data):
    e = base64.b64encode(data).decode()
    return "\n".join(e[i:i + 76] for i in range(0, len(e), 76))


def html_of(t):
    paras = t.replace("&", "&amp;").replace("<", "&lt;").split("\n")
    return "<html><body>" + "".join("<p>%s</p>\n" % p for p in paras) + "</body></html>\n"


written = 0
i = 0
with open(out, "w", encoding="utf-8", newline="\n") as f:
    while written < target:
        i += 1
        body = chunk(r.randint(2000, 50000))
        head = ("From: Kunde %d <kunde%d@example.no>\nTo: support@example.com\nSubject: Sak %d\n"
                "Date: Mon, 23 Nov 2026 10:00:00 +0100\nMessage-ID: <bench-%d@example.no>\nMIME-Version: 1.0\n"
                % (i, i, i, i))
        k = r.random()
        if k < 0.40:
            m = head + ("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                        + quopri.encodestring(body.encode()).decode() + "\n")
        elif k < 0.55:
            m = head + ("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
                        + b64(body.encode()) + "\n")
        elif k < 0.70:
            m = head + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" + body + "\n"
        elif k < 0.90:
            m = head + ('Content-Type: multipart/alternative; boundary="b%d"\n\n--b%d\n'
                        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n%s\n"
                        "--b%d\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
                        "%s\n--b%d--\n" % (i, i, quopri.encodestring(body.encode()).decode(), i,
                                          quopri.encodestring(html_of(body).encode()).decode(), i))
        else:
            blob = bytes(r.getrandbits(8) for _ in range(r.randint(20000, 100000)))
            m = head + ('Content-Type: multipart/mixed; boundary="m%d"\n\n--m%d\n'
                        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n"
                        "--m%d\nContent-Type: application/pdf; name=\"vedlegg%d.pdf\"\n"
                        "Content-Transfer-Encoding: base64\n\n%s\n--m%d--\n" % (i, i, body, i, i, b64(blob), i))
        m = m.replace("\nFrom ", "\n>From ")
        f.write("From kunde%d@example.no Mon Nov 23 10:00:00 2026\n" % i + m + "\n")
        written += len(m.encode()) + 50
print("wrote %s: %d messages" % (out, i))

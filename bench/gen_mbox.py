#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Generates a deterministic mbox for the mail benchmark from the ticket text
corpus: messages of 2-50 KB of ticket prose wrapped the ways mail really
comes — quoted-printable UTF-8 text (40 %), base64 text (15 %), 8bit text
(15 %), multipart/alternative with a QP HTML part (20 %), and multipart/mixed
with a PDF attachment of 4-20 KB of ticket text, 1-5 pages (10 %; before 2026-12-05 these
were 20-100 KB of random bytes, which no extractor can read: with the helpers installed the
scan exited 2 and the benchmark measured every attachment skipped).
Usage: gen_mbox.py TEXT_CORPUS OUT MEGABYTES [SEED]"""
import base64
import os
import quopri
import random
import sys
import tempfile

from text_chunks import TextChunks

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "attach"))
import gen_docs  # noqa: E402

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


def pdf_of(t):
    """A PDF of text t: lines of at most 90 characters, 45 to a page."""
    lines = []
    for para in t.split("\n"):
        para = para.encode("latin-1", "replace").decode("latin-1")
        while len(para) > 90:
            cut = para.rfind(" ", 0, 90)
            cut = cut if cut > 0 else 90
            lines.append(para[:cut])
            para = para[cut:].lstrip()
        lines.append(para)
    pages = [lines[k:k + 45] for k in range(0, len(lines), 45)] or [[""]]
    fd, path = tempfile.mkstemp(suffix=".pdf")
    os.close(fd)
    gen_docs.pdf(path, pages)
    with open(path, "rb") as pf:
        data = pf.read()
    os.unlink(path)
    return data


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
            blob = pdf_of(chunk(r.randint(4000, 20000)))  # 1-5 pages
            m = head + ('Content-Type: multipart/mixed; boundary="m%d"\n\n--m%d\n'
                        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n%s\n"
                        "--m%d\nContent-Type: application/pdf; name=\"vedlegg%d.pdf\"\n"
                        "Content-Transfer-Encoding: base64\n\n%s\n--m%d--\n" % (i, i, body, i, i, b64(blob), i))
        m = m.replace("\nFrom ", "\n>From ")
        f.write("From kunde%d@example.no Mon Nov 23 10:00:00 2026\n" % i + m + "\n")
        written += len(m.encode()) + 50
print("wrote %s: %d messages" % (out, i))

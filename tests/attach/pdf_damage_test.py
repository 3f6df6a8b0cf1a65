#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A PDF whose page content or fonts cannot be decoded is partly scanned
(exit 2), never a pass (hostile review: the helper failed open). (a) the font
dictionary damaged by one byte ("<<" -> "<\\x01"): exit 2 as a file and inside
a mail, where the undamaged file finds no.fnr (exit 1); (b) the page's content
stream replaced by zero bytes of the same length: exit 2 with the page named,
and no "text in images" note (the page has no image); both in batch: exit 2,
listed as errors, not counted as "image (no --ocr)"; (c) a PDF whose xref
qpdf has to repair but whose pages decode still finds the id (exit 1);
(d) 30 seeded 1-3 byte mutations (past the header) of a generated PDF with
an id: each either finds the id or exits 2, never 0.

usage: pdf_damage_test.py NORDPII"""
import email.message
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_docs as g  # noqa: E402

NORDPII = sys.argv[1]
import checklib  # noqa: E402
checklib.NORDPII = NORDPII
check, scan = checklib.check, checklib.scan
failures = checklib.failures
FNR = "15108695088"  # synthetic, valid (spec/examples.json)


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


def mail(path, pdf_bytes):
    m = email.message.EmailMessage()
    m["From"] = "a@example.org"
    m["To"] = "b@example.org"
    m["Subject"] = "vedlegg"
    m.set_content("Se vedlegg.")
    m.add_attachment(pdf_bytes, maintype="application", subtype="pdf", filename="a.pdf")
    return write(path, bytes(m))


def main():
    d = tempfile.mkdtemp(prefix="nordpii-pdfdamage-")
    good = os.path.join(d, "good.pdf")
    g.pdf(good, [["Fødselsnummer: " + FNR]])
    src = open(good, "rb").read()
    rc, out, err = scan(good)
    check(rc == 1 and "no.fnr" in out, "undamaged PDF: no.fnr, exit 1 (rc=%d)" % rc)
    check(FNR not in out + err, "no raw id without --reveal")

    # (a) the font dictionary (object 3) damaged by one byte
    i = src.index(b"3 0 obj\n<<") + len(b"3 0 obj\n")
    font = write(os.path.join(d, "font.pdf"), src[:i + 1] + b"\x01" + src[i + 2:])
    rc, out, err = scan(font)
    check(rc == 2, "damaged font dictionary: exit 2 (rc=%d)" % rc)
    check("page 1" in out + err, "damaged font dictionary: page 1 named")
    rc, out, err = scan(mail(os.path.join(d, "font.eml"), open(font, "rb").read()))
    check(rc == 2, "damaged font dictionary in a mail: exit 2 (rc=%d)" % rc)
    rc, out, err = scan(mail(os.path.join(d, "good.eml"), src))
    check(rc == 1 and "no.fnr" in out, "undamaged PDF in a mail: exit 1 (rc=%d)" % rc)

    # (b) the content stream (object 4) replaced by zero bytes
    s = src.index(b"stream\n", src.index(b"4 0 obj")) + len(b"stream\n")
    e = src.index(b"\nendstream", s)
    zero = write(os.path.join(d, "zero.pdf"), src[:s] + b"\0" * (e - s) + src[e:])
    rc, out, err = scan(zero)
    check(rc == 2, "zeroed content stream: exit 2 (rc=%d)" % rc)
    check("page 1" in out + err, "zeroed content stream: page 1 named")
    check("--ocr" not in out + err, "zeroed content stream: no 'text in images' note")

    # (a) and (b) in batch: exit 2, both listed as errors, neither counted as an image
    bd = os.path.join(d, "batch")
    os.mkdir(bd)
    write(os.path.join(bd, "font.pdf"), open(font, "rb").read())
    write(os.path.join(bd, "zero.pdf"), open(zero, "rb").read())
    rep = os.path.join(d, "report")
    p = subprocess.run([NORDPII, "batch", "--report", rep, bd], capture_output=True, timeout=120)
    summary = open(os.path.join(rep, "summary.json"), encoding="utf-8").read()
    check(p.returncode == 2, "batch: exit 2 (rc=%d)" % p.returncode)
    check(summary.count("not read (its content or fonts cannot be decoded)") == 2, "batch: both PDFs listed as errors")
    check("image (no --ocr)" not in summary, "batch: nothing counted as 'image (no --ocr)'")

    # (c) a wrong startxref offset: qpdf repairs the xref, the page decodes
    j = src.rindex(b"startxref\n") + len(b"startxref\n")
    k = src.index(b"\n", j)
    moved = write(os.path.join(d, "xref.pdf"), src[:j] + b"7" + src[k:])
    rc, out, err = scan(moved)
    check(rc == 1 and "no.fnr" in out, "repaired xref: still no.fnr, exit 1 (rc=%d)" % rc)

    # (d) seeded mutations: find the id or exit 2, never 0
    rng = random.Random(20261203)
    bad = []
    for n in range(30):
        b = bytearray(src)
        for _ in range(rng.randint(1, 3)):
            # past the header: a file whose "%PDF-" is damaged is not sniffed as
            # a PDF at all (extractor.cc), which is not this helper's case
            b[rng.randrange(16, len(b))] = rng.randrange(256)
        p = write(os.path.join(d, "m%02d.pdf" % n), bytes(b))
        rc, out, err = scan(p)
        if not ((rc == 1 and "no.fnr" in out) or rc == 2):
            bad.append("m%02d rc=%d" % (n, rc))
    check(not bad, "30 mutations: each finds no.fnr or exits 2 (%s)" % ", ".join(bad))
    # (e) a damaged "%PDF-" header: still read as a PDF (extractor.cc), so the
    # id is found or the file is an error; never printable runs and exit 0
    hdr = []
    for n, junk in enumerate([b"%PDX", b"%pdf", b"\0PDF", b"XXXX"]):
        p = write(os.path.join(d, "h%d.pdf" % n), junk + src[4:])
        rc, out, err = scan(p)
        if not ((rc == 1 and "no.fnr" in out) or rc == 2):
            hdr.append("h%d rc=%d" % (n, rc))
    check(not hdr, "damaged header: each finds no.fnr or exits 2 (%s)" % ", ".join(hdr))

    if failures:
        print("%d failure(s)" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

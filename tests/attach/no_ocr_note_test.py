#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Images while OCR is off (issue 16): an image file and an image attachment
(a PNG with a text chunk, so its printable runs are scanned) are not read for
their text, and the report says so — a note per image (`… not read: text in
images is read only with --ocr`), counted in the batch summary's
`attachments_not_scanned` as "image (no --ocr)". Exit status unchanged (0).
A PDF page without a text layer (a scan: under 200 non-blank characters of
text) gets the same kind of note, one per document naming the pages
(`pdf:page 2 not read: …`), as a file, as a mail attachment and in batch.

usage: no_ocr_note_test.py NORDPII"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import zlib
import struct

NORDPII = sys.argv[1]
NOTE = "not read: text in images is read only with --ocr"
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def png(path, text):
    def chunk(t, b):
        return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
    raw = b"".join(b"\0" + b"\xff" * 8 for _ in range(8))
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)) +
            chunk(b"tEXt", b"Comment\0" + text.encode()) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(data)


def scanned_pdf(path):
    """Two pages: page 1 a text layer (over 200 characters), page 2 only an
    image (a scan, no text). Uncompressed, written by hand (no PIL needed)."""
    line = "(Dette er en vanlig side med tekst i et tekstlag.) Tj 0 -14 Td "
    c1 = ("BT /F1 11 Tf 30 800 Td " + line * 10 + "ET").encode("latin-1")
    w = h = 64
    img = bytes((x * 4) & 0xff for _ in range(h) for x in range(w))
    c2 = b"q 400 0 0 400 100 300 cm /Im0 Do Q"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
        b"/Resources << /Font << /F1 7 0 R >> >> >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 6 0 R "
        b"/Resources << /XObject << /Im0 8 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(c1) + c1 + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(c2) + c2 + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Length %d >>\nstream\n" % (w, h, len(img)) + img + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offs) + 1, xref)
    with open(path, "wb") as f:
        f.write(bytes(out))


def run(args):
    p = subprocess.run([NORDPII] + args, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def main():
    d = tempfile.mkdtemp(prefix="nordpii-noocr-")
    files = os.path.join(d, "in")
    os.makedirs(files)
    img = os.path.join(files, "skann.png")
    png(img, "Skannet av kontoret")
    rc, out, err = run(["scan", "--format", "jsonl", img])
    notes = [json.loads(l) for l in out.splitlines() if '"event":"note"' in l]
    check(rc == 0 and any(n["text"].endswith(NOTE) for n in notes), "image file without --ocr: a note (exit %d)" % rc)
    rc, out, err = run(["scan", "--format", "text", img])
    check(NOTE in out + err, "image file without --ocr: the note in the text output")
    eml = os.path.join(files, "bilde.eml")
    with open(eml, "w") as f:
        f.write("From: a@example.no\nTo: b@example.no\nSubject: bilde\nMIME-Version: 1.0\n"
                "Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nSe bilde.\n--B\n"
                "Content-Type: image/png; name=\"skann.png\"\nContent-Transfer-Encoding: base64\n\n%s--B--\n"
                % base64.encodebytes(open(img, "rb").read()).decode())
    rc, out, err = run(["scan", "--format", "jsonl", eml])
    notes = [json.loads(l) for l in out.splitlines() if '"event":"note"' in l]
    check(rc == 0 and any(n["text"].endswith("image/png attachment " + NOTE) for n in notes),
          "image attachment without --ocr: a note naming the part (exit %d, %s)" % (rc, [n["text"] for n in notes]))
    rep = os.path.join(d, "rep")
    rc, out, err = run(["batch", "--report", rep, files])
    summary = json.load(open(os.path.join(rep, "summary.json")))
    check(summary.get("attachments_not_scanned", {}).get("image (no --ocr)") == 2,
          "batch summary counts both images as not scanned: %s" % summary.get("attachments_not_scanned"))
    # A scanned PDF page (no text layer) without --ocr: the same kind of note.
    pdfs = os.path.join(d, "pdf")
    os.makedirs(pdfs)
    pdf = os.path.join(pdfs, "skannet.pdf")
    scanned_pdf(pdf)
    rc, out, err = run(["scan", "--format", "jsonl", pdf])
    notes = [json.loads(l)["text"] for l in out.splitlines() if '"event":"note"' in l]
    check(rc == 0 and notes == ["pdf:page 2 " + NOTE],
          "scanned PDF page without --ocr: a note naming the page, exit 0 (exit %d, %s)" % (rc, notes))
    rc, out, err = run(["scan", "--format", "text", pdf])
    check(rc == 0 and ("pdf:page 2 " + NOTE) in out + err, "scanned PDF page: the note in the text output")
    with open(os.path.join(pdfs, "pdf.eml"), "w") as f:
        f.write("From: a@example.no\nTo: b@example.no\nSubject: skann\nMIME-Version: 1.0\n"
                "Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nSe vedlegg.\n--B\n"
                "Content-Type: application/pdf; name=\"skannet.pdf\"\nContent-Transfer-Encoding: base64\n\n%s--B--\n"
                % base64.encodebytes(open(pdf, "rb").read()).decode())
    rc, out, err = run(["scan", "--format", "jsonl", os.path.join(pdfs, "pdf.eml")])
    notes = [json.loads(l)["text"] for l in out.splitlines() if '"event":"note"' in l]
    check(rc == 0 and notes == ["part 2: attachment pdf:page 2 " + NOTE],
          "scanned PDF attachment without --ocr: a note naming the part and page (exit %d, %s)" % (rc, notes))
    rep = os.path.join(d, "rep-pdf")
    rc, out, err = run(["batch", "--report", rep, pdfs])
    summary = json.load(open(os.path.join(rep, "summary.json")))
    check(rc == 0 and summary.get("attachments_not_scanned", {}).get("image (no --ocr)") == 2,
          "batch summary counts the PDF file and the PDF attachment (exit %d): %s"
          % (rc, summary.get("attachments_not_scanned")))
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("all ok")


if __name__ == "__main__":
    main()

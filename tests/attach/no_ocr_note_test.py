#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Images while OCR is off (issue 16): an image file and an image attachment
(a PNG with a text chunk, so its printable runs are scanned) are not read for
their text, and the report says so — a note per image (`… not read: text in
images is read only with --ocr`), counted in the batch summary's
`attachments_not_scanned` as "image (no --ocr)". Exit status unchanged (0).
A PDF page without a text layer (a scan: under 200 non-blank characters of
text) gets the same kind of note, one per document naming the pages
(`pdf:page 2 not read: …`), as a file, as a mail attachment and in batch —
only if the page has an image (an image XObject or an inline image): a
one-line letter or a blank page gets no note. Raster pictures inside an
OOXML/ODF document: one note with their number (`docx:2 pictures not read: …`).
The milter (a real `nordpii milter` over the milter protocol) says which
parts were not read — `not_read=2:image` in its log line, `not-read=2:pdf`
in a verdict header it adds (flag), and with `limits.not_read = "header"` in
one added to a message it accepts otherwise; never a file name or MIME type.

usage: no_ocr_note_test.py NORDPII"""
import base64
import json
import os
import sys
import tempfile
import zlib
import struct

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_docs as g  # noqa: E402  (the hand-written PDF writer, docx/odt)

NORDPII = sys.argv[1]
import checklib  # noqa: E402
checklib.NORDPII = NORDPII
check, failures = checklib.check, checklib.failures
NOTE = "not read: text in images is read only with --ocr"


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
        g.grey_image_obj(),
    ]
    g.write_pdf(path, objs)


def milter_checks(d, mails):
    """mails: {name: (path, want not-read entry)}."""
    import attach_test as t
    for mode in ("log", "header"):
        pol = os.path.join(d, "policy-%s.toml" % mode)
        with open(pol, "w") as f:
            f.write('[limits]\nnot_read = "%s"\n[[rule]]\nname = "ids"\ncategories = ["national-id"]\n'
                    'action = "flag"\n' % mode)
        log = os.path.join(d, "milter-%s.log" % mode)
        env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
        with open(log, "w") as lf:
            proc, port = t.start_milter(pol, stderr=lf, env=env)
        try:
            headers = {}
            for name, (path, want) in mails.items():
                r = t.milter_message(port, open(path, "rb").read())
                hs = [dd for c, dd in r if c == b"h"]
                headers[name] = b"".join(hs).decode("utf-8", "replace")
                final = r[-1][0]
                if name == "flagged":  # an id in the text, an image attachment: flag names the image
                    check(final == b"c" and ("; not-read=%s;" % want) in headers[name].rstrip("\0") + ";" and
                          headers[name].startswith("X-Nordpii-Verdict\0 flag;"),
                          "milter (%s): a flagged message's verdict header says not-read=%s (%r)" %
                          (mode, want, headers[name][:160]))
                elif mode == "header":
                    check(final == b"c" and headers[name].startswith("X-Nordpii-Verdict\0 accept;") and
                          headers[name].rstrip("\0").endswith("; not-read=%s" % want),
                          "milter (not_read = header): accepted %s gets a verdict header not-read=%s (%r)" %
                          (name, want, headers[name][:160]))
                else:
                    check(final == b"c" and headers[name] == "",
                          "milter (not_read = log): accepted %s unchanged, no header (%r)" % (name, headers[name][:120]))
            # (A text message: since review22 a PNG relabelled text/plain is a picture, not text.)
            r = t.milter_message(port, b"From: a@example.no\r\nTo: b@example.no\r\nSubject: ren\r\n"
                                       b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
                                       b"Hei, her er ingen vedlegg.\r\n")
            check(not any(c == b"h" for c, _d in r), "milter (%s): a message read whole gets no not-read" % mode)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        text = open(log, encoding="utf-8", errors="replace").read()
        lines = [l for l in text.splitlines() if "nordpii milter: queue=" in l]
        for name, (_p, want) in mails.items():
            check(any(("not_read=" + want) in l for l in lines),
                  "milter log (%s) names the part not read: not_read=%s" % (mode, want))
        check(len(lines) == len(mails) + 1 and sum("not_read=" in l for l in lines) == len(mails),
              "milter log (%s): one line per message, not_read only where something was not read" % mode)
        check("skann" not in text and "skjema" not in text and "image/png" not in text and "skann" not in "".join(headers.values()),
              "milter (%s): no file name or MIME type in the log or the headers" % mode)


def simple_pdf(path, pages):
    """pages: content streams (bytes), each page with Helvetica as /F1 and
    the 64x64 grey image as /Im0 in its resources only if it uses it."""
    n = len(pages)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % (5 + 2 * i) for i in range(n)), n),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            g.grey_image_obj()]
    for c in pages:
        res = b"/Font << /F1 3 0 R >>" + (b" /XObject << /Im0 4 0 R >>" if b"/Im0" in c else b"")
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R /Resources << %s >> >>"
                    % (len(objs) + 2, res))
        objs.append(b"<< /Length %d >>\nstream\n" % len(c) + c + b"\nendstream")
    g.write_pdf(path, objs)


def short_pdfs(d):
    """Pages with little text: only those with an image are scans (a note);
    a one-line letter, a blank page and a page with a few words are not."""
    letter = b"BT /F1 11 Tf 50 780 Td (Hei, takk for sist. Hilsen Kari) Tj ET"
    scan = b"q 400 0 0 400 100 300 cm /Im0 Do Q BT /F1 8 Tf 30 15 Td (Side 2) Tj ET"
    inline = (b"q 400 0 0 400 100 300 cm BI /W 8 /H 8 /CS /G /BPC 8 ID " + bytes(range(64)) + b" EI Q")
    cases = {
        "letter.pdf": ([letter], []),
        "blank.pdf": ([b"", letter], []),
        "scan.pdf": ([letter, scan], [2]),
        "inline.pdf": ([inline, letter], [1]),
    }
    for name, (pages, want) in cases.items():
        p = os.path.join(d, name)
        simple_pdf(p, pages)
        rc, notes = scan_notes(p)
        expect = ["pdf:%s %s" % ("page %d" % want[0] if len(want) == 1 else "pages " + ", ".join(map(str, want)), NOTE)] \
            if want else []
        check(rc == 0 and notes == expect, "%s: a note only for pages with little text and an image, %s (exit %d, %s)"
              % (name, want or "none", rc, notes))


def mail_with(path, subject, text, ctype, name, doc):
    """A two-part message: `text`, then the file `doc` base64 as `ctype`
    named `name` (no Content-Disposition)."""
    with open(path, "w") as f:
        f.write("From: a@example.no\nTo: b@example.no\nSubject: %s\nMIME-Version: 1.0\n"
                "Content-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n%s\n--B\n"
                "Content-Type: %s; name=\"%s\"\nContent-Transfer-Encoding: base64\n\n%s--B--\n"
                % (subject, text, ctype, name, base64.encodebytes(open(doc, "rb").read()).decode()))


def scan_notes(path):
    """`scan --format jsonl path`: (exit status, the notes' texts)."""
    rc, out, _err = run(["scan", "--format", "jsonl", path])
    return rc, [json.loads(l)["text"] for l in out.splitlines() if '"event":"note"' in l]


def batch_not_scanned(rep, path):
    """`batch --report rep path`: (exit status, summary.json's attachments_not_scanned)."""
    rc, _out, _err = run(["batch", "--report", rep, path])
    return rc, json.load(open(os.path.join(rep, "summary.json"))).get("attachments_not_scanned", {})


def run(args):
    return checklib.run(args, timeout=60)


def main():
    d = tempfile.mkdtemp(prefix="nordpii-noocr-")
    files = os.path.join(d, "in")
    os.makedirs(files)
    img = os.path.join(files, "skann.png")
    png(img, "Skannet av kontoret")
    rc, notes = scan_notes(img)
    check(rc == 0 and any(n.endswith(NOTE) for n in notes), "image file without --ocr: a note (exit %d)" % rc)
    rc, out, err = run(["scan", "--format", "text", img])
    check(NOTE in out + err, "image file without --ocr: the note in the text output")
    eml = os.path.join(files, "bilde.eml")
    mail_with(eml, "bilde", "Se bilde.", "image/png", "skann.png", img)
    rc, notes = scan_notes(eml)
    check(rc == 0 and any(n.endswith("image/png attachment " + NOTE) for n in notes),
          "image attachment without --ocr: a note naming the part (exit %d, %s)" % (rc, notes))
    rep = os.path.join(d, "rep")
    rc, skipped = batch_not_scanned(rep, files)
    check(skipped.get("image (no --ocr)") == 2,
          "batch summary counts both images as not scanned: %s" % skipped)
    # A scanned PDF page (no text layer) without --ocr: the same kind of note.
    pdfs = os.path.join(d, "pdf")
    os.makedirs(pdfs)
    pdf = os.path.join(pdfs, "skannet.pdf")
    scanned_pdf(pdf)
    rc, notes = scan_notes(pdf)
    check(rc == 0 and notes == ["pdf:page 2 " + NOTE],
          "scanned PDF page without --ocr: a note naming the page, exit 0 (exit %d, %s)" % (rc, notes))
    rc, out, err = run(["scan", "--format", "text", pdf])
    check(rc == 0 and ("pdf:page 2 " + NOTE) in out + err, "scanned PDF page: the note in the text output")
    mail_with(os.path.join(pdfs, "pdf.eml"), "skann", "Se vedlegg.", "application/pdf", "skannet.pdf", pdf)
    rc, notes = scan_notes(os.path.join(pdfs, "pdf.eml"))
    check(rc == 0 and notes == ["part 2: attachment pdf:page 2 " + NOTE],
          "scanned PDF attachment without --ocr: a note naming the part and page (exit %d, %s)" % (rc, notes))
    rep = os.path.join(d, "rep-pdf")
    rc, skipped = batch_not_scanned(rep, pdfs)
    check(rc == 0 and skipped.get("image (no --ocr)") == 2,
          "batch summary counts the PDF file and the PDF attachment (exit %d): %s"
          % (rc, skipped))
    short_pdfs(pdfs)
    # Raster pictures inside a document (a scanned form pasted into Word):
    # one note per document with their number, no names.
    import zipfile
    pics = os.path.join(d, "pics")
    os.makedirs(pics)
    docx = os.path.join(pics, "skjema.docx")
    g.docx(docx, ["Skjema vedlagt."])
    with zipfile.ZipFile(docx, "a") as z:
        z.writestr("word/media/image1.png", open(img, "rb").read())
        z.writestr("word/media/image2.png", open(img, "rb").read())
        z.writestr("word/media/image3.emf", b"\x01\0\0\0" + b"\0" * 60)  # vector: read by its text
    rc, notes = scan_notes(docx)
    check(rc == 0 and notes == ["docx:2 pictures " + NOTE],
          "docx with 2 raster pictures without --ocr: one note with their number (exit %d, %s)" % (rc, notes))
    odt = os.path.join(pics, "brev.odt")
    g.odt(odt, ["Brev."])
    with zipfile.ZipFile(odt, "a") as z:
        z.writestr("Pictures/1000.png", open(img, "rb").read())
    deml = os.path.join(pics, "docx.eml")
    mail_with(deml, "skjema", "Se vedlegg.",
              "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "skjema.docx", docx)
    rc, notes = scan_notes(deml)
    check(rc == 0 and notes == ["part 2: attachment docx:2 pictures " + NOTE],
          "docx attachment with pictures without --ocr: a note naming the part (exit %d, %s)" % (rc, notes))
    rep = os.path.join(d, "rep-pics")
    rc, skipped = batch_not_scanned(rep, pics)
    check(rc == 0 and skipped.get("image (no --ocr)") == 3,
          "batch summary counts the docx, the odt and the docx attachment (exit %d): %s"
          % (rc, skipped))

    # The milter: which parts it did not read, in its log and verdict header.
    flagged = os.path.join(d, "flagged.eml")
    with open(flagged, "w") as f:
        f.write(open(eml).read().replace("Se bilde.", "Fødselsnummer 15108695088, se bilde."))
    milter_checks(d, {"image": (eml, "2:image"), "pdf": (os.path.join(pdfs, "pdf.eml"), "2:pdf"),
                      "docx": (deml, "2:docx"), "flagged": (flagged, "2:image")})
    checklib.finish()


if __name__ == "__main__":
    main()

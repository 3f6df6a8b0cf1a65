#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A PDF (or OLE2 Word file) recognised by its bytes, whatever its name or
type says (review 2026-12-03 night: a PDF named .txt, .eml, .csv, with no
name, on stdin, in a tar, or sent in mail as text/plain or application/json
was scanned as text and passed with exit 0 -- the id sits in a compressed
stream). Each must find the id (exit 1), or be an error (exit 2) when it
cannot be read; redact refuses it (exit 2, nothing written); batch with
the file split into ranges finds the id once. Bytes a PDF reader ignores
(before "%PDF-", after the last "%%EOF": appended text or a zip) are read as
text, or are an error (exit 2) when binary; padding (blanks, NULs) is not.

An RTF file named .txt or with no name is read as RTF (before: taken for
JSON by its "{" and refused as not valid JSON).

usage: pdf_by_bytes_test.py NORDPII"""
import base64
import os
import shutil
import sys
import tarfile
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_docs as g  # noqa: E402

NORDPII = sys.argv[1]
import checklib  # noqa: E402
checklib.NORDPII = NORDPII
check, run = checklib.check, checklib.run
failures = checklib.failures
FNR = "15108695088"  # synthetic, valid (spec/examples.json)


def mail_with(path, pdf, ctype):
    b64 = base64.encodebytes(pdf).decode()
    with open(path, "w") as f:
        f.write("Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\n--BB\n"
                "Content-Type: text/plain\n\nhei\n--BB\nContent-Type: %s\n"
                "Content-Disposition: attachment; filename=vedlegg.pdf\nContent-Transfer-Encoding: base64\n\n"
                "%s--BB--\n" % (ctype, b64))
    return path


def main():
    d = tempfile.mkdtemp(prefix="nordpii-pdfbytes-")
    try:
        good = os.path.join(d, "good.pdf")
        g.pdf(good, [["Kunde fnr " + FNR]])
        pdf = open(good, "rb").read()
        g.doc(os.path.join(d, "d.doc"), ["Kunde fnr " + FNR])
        ole = open(os.path.join(d, "d.doc"), "rb").read()
        g.pdf(os.path.join(d, "t.pdf"), [["Kunde fnr " + FNR]], truncate=True)
        truncated = open(os.path.join(d, "t.pdf"), "rb").read()
        files = {"pdf-as.txt": pdf, "pdf-noext": pdf, "pdf-as.eml": pdf, "pdf-as.csv": pdf, "pdf-as.jsonl": pdf,
                 "junk-before.txt": b"x" * 500 + b"\n" + pdf, "doc-as.txt": ole,
                 "rtf-as.txt": b"{\\rtf1\\ansi Kunde fnr \\b " + FNR.encode() + b"\\b0\\par}",
                 "rtf-noext": b"{\\rtf1\\ansi Kunde fnr \\b " + FNR.encode() + b"\\b0\\par}",
                 # Text that only mentions a PDF header (no object, no binary
                 # comment after it) is text, not a damaged PDF (review).
                 "pdf-mention.md": b"# notes\nOur generator writes %PDF-1.7 headers.\nKunde fnr " + FNR.encode() + b"\n",
                 "pdf-mention-start.txt": b"%PDF-1.4 discussion\nKunde fnr " + FNR.encode() + b"\n",
                 # RTF text a reader hides is read too (review: exit 0 before):
                 # ignorable destinations, hidden text, field instructions.
                 "rtf-generator.txt": b"{\\rtf1 hello {\\*\\generator fnr " + FNR.encode() + b"} x}",
                 "rtf-hidden.rtf": b"{\\rtf1 a \\v " + FNR.encode() + b"\\v0 b}",
                 "rtf-fldinst.rtf": b"{\\rtf1 {\\field{\\*\\fldinst HYPERLINK \"https://x/?fnr=" + FNR.encode() +
                                    b"\"}{\\fldrslt link}}}"}
        for name, data in files.items():
            p = os.path.join(d, name)
            with open(p, "wb") as f:
                f.write(data)
            rc, out, _ = run(["scan", "--format", "jsonl", p])
            check(rc == 1 and '"no.fnr"' in out, "scan %s: the id found by the bytes (rc %d)" % (name, rc))
        bad = os.path.join(d, "truncated.txt")
        with open(bad, "wb") as f:
            f.write(truncated)
        rc, _, err = run(["scan", bad])
        check(rc == 2 and "not scanned" in err, "a damaged PDF named .txt: exit 2, not scanned (rc %d)" % rc)
        rc, out, _ = run(["scan", "--format", "jsonl", "-"], stdin=pdf)
        check(rc == 1 and '"no.fnr"' in out, "scan - < PDF: the id found (rc %d)" % rc)
        tar = os.path.join(d, "a.tar")
        with tarfile.open(tar, "w") as t:
            t.add(os.path.join(d, "pdf-as.txt"), "member.txt")
            t.add(os.path.join(d, "doc-as.txt"), "member2.dat")
        rc, out, _ = run(["scan", "--format", "jsonl", tar])
        check(rc == 1 and out.count('"no.fnr"') == 2, "tar members named .txt/.dat: both ids found (rc %d)" % rc)
        # batch, the files split into 100-byte ranges: one finding each
        bd = os.path.join(d, "batch")
        os.mkdir(bd)
        for n in ("pdf-as.txt", "pdf-noext", "doc-as.txt"):
            shutil.copy(os.path.join(d, n), bd)
        rep = os.path.join(d, "rep")
        rc, _, _ = run(["batch", bd, "--report", rep, "-q"], env={"NORDPII_RANGE_BYTES": "100"})
        lines = open(os.path.join(rep, "findings.jsonl")).read().splitlines() if os.path.exists(rep) else []
        check(rc == 1 and len(lines) == 3, "batch, ranges of 100 bytes: 3 findings (rc %d, %d)" % (rc, len(lines)))
        # redact refuses a document by its bytes
        out_path = os.path.join(d, "out.txt")
        rc, _, err = run(["redact", os.path.join(d, "pdf-as.txt"), "-o", out_path])
        check(rc == 2 and not os.path.exists(out_path) and "cannot be redacted" in err,
              "redact PDF named .txt: exit 2, nothing written (rc %d)" % rc)
        rc, out, err = run(["redact"], stdin=pdf)
        check(rc == 2 and out == "" and "cannot be redacted" in err, "redact < PDF: exit 2, nothing written (rc %d)" % rc)
        # mail: a PDF sent as text/plain or application/json
        for ctype in ("text/plain", "application/json", "text/plain; charset=utf-8"):
            m = mail_with(os.path.join(d, "m.eml"), pdf, ctype)
            rc, out, _ = run(["scan", "--format", "jsonl", m])
            check(rc == 1 and "pdf:page 1" in out, "mail, PDF as %s: found in the PDF page (rc %d)" % (ctype, rc))
            red = os.path.join(d, "r.eml")
            rc, _, _ = run(["redact", m, "-o", red])
            body = open(red).read() if os.path.exists(red) else ""
            check(rc == 0 and "attachments-replaced=1" in body and "JVBERi0" not in body,
                  "redact mail, PDF as %s: the part replaced (rc %d)" % (ctype, rc))
        # bytes outside the PDF (before %PDF-, after the last %%EOF): text
        # scanned, binary (an appended zip) is exit 2, padding is nothing
        g.pdf(os.path.join(d, "clean.pdf"), [["hei"]])
        clean = open(os.path.join(d, "clean.pdf"), "rb").read()
        zpath = os.path.join(d, "z.zip")
        import zipfile
        with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("a.txt", "fnr " + FNR)
        for name, data, want in (("text-after.pdf", clean + b"\nfnr " + FNR.encode() + b"\n", 1),
                                 ("text-before.pdf", b"fnr " + FNR.encode() + b"\n" + b"x" * 2000 + b"\n" + clean, 1),
                                 ("zip-after.pdf", clean + open(zpath, "rb").read(), 2),
                                 ("padding.pdf", clean + b"\r\n\0\0  \n", 0)):
            p = os.path.join(d, name)
            with open(p, "wb") as f:
                f.write(data)
            rc, out, err = run(["scan", "--format", "jsonl", p])
            check(rc == want and (want != 1 or "outside the PDF" in out) and (want != 2 or "appended data" in err),
                  "%s: exit %d (rc %d)" % (name, want, rc))
            m = mail_with(os.path.join(d, "m.eml"), data, "application/pdf")
            rc, out, err = run(["scan", "--format", "jsonl", m])
            check(rc == want, "%s in mail: exit %d (rc %d)" % (name, want, rc))
    finally:
        shutil.rmtree(d, ignore_errors=True)
    checklib.finish()


main()

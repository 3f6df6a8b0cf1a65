#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Attachments known by their bytes, not their type or name (review22).

- A gzip, xz or bzip2 attachment (a log file "logg.txt.gz", typed
  application/gzip or application/octet-stream) is decompressed in the
  extract helper and its text scanned: the ids in it are found (field
  "compressed:file"); a tar.gz attachment is read member by member.
  Before, its printable runs were scanned and the compressed text never
  read: exit 0 with ids inside. A gzip cut short is an error (exit 2).
- A gzip inside a zip attachment is read too.
- A picture inside a zip attachment, a PNG sent as application/octet-stream
  ("bilde.dat") or as text/plain, is a picture not read while OCR is off: a
  note, and with `--not-read error` exit 2 (before: exit 0, no note).
- With --ocr, such a PNG is read by OCR (when the OCR helper is built).

usage: sniffed_test.py NORDPII"""
import base64
import bz2
import gzip
import io
import lzma
import os
import sys
import tarfile
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checklib  # noqa: E402
checklib.NORDPII = sys.argv[1]
check, run = checklib.check, checklib.run

TMP = tempfile.mkdtemp(prefix="nordpii-sniffed-")
FNR, CPR = "15108695088", "0707614285"   # synthetic, checksums valid
TEXT = ("Logg fra kundesenteret\n" + "".join(
    "linje %d: fødselsnummer %s, CPR-nummer %s\n" % (i, FNR, CPR) for i in range(3))).encode()


png_bytes = checklib.png_bytes


def mail(name, ctype, filename, data, b64=True):
    body = base64.encodebytes(data).decode() if b64 else data.decode("latin-1")
    m = ("From: a@example.no\nTo: b@example.no\nSubject: vedlegg\nMIME-Version: 1.0\n"
         "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain\n\nHei\n\n"
         "--b1\nContent-Type: %s\nContent-Disposition: attachment; filename=\"%s\"\n"
         "Content-Transfer-Encoding: %s\n\n%s\n--b1--\n" % (ctype, filename, "base64" if b64 else "8bit", body))
    p = os.path.join(TMP, name)
    with open(p, "w", encoding="latin-1") as f:
        f.write(m)
    return p


def findings(out):
    return [l for l in out.splitlines() if '"type"' in l and ('"no.fnr"' in l or '"dk.cpr"' in l)]


def tgz():
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz") as t:
        for n, d in (("logs/a.txt", TEXT), ("logs/b.bin", bytes(range(256)) * 4)):
            i = tarfile.TarInfo(n)
            i.size = len(d)
            t.addfile(i, io.BytesIO(d))
    return b.getvalue()


def zip_of(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in members:
            z.writestr(n, d)
    return b.getvalue()


# 1. compressed attachments: the ids inside are found
for name, ctype, fn, data in [
        ("gz.eml", "application/gzip", "logg.txt.gz", gzip.compress(TEXT)),
        ("gz-octet.eml", "application/octet-stream", "logg.dat", gzip.compress(TEXT)),
        ("xz.eml", "application/x-xz", "logg.txt.xz", lzma.compress(TEXT)),
        ("bz2.eml", "application/x-bzip2", "logg.txt.bz2", bz2.compress(TEXT)),
        ("tgz.eml", "application/gzip", "logger.tar.gz", tgz()),
        ("zipgz.eml", "application/zip", "pakke.zip", zip_of([("logg.txt.gz", gzip.compress(TEXT))]))]:
    rc, out, err = checklib.scan(mail(name, ctype, fn, data))
    f = findings(out)
    check(rc == 1 and len(f) == 6, "%s: the 6 ids in the compressed text are found (rc %d, %d found)" % (name, rc, len(f)))
    check(FNR not in out + err and CPR not in out + err, "%s: no raw id in the output" % name)
    check(rc != 1 or all("compressed" in l or ".gz" in l for l in f), "%s: findings located in the compressed file" % name)

# a plain (uncompressed) tar attachment: member by member (review22: printable runs only)
plain_tar = io.BytesIO()
with tarfile.open(fileobj=plain_tar, mode="w") as t:
    for n, d in (("logs/a.txt", TEXT), ("logs/b.txt.gz", gzip.compress(TEXT))):
        i = tarfile.TarInfo(n)
        i.size = len(d)
        t.addfile(i, io.BytesIO(d))
rc, out, err = checklib.scan(mail("tar.eml", "application/x-tar", "logger.tar", plain_tar.getvalue()))
f = findings(out)
check(rc == 1 and len(f) == 12 and any("logs/b.txt.gz" in l for l in f),
      "tar.eml: a plain tar attachment is read member by member, a gzip in it too (rc %d, %d found)" % (rc, len(f)))

# a gzip cut short: an error (fail closed), not a pass
whole = gzip.compress(TEXT + os.urandom(4000).hex().encode())  # (random: it does not shrink)
check(len(whole) > 4000, "the gzip to cut is large enough (%d bytes)" % len(whole))
rc, out, err = checklib.scan(mail("gz-cut.eml", "application/gzip", "logg.txt.gz", whole[:len(whole) // 2]))
check(rc == 2, "a gzip attachment cut short is an error, exit 2 (rc %d)" % rc)

# review22's hostile cases (each exit 0 with the id unseen, or a damaged file accepted, before)
two = gzip.compress(b"forste del: fodselsnummer 151086") + gzip.compress(b"95088 og CPR-nummer %s\n" % CPR.encode())
hdr = bytearray(gzip.compress(b"ingenting her\n"))
hdr[3] |= 0x18  # FNAME and FCOMMENT: inserted after the 10-byte header
hdr = bytes(hdr[:10]) + ("%s.txt" % FNR).encode() + b"\0" + ("CPR-nummer %s" % CPR).encode() + b"\0" + bytes(hdr[10:])
bad_crc = bytearray(gzip.compress(TEXT))
bad_crc[-8] ^= 0xFF
eml_b64 = ("From: a@example.no\nTo: b@example.no\nSubject: x\nMIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" +
           base64.encodebytes(TEXT).decode()).encode()
for name, data, want, what in [
        ("gz-two.eml", two, 1, "two gzip members: an id across them found"),
        ("gz-hdr.eml", hdr, 1, "an id in the gzip header's name or comment found"),
        ("gz-zeros.eml", gzip.compress(b"\0" * 512 + TEXT), 1, "512 zero bytes before the text (read as an empty tar before)"),
        ("gz-trail.eml", gzip.compress(b"ren tekst\n") + b"\nfodselsnummer " + FNR.encode() + b"\n", 2,
         "bytes after the gzip stream: an error"),
        ("gz-badcrc.eml", bytes(bad_crc), 2, "a bad CRC: an error"),
        ("gz-bomb.eml", gzip.compress(b"\0" * (300 << 20)), 2, "300 MiB of zeros: over the unpacked budget, an error"),
        ("gz-eml.eml", gzip.compress(eml_b64), 2, "a gzipped message with a base64 body: partly scanned, an error")]:
    rc, out, err = checklib.scan(mail(name, "application/gzip", "x.gz", data))
    check(rc == want, "%s: %s (rc %d, want %d)" % (name, what, rc, want))
    check(FNR not in out + err and CPR not in out + err, "%s: no raw id in the output" % name)
    if want == 1:
        check(len(findings(out)) >= 2 if name != "gz-zeros.eml" else len(findings(out)) == 6, "%s: the ids found" % name)
# the same zero-prefixed gzip as a file: an error, not an empty archive
zf = os.path.join(TMP, "nuller.txt.gz")
with open(zf, "wb") as f:
    f.write(gzip.compress(b"\0" * 512 + TEXT))
rc, out, err = checklib.scan(zf)
check(rc == 2 and "empty tar" in err, "a .gz file whose text starts with 512 zero bytes: exit 2, not an empty tar (rc %d)" % rc)

# redact replaces a compressed attachment with ids
red = os.path.join(TMP, "gz-red.eml")
rc, out, err = run(["redact", "-o", red, os.path.join(TMP, "gz.eml")])
data = open(red, "rb").read() if os.path.exists(red) else b""
check(rc == 0 and b"nordpii-removed-attachment" in data and FNR.encode() not in data,
      "redact replaces the compressed attachment that holds ids (rc %d)" % rc)

# 2. pictures known by their bytes: a note, --not-read error exit 2
png = png_bytes()
_tb = io.BytesIO()
with tarfile.open(fileobj=_tb, mode="w") as t:
    i = tarfile.TarInfo("skjerm.png")
    i.size = len(png)
    t.addfile(i, io.BytesIO(png))
tar_png = _tb.getvalue()
for name, ctype, fn, data, b64 in [
        ("zip-png.eml", "application/zip", "bilder.zip", zip_of([("skjerm.png", png)]), True),
        ("zip-png-noname.eml", "application/zip", "bilder.zip", zip_of([("skjerm", png)]), True),
        ("png-octet.eml", "application/octet-stream", "bilde.dat", png, True),
        ("png-textplain.eml", "text/plain", "bilde.txt", png, True),
        ("tgz-png.eml", "application/gzip", "bilder.tar.gz", gzip.compress(png), True),
        ("tar-png.eml", "application/x-tar", "bilder.tar", tar_png, True)]:
    p = mail(name, ctype, fn, data, b64)
    rc, out, err = checklib.scan(p)
    check(rc == 0 and "not read" in out and "--ocr" in out, "%s: a note that the picture is not read, exit 0 (rc %d)" % (name, rc))
    rc, out, err = checklib.scan(p, "--not-read", "error")
    check(rc == 2 and "not read" in err, "%s: --not-read error: exit 2 with the reason (rc %d)" % (name, rc))
    check(fn not in err and fn not in out, "%s: the file name is not echoed" % name)

# an mbox: the error names the message (review22: it named only the part)
mb = os.path.join(TMP, "to.mbox")
with open(mb, "w", encoding="latin-1") as f:
    for n in ("clean.eml", "png-octet.eml"):
        m = open(mail(n, "text/plain", "x.txt", b"Hei", False) if n == "clean.eml" else os.path.join(TMP, n),
                 encoding="latin-1").read()
        f.write("From a@example.no Thu Dec  3 10:00:00 2026\n" + m + "\n")
rc, out, err = checklib.scan(mb, "--not-read", "error")
check(rc == 2 and "message 2: " in err and "message 1: " not in err,
      "an mbox: the not-read error names message 2 (rc %d, %r)" % (rc, err.strip()))

# 2b. files (scan, batch, stdin, archive members): a picture whose name says nothing
pf = os.path.join(TMP, "skjerm.dat")
with open(pf, "wb") as f:
    f.write(png)
tb = io.BytesIO()
with tarfile.open(fileobj=tb, mode="w") as t:
    i = tarfile.TarInfo("vedlegg/skjerm")
    i.size = len(png)
    t.addfile(i, io.BytesIO(png))
tf = os.path.join(TMP, "bilder.tar")
with open(tf, "wb") as f:
    f.write(tb.getvalue())
for what, args, stdin in [("a PNG file named .dat", ["scan", "--format", "jsonl", pf], None),
                          ("a PNG on stdin", ["scan", "--format", "jsonl", "-"], png),
                          ("a PNG tar member without a name", ["scan", "--format", "jsonl", tf], None)]:
    rc, out, err = run(args, stdin=stdin)
    check(rc == 0 and "image file not read" in out, "%s: noted as an image not read, exit 0 (rc %d)" % (what, rc))
    rc, out, err = run(args[:1] + ["--not-read", "error"] + args[1:], stdin=stdin)
    check(rc == 2 and "image file not read" in err, "%s: --not-read error: exit 2 (rc %d)" % (what, rc))

# 3. with --ocr, a PNG sent as octet-stream is read (when the helper is built)
try:
    from PIL import Image, ImageDraw, ImageFont
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 28)
    img = Image.new("L", (1000, 120), 255)
    ImageDraw.Draw(img).text((40, 40), "Fødselsnummer: %s" % FNR, font=font, fill=0)
    b = io.BytesIO()
    img.save(b, "png")
    p = mail("ocr-octet.eml", "application/octet-stream", "bilde.dat", b.getvalue())
    rc, out, err = checklib.scan(p, "--ocr")
    if "not found" in err or "not built" in err:
        print("skip: OCR helper not built")
    else:
        check(rc == 1 and len(findings(out)) == 1, "--ocr: a PNG sent as octet-stream is read by OCR (rc %d)" % rc)
        of = os.path.join(TMP, "skjerm-ocr.dat")
        with open(of, "wb") as f:
            f.write(b.getvalue())
        rc, out, err = checklib.scan(of, "--ocr")
        check(rc == 1 and len(findings(out)) == 1, "--ocr: a PNG file named .dat is read by OCR (rc %d)" % rc)
except ImportError:
    print("skip: python3-pil not installed")

checklib.finish()

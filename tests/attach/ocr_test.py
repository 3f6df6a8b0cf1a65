#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""OCR of images (issue 16): rendered images (PNG, JPEG, 2-page TIFF, GIF,
BMP, WebP, PNM; clean and "photographed": grey, blurred, small type) with
planted synthetic identifiers and labels in four languages, plus decoy
numbers, scanned with --ocr as files in a directory, as a mail attachment
(scan, redact, milter) and without --ocr (opt-in: nothing read). Hostile
cases: an image past the pixel limit, a crashing helper, a text file named
.png. Every planted id must be found (the renders are clean enough for
Tesseract); no decoy; no raw value in any output or message.

usage: ocr_test.py NORDPII [--keep DIR]"""
import base64
import json
import os
import random
import shutil
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_docs as g  # noqa: E402
import attach_test as a  # noqa: E402  (milter_message, check, run)

try:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont, features
except ImportError:
    print("SKIP: python3-pil not installed (scripts/install-deps.sh --test)")
    sys.exit(77)

NORDPII = sys.argv[1]
check, run, failures = a.check, a.run, a.failures
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DECOYS = ["Ordrenummer 40012345678", "Fakturanr. 2026-118804", "Kundenummer 98765432109",
          "Telefonnummer 22 33 44 55 kl. 08:30-15:45"]


def render(lines, size=28, photo=False):
    font = ImageFont.truetype(FONT, size)
    h = 60 + len(lines) * int(size * 2.2)
    img = Image.new("L", (1400, h), 235 if photo else 255)
    d = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        d.text((40, 30 + i * int(size * 2.2)), line, font=font, fill=40 if photo else 0)
    if photo:
        img = img.filter(ImageFilter.GaussianBlur(0.7))
    return img


def build(d, rng):
    """Writes the images; returns {file: [keys]} of planted ids and all lines."""
    fmts = ["png", "jpeg", "tiff", "gif", "bmp", "pnm"] + (["webp"] if features.check("webp") else [])
    ids = g.make_ids(rng, 4 * len(fmts))
    suite = {}
    for i, fmt in enumerate(fmts):
        mine = ids[4 * i:4 * i + 4]
        lines = ["Hei, her er opplysningene dere ba om."]
        lines += ["%s: %s" % (label, value) for label, value, _ in mine]
        lines.insert(3, DECOYS[i % len(DECOYS)])
        photo = i % 2 == 1
        ext = {"jpeg": "jpg", "tiff": "tif"}.get(fmt, fmt)
        path = os.path.join(d, "bilde%d.%s" % (i, ext))
        if fmt == "tiff":  # two pages: the ids on page 2
            p1 = render(["Side 1 av 2", "Ingen opplysninger her."])
            p2 = render(lines, photo=photo)
            p1.save(path, save_all=True, append_images=[p2], compression="tiff_deflate")
        elif fmt == "pnm":
            render(lines, photo=photo).save(path.replace(".pnm", ".pgm"))
            path = path.replace(".pnm", ".pgm")
        else:
            render(lines, size=24 if photo else 28, photo=photo).save(path, **({"quality": 80} if fmt == "jpeg" else {}))
        suite[path] = [k for _, _, k in mine]
    # Photographed sideways and upside down: read in the orientation that
    # gives the most confident reading.
    turned = g.make_ids(rng, 4)
    for i, angle in enumerate((90, 180)):
        mine = turned[2 * i:2 * i + 2]
        path = os.path.join(d, "snudd%d.png" % angle)
        render(["Hei!"] + ["%s: %s" % (label, value) for label, value, _ in mine]).rotate(angle, expand=True).save(path)
        suite[path] = [k for _, _, k in mine]
    return suite, ids + turned


def found_keys(out):
    got = {}
    for line in out.splitlines():
        f = json.loads(line)
        got.setdefault(f["path"], []).append(f)
    return got


def main():
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    tmp = keep or tempfile.mkdtemp(prefix="nordpii-ocr-")
    try:
        return body(tmp)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def body(tmp):
    rng = random.Random(16)
    imgs = os.path.join(tmp, "images")
    os.makedirs(imgs)
    suite, ids = build(imgs, rng)
    raw = {v for _, v, _ in ids} | {k for _, _, k in ids}

    # 1. Files in a directory, with --ocr: every planted id, no decoy.
    rc, out, err, secs = run(["scan", "--ocr", "--format", "jsonl", "--reveal", imgs], timeout=600)
    check(rc == 1, "scan --ocr of %d images exits 1 (%d, %.1f s)" % (len(suite), rc, secs))
    got = found_keys(out)
    tp = n = 0
    for path, keys in suite.items():
        vals = {a.key(f.get("value", "")) for f in got.get(path, []) if f["category"] == "national-id"}
        for k in keys:
            n += 1
            tp += a.key(k) in vals
            if a.key(k) not in vals:
                print("     missed in %s: %s***" % (os.path.basename(path), k[:4]))
        decoy_hits = [f for f in got.get(path, []) if f["category"] == "national-id" and a.key(f["value"]) not in
                      {a.key(x) for x in keys}]
        check(not decoy_hits, "%s: no national-id beyond the planted ones" % os.path.basename(path))
    check(tp == n, "OCR recall %d/%d" % (tp, n))
    tif = [f for p, fs in got.items() if p.endswith(".tif") for f in fs if f["category"] == "national-id"]
    check(tif and all(f["field"].startswith("image:page 2 line ") for f in tif),
          "TIFF findings located on page 2 (%s)" % (tif[0]["field"] if tif else None))
    rc, out, err, _ = run(["scan", "--ocr", "--format", "jsonl", imgs], timeout=600)
    check(not any(v in out + err for v in raw), "no raw value in scan --ocr output without --reveal")

    # 2. Opt-in: without --ocr the images are not read.
    rc, out, err, _ = run(["scan", "--format", "jsonl", imgs])
    lines = [json.loads(l) for l in out.splitlines()]
    check(rc == 0 and not any(l.get("category") == "national-id" for l in lines),
          "without --ocr images are not read (exit %d)" % rc)
    noted = {l["path"] for l in lines if l.get("event") == "note" and "read only with --ocr" in l.get("text", "")}
    check(len(noted) == len(suite), "without --ocr each image gets a note (%d of %d)" % (len(noted), len(suite)))

    # 3. Mail: a PNG attachment; scan finds, redact replaces it by a notice.
    png = next(p for p in suite if p.endswith(".png"))
    mail = os.path.join(tmp, "pass.eml")
    a.eml(mail, png, "image/png")
    rc, out, err, _ = run(["scan", "--ocr", "--format", "jsonl", mail], timeout=300)
    fields = {json.loads(l)["field"] for l in out.splitlines()}
    check(rc == 1 and any(f.startswith("image:line ") for f in fields), "mail: image attachment read with --ocr")
    rc, out, err, _ = run(["scan", "--format", "jsonl", mail])
    check(rc == 0 and "image:" not in out, "mail without --ocr: the image is not read (exit %d)" % rc)
    red = os.path.join(tmp, "pass-red.eml")
    rc, out, err, _ = run(["redact", "--ocr", mail, "-o", red], timeout=300)
    text = open(red, "rb").read() if os.path.exists(red) else b""
    check(rc == 0 and b"nordpii removed the attachment 'bilde0.png' (image" in text and
          base64.encodebytes(open(png, "rb").read())[:200] not in text,
          "redact --ocr replaces the image attachment by a notice (exit %d)" % rc)
    rc, out, err, _ = run(["redact", "--ocr", png, "-o", os.path.join(tmp, "x.png")])
    check(rc == 2 and not os.path.exists(os.path.join(tmp, "x.png")) and "cannot be redacted" in err,
          "redact --ocr of an image file: refused, nothing written (exit %d)" % rc)

    # 3b. A scanned PDF (pages are images, no text layer): page 2 holds ids.
    pdf_ids = g.make_ids(rng, 4)
    scan = os.path.join(tmp, "scanned.pdf")
    p1 = render(["Side 1", "Vedlagt skannet skjema."])
    p2 = render(["%s: %s" % (label, value) for label, value, _ in pdf_ids], photo=True)
    p1.save(scan, save_all=True, append_images=[p2], resolution=150.0)

    rc, out, err, _ = run(["scan", "--ocr", "--format", "jsonl", "--reveal", scan], timeout=300)
    fs = [json.loads(l) for l in out.splitlines()]
    vals = {a.key(f["value"]) for f in fs if f["category"] == "national-id"}
    check(rc == 1 and all(a.key(k) in vals for _, _, k in pdf_ids) and
          all(f["field"].startswith("pdf:page 2 line ") for f in fs if f["category"] == "national-id"),
          "scanned PDF: %d/4 ids found by OCR on page 2 (exit %d)" % (sum(a.key(k) in vals for _, _, k in pdf_ids), rc))
    rc, out, err, _ = run(["scan", "--format", "jsonl", scan])
    check(rc == 0 and "national-id" not in out, "scanned PDF without --ocr: pages not read (exit %d)" % rc)
    # A scan with a stamped text footer ("Side 1 av 1 ...") on the same page.
    footer_ids = g.make_ids(rng, 2)
    stamped = os.path.join(tmp, "stamped.pdf")
    jpg = os.path.join(tmp, "stamped.jpg")
    render(["%s: %s" % (label, value) for label, value, _ in footer_ids], photo=True).save(jpg, quality=85)
    g.scanned_pdf(stamped, jpg, "Side 1 av 1 - skannet 2026-11-23 kl. 10:15")
    rc, out, err, _ = run(["scan", "--ocr", "--format", "jsonl", "--reveal", stamped], timeout=300)
    vals = {a.key(json.loads(l)["value"]) for l in out.splitlines()}
    check(rc == 1 and all(a.key(k) in vals for _, _, k in footer_ids),
          "a scan with a stamped text footer is OCR'd too (exit %d)" % rc)
    many = os.path.join(tmp, "many-scans.pdf")
    blank = Image.new("L", (600, 800), 255)
    blank.save(many, save_all=True, append_images=[blank] * 10)
    rc, out, err, _ = run(["scan", "--ocr", many], timeout=300)
    check(rc == 2 and "OCR limit" in err, "a PDF with 11 scanned pages (limit 10): exit 2 (%d)" % rc)

    # 3c. A picture inside a Word document (word/media/image1.png) and an
    # ODF one (Pictures/...): read with --ocr, not without.
    pic_ids = g.make_ids(rng, 2)
    buf = os.path.join(tmp, "pic.png")
    render(["%s: %s" % (label, value) for label, value, _ in pic_ids[:1]]).save(buf)
    docx = os.path.join(tmp, "med-bilde.docx")
    g.docx(docx, ["Se bildet."])
    with zipfile.ZipFile(docx, "a") as z:
        z.write(buf, "word/media/image1.png")
    render(["%s: %s" % (label, value) for label, value, _ in pic_ids[1:]]).save(buf)
    odt = os.path.join(tmp, "med-bilde.odt")
    g.odt(odt, ["Se bildet."])
    with zipfile.ZipFile(odt, "a") as z:
        z.write(buf, "Pictures/100000000000.png")
    for doc, (_, _, k), prefix in ((docx, pic_ids[0], "docx:picture image1.png line "),
                                   (odt, pic_ids[1], "odt:picture 100000000000.png line ")):
        rc, out, err, _ = run(["scan", "--ocr", "--format", "jsonl", "--reveal", doc], timeout=300)
        fs = [json.loads(l) for l in out.splitlines()]
        check(rc == 1 and any(a.key(f["value"]) == a.key(k) and f["field"].startswith(prefix) for f in fs),
              "picture in %s read by OCR (exit %d, %s)" % (os.path.basename(doc), rc, [f["field"] for f in fs][:2]))
        rc, out, err, _ = run(["scan", "--format", "jsonl", doc])
        check(rc == 0 and "national-id" not in out, "picture in %s not read without --ocr (exit %d)" % (os.path.basename(doc), rc))

    # Over the picture limit: the text and the first 10 pictures are still
    # read and reported; the document is partly scanned (exit 2).
    eleven = os.path.join(tmp, "eleven.docx")
    g.docx(eleven, ["Se bildene."])
    with zipfile.ZipFile(eleven, "a") as z:
        z.write(os.path.join(tmp, "pic.png"), "word/media/image00.png")  # holds pic_ids[1]
        blank = os.path.join(tmp, "blank.png")
        Image.new("L", (60, 20), 255).save(blank)
        for i in range(1, 11):
            z.write(blank, "word/media/image%02d.png" % i)
    rc, out, err, _ = run(["scan", "--ocr", "--reveal", "--format", "jsonl", eleven], timeout=300)
    vals = {a.key(json.loads(l)["value"]) for l in out.splitlines()}
    check(rc == 2 and "partly scanned" in err and "OCR limit" in err and a.key(pic_ids[1][2]) in vals,
          "11 pictures: the first ones read and reported, the document partly scanned, exit 2 (%d)" % rc)

    # 4. Hostile: past the pixel limit (8000 x 8000), a crashing helper, a
    # text file named .png: errors (exit 2), or scanned as text.
    big = os.path.join(tmp, "big.png")
    Image.new("1", (8000, 8000), 1).save(big)
    rc, out, err, _ = run(["scan", "--ocr", big])
    check(rc == 2 and "pixel limit" in err, "an image past the pixel limit: exit 2 (%d, %s)" % (rc, err.strip()[:80]))
    rc, out, err, _ = run(["scan", "--ocr", png], env={"NORDPII_EXTRACT_TEST_CRASH": "1"})
    check(rc == 2 and "crashed" in err, "a crashing OCR helper: exit 2 (%d)" % rc)
    rc, out, err, _ = run(["scan", "--ocr", mail], env={"NORDPII_EXTRACT_TEST_CRASH": "1"})
    check(rc == 2, "mail, crashing OCR helper: exit 2 (%d)" % rc)
    fake = os.path.join(tmp, "notes.png")
    with open(fake, "w") as f:
        f.write("Fødselsnummer: %s\n" % ids[0][1])
    rc, out, err, _ = run(["scan", "--ocr", "--format", "jsonl", fake])
    check(rc == 1, "a text file named .png is scanned as text (exit %d)" % rc)

    # 5. Milter: [limits] ocr = true reads the attachment (reject rule: 550);
    # ocr = false lets it through; --check prints the switch.
    for ocr in (True, False):
        pol = os.path.join(tmp, "policy-%s.toml" % ocr)
        with open(pol, "w") as f:
            f.write('[limits]\nocr = %s\nscan_timeout_ms = 60000\n[[rule]]\nname = "ids"\n'
                    'categories = ["national-id"]\naction = "reject"\n' % ("true" if ocr else "false"))
        rc, out, err, _ = run(["milter", "--check", "--config", pol])
        check(rc == 0 and ("ocr = %s" % ("true" if ocr else "false")) in out, "milter --check shows ocr = %s" % ocr)
        log = open(os.path.join(tmp, "milter-%s.log" % ocr), "w+")
        proc, port = a.start_milter(pol, stderr=log)
        try:
            r = a.milter_message(port, open(mail, "rb").read())
            if ocr:
                check(r[-1][0] == b"y" and r[-1][1].startswith(b"550"),
                      "milter with ocr = true rejects the image with ids (%r)" % (r[-1][1][:40],))
            else:
                check(r[-1][0] in (b"c", b"a"), "milter with ocr = false accepts it (%r)" % (r[-1],))
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        log.seek(0)
        check(not any(v in log.read() for v in raw), "no raw value in the milter log (ocr = %s)" % ocr)

    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

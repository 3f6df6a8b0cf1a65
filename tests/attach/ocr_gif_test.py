#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Animated GIF frames with --ocr (issue 16): every frame is read (drawn over
the ones before, a frame identical to the previous skipped), located as
`image:frame 2 line 1`; a GIF with more than 10 frames is read up to the
limit and reported partly scanned (exit 2); a damaged TIFF that made
Leptonica's multipage reader loop is answered within seconds. Skipped (77)
without the OCR helper or PIL.

usage: ocr_gif_test.py NORDPII"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    from PIL import Image, ImageDraw, ImageFont
except ImportError:
    print("SKIP: python3-pil not installed")
    sys.exit(77)
import gen_docs as g  # noqa: E402

NORDPII = sys.argv[1]
import checklib  # noqa: E402
checklib.NORDPII = NORDPII
check, failures = checklib.check, checklib.failures
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def key(v):
    return "".join(c for c in v if c.isalnum()).upper()


def frame(text, dot=0):
    img = Image.new("L", (1000, 120), 255)
    draw = ImageDraw.Draw(img)
    draw.text((40, 40), text, font=ImageFont.truetype(FONT, 30), fill=0)
    if dot:  # frames that differ (PIL merges identical ones)
        draw.rectangle((900 + 5 * dot, 100, 902 + 5 * dot, 102), fill=0)
    return img.convert("P")


def main():
    if not os.path.exists(os.path.join(os.path.dirname(NORDPII), "nordpii-extract-ocr")):
        print("SKIP: nordpii-extract-ocr not built")
        sys.exit(77)
    d = tempfile.mkdtemp(prefix="nordpii-gif-")
    ids = [i for i in g.make_ids(random.Random(164), 8) if i[0] == "Fødselsnummer"][:2]
    frames = [frame("Velkommen"), frame("Fødselsnummer %s" % ids[0][1]), frame("Fødselsnummer %s" % ids[1][1])]
    p = os.path.join(d, "anim.gif")
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=500, loop=0)
    r = subprocess.run([NORDPII, "scan", "--ocr", "--reveal", "--format", "jsonl", p], capture_output=True, timeout=120)
    got = {}
    for line in r.stdout.decode().splitlines():
        o = json.loads(line)
        if "value" in o:
            got[key(o["value"])] = o.get("field", "")
    for n, i in ((2, ids[0]), (3, ids[1])):
        check(r.returncode == 1 and got.get(key(i[2]), "").startswith("image:frame %d line" % n),
              "animated GIF: the id in frame %d is found there (exit %d, %s)" % (n, r.returncode, got.get(key(i[2]))))
    many = [frame("Fødselsnummer %s" % ids[0][1], k + 1) for k in range(12)]
    p = os.path.join(d, "many.gif")
    many[0].save(p, save_all=True, append_images=many[1:], duration=100, loop=0)
    r = subprocess.run([NORDPII, "scan", "--ocr", "--format", "jsonl", p], capture_output=True, timeout=120)
    err = r.stderr.decode() + r.stdout.decode()
    check(r.returncode == 2 and "more frames than the limit" in err and '"national-id"' in r.stdout.decode(),
          "a GIF with 12 frames: read up to the limit, partly scanned (exit %d)" % r.returncode)
    # A damaged TIFF (found by the OCR fuzzer) whose directory chain made
    # Leptonica's multipage reader loop until the helper's timeout: now
    # read page by page, an answer within seconds.
    t0 = time.time()
    r = subprocess.run([NORDPII, "scan", "--ocr", "--format", "jsonl",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "ocr_crashes",
                                     "tiff-directory-loop.tif")], capture_output=True, timeout=120)
    check(r.returncode in (0, 2) and time.time() - t0 < 15,
          "a TIFF with a looping directory chain: answered in %.1f s (exit %d)" % (time.time() - t0, r.returncode))
    checklib.finish()


if __name__ == "__main__":
    main()

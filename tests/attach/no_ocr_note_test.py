#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Images while OCR is off (issue 16): an image file and an image attachment
(a PNG with a text chunk, so its printable runs are scanned) are not read for
their text, and the report says so — a note per image (`… not read: text in
images is read only with --ocr`), counted in the batch summary's
`attachments_not_scanned` as "image (no --ocr)". Exit status unchanged (0).

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
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("all ok")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Content nordpii does not read, fail closed on demand (`--not-read error`,
the milter's `[limits] not_read = "error"`).

Four mails, each with one part that is not read: a PNG attachment (OCR is
off), an S/MIME enveloped part (application/pkcs7-mime;
smime-type=enveloped-data), a PGP/MIME encrypted message
(multipart/encrypted) and a binary part with no printable text; plus an
S/MIME part typed octet-stream without smime-type (recognised by its DER),
a scanned PDF attachment, a uuencoded PNG and a uuencoded binary file with no
text in a text body, and a clean mail.

- `scan`, `redact`, `batch` without the option (and with `--not-read note`):
  as before — a note (encrypted parts now get one too: "… encrypted part
  not read: …"), the binary part an attachment event, exit 0, redact writes
  its output.
- with `--not-read error` (and `not-read = "error"` in a --config file):
  every such mail is an error naming the part and why (exit 2), never the
  attachment's file name or content; redact writes nothing; batch lists the
  error in summary.json and exits 2. The clean mail stays exit 0.
- the milter (a real `nordpii milter` over the milter protocol): with
  `not_read = "error"` each such message gets on_error — 451 with
  `on_error = "tempfail"`, accepted with an `X-Nordpii-Verdict: error` header
  ending in `; not-read=…` with `"accept"` — and its log line lists what was not read
  (`not_read=2:image`, `1:encrypted`, `2:binary`); with "log" / "header" an
  encrypted part is listed as `N:encrypted` (so a verdict header tells
  "encrypted, not read" from "no identifier found").

usage: not_read_test.py NORDPII"""
import base64
import binascii
import json
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
NORDPII = sys.argv[1]
import checklib  # noqa: E402
checklib.NORDPII = NORDPII
check = checklib.check

TMP = tempfile.mkdtemp(prefix="nordpii-notread-")
NAME_SECRET = "hemmelig-bilde"   # a file name that must not be echoed in an error


png_bytes = checklib.png_bytes


def enveloped_der():
    """The start of a CMS ContentInfo of EnvelopedData (OID 1.2.840.113549.1.7.3),
    then bytes that are no text (no 4 printable bytes in a row)."""
    body = bytes([0xA0, 0x82, 0x01, 0x00]) + bytes((0x80 + (i * 37) % 128) for i in range(256))
    oid = bytes([0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07, 0x03])
    inner = oid + body
    return bytes([0x30, 0x82]) + struct.pack(">H", len(inner)) + inner


def b64(data):
    return base64.encodebytes(data).decode()


def uuencode(name, data):
    lines = "".join(binascii.b2a_uu(data[i:i + 45]).decode() for i in range(0, len(data), 45))
    return "begin 644 %s\n%s`\nend\n" % (name, lines)


HEAD = "From: a@example.no\nTo: b@example.no\nSubject: %s\nMessage-ID: <%s@example.no>\nMIME-Version: 1.0\n"


def mixed(subject, text, part_headers, part_body):
    return (HEAD % (subject, subject) + 'Content-Type: multipart/mixed; boundary="B"\n\n'
            "--B\nContent-Type: text/plain; charset=utf-8\n\n%s\n--B\n%s\n%s--B--\n" % (text, part_headers, part_body))


def mails():
    png = mixed("bilde", "Se bilde.", 'Content-Type: image/png; name="%s.png"\nContent-Transfer-Encoding: base64\n'
                % NAME_SECRET, b64(png_bytes()))
    smime = (HEAD % ("smime", "smime") +
             'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\n'
             'Content-Transfer-Encoding: base64\nContent-Disposition: attachment; filename="smime.p7m"\n\n' +
             b64(enveloped_der()))
    smime_der = mixed("smimeder", "Kryptert vedlegg.",
                      'Content-Type: application/octet-stream; name="%s.p7m"\nContent-Transfer-Encoding: base64\n'
                      % NAME_SECRET, b64(enveloped_der()))
    armor = ("-----BEGIN PGP MESSAGE-----\n\nhQEMA7Xq3lqWcTrnAQf/Xk1Pq3hYxGvR2kTnWZc4mQq8vLr0eK2sJYtHnXbFp7Aw\n"
             "=Qk3a\n-----END PGP MESSAGE-----\n")
    pgp = (HEAD % ("pgp", "pgp") +
           'Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="E"\n\n'
           "--E\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n"
           '--E\nContent-Type: application/octet-stream; name="%s.asc"\n\n%s--E--\n' % (NAME_SECRET, armor))
    binary = mixed("binary", "Se vedlegg.",
                   'Content-Type: application/octet-stream; name="%s.bin"\nContent-Transfer-Encoding: base64\n'
                   % NAME_SECRET, b64(bytes([0x00, 0xFF, 0x80, 0x01, 0x9C, 0x02]) * 40))
    clean = HEAD % ("clean", "clean") + "Content-Type: text/plain\n\nHei, alt vel.\n"
    import no_ocr_note_test as nn  # the hand-written scanned PDF (page 2: an image, no text)
    pdf_path = os.path.join(TMP, "skannet.pdf")
    nn.scanned_pdf(pdf_path)
    pdf = mixed("pdf", "Se vedlegg.", 'Content-Type: application/pdf; name="%s.pdf"\nContent-Transfer-Encoding: base64\n'
                % NAME_SECRET, b64(open(pdf_path, "rb").read()))
    # uuencoded in a text body: a PNG (no OCR), a binary file with no text
    uupng = (HEAD % ("uupng", "uupng") + "Content-Type: text/plain\n\nBildet:\n\n" +
             uuencode(NAME_SECRET + ".png", png_bytes()))
    uubin = (HEAD % ("uubin", "uubin") + "Content-Type: text/plain\n\nFilen:\n\n" +
             uuencode(NAME_SECRET + ".bin", bytes([0x00, 0xFF, 0x80, 0x01, 0x9C, 0x02]) * 40))
    # (name, text, part not read, kind in the milter's list)
    return [("png", png, "2", "2:image"), ("smime", smime, "1", "1:encrypted"),
            ("smimeder", smime_der, "2", "2:encrypted"), ("pgp", pgp, "2", "2:encrypted"),
            ("binary", binary, "2", "2:binary"), ("pdf", pdf, "2", "2:pdf"),
            ("uupng", uupng, "1", "1:image"), ("uubin", uubin, "1", "1:binary"), ("clean", clean, None, None)]


def events(out):
    return [json.loads(l) for l in out.splitlines() if l.startswith("{")]


def cli_checks(d, ms):
    cfg = os.path.join(d, "config.toml")
    with open(cfg, "w") as f:
        f.write('not-read = "error"\n')
    for name, text, part, _kind in ms:
        eml = os.path.join(d, name + ".eml")
        with open(eml, "w") as f:
            f.write(text)
        # Default (and --not-read note): as before, exit 0, a note or an attachment event.
        for extra in ([], ["--not-read", "note"]):
            rc, out, err = checklib.scan(eml, *extra)
            ev = events(out)
            notes = [e["text"] for e in ev if e.get("event") == "note"]
            atts = [e for e in ev if e.get("event") == "attachment"]
            check(rc == 0, "%s scan %s: exit 0 (%d, %s)" % (name, extra or "(default)", rc, err.strip()[:200]))
            if name == "png":
                check(any(n == "part 2: image/png attachment not read: text in images is read only with --ocr"
                          for n in notes), "png scan %s: the image note (%s)" % (extra, notes))
            elif name in ("smime", "smimeder", "pgp"):
                label = "PGP/MIME" if name == "pgp" else "S/MIME"
                want = "part %s: %s encrypted part not read: encrypted, only its recipient can read it" % (part, label)
                check(want in notes, "%s scan %s: a note '%s' (%s)" % (name, extra, want, notes))
            elif name == "pdf":
                check(notes == ["part 2: attachment pdf:page 2 not read: text in images is read only with --ocr"],
                      "pdf scan %s: the scanned page's note (%s)" % (extra, notes))
            elif name.startswith("uu"):
                check(any("uuencoded file" in n for n in notes) and not any(" not read" in n for n in notes),
                      "%s scan %s: the uuencoded file's note as before (%s)" % (name, extra, notes))
            elif name == "binary":
                check(len(atts) == 1 and atts[0]["part"] == "2" and atts[0]["scanned"] is False and
                      not any("not read" in n for n in notes),
                      "binary scan %s: an attachment event, scanned false, no note (%s, %s)" % (extra, atts, notes))
            else:
                check(not notes and not atts, "clean scan %s: no note" % extra)
        # --not-read error (flag and config key): exit 2 naming the part, no file name.
        for extra in (["--not-read", "error"], ["--config", cfg]):
            rc, out, err = checklib.scan(eml, *extra)
            if part is None:
                check(rc == 0, "clean scan %s: still exit 0 (%d, %s)" % (extra, rc, err.strip()[:200]))
                continue
            check(rc == 2 and ("part %s:" % part) in err and "not read" in err and "not fully scanned" in err,
                  "%s scan %s: exit 2 naming part %s and why (%d, %r)" % (name, extra, part, rc, err.strip()[:300]))
            check(NAME_SECRET not in err and "PGP MESSAGE" not in err and "image/png" not in err,
                  "%s scan %s: the error echoes no file name, type or content" % (name, extra))
        # redact: written by default, nothing written with --not-read error.
        for mode in ("note", "error"):
            o = os.path.join(d, "%s.%s.out.eml" % (name, mode))
            rc, out, err = checklib.run(["redact", "--not-read", mode, "-o", o, eml], timeout=60)
            if mode == "note" or part is None:
                check(rc == 0 and os.path.exists(o), "%s redact --not-read %s: written, exit 0 (%d, %s)"
                      % (name, mode, rc, err.strip()[:200]))
            else:
                check(rc == 2 and not os.path.exists(o) and "nothing written" in err and ("part %s:" % part) in err
                      and NAME_SECRET not in err,
                      "%s redact --not-read error: exit 2, nothing written, names part %s (%d, %r)"
                      % (name, part, rc, err.strip()[:300]))
    # Files: an image file, a scanned PDF.
    img = os.path.join(TMP, NAME_SECRET + ".png")
    with open(img, "wb") as f:
        f.write(png_bytes())
    for path, what in ((img, "image file not read"), (os.path.join(TMP, "skannet.pdf"), "pdf:page 2 not read")):
        rc, out, err = checklib.scan(path)
        check(rc == 0 and what in out, "%s scan: a note, exit 0 (%d)" % (what, rc))
        rc, out, err = checklib.scan(path, "--not-read", "error")
        check(rc == 2 and what in err, "%s scan --not-read error: exit 2 saying so (%d, %r)" % (what, rc, err[:300]))
    # batch over all the mails: each not-read part an error in summary.json.
    for mode in ("note", "error"):
        rep = os.path.join(d, "rep-" + mode)
        inputs = [os.path.join(d, n + ".eml") for n, _t, _p, _k in ms]
        rc, out, err = checklib.run(["batch", "--not-read", mode, "--report", rep] + inputs, timeout=60)
        sj = os.path.join(rep, "summary.json")
        errors = json.load(open(sj)).get("errors", []) if os.path.exists(sj) else ["(no summary.json: %s)" % err[:200]]
        if mode == "note":
            check(rc == 0 and errors == [], "batch --not-read note: exit 0, no error (%d, %s)" % (rc, errors))
        else:
            want = [n for n, _t, p, _k in ms if p is not None]
            named = [n for n in want if any((n + ".eml") in e and "not read" in e for e in errors)]
            check(rc == 2 and named == want and len(errors) == len(want) and
                  not any(NAME_SECRET in e for e in errors),
                  "batch --not-read error: exit 2, one error per mail with a part not read (%d, %s)" % (rc, errors))


def milter_checks(d, ms):
    import attach_test as t
    configs = [("error", "tempfail"), ("error", "accept"), ("log", "tempfail"), ("header", "tempfail")]
    for nr, on_error in configs:
        tag = "not_read = %s, on_error = %s" % (nr, on_error)
        pol = os.path.join(d, "policy-%s-%s.toml" % (nr, on_error))
        with open(pol, "w") as f:
            f.write('[limits]\nnot_read = "%s"\non_error = "%s"\n[[rule]]\nname = "ids"\n'
                    'categories = ["national-id"]\naction = "reject"\n' % (nr, on_error))
        log = os.path.join(d, "milter-%s-%s.log" % (nr, on_error))
        env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
        with open(log, "w") as lf:
            proc, port = t.start_milter(pol, stderr=lf, env=env)
        replies = {}
        try:
            for name, text, _part, _kind in ms:
                replies[name] = t.milter_message(port, text.encode())
        except Exception as e:  # a milter that refused the policy (or died)
            check(False, "milter (%s): answers every message (%s)" % (tag, e))
            continue
        finally:
            proc.terminate()
            proc.wait(timeout=10)
        lines = [l for l in open(log, encoding="utf-8", errors="replace").read().splitlines()
                 if "nordpii milter: queue=" in l]
        check(len(lines) == len(ms), "milter (%s): one log line per message (%d)" % (tag, len(lines)))
        for (name, _text, part, kind), line in zip(ms, lines):
            r = replies[name]
            final = r[-1]
            hdrs = b"".join(dd for c, dd in r if c == b"h").decode("utf-8", "replace").rstrip("\0")
            if part is None:
                check(final[0] == b"c" and hdrs == "" and "action=accept " in line and "not_read=" not in line,
                      "milter (%s): the clean mail accepted, nothing not read (%r)" % (tag, line))
                continue
            # (a binary part and uuencoded files are listed only with "error")
            listed = nr == "error" or (kind != "2:binary" and not name.startswith("uu"))
            check(("not_read=" + kind in line) == listed,
                  "milter (%s): %s's log line %s not_read=%s (%r)" % (tag, name, "lists" if listed else "has no", kind, line))
            check(NAME_SECRET not in line and "image/png" not in line,
                  "milter (%s): %s's log line names no file or type" % (tag, name))
            if nr == "error" and on_error == "tempfail":
                check(final[0] == b"y" and final[1].startswith(b"451") and "action=tempfail(error)" in line,
                      "milter (%s): %s gets 451 (%r, %r)" % (tag, name, final, line))
            elif nr == "error":
                check(final[0] == b"c" and hdrs.startswith("X-Nordpii-Verdict\0 error; reason=not scanned") and
                      hdrs.endswith("; not-read=" + kind) and "action=accept(error)" in line,
                      "milter (%s): %s accepted with an error verdict header (%r, %r)" % (tag, name, hdrs, line))
            elif nr == "header" and listed:
                check(final[0] == b"c" and hdrs.startswith("X-Nordpii-Verdict\0 accept;") and
                      hdrs.endswith("; not-read=" + kind),
                      "milter (%s): %s accepted with not-read=%s in its verdict header (%r)" % (tag, name, kind, hdrs))
            else:
                check(final[0] == b"c" and hdrs == "" and "action=accept " in line,
                      "milter (%s): %s accepted unchanged (%r)" % (tag, name, line))


def main():
    d = TMP
    ms = mails()
    cli_checks(d, ms)
    milter_checks(d, ms)
    checklib.finish()


if __name__ == "__main__":
    main()

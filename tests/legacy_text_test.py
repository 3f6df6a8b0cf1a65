#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Legacy encodings that hid an id from the scan (branch legacy21, 2026-12-05):

uuencode  -- a `begin 644 name` ... `end` block inside a text/plain body, and a
             part sent with Content-Transfer-Encoding x-uuencode / uuencode /
             x-uue: both scanned with exit 0 and no finding before. Now each
             block is decoded and read as the file it is (text, a .docx
             document, printable runs); a finding points at the whole block;
             redact replaces the block by a one-line notice (in a text body) or
             the part by the attachment notice (x-uuencode); a block cut short
             is exit 2 (scan) / nothing written (redact); a malformed block is
             scanned as text; a decoy block without ids is exit 0.
calendar  -- iCalendar / vCard content lines folded at 75 octets (CRLF + space):
             an id folded across a line break was not found. Now unfolded (mail
             parts by type, name or first line, QP too; .ics / .vcf files and a
             file starting BEGIN:VCALENDAR), the finding spans the fold in the
             raw bytes, and redact writes folded output (mask keeps every line's
             length).

Every scan / redact goes through the CLI (scan of .eml, --input eml, mbox,
files). Synthetic ids only, checked with python-stdnum.
Usage: legacy_text_test.py NORDPII SOURCE_DIR uuencode|calendar"""
import binascii
import json
import os
import shutil
import subprocess
import sys
import tempfile

from stdnum.no import fodselsnummer

NP, SRC, WHAT = sys.argv[1], sys.argv[2], sys.argv[3]
ID = "15108695088"
ID2 = "01017512345"  # not valid: a decoy digit run
assert fodselsnummer.is_valid(ID) and not fodselsnummer.is_valid(ID2)
HDR = "From: a@example.com\nTo: b@example.com\nSubject: test\nMIME-Version: 1.0\n"
failures = []
T = tempfile.mkdtemp(prefix="legacy21-")


def bad(msg):
    failures.append(msg)
    print("FAIL:", msg)


def write(name, data):
    path = os.path.join(T, name)
    with open(path, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path


def run(cmd, *args, extra_env=None):
    env = dict(os.environ, NORDPII_KEY="legacy21-test", NORDPII_CACHE_DIR="off", **(extra_env or {}))
    p = subprocess.run([NP, cmd, "--patterns", os.path.join(SRC, "patterns"), "--reference-date", "2026-12-05"]
                       + list(args), capture_output=True, env=env)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def scan(path, *args):
    rc, out, err = run("scan", "--format", "jsonl", *args, path)
    lines = [json.loads(x) for x in out.splitlines() if x.strip()]
    return rc, [x for x in lines if "type" in x], [x for x in lines if x.get("event") == "note"], err


def expect_found(label, path, raw_value, *args, field=None, count=1):
    """One no.fnr finding (or `count`), whose raw bytes are raw_value."""
    rc, found, notes, err = scan(path, *args)
    fnr = [f for f in found if f["type"] == "no.fnr"]
    if rc != 1 or len(fnr) != count:
        return bad("%s: rc=%d, %d no.fnr finding(s), want rc=1 and %d (%s %s)" % (label, rc, len(fnr), count,
                                                                                 err.strip()[:200], notes))
    data = open(path, "rb").read()
    for f in fnr:
        got = data[f["start"]:f["end"]].decode("utf-8", "replace")
        if raw_value is not None and got != raw_value:
            bad("%s: finding's bytes %r, want %r" % (label, got[:120], raw_value[:120]))
        if field is not None and f.get("field") != field:
            bad("%s: field %r, want %r" % (label, f.get("field"), field))
        if data.count(b"\n", 0, f["start"]) + 1 != f["line"]:
            bad("%s: line %d, the raw bytes say %d" % (label, f["line"], data.count(b"\n", 0, f["start"]) + 1))
    return fnr


def expect_clean(label, path, *args):
    rc, found, notes, err = scan(path, *args)
    if rc != 0 or found:
        bad("%s: rc=%d, %d finding(s), want rc=0 and none (%s)" % (label, rc, len(found), err.strip()[:200]))
    return notes


def redact(label, path, *args, want_rc=0):
    out = path + ".red"
    if os.path.exists(out):
        os.unlink(out)
    rc, _, err = run("redact", *args, path, "-o", out)
    if rc != want_rc:
        bad("%s: redact rc=%d, want %d (%s)" % (label, rc, want_rc, err.strip()[:300]))
        return None
    if want_rc != 0:
        if os.path.exists(out):
            bad("%s: redact failed but wrote %s" % (label, out))
        return None
    red = open(out, "rb").read().decode("utf-8", "replace")
    if ID in red:
        bad("%s: redacted output still holds the id" % label)
    expect_clean(label + " (redacted, scanned again)", out)
    return red


def uu(data, name, mode="644"):
    out = "begin %s %s\n" % (mode, name)
    for i in range(0, len(data), 45):
        out += binascii.b2a_uu(data[i:i + 45]).decode()
    return out + "`\nend\n"


def test_uuencode():
    payload = ("Kunde: Ola\nfodselsnummer: %s\n" % ID + "Adresse: Storgata 1, 0155 Oslo\n" * 3).encode()
    block = uu(payload, "kunde.txt")
    # 1. A block inside a text/plain body (a single-part message).
    body = "Se vedlagt.\n\n" + block + "\nHilsen Kari\n"
    u1 = write("u1.eml", HDR + "Content-Type: text/plain\n\n" + body)
    whole_block = block[:-1]  # from "begin" to the end of the "end" line
    expect_found("in-body block", u1, whole_block, field="uuencode:kunde.txt")
    expect_found("in-body block, --input eml", u1, whole_block, "--input", "eml")
    red = redact("in-body block", u1)
    if red is not None:
        want = (HDR + "Content-Type: text/plain\nX-Nordpii: redacted=1; types=no.fnr\n\nSe vedlagt.\n\n"
                "[nordpii removed the uuencoded file 'kunde.txt']\n\nHilsen Kari\n")
        if red != want:
            bad("in-body block: redacted message\n%s\nwant\n%s" % (red, want))
    # CRLF message, two blocks (the second a decoy), the id in the second
    # file written as mask: one notice per block with an id.
    crlf = (HDR + "Content-Type: text/plain\n\ntekst\n" + uu(b"ingen tall her\n", "a.txt") + block).replace("\n", "\r\n")
    u1c = write("u1crlf.eml", crlf)
    expect_found("CRLF, two blocks", u1c, block[:-1].replace("\n", "\r\n"))
    red = redact("CRLF, two blocks", u1c, "--style", "mask")
    if red is not None and ("begin 644 a.txt" not in red or red.count("[nordpii removed the uuencoded file") != 1):
        bad("CRLF, two blocks: the decoy block must stay, the other be replaced:\n" + red)
    # 2. A part with Content-Transfer-Encoding x-uuencode (and its aliases).
    for cte in ("x-uuencode", "uuencode", "x-uue"):
        msg = (HDR + 'Content-Type: multipart/mixed; boundary="XX"\n\n--XX\nContent-Type: text/plain\n\nhei\n'
               '--XX\nContent-Type: application/octet-stream; name="k.txt"\nContent-Transfer-Encoding: %s\n\n%s'
               '--XX--\n' % (cte, block))
        u2 = write("u2-%s.eml" % cte, msg)
        expect_found("Content-Transfer-Encoding %s" % cte, u2, whole_block)
        rc, found, notes, err = scan(u2)
        if any("unknown transfer encoding" in n["text"] for n in notes):
            bad("%s: still 'unknown transfer encoding'" % cte)
        red = redact("Content-Transfer-Encoding %s" % cte, u2)
        if red is not None and ("nordpii removed the attachment 'k.txt' (uuencoded file" not in red
                                or "attachments-replaced=1" not in red or "begin 644" in red):
            bad("%s: the part is not replaced by the notice:\n%s" % (cte, red))
    # 3. mbox: the block in message 2 of 3 (1 and 3: a decoy block, plain text).
    decoy = uu(b"Hei, ingen tall her. Bare en hilsen fra kontoret i Bergen, med vennlig hilsen Ola.\n" * 3,
               "hilsen.txt")
    msgs = [HDR + "Content-Type: text/plain\n\n" + b for b in ("x\n" + decoy, body, "bare tekst\n")]
    mbox = write("u.mbox", "".join("From a@example.com Sat Dec  5 08:00:00 2026\n" + m + "\n" for m in msgs))
    fnr = expect_found("mbox", mbox, whole_block)
    if fnr and fnr[0].get("message_index") != 2:
        bad("mbox: message_index %r, want 2" % fnr[0].get("message_index"))
    red = redact("mbox", mbox)
    if red is not None and (red.count("From a@example.com") != 3 or "begin 644 hilsen.txt" not in red):
        bad("mbox: redacted mbox lost a message or the decoy block")
    # 4. Decoy: a block without ids is no finding, exit 0 (a note says it was read).
    notes = expect_clean("decoy block", write("decoy.eml", HDR + "Content-Type: text/plain\n\n" + decoy))
    if not any("uuencoded file 'hilsen.txt'" in n["text"] for n in notes):
        bad("decoy block: no note that it was decoded")
    # 5. Cut short (no end line): never a silent pass. The decoded part is
    # still scanned; the message is not fully scanned (exit 2); redact
    # writes nothing.
    lines = block.splitlines(True)
    for label, text in (("no end line", "".join(lines[:-2])), ("cut inside a line", "".join(lines[:2]) + lines[2][:20])):
        cut = write("cut.eml", HDR + "Content-Type: text/plain\n\n" + text)
        rc, found, notes, err = scan(cut)
        if rc != 2 or not any(f["type"] == "no.fnr" for f in found) or "no 'end' line" not in err:
            bad("block cut short (%s): rc=%d, %d finding(s), want rc=2 with the id and the reason (%s)" % (
                label, rc, len(found), err))
        redact("block cut short (%s)" % label, cut, want_rc=2)
    # 6. Malformed (a begin line followed by prose): scanned as the text it is.
    mal = write("malformed.eml", HDR + "Content-Type: text/plain\n\nbegin 644 the meeting\nfodselsnummer: %s\n" % ID)
    expect_found("malformed block", mal, ID, field="body")
    # A text part over the streaming size (4 MiB) holding a block: decoded whole.
    big = write("big.eml", HDR + "Content-Type: text/plain\n\n" + ("Linje uten tall her.\n" * 220000) + block)
    expect_found("block in a 4.6 MB text part", big, whole_block)
    # 7. A uuencoded .docx: extracted as a document attachment is.
    sys.path.insert(0, os.path.join(SRC, "tests", "attach"))
    import gen_docs
    dpath = os.path.join(T, "k.docx")
    gen_docs.docx(dpath, ["Pasient: Ola Nordmann", "Fødselsnummer: %s" % ID])
    docx_block = uu(open(dpath, "rb").read(), "kunde.docx")
    dmsg = write("docx.eml", HDR + "Content-Type: text/plain\n\nvedlagt\n" + docx_block)
    expect_found("uuencoded docx", dmsg, docx_block[:-1], field="uuencode:kunde.docx")
    # A binary file with no text in it: noted, not silent.
    rc, found, notes, err = scan(write("bin.eml", HDR + "Content-Type: text/plain\n\n" + uu(b"\x00\x01\x02\xff" * 64, "x.bin")))
    if rc != 0 or not any("x.bin" in n["text"] and "no text" in n["text"] for n in notes):
        bad("binary block: rc=%d, notes %s" % (rc, notes))
    # 8. review21a: a uuencoded text file that itself holds a uuencoded file
    # (a forwarded post with its attachment): the inner file is decoded too
    # (before: exit 0, no finding); redact removes the outer block; nested
    # deeper than 4 levels is not decoded and fails closed.
    nested = uu(("Videresendt:\n\n" + uu(payload, "kunde.txt") + "\n").encode(), "forward.txt")
    nmsg = write("nested.eml", HDR + "Content-Type: text/plain\n\nSe under.\n\n" + nested + "\nHilsen\n")
    expect_found("uuencoded file in a uuencoded file", nmsg, nested[:-1], field="uuencode:forward.txt")
    red = redact("uuencoded file in a uuencoded file", nmsg)
    if red is not None and "[nordpii removed the uuencoded file 'forward.txt']" not in red:
        bad("uuencoded file in a uuencoded file: the outer block is not replaced:\n" + red)
    # review21a: many tiny blocks (24 bytes each) gave one note each (a 24 MB
    # message: 1 000 000 report lines, 308 MB); now at most 32 and a count.
    tiny = "begin 644 a\n!80``\n`\nend\n" * 5000
    rc, found, notes, err = scan(write("tiny.eml", HDR + "Content-Type: text/plain\n\n" + tiny +
                                       "begin 644 the plan\nfodselsnummer %s\n" % ID))
    if rc != 1 or len(notes) > 33 or not any("4969 more notes" in n["text"] for n in notes):
        bad("5 000 tiny blocks: rc=%d, %d notes, want rc=1 and 32 + one counting the rest (%s)" % (
            rc, len(notes), [n["text"] for n in notes[-2:]]))
    deep = payload.decode()
    for k in range(6):
        deep = "lag %d\n" % k + uu(deep.encode(), "l%d.txt" % k)
    rc, found, notes, err = scan(write("deep.eml", HDR + "Content-Type: text/plain\n\n" + deep))
    if rc != 2 or not any("nested deeper" in n["text"] for n in notes):
        bad("uuencoded files nested 6 deep: rc=%d, want 2 with a note (%s)" % (rc, notes))


def fold(line, width=75, eol="\r\n"):
    """RFC 5545 folding: at most `width` octets per line, continuation lines start with a space."""
    b = line.encode()
    out, first = [], True
    while b:
        n = width if first else width - 1
        out.append((b"" if first else b" ") + b[:n])
        b, first = b[n:], False
    return eol.join(x.decode() for x in out)


def test_calendar():
    desc = "DESCRIPTION:Pasient Ola Nordmann\\, fodselsnummer " + ID + "\\, kommer kl 10 til kontroll av hofte"
    at = desc.index(ID) + 4  # fold inside the id
    folded = desc[:at] + "\r\n " + desc[at:]
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//legacy21//NO\r\nBEGIN:VEVENT\r\nUID:20261205T080000-1\r\n"
           "SUMMARY:Legetime\r\n" + folded + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    raw_id = ID[:4] + "\r\n " + ID[4:]
    c1 = write("c1.ics", ics)
    expect_found(".ics file", c1, raw_id)
    expect_found(".ics file, --input text", c1, raw_id, "--input", "text")
    # Named .txt, recognised by its first line.
    expect_found("BEGIN:VCALENDAR file named .txt", write("kalender.txt", ics), raw_id)
    # vCard: a label folded, and the id folded by an encoder at 75 octets.
    note = "NOTE:Her er mitt fødselsnummer som du ba om i telefonen i går kveld: %s takk for hjelpen" % ID
    vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ola Nordmann\r\n" + fold(note) + "\r\nEND:VCARD\r\n"
    assert ID not in vcf.replace("\r\n ", "\n")  # the id is cut by the fold
    v1 = write("v1.vcf", vcf)
    expect_found(".vcf file", v1, ID[:4] + "\r\n " + ID[4:])
    # A label cut by the fold (the id after it has no other evidence).
    expect_found(".vcf file, label folded", write("v2.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ola\r\n"
                                                  "NOTE:Her er mitt fødselsnumm\r\n er: %s takk\r\nEND:VCARD\r\n" % ID), ID)
    # Redact the files: folded output (each continuation starts with a space),
    # unfolded it is the input with the id replaced; mask keeps every line's length.
    for path in (c1, v1):
        for style in ("label", "mask"):
            red = redact("%s --style %s" % (os.path.basename(path), style), path, "--style", style)
            if red is None:
                continue
            src = open(path, "rb").read().decode()
            if red == src:
                bad("%s: nothing replaced" % path)
            if style == "mask":
                if [len(x.encode()) for x in red.split("\r\n")] != [len(x.encode()) for x in src.split("\r\n")]:
                    bad("%s --style mask: line lengths changed" % path)
                if red.replace("\r\n ", "") != src.replace("\r\n ", "").replace(ID, "*" * 11):
                    bad("%s --style mask: unfolded output is not the input with the id masked" % path)
            else:
                if red.replace("\r\n ", "") != src.replace("\r\n ", "").replace(ID, "[NO-FNR]"):
                    bad("%s --style label: unfolded output is not the input with the label" % path)
                if red.count("\r\n ") != src.count("\r\n "):
                    bad("%s --style label: a fold was lost" % path)
    # Mail: text/calendar (LF), QP text/calendar (soft breaks and a fold),
    # a text/vcard attachment; scan, --input eml, mbox, redact.
    lf_ics = ics.replace("\r\n", "\n")
    c1eml = write("c1.eml", HDR + "Content-Type: text/calendar; method=REQUEST\n\n" + lf_ics)
    expect_found("text/calendar part", c1eml, raw_id.replace("\r\n", "\n"))
    expect_found("text/calendar part, --input eml", c1eml, raw_id.replace("\r\n", "\n"), "--input", "eml")
    red = redact("text/calendar part", c1eml)
    if red is not None and ("fodselsnummer [NO-\n FNR]" not in red):
        bad("text/calendar part: the fold is not kept:\n" + red)
    qp_body = ics.replace("=", "=3D")
    cut = qp_body.index("\r\n " + ID[4:]) + 5
    qp_body = qp_body[:cut] + "=\r\n" + qp_body[cut:]  # a soft break too, inside the id
    qp = (HDR + 'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nhei\n--B\n'
          'Content-Type: text/calendar; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n'
          + qp_body.replace("\r\n", "\n") + "\n--B\nContent-Type: text/x-vcard; name=\"ola.vcf\"\n\n"
          + vcf.replace("\r\n", "\n") + "--B--\n")
    qpm = write("qp.eml", qp)
    # review21a: a vCard 2.1 quoted-printable property (Android / Nokia
    # exports) wraps its value with soft line breaks, also inside an id:
    # before, exit 0 and no finding. Redact puts the soft break back.
    v21 = ("BEGIN:VCARD\r\nVERSION:2.1\r\nN:Nordmann;Ola\r\nNOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:"
           "f=C3=B8dselsnummer " + ID[:4] + "=\r\n" + ID[4:] + " takk=\r\n for hjelpen\r\nEND:VCARD\r\n")
    v21f = write("v21.vcf", v21)
    expect_found("vCard 2.1 QP soft break in the id (.vcf)", v21f, ID[:4] + "=\r\n" + ID[4:])
    v21m = write("v21.eml", HDR + "Content-Type: text/x-vcard; charset=utf-8\n\n" + v21.replace("\r\n", "\n"))
    expect_found("vCard 2.1 QP soft break in the id (mail)", v21m, ID[:4] + "=\n" + ID[4:])
    for path, eol in ((v21f, "\r\n"), (v21m, "\n")):
        red = redact("vCard 2.1 QP soft break " + os.path.basename(path), path)
        if red is not None and "f=C3=B8dselsnummer [NO-=" + eol + "FNR] takk=" + eol + " for hjelpen" not in red:
            bad("vCard 2.1 QP soft break %s: the soft break is not kept:\n%s" % (path, red))
    # Not quoted-printable: a line ending in '=' is not joined to the next.
    expect_clean("vCard 3.0 line ending in '='", write("v30.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:a=\r\n"
                                                      "X-N:fodselsnummer 1510\r\nX-M:86" + ID[6:] + "\r\nEND:VCARD\r\n"))
    expect_found("QP text/calendar + text/x-vcard", qpm, None, count=2)
    red = redact("QP text/calendar + text/x-vcard", qpm)
    mbox = write("c.mbox", "From a@example.com Sat Dec  5 08:00:00 2026\n" + HDR + "Content-Type: text/plain\n\nhei\n\n"
                 "From a@example.com Sat Dec  5 08:00:00 2026\n" + open(c1eml).read())
    fnr = expect_found("mbox with a calendar", mbox, raw_id.replace("\r\n", "\n"))
    if fnr and fnr[0].get("message_index") != 2:
        bad("mbox with a calendar: message_index %r, want 2" % fnr[0].get("message_index"))
    redact("mbox with a calendar", mbox)
    # batch and scan --threads: a calendar file is never cut into ranges (each
    # range would be scanned folded).
    bdir = os.path.join(T, "in")
    os.mkdir(bdir)
    write("in/many.ics", ics * 300)
    rc, _, err = run("batch", "--report", os.path.join(T, "rep"), bdir, extra_env={"NORDPII_RANGE_BYTES": "4096"})
    with open(os.path.join(T, "rep", "findings.jsonl")) as f:
        n = sum(1 for x in f if '"no.fnr"' in x)
    if rc != 1 or n != 300:
        bad("batch of a calendar cut into 4 KiB ranges: rc=%d, %d findings, want 300 (%s)" % (rc, n, err[:200]))
    rc, found, notes, err = scan(os.path.join(bdir, "many.ics"), "--threads", "2", "--thread-range", "4096")
    if rc != 1 or len(found) != 300:
        bad("scan --threads 2 of a calendar: rc=%d, %d findings, want 300" % (rc, len(found)))
    # Not a calendar: plain text keeps its line breaks (no unfolding), and a
    # calendar without ids is clean.
    expect_clean("plain text with a leading-space line", write("plain.txt", "fodselsnummer 1510\n 869\n"))
    expect_clean("calendar without ids", write("clean.ics", ics.replace(raw_id, "ikke oppgitt")))


try:
    {"uuencode": test_uuencode, "calendar": test_calendar}[WHAT]()
finally:
    shutil.rmtree(T, ignore_errors=True)
if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("ok")

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
r"""Writes inputs dense with valid synthetic Norwegian national ids (issue 12 #9).

Usage: gen_dense_inputs.py OUTDIR MB [hostile|extra [NAME...]|charset]
       (hostile: only the hostile review's nine; extra: only the shapes below them,
       or only the NAMEs given of them; charset: only the charset shapes)

Each file is about MB megabytes.

OUTDIR/dense.txt          plain text, one "fødselsnummer NNNNNNNNNNN" per line
OUTDIR/dense-8bit.eml     one text/plain part, 8bit
OUTDIR/dense-qp.eml       one text/plain part, quoted-printable
OUTDIR/dense-b64.eml      one text/plain part, base64
OUTDIR/dense.jsonl        one Zendesk-style ticket whose description holds the text
OUTDIR/dense-utf16.txt    the first half of the text in UTF-16 (little-endian, BOM)

The hostile review's shapes (issue 12 #9), each about MB megabytes too:
OUTDIR/dense-jsonesc.jsonl  one ticket whose description is escape-dense: per id
                            "Kunde \\ f\u00f8dselsnummer " + every digit as \u003X + "\n"
OUTDIR/dense-qpall.eml      a quoted-printable part where every byte is =XX, soft
                            line breaks every 72 characters (they cut ids)
OUTDIR/dense-html.jsonl     one ticket whose description is HTML:
                            "<p>Kunde <b>fødselsnummer</b> ID</p>" repeated
OUTDIR/dense-fields.jsonl   one ticket of many tiny fields: custom_fields is a list
                            of {"id":N,"value":"ID"} (about 40 bytes, 2 fields each)
OUTDIR/dense-html.eml       a text/html part (8bit): the HTML of dense-html.jsonl
OUTDIR/dense-cell.csv      a CSV export (id,subject,description,created_at) of one
                            record whose quoted description cell holds the text, with
                            "" escapes (a quoted word per line) and CRLF line breaks
OUTDIR/dense-cells.csv     one CSV record of many cells of about 3 MB each (just under
                            the 4 MiB streaming threshold), the same text
OUTDIR/dense-tiny.csv      one CSV record of many tiny cells (an id each, then empty ones)
OUTDIR/dense-cellsame.csv  one CSV record of identical cells of about 3 MB each
OUTDIR/dense-hostile.counts the number of ids planted in each of these

Further shapes (issue 12 #9, third round; `extra`), each about MB megabytes:
OUTDIR/dense.mbox           an mbox: a small message, one MB message (8bit), a small one
OUTDIR/dense-maildir/       a Maildir whose cur/ holds that MB message
OUTDIR/dense-csvatt.eml     multipart/mixed: a short text part and a base64
                            text/csv attachment (id;navn;fnr rows)
OUTDIR/dense-jsonatt.eml    the same with a base64 application/json attachment
OUTDIR/dense-headers.eml    MB of header lines ("X-Kunde-N: fødselsnummer ID"), short body
OUTDIR/dense-hline.eml      one Subject header line of MB, no folding
OUTDIR/dense-rfc2047.eml    a Subject of RFC 2047 encoded words (=?utf-8?B?...?=), folded
OUTDIR/dense.json           a JSON array (not JSON Lines) of small tickets
OUTDIR/dense-tickets.jsonl  the same tickets as JSON Lines
OUTDIR/dense-longline.eml   a text/plain 8bit body that is one line of MB (no line breaks)
OUTDIR/dense-noid.jsonl     JSON Lines of tickets without an "id" field (each known by its
                            record number), 20 ids in each description

Text parts in other charsets (issue 12 #9, `charset`), each about MB megabytes:
OUTDIR/dense-1252-8bit.eml  one text/plain part in windows-1252, 8bit ("fødselsnummer")
OUTDIR/dense-1252-qp.eml    the same, quoted-printable
OUTDIR/dense-1252-b64.eml   the same, base64
OUTDIR/dense-sjis-b64.eml   one text/plain part in Shift_JIS, base64
                            ("顧客 N 番号 fodselsnummer ID")
OUTDIR/dense-utf16-b64.eml  one text/plain part in UTF-16 (BOM, little-endian), base64
                            ("Kunde N fødselsnummer ID")

Every id is a valid Norwegian fødselsnummer (checksums computed here, dates
1950-1999, individual numbers 000-499): about one finding per 29 bytes.
"""
import base64
import json
import os
import quopri
import sys

W1 = [3, 7, 6, 1, 8, 9, 4, 5, 2]
W2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]


def fnr_ids():
    while True:
        for yy in range(50, 100):
            for mm in range(1, 13):
                for dd in range(1, 29):
                    for ind in range(0, 500, 7):
                        d = [int(c) for c in "%02d%02d%02d%03d" % (dd, mm, yy, ind)]
                        k1 = 11 - sum(a * b for a, b in zip(W1, d)) % 11
                        if k1 == 11:
                            k1 = 0
                        if k1 == 10:
                            continue
                        d.append(k1)
                        k2 = 11 - sum(a * b for a, b in zip(W2, d)) % 11
                        if k2 == 11:
                            k2 = 0
                        if k2 == 10:
                            continue
                        d.append(k2)
                        yield "".join(map(str, d))


def text(nbytes):
    out, n = [], 0
    for i, fnr in enumerate(fnr_ids()):
        line = "Kunde %d fødselsnummer %s\n" % (i % 1000, fnr)
        out.append(line)
        n += len(line.encode())
        if n >= nbytes:
            break
    return "".join(out)


def jsonesc(size):
    """The escape-dense JSON string: an offset map entry per escape."""
    parts, n, cnt = [], 0, 0
    for fnr in fnr_ids():
        if n >= size - 200:
            break
        p = "Kunde \\\\ f\\u00f8dselsnummer " + "".join("\\u%04x" % ord(c) for c in fnr) + "\\n"
        parts.append(p)
        n += len(p)
        cnt += 1
    rec = '{"id":1,"subject":"x","description":"' + "".join(parts) + '","created_at":"2024-01-02T03:04:05Z"}\n'
    return rec.encode(), cnt


def qpall(head, size):
    """Every byte an =XX escape, soft breaks every 72 characters."""
    out, n, cnt = [], 0, 0
    for fnr in fnr_ids():
        if n >= size // 3 - 1000:
            break
        line = "Kunde fødselsnummer %s\n" % fnr
        out.append(line)
        n += len(line.encode())
        cnt += 1
    enc = "".join("=%02X" % b for b in "".join(out).encode())
    body = "=\n".join(enc[i:i + 72] for i in range(0, len(enc), 72)) + "\n"
    return (head + "Content-Transfer-Encoding: quoted-printable\n\n" + body).encode(), cnt


def html(size):
    """An HTML description (converted whole: over the HTML limit)."""
    out, n, cnt = [], 0, 0
    for fnr in fnr_ids():
        if n >= size - 200:
            break
        p = "<p>Kunde <b>fødselsnummer</b> %s</p>" % fnr
        out.append(p)
        n += len(p.encode())
        cnt += 1
    rec = {"id": 1, "subject": "x", "description": "<html><body>" + "".join(out) + "</body></html>",
           "created_at": "2024-01-02T03:04:05Z"}
    return (json.dumps(rec, ensure_ascii=False) + "\n").encode(), cnt


def fields(size):
    """One record of many tiny fields (refused before simdjson indexes it)."""
    out, n, cnt = [], 0, 0
    for fnr in fnr_ids():
        if n >= size - 200:
            break
        p = '{"id":%d,"value":"%s"},' % (cnt, fnr)
        out.append(p)
        n += len(p)
        cnt += 1
    rec = '{"id":1,"subject":"x","custom_fields":[' + "".join(out).rstrip(",") + '],"created_at":"2024-01-02T03:04:05Z"}\n'
    return rec.encode(), cnt


def html_mail(size):
    """A text/html mail part (over the HTML part limit)."""
    out, n, cnt = [], 0, 0
    for fnr in fnr_ids():
        if n >= size - 400:
            break
        p = "<p>Kunde <b>fødselsnummer</b> %s</p>\n" % fnr
        out.append(p)
        n += len(p.encode())
        cnt += 1
    head = ("From: a@example.org\nTo: b@example.org\nSubject: dense\nMessage-ID: <dense@example.org>\n"
            "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
    return (head + "<html><body>" + "".join(out) + "</body></html>\n").encode(), cnt


def csv_text(size, ids=None):
    """Cell text with "" escapes and line breaks (CRLF and LF)."""
    parts, n, cnt = [], 0, 0
    for fnr in ids or fnr_ids():
        if n >= size:
            break
        p = 'Kunde ""%d"" fødselsnummer %s\r\n' % (cnt % 1000, fnr) if cnt % 2 else "Kunde fødselsnummer %s\n" % fnr
        parts.append(p)
        n += len(p.encode())
        cnt += 1
    return "".join(parts), cnt


def csv_cell(size):
    """One CSV record whose description cell holds the whole text."""
    t, cnt = csv_text(size - 200)
    rec = 'id,subject,description,created_at\r\n1,"dense ""x""","' + t + '",2024-01-02T03:04:05Z\r\n'
    return rec.encode(), cnt


def csv_cells(size):
    """One CSV record of many cells of about 3 MB each."""
    cells, total, cnt = [], 0, 0
    ids = fnr_ids()  # each cell its own ids (identical cells would be mirrors)
    while total < size - 3 * 2**20:
        t, c = csv_text(3 * 2**20, ids)
        cells.append('"' + t + '"')
        total += len(t.encode()) + 3
        cnt += c
    head = ",".join(["id"] + ["note%d" % i for i in range(len(cells))])
    return (head + "\n1," + ",".join(cells) + "\n").encode(), cnt


def csv_cells_same(size):
    """One CSV record of identical cells of about 3 MB each (mirrors of the first)."""
    t, c = csv_text(3 * 2**20)
    n = max(2, size // (len(t.encode()) + 3))
    head = ",".join(["id"] + ["note%d" % i for i in range(n)])
    return (head + "\n1," + ",".join(['"' + t + '"'] * n) + "\n").encode(), c * n


def csv_tiny(size):
    """One CSV record of many tiny cells: an id each, then empty cells."""
    out, n, cnt = ["1"], 1, 0
    for fnr in fnr_ids():
        if n >= size // 2:
            break
        out.append(fnr)
        n += 12
        cnt += 1
    body = ",".join(out) + "," * (size - n - 100)
    return ("id,description\n" + body + "\n").encode(), cnt


def main():
    outdir, mb = sys.argv[1], float(sys.argv[2])
    os.makedirs(outdir, exist_ok=True)
    size = int(mb * 1024 * 1024)
    head = ("From: a@example.org\nTo: b@example.org\nSubject: dense\nMessage-ID: <dense@example.org>\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n")
    if len(sys.argv) >= 4 and sys.argv[3] == "charset":
        charsets(outdir, size)
        return
    if len(sys.argv) >= 4 and sys.argv[3] == "extra":
        extra(outdir, size, head, sys.argv[4:])
        return
    if len(sys.argv) < 4 or sys.argv[3] != "hostile":
        common(outdir, size, head)
    counts = []
    for name, (data, cnt) in (("dense-jsonesc.jsonl", jsonesc(size)), ("dense-qpall.eml", qpall(head, size)),
                              ("dense-html.jsonl", html(size)), ("dense-fields.jsonl", fields(size)),
                              ("dense-html.eml", html_mail(size)), ("dense-cell.csv", csv_cell(size)),
                              ("dense-cells.csv", csv_cells(size)), ("dense-tiny.csv", csv_tiny(size)),
                              ("dense-cellsame.csv", csv_cells_same(size))):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
        counts.append("%s %d\n" % (name, cnt))
    with open(os.path.join(outdir, "dense-hostile.counts"), "w") as f:
        f.writelines(counts)


def extra(outdir, size, head, only):
    t = text(size).encode()

    def w(name, data):
        if not only or name in only or name.split("/")[0] in only:
            with open(os.path.join(outdir, name), "wb") as f:
                f.write(data)
    small = head.encode() + b"Content-Transfer-Encoding: 8bit\n\nHei\n"
    msg = head.encode() + b"Content-Transfer-Encoding: 8bit\n\n" + t
    w("dense.mbox", b"From a@example.org Mon Jan  1 00:00:00 2024\n" + small +
      b"\nFrom a@example.org Mon Jan  1 00:00:00 2024\n" + msg +
      b"\nFrom a@example.org Mon Jan  1 00:00:00 2024\n" + small)
    for sub in ("cur", "new", "tmp"):
        if not only or "dense-maildir" in only:
            os.makedirs(os.path.join(outdir, "dense-maildir", sub), exist_ok=True)
    w("dense-maildir/cur/1.dense:2,S", msg)
    mhead = ("From: a@example.org\nTo: b@example.org\nSubject: dense\nMIME-Version: 1.0\n"
             "Content-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\nContent-Type: text/plain; charset=utf-8\n\n"
             "Se vedlegg.\n--b1\n")
    ids = [l.split()[-1] for l in t.decode().splitlines()]
    csv = "".join("%d;Kunde %d;%s\n" % (i, i % 1000, f) for i, f in enumerate(ids)).encode()
    csv = b"id;navn;fnr\n" + csv[:size * 3 // 4]
    csv = csv[:csv.rfind(b"\n") + 1]
    w("dense-csvatt.eml", (mhead + "Content-Type: text/csv; charset=utf-8; name=\"kunder.csv\"\n"
      "Content-Disposition: attachment; filename=\"kunder.csv\"\nContent-Transfer-Encoding: base64\n\n").encode() +
      base64.encodebytes(csv) + b"--b1--\n")
    js = json.dumps([{"id": i, "navn": "Kunde %d" % (i % 1000), "fnr": f} for i, f in enumerate(ids)]).encode()
    js = js[:size * 3 // 4]
    js = js[:js.rfind(b"},") + 1] + b"]"
    w("dense-jsonatt.eml", (mhead + "Content-Type: application/json; name=\"kunder.json\"\n"
      "Content-Disposition: attachment; filename=\"kunder.json\"\nContent-Transfer-Encoding: base64\n\n").encode() +
      base64.encodebytes(js) + b"--b1--\n")
    hdr = "".join("X-Kunde-%d: fødselsnummer %s\n" % (i, f) for i, f in enumerate(ids)).encode()
    w("dense-headers.eml", head.encode() + hdr[:size] .rsplit(b"\n", 1)[0] + b"\n\nHei\n")
    one = " ".join("fødselsnummer %s" % f for f in ids).encode()[:size]
    w("dense-hline.eml", b"From: a@example.org\nTo: b@example.org\nSubject: " + one +
      b"\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nHei\n")
    words, n = [], 0
    for f in ids:
        ew = "=?utf-8?B?%s?=" % base64.b64encode(("fødselsnummer %s " % f).encode()).decode()
        words.append(ew)
        n += len(ew) + 2
        if n >= size:
            break
    w("dense-rfc2047.eml", b"From: a@example.org\nTo: b@example.org\nSubject: " + "\n ".join(words).encode() +
      b"\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\nHei\n")
    recs, n = [], 0
    for i, f in enumerate(ids):
        r = json.dumps({"id": i, "subject": "Sak %d" % i, "description": "Kunde fødselsnummer %s" % f,
                        "created_at": "2024-01-02T03:04:05Z"}, ensure_ascii=False)
        recs.append(r)
        n += len(r.encode()) + 2
        if n >= size:
            break
    w("dense.json", ("[\n" + ",\n".join(recs) + "\n]\n").encode())
    w("dense-tickets.jsonl", ("\n".join(recs) + "\n").encode())
    w("dense-longline.eml", head.encode() + b"Content-Transfer-Encoding: 8bit\n\n" + one + b"\n")
    recs, n = [], 0
    for i in range(0, 1 << 40, 20):
        r = json.dumps({"subject": "Sak %d" % i, "description": " ".join(
            "fødselsnummer %s" % ids[k % len(ids)] for k in range(i, i + 20))}, ensure_ascii=False)
        recs.append(r)
        n += len(r.encode()) + 1
        if n >= size:
            break
    w("dense-noid.jsonl", ("\n".join(recs) + "\n").encode())


def charsets(outdir, size):
    """Text parts in windows-1252, Shift_JIS and UTF-16, each about `size` bytes."""
    t = text(size)
    sj = t.replace("Kunde", "\u9867\u5ba2").replace("f\u00f8dselsnummer", "\u756a\u53f7 fodselsnummer")
    for name, cs, pycs, src, cte, enc in (
            ("1252-8bit", "windows-1252", "cp1252", t, "8bit", lambda x: x),
            ("1252-qp", "windows-1252", "cp1252", t, "quoted-printable", quopri.encodestring),
            ("1252-b64", "windows-1252", "cp1252", t, "base64", base64.encodebytes),
            ("sjis-b64", "shift_jis", "shift_jis", sj, "base64", base64.encodebytes),
            ("utf16-b64", "utf-16", "utf-16", t, "base64", base64.encodebytes)):
        b = src.encode(pycs)
        body = enc(b)
        if len(body) > size:  # each file about `size`: the encoded variants hold less text
            cut = int(len(src) * size / len(body))
            body = enc(src[:src.rfind("\n", 0, cut) + 1].encode(pycs))
        head = ("From: a@example.org\nTo: b@example.org\nSubject: dense\nMessage-ID: <dense@example.org>\n"
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=%s\nContent-Transfer-Encoding: %s\n\n"
                % (cs, cte))
        with open(os.path.join(outdir, "dense-%s.eml" % name), "wb") as f:
            f.write(head.encode() + body)


def common(outdir, size, head):
    t = text(size)
    b = t.encode()
    with open(os.path.join(outdir, "dense.txt"), "wb") as f:
        f.write(b)
    # Each file is about MB: the encoded variants hold less text.
    for name, cte, enc in (("8bit", "8bit", lambda x: x),
                           ("qp", "quoted-printable", quopri.encodestring),
                           ("b64", "base64", base64.encodebytes)):
        body = enc(b)
        if len(body) > size:
            cut = b.rfind(b"\n", 0, int(len(b) * size / len(body))) + 1
            body = enc(b[:cut])
        with open(os.path.join(outdir, "dense-%s.eml" % name), "wb") as f:
            f.write((head + "Content-Transfer-Encoding: %s\n\n" % cte).encode())
            f.write(body)
    with open(os.path.join(outdir, "dense-utf16.txt"), "wb") as f:
        half = t[:t.rfind("\n", 0, len(t) // 2) + 1]
        f.write(half.encode("utf-16"))
    rec = {"id": 1, "subject": "dense", "description": t, "created_at": "2024-01-02T03:04:05Z"}
    with open(os.path.join(outdir, "dense.jsonl"), "w") as f:
        f.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""PDF content outside the page text (issue 16, known misses of the hostile
review): AcroForm field values (widgets without appearance streams, so the
values are not page text), an XFA datasets packet, comments with pop-ups,
free text, a link target, a text file attached to an annotation, bookmarks
(one nested) and XMP metadata. Each id is found at its own location
(`pdf:form field 1`, `pdf:xfa datasets`, `pdf:page 1 annotation 2`,
`pdf:bookmarks`, `pdf:xmp`); no raw value without --reveal; a binary file
attached to an annotation, XMP with a DOCTYPE and an XFA stream inflating past
the limit leave the PDF partly scanned (exit 2); a PDF with a form, a comment
and bookmarks but no id keeps its exit 0.

usage: pdf_parts_test.py NORDPII"""
import json
import os
import random
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_docs as g  # noqa: E402

NORDPII = sys.argv[1]
import checklib  # noqa: E402
checklib.NORDPII = NORDPII
check, scan = checklib.check, checklib.scan
failures = checklib.failures


def key(v):
    return "".join(c for c in v if c.isalnum()).upper()


def main():
    d = tempfile.mkdtemp(prefix="nordpii-pdfparts-")
    ids = g.make_ids(random.Random(161), 12)
    lab = ["%s: %s" % i[:2] for i in ids]
    xfa = ('<?xml version="1.0" encoding="UTF-8"?><xfa:datasets xmlns:xfa="http://www.xfa.org/schema/xfa-data/1.0/">'
           '<xfa:data><skjema><navn>Ola</navn><fodselsnummer>%s</fodselsnummer></skjema></xfa:data></xfa:datasets>'
           % ids[2][1])
    xmp = ('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
           'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:description><rdf:Alt><rdf:li xml:lang="x-default">%s'
           '</rdf:li></rdf:Alt></dc:description></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>' % lab[3])
    cases = [  # (file, {id index: location}, builder kwargs)
        ("form.pdf", {0: "pdf:form field 1", 1: "pdf:form field 2"},
         dict(fields=[("fnr", "Fødselsnummer", ids[0][1]), ("Personnummer", None, ids[1][1])])),
        ("xfa.pdf", {2: "pdf:xfa datasets"}, dict(xfa=xfa)),
        ("xmp.pdf", {3: "pdf:xmp"}, dict(xmp=xmp)),
        ("comment.pdf", {4: "pdf:page 1 annotation 1", 5: "pdf:page 1 annotation 3"},
         dict(annots=[("Text", lab[4], None), ("FreeText", lab[5], None)])),
        ("link.pdf", {8: "pdf:page 1 annotation 1"},  # a Norwegian fnr (ids[8]), as a URL query
         dict(annots=[("Link", None, "https://skjema.example.no/sak?fnr=%s" % ids[8][2])])),
        ("attached-note.pdf", {7: "pdf:page 1 annotation 1"},
         dict(annots=[("FileAttachment", "Vedlegg", ("notat.txt", lab[7].encode()))])),
        ("bookmarks.pdf", {6: "pdf:bookmarks", 9: "pdf:bookmarks"},
         dict(outline=[lab[6], "Kapittel 2", lab[9]])),
    ]
    for f, want, kw in cases:
        p = os.path.join(d, f)
        g.pdf_structured(p, ["Skjema for ansatte."], **kw)
        rc, out, err = scan(p, "--reveal")
        got = {}
        for line in out.splitlines():
            r = json.loads(line)
            got.setdefault(key(r.get("value", "")), set()).add(r.get("field", ""))
        for i, loc in want.items():
            check(rc == 1 and loc in got.get(key(ids[i][2]), set()),
                  "%s: id %d found at %s (exit %d, %s)" % (f, i, loc, rc, sorted(got.get(key(ids[i][2]), []))))
        rc, out, err = scan(p)
        check(not any(key(ids[i][2]) in key(out + err) for i in want), "%s: no raw value without --reveal" % f)
    p = os.path.join(d, "binary-note.pdf")
    g.pdf_structured(p, ["%s" % lab[10]], annots=[("FileAttachment", None, ("bilde.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"))])
    rc, out, err = scan(p)
    check(rc == 2 and "partly scanned" in err and "binary" in err and '"national-id"' in out,
          "a binary file attached to an annotation: the page is still read, and exit 2 (%d)" % rc)
    # Hostile parts: XMP with a DOCTYPE (billion laughs) is refused, a
    # Flate bomb in an XFA packet stops at the stream limit — both leave the
    # PDF partly scanned (exit 2) with its page text still read.
    laughs = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              '<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>')
    p = os.path.join(d, "laughs.pdf")
    g.pdf_structured(p, [lab[10]], xmp=laughs)
    rc, out, err = scan(p)
    check(rc == 2 and "XMP metadata is not well-formed XML" in err and '"national-id"' in out,
          "XMP with a DOCTYPE: refused, partly scanned, page still read (exit %d)" % rc)
    p = os.path.join(d, "bomb.pdf")
    g.pdf_structured(p, [lab[10]], xfa="<a>" + " " * (300 << 20) + "</a>")
    rc, out, err = scan(p)
    check(rc == 2 and "larger than the limit" in err and '"national-id"' in out,
          "XFA stream inflating past 256 MiB: stopped, partly scanned (exit %d, %d KiB file)" %
          (rc, os.path.getsize(p) >> 10))
    p = os.path.join(d, "clean.pdf")
    g.pdf_structured(p, ["Ingen nummer her."], fields=[("Navn", None, "Kari Nordmann")], outline=["Innledning"],
                     annots=[("Text", "Ser bra ut.", None)])
    rc, out, err = scan(p)
    check(rc == 0, "a PDF with a form, a comment and bookmarks but no id stays clean (exit %d %s)" % (rc, err.strip()))
    checklib.finish()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""TNEF (winmail.dat) attachments (tnef21). Before: a TNEF part was read only
by its printable text runs, so an id in the LZFu-compressed RTF body
(PR_RTF_COMPRESSED: control bytes and dictionary references break it into
pieces) passed with exit 0 and no finding.

Synthetic TNEF streams (gen_tnef.py: a real LZFu compressor with dictionary
back-references) with bodies in compressed RTF (LZFu and MELA), attBody,
PR_BODY (PT_UNICODE), PR_HTML (an id split by tags), the subject, and
attachments (a .txt by attAttachData, a .docx by PR_ATTACH_DATA_BIN and a
.pdf), as mail attachments under their own type, under a generic or lying
type/name (found by the signature), as files and in a zip; the milter rejects (ids) or takes on_error (broken); redact replaces
the part by the notice and the output scans clean; broken variants
(truncated, bad checksum, bad CRC, wrong or huge declared size, an embedded
message, an unknown property type) are errors (exit 2), never a pass.

Oracle: Debian's `tnef` program (GPL; a test dependency only) decompresses
every compressed body the generator wrote and must give back the RTF, and
lists the attachments with the same bytes.

usage: tnef_test.py NORDPII"""
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checklib  # noqa: E402
import gen_docs  # noqa: E402
import gen_tnef as g  # noqa: E402

NORDPII = sys.argv[1]
checklib.NORDPII = NORDPII
check, run, scan = checklib.check, checklib.run, checklib.scan
OUT = tempfile.mkdtemp(prefix="tnef_test_")

rng = random.Random(2112)
IDS = [v for _, v, _ in gen_docs.make_ids(rng, 40) if len(v) == 11 and v.isdigit()]  # Norwegian fødselsnummer
from stdnum.no import fodselsnummer  # noqa: E402
assert len(IDS) >= 9 and all(fodselsnummer.is_valid(v) for v in IDS)
RAW = list(IDS)


def findings(out):
    res = []
    for line in out.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") and o.get("field") is not None and "masked" in o:
            res.append(o)
    return res


def no_raw(text, what):
    leaked = [v for v in RAW if v in text]
    check(not leaked, what + ": no raw id in the output")


def write(name, data):
    p = os.path.join(OUT, name)
    with open(p, "wb") as f:
        f.write(data)
    return p


def mail(name, tnef_bytes, ctype="application/ms-tnef", fname="winmail.dat"):
    return write(name, g.eml([("text/plain", None, "Se vedlegg.".encode()), (ctype, fname, tnef_bytes)]))


def fields(path, *extra):
    rc, out, err = scan(path, *extra)
    no_raw(out + err, os.path.basename(path))
    return rc, [f["field"] for f in findings(out)], out, err


# ---- bodies ------------------------------------------------------------------
id_rtf, id_rtf2, id_body, id_uni, id_html, id_subj, id_txt, id_docx, id_pdf, id_mela = (IDS + IDS)[:10]
rtf = ("{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Arial;}}\r\n"
       "\\pard\\plain\\f0\\fs20 Hei,\\par Saken gjelder dato %s og kunde %s.\\par "
       "F\\'f8dselsnummer: %s\\par Gjentatt: F\\'f8dselsnummer: %s\\par "
       "{\\b F\\'f8dselsnummer:} %s%s\\par }" % (id_rtf[:6], id_rtf2[6:], id_rtf, id_rtf, id_rtf2[:6], id_rtf2[6:])).encode()
blob, stats = g.lzfu(rtf)
# The compressor must break ids: a back-reference covering part of an id.
def split_by_ref(value):
    spans, pos = [], rtf.find(value.encode())
    while pos >= 0:
        spans.append((pos, pos + len(value)))
        pos = rtf.find(value.encode(), pos + 1)
    return any(a < s + n and s < b for a, b in spans for s, n in stats["refs"])
check(len(stats["refs"]) >= 10, "LZFu test data uses dictionary back-references (%d)" % len(stats["refs"]))
check(split_by_ref(id_rtf) and split_by_ref(id_rtf2), "both RTF ids lie (partly) in back-references")

html = ("<html><body><p>Kunde</p><p>F&oslash;dselsnummer: <b>%s</b>%s</p></body></html>" % (id_html[:6], id_html[6:]))
main = g.tnef(
    subject="Ang. %s" % id_subj, body="Fødselsnummer: %s\r\n" % id_body,
    props_=[g.prop(g.PT_UNICODE, 0x1000, "Unicode-tekst. Fødselsnummer: %s" % id_uni),
            g.prop(g.PT_BINARY, 0x1013, html.encode()),
            g.prop(g.PT_LONG, 0x3FDE, 65001),
            g.prop(g.PT_BINARY, 0x1009, blob)],
    attachments=[])
p_main = write("main.dat", main)

# oracle: the tnef program decompresses our LZFu to the same RTF
def oracle_body(path):
    d = tempfile.mkdtemp(dir=OUT)
    subprocess.run(["tnef", "--save-body=body", "--body-pref=r", "-C", d, "-f", path], capture_output=True)
    try:
        with open(os.path.join(d, "body.rtf"), "rb") as f:
            return f.read()
    except OSError:
        return None

have_oracle = shutil.which("tnef") is not None
check(have_oracle, "the oracle `tnef` is installed (scripts/install-deps.sh --test)")
if have_oracle:
    check(oracle_body(p_main) == rtf, "oracle: tnef decompresses the generated LZFu body to the RTF")
    for k in range(12):  # more random bodies: compressor and oracle agree
        text = "".join(rng.choice(["\\par ", "Kunde ", "nr ", "F\\'f8dselsnummer: ", rng.choice(IDS), " ",
                                   "{\\b x}", "\\tab ", "Hei"]) for _ in range(rng.randint(50, 900)))
        r = ("{\\rtf1\\ansi " + text + "}").encode()
        b, _ = g.lzfu(r)
        pth = write("oracle%d.dat" % k, g.tnef(props_=[g.prop(g.PT_BINARY, 0x1009, b)]))
        body = oracle_body(pth)
        if body != r:
            check(False, "oracle: random body %d decompresses to its RTF" % k)
            break
        # Differential: nordpii's decompression of the TNEF against the
        # oracle's RTF read as an .rtf file — the same findings (keyed hash
        # and offset in the text), so the same decompressed bytes.
        env = {"NORDPII_KEY": "tnef-test-key-0123456789abcdef"}
        got = []
        for path in (pth, write("oracle%d.rtf" % k, body)):
            rc, out, _ = checklib.run(["scan", "--format", "jsonl", path], env=env, timeout=60)
            got.append(sorted((f["hash"], f["part_offset"]) for f in findings(out)))
        if not got[0] or got[0] != got[1]:
            check(False, "differential: random body %d: TNEF and the oracle's RTF give the same findings (%d vs %d)" %
                  (k, len(got[0]), len(got[1])))
            break
    else:
        check(True, "oracle: 12 random bodies (up to ~10 KB, many references) decompress to their RTF, and "
              "nordpii finds the same ids at the same offsets in them as in the oracle's RTF")

for label, path in (("file", p_main), ("mail", mail("main.eml", main))):
    rc, fs, out, err = fields(path)
    check(rc == 1, "%s: TNEF with ids: exit 1 (got %d)" % (label, rc))
    for want, n in (("tnef:rtf", 2), ("tnef:body", 2), ("tnef:html", 1), ("tnef:subject", 1)):
        got = sum(1 for f in fs if f == want)
        check(got >= n, "%s: %d finding(s) in %s (got %d; %s)" % (label, n, want, got, sorted(set(fs))))

# MELA (stored RTF)
mela = g.tnef(props_=[g.prop(g.PT_BINARY, 0x1009, g.mela(("{\\rtf1 F\\'f8dselsnummer: %s\\par}" % id_mela).encode()))])
rc, fs, _, _ = fields(write("mela.dat", mela))
check(rc == 1 and "tnef:rtf" in fs, "MELA (uncompressed) RTF body read (rc %d, %s)" % (rc, fs))

# ---- attachments -------------------------------------------------------------
docx_path = os.path.join(OUT, "kunder.docx")
gen_docs.docx(docx_path, ["Kundeliste", "Fødselsnummer: %s" % id_docx])
pdf_path = os.path.join(OUT, "brev.pdf")
gen_docs.pdf(pdf_path, [["Brev", "Fødselsnummer: %s" % id_pdf]])
txt = ("Liste\r\nFødselsnummer: %s\r\n" % id_txt).encode("cp1252")
atts = [{"name": "liste.txt", "data": txt, "how": "attach"},
        {"name": "C:\\Users\\ola\\kunder.docx", "data": open(docx_path, "rb").read(), "how": "mapi"},  # a path
        {"name": "brev.pdf", "data": open(pdf_path, "rb").read(), "how": "attach"}]
with_att = g.tnef(subject="Vedlegg", body="Se vedlagt.\r\n", attachments=atts)
p_att = write("att.dat", with_att)
if have_oracle:
    d = tempfile.mkdtemp(dir=OUT)
    subprocess.run(["tnef", "-C", d, "-f", p_att], capture_output=True)
    got = sorted(open(os.path.join(d, n), "rb").read() for n in os.listdir(d))
    same = got == sorted(a["data"] for a in atts)
    check(same, "oracle: tnef extracts the 3 attachments with the same bytes")
for label, path in (("file", p_att), ("mail", mail("att.eml", with_att))):
    rc, fs, out, err = fields(path)
    check(rc == 1, "%s: TNEF attachments: exit 1 (got %d; %s)" % (label, rc, err.strip()[:200]))
    for want in ("tnef:attachment 1 liste.txt", "tnef:attachment 2 kunder.docx p", "tnef:attachment 3 brev.pdf page"):
        check(any(f.startswith(want) for f in fs), "%s: a finding in %s… (%s)" % (label, want, sorted(set(fs))))

# recognised by its signature whatever the type and name say; in a zip
for ctype, fname in (("application/octet-stream", "data.bin"), ("application/pdf", "scan.pdf"),
                     ("application/vnd.ms-tnef", "x.dat"), ("application/octet-stream", "WINMAIL.DAT")):
    rc, fs, _, _ = fields(mail("sig.eml", main, ctype, fname))
    check(rc == 1 and "tnef:rtf" in fs, "sent as %s %s: read as TNEF (rc %d)" % (ctype, fname, rc))
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("post/winmail.dat", main)
rc, fs, _, _ = fields(write("in.zip", buf.getvalue()))
check(rc == 1 and any("rtf" in f for f in fs), "a TNEF file in a zip is read (rc %d, %s)" % (rc, fs))
rc, fs, _, _ = fields(write("noname", main))
check(rc == 1 and "tnef:rtf" in fs, "a file without a name that says TNEF is read by its signature (rc %d)" % rc)

# clean: no finding, exit 0
clean = g.tnef(subject="Møte", body="Hei, møte kl. 10.\r\n",
               props_=[g.prop(g.PT_BINARY, 0x1009, g.lzfu(b"{\\rtf1\\ansi Hei, m\\'f8te kl. 10.\\par Ordre 4711\\par}")[0])],
               attachments=[{"name": "a.txt", "data": b"Ingenting her.\r\n", "how": "attach"}])
rc, fs, out, err = fields(mail("clean.eml", clean))
check(rc == 0 and not fs, "clean TNEF: exit 0, no finding (rc %d, %s %s)" % (rc, fs, err.strip()[:200]))

# ---- redact ------------------------------------------------------------------
src = write("redact_in.eml", g.eml([("text/plain", None, "Se vedlegg.".encode()),
                                     ("application/ms-tnef", "winmail.dat", with_att),
                                     ("application/ms-tnef", "clean.dat", clean)]))
dst = os.path.join(OUT, "redact_out.eml")
rc, out, err = run(["redact", src, "-o", dst])
check(rc in (0, 1) and os.path.exists(dst), "redact writes the mail (rc %d; %s)" % (rc, err.strip()[:200]))
if os.path.exists(dst):
    red = open(dst, "rb").read()
    no_raw(red.decode("latin-1"), "redacted mail")
    check(b"nordpii-removed-attachment.txt" in red, "the TNEF part with ids is replaced by the notice part")
    import base64
    check(base64.encodebytes(clean).replace(b"\n", b"\r\n")[:60] in red.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
          "the clean TNEF part is kept")
    rc, fs, _, _ = fields(dst)
    check(rc == 0 and not fs, "the redacted mail scans clean (rc %d, %s)" % (rc, fs))

# ---- fail closed -------------------------------------------------------------
def broken(name, data, why):
    for label, path in (("file", write(name + ".dat", data)), ("mail", mail(name + ".eml", data))):
        rc, fs, out, err = fields(path)
        check(rc == 2, "%s %s: exit 2 (got %d; %s)" % (label, why, rc, err.strip()[-160:]))
    rc, out, err = run(["redact", path, "-o", os.path.join(OUT, name + ".out.eml")])
    check(rc == 2 and not os.path.exists(os.path.join(OUT, name + ".out.eml")),
          "redact %s: exit 2, nothing written (rc %d)" % (why, rc))

broken("truncated", main[:len(main) // 2], "truncated TNEF")
broken("checksum", g.tnef(body="Hei\r\n", damage="checksum"), "bad attribute checksum")
broken("crc", g.tnef(props_=[g.prop(g.PT_BINARY, 0x1009, g.lzfu(rtf, bad_crc=True)[0])]), "bad LZFu CRC")
broken("rawsize", g.tnef(props_=[g.prop(g.PT_BINARY, 0x1009, g.lzfu(rtf, raw_size=len(rtf) + 7)[0])]),
       "LZFu larger declared size than it decompresses to")
broken("rawsize_small", g.tnef(props_=[g.prop(g.PT_BINARY, 0x1009, g.lzfu(rtf, raw_size=len(rtf) - 7)[0])]),
       "LZFu smaller declared size than it decompresses to")
broken("huge", g.tnef(props_=[g.prop(g.PT_BINARY, 0x1009, g.lzfu(rtf, raw_size=0xFFFFFFF0)[0])]),
       "LZFu declared size over the limit")
cut = blob[:-5]
broken("compsize", g.tnef(props_=[g.prop(g.PT_BINARY, 0x1009, cut)]), "compressed RTF cut short")
broken("embedded", g.tnef(body="Se videresendt.\r\n", attachments=[{"data": main, "how": "message"}]),
       "an embedded message object")
broken("badtype", g.tnef(props_=[g.prop(0x0099, 0x6000, b"\0\0\0\0")]), "an unknown property type")
# ---- the milter ----------------------------------------------------------------
import attach_test as t  # noqa: E402  (start_milter, milter_message)
pol = write("policy.toml", b'[limits]\non_error = "tempfail"\n[[rule]]\nname = "ids"\n'
            b'categories = ["national-id"]\naction = "reject"\n')
proc, port = t.start_milter(pol)
try:
    for name, want, what in (("main.eml", b"550", "rejects a message whose TNEF body has ids"),
                             ("att.eml", b"550", "rejects a message whose TNEF attachment has ids"),
                             ("crc.eml", b"451", "a TNEF part with a bad CRC: on_error tempfail"),
                             ("embedded.eml", b"451", "a TNEF part with an attached message: on_error tempfail")):
        r = t.milter_message(port, open(os.path.join(OUT, name), "rb").read())
        check(r[-1][0] == b"y" and r[-1][1].startswith(want), "milter %s (%r)" % (what, r[-1][1][:40]))
    r = t.milter_message(port, open(os.path.join(OUT, "clean.eml"), "rb").read())
    check(r[-1][0] == b"c", "milter accepts a message with a clean TNEF part (%r)" % (r[-1],))
finally:
    proc.terminate()
    proc.wait(timeout=10)
checklib.finish()

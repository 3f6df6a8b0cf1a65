#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Generated attachment suite (issue 16): minimal but real-shaped OOXML and
OpenDocument zips (written here with zipfile), PDFs with FlateDecode content
streams (written here with zlib), and hostile samples. Every identifier is
synthetic and validated with python-stdnum (Debian's /usr/bin/python3).

Each document gets a list of planted identifiers; write_suite() returns
[(file name, format, [planted values as digits only])]."""
import random
import struct
import zipfile
import zlib
from xml.sax.saxutils import escape

from stdnum.dk import cpr
from stdnum.fi import hetu
from stdnum.no import fodselsnummer
from stdnum.se import personnummer


def _digits(s):
    return "".join(c for c in s if c.isalnum())


def make_ids(rng, n):
    """n synthetic valid ids of four types: (label, written value, key)."""
    out = []
    while len(out) < n:
        kind = len(out) % 4
        d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(40, 99)
        if kind == 0:  # Norwegian fodselsnummer; some with a leading 0 day
            base = "%02d%02d%02d%03d" % (d, m, y, rng.randint(500, 749) if y < 40 else rng.randint(0, 499))
            for k1 in range(10):
                for k2 in range(10):
                    v = base + str(k1) + str(k2)
                    if fodselsnummer.is_valid(v):
                        break
                else:
                    continue
                break
            else:
                continue
            out.append(("Fødselsnummer", v, v))
        elif kind == 1:
            v = "%02d%02d%02d-%03d" % (y, m, d, rng.randint(0, 999))
            for c in range(10):
                if personnummer.is_valid(v + str(c)):
                    v += str(c)
                    break
            else:
                continue
            out.append(("Personnummer", v, _digits(v)))
        elif kind == 2:
            v = "%02d%02d%02d-%04d" % (d, m, y, rng.randint(0, 9999))
            if not cpr.is_valid(v):
                continue
            out.append(("CPR-nummer", v, _digits(v)))
        else:
            v = "%02d%02d%02d-%03d" % (d, m, y, rng.randint(2, 899))
            v += "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(_digits(v)[:6] + v[-3:]) % 31]
            if not hetu.is_valid(v):
                continue
            out.append(("Henkilötunnus", v, _digits(v)))
    return out


def _zip(path, files, mimetype=None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        if mimetype:
            z.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        for name, body in files.items():
            z.writestr(name, body)


CT = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def xlsx(path, rows, sheet="Ansatte", numeric_cols=(), inline_cols=(), extra_sheets=None, zero_format_cols=()):
    """rows: list of lists of str; the first row is the header. Cells in
    numeric_cols are written as numbers (<v>), inline_cols as inline strings,
    the rest as shared strings (every third one as rich text runs). Numbers in
    zero_format_cols (of the first sheet) get the custom number format
    "00000000000" (cell style 1), as a sheet that shows an id's leading zero."""
    sst, idx = [], {}
    sheets = [(sheet, rows, numeric_cols, inline_cols)] + (extra_sheets or [])
    sheet_xml = []
    for _name, rws, ncols, icols in sheets:
        out = []
        for r, row in enumerate(rws, 1):
            cells = []
            for c, val in enumerate(row):
                ref = chr(ord("A") + c) + str(r)
                if r > 1 and c in ncols:
                    style = ' s="1"' if rws is rows and c in zero_format_cols else ""
                    cells.append('<c r="%s"%s><v>%s</v></c>' % (ref, style, val))
                elif r > 1 and c in icols:
                    cells.append('<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, escape(val)))
                else:
                    if val not in idx:
                        idx[val] = len(sst)
                        if len(sst) % 3 == 2 and len(val) > 4:  # rich text: the value in two runs
                            h = len(val) // 2
                            sst.append('<si><r><rPr><b/></rPr><t>%s</t></r><r><t>%s</t></r></si>' %
                                       (escape(val[:h]), escape(val[h:])))
                        else:
                            sst.append('<si><t xml:space="preserve">%s</t></si>' % escape(val))
                    cells.append('<c r="%s" t="s"><v>%d</v></c>' % (ref, idx[val]))
            out.append('<row r="%d">%s</row>' % (r, "".join(cells)))
        sheet_xml.append(CT + '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         '<sheetData>%s</sheetData></worksheet>' % "".join(out))
    files = {
        "[Content_Types].xml": CT + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": CT + '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>%s</sheets></workbook>'
        % "".join('<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (escape(s[0]), i + 1, i + 1)
                  for i, s in enumerate(sheets)),
        "xl/_rels/workbook.xml.rels": CT + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">%s'
        '</Relationships>' % "".join('<Relationship Id="rId%d" Target="worksheets/sheet%d.xml" Type="ws"/>' % (i + 1, i + 1)
                                     for i in range(len(sheets))),
        "xl/styles.xml": CT + '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="00000000000"/></numFmts>'
        '<cellStyleXfs count="1"><xf numFmtId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/sharedStrings.xml": CT + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">%s</sst>'
        % "".join(sst),
    }
    for i, x in enumerate(sheet_xml):
        files["xl/worksheets/sheet%d.xml" % (i + 1)] = x
    _zip(path, files)


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _runs(text, pieces):
    """text split into `pieces` runs (a number split across <w:r>); a tuple
    or list of strings: one run each."""
    if isinstance(text, (tuple, list)):
        return "".join('<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r>' % escape(p) for p in text)
    step = max(1, len(text) // pieces)
    parts = [text[i:i + step] for i in range(0, len(text), step)]
    return "".join('<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r>' % escape(p) for p in parts)


def docx(path, paragraphs, table_rows=()):
    """paragraphs: strings (each written as 3 runs); table_rows: lists of cells."""
    body = "".join('<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>%s</w:p>' % _runs(p, 3)
                   for p in paragraphs)
    if table_rows:
        body += "<w:tbl>" + "".join(
            "<w:tr>" + "".join("<w:tc><w:p>%s</w:p></w:tc>" % _runs(c, 2) for c in row) + "</w:tr>"
            for row in table_rows) + "</w:tbl>"
    _zip(path, {
        "[Content_Types].xml": CT + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": CT + '<w:document %s><w:body>%s</w:body></w:document>' % (W, body),
    })


def pptx(path, slides):
    files = {"[Content_Types].xml": CT + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'}
    for i, paras in enumerate(slides, 1):
        ps = "".join('<a:p>%s</a:p>' % "".join('<a:r><a:t>%s</a:t></a:r>' % escape(x) for x in
                                               (p if isinstance(p, (tuple, list)) else (p[:len(p) // 2], p[len(p) // 2:])))
                     for p in paras)
        files["ppt/slides/slide%d.xml" % i] = CT + (
            '<p:sld xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody>'
            '%s</p:txBody></p:sp></p:spTree></p:cSld></p:sld>' % ps)
    _zip(path, files)


ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"')


def _odf(path, kind, body):
    mt = "application/vnd.oasis.opendocument." + kind
    _zip(path, {
        "META-INF/manifest.xml": CT + '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"/>',
        "content.xml": CT + '<office:document-content %s><office:body>%s</office:body></office:document-content>'
        % (ODF_NS, body),
    }, mimetype=mt)


def _spans(p):
    if isinstance(p, (tuple, list)):  # one span per piece
        return "".join('<text:span>%s</text:span>' % escape(x) for x in p)
    h = len(p) // 2
    return '<text:span>%s</text:span><text:span>%s</text:span>' % (escape(p[:h]), escape(p[h:]))


def odt(path, paragraphs, table_rows=()):
    body = "".join("<text:p>%s</text:p>" % _spans(p) for p in paragraphs)
    if table_rows:
        body += "<table:table>" + "".join(
            "<table:table-row>" + "".join("<table:table-cell><text:p>%s</text:p></table:table-cell>" % escape(c)
                                          for c in row) + "</table:table-row>" for row in table_rows) + "</table:table>"
    _odf(path, "text", "<office:text>%s</office:text>" % body)


def ods(path, rows, numeric_cols=(), sheet="Ansatte", shown_cols=()):
    """numeric_cols: float cells; shown_cols: float cells whose value lost its
    leading zeros while the cell shows them (an 11-digit number style)."""
    out = []
    for r, row in enumerate(rows):
        cells = []
        for c, v in enumerate(row):
            if r > 0 and c in shown_cols:
                cells.append('<table:table-cell office:value-type="float" office:value="%s"><text:p>%s</text:p>'
                             '</table:table-cell>' % (int(v), v))
            elif r > 0 and c in numeric_cols:
                cells.append('<table:table-cell office:value-type="float" office:value="%s"><text:p>%s</text:p>'
                             '</table:table-cell>' % (v, v))
            else:
                cells.append('<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>'
                             % escape(v))
        out.append("<table:table-row>%s</table:table-row>" % "".join(cells))
    _odf(path, "spreadsheet", '<office:spreadsheet><table:table table:name="%s">%s</table:table></office:spreadsheet>'
         % (escape(sheet), "".join(out)))


def odp(path, slides):
    body = "".join('<draw:page draw:name="s%d"><draw:frame><draw:text-box>%s</draw:text-box></draw:frame></draw:page>' %
                   (i, "".join("<text:p>%s</text:p>" % _spans(p) for p in paras)) for i, paras in enumerate(slides, 1))
    _odf(path, "presentation", "<office:presentation>%s</office:presentation>" % body)


def _pdf_str(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(path, pages, encrypt=False, truncate=False, info=None, attachments=()):
    """pages: lists of lines; each line written in a FlateDecode stream, the
    last digits of every line as a separate positioned glyph run (TJ).
    info: a document information dict ({"Title": ...}); attachments:
    (name, bytes) embedded files."""
    objs = []
    kids = []
    font_id = 3
    objs.append(None)  # 1 catalog
    objs.append(None)  # 2 pages
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for lines in pages:
        ops = ["BT /F1 11 Tf 14 TL 50 780 Td"]
        for ln in lines:
            h = len(ln) - 5 if len(ln) > 8 else len(ln)
            ops.append("[(%s) -20 (%s)] TJ T*" % (_pdf_str(ln[:h]), _pdf_str(ln[h:])))
        ops.append("ET")
        data = zlib.compress("\n".join(ops).encode("latin-1"))
        objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")
        content_id = len(objs)
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                    b"/Contents %d 0 R >>" % (font_id, content_id))
        kids.append(len(objs))
    names = []
    for name, data in attachments:
        objs.append(b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(data) + data + b"\nendstream")
        objs.append(b"<< /Type /Filespec /F (%s) /EF << /F %d 0 R >> >>" % (_pdf_str(name).encode("latin-1"), len(objs)))
        names.append(b"(%s) %d 0 R" % (_pdf_str(name).encode("latin-1"), len(objs)))
    info_ref = b""
    if info:
        objs.append(b"<< " + b" ".join(b"/%s (%s)" % (k.encode(), _pdf_str(v).encode("latin-1"))
                                        for k, v in info.items()) + b" >>")
        info_ref = b" /Info %d 0 R" % len(objs)
    objs[0] = (b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [%s] >> >> >>" % b" ".join(names)
               if names else b"<< /Type /Catalog /Pages 2 0 R >>")
    objs[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    enc = b""
    if encrypt:  # standard security handler, a password nobody knows
        offs.append(len(out))
        n = len(objs) + 1
        out += (b"%d 0 obj\n<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P -4 >>\nendobj\n" %
                (n, b"11" * 32, b"22" * 32))
        enc = b" /Encrypt %d 0 R /ID [<%s> <%s>]" % (n, b"33" * 16, b"33" * 16)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R%s%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(offs) + 1, enc, info_ref, xref)
    if truncate:
        out = out[: len(out) // 3]
    with open(path, "wb") as f:
        f.write(bytes(out))


# ---- hostile samples -------------------------------------------------------

def zip_bomb_xlsx(path, mb=600):
    """A sheet entry of `mb` MB of zeros inside a small zip (a zip bomb)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("xl/workbook.xml", CT + "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(b'<worksheet><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>')
            block = b"0" * (1 << 20)
            for _ in range(mb):
                f.write(block)
            f.write(b"</t></is></c></row></sheetData></worksheet>")


def billion_laughs_xlsx(path):
    lol = '<!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        '<!ENTITY lol%d "%s">' % (i, ("&lol%s;" % ("" if i == 1 else i - 1)) * 10) for i in range(1, 10)) + "]>"
    _zip(path, {
        "xl/workbook.xml": CT + "<workbook/>",
        "xl/sharedStrings.xml": CT + lol + "<sst><si><t>&lol9;</t></si></sst>",
        "xl/worksheets/sheet1.xml": CT + '<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        "</sheetData></worksheet>",
    })


def deep_docx(path, depth=100000):
    _zip(path, {"word/document.xml": CT + "<w:document %s><w:body>" % W + "<w:p>" * depth + "</w:p>" * depth +
                "</w:body></w:document>"})


# ---- legacy binary Office (OLE2 compound files) ----------------------------

def ole(path, streams):
    """A minimal OLE2 compound file (version 3, 512-byte sectors) holding
    `streams` ({name: bytes}); each stream is padded to 4096 bytes so that
    none lives in the mini stream."""
    ENDOFCHAIN, FREESECT, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    names = sorted(streams, key=lambda n: (len(n), n.upper()))
    data, fat, starts, sizes = b"", [], {}, {}
    for n in names:
        body = streams[n]
        body += b"\0" * max(0, 4096 - len(body))
        body += b"\0" * (-len(body) % 512)
        first = len(fat)
        k = len(body) // 512
        fat += [first + i + 1 for i in range(k - 1)] + [ENDOFCHAIN]
        starts[n], sizes[n] = first, len(body)
        data += body

    def entry(name, typ, child, right, start, size):
        u = name.encode("utf-16-le")
        return (u + b"\0" * (64 - len(u)) + struct.pack("<HBBIII", len(u) + 2, typ, 1, FREESECT, right, child) +
                b"\0" * 16 + b"\0" * 4 + b"\0" * 16 + struct.pack("<IQ", start, size))
    dirs = entry("Root Entry", 5, 1 if names else FREESECT, FREESECT, ENDOFCHAIN, 0)
    for i, n in enumerate(names):
        dirs += entry(n, 2, FREESECT, i + 2 if i + 1 < len(names) else FREESECT, starts[n], sizes[n])
    dirs += b"\0" * (-len(dirs) % 512)
    dir_start = len(fat)
    k = len(dirs) // 512
    fat += [dir_start + i + 1 for i in range(k - 1)] + [ENDOFCHAIN]
    data += dirs
    # FAT sectors: 128 entries each, themselves marked FATSECT.
    nfat = 1
    while len(fat) + nfat > 128 * nfat:
        nfat += 1
    fat_start = len(fat)
    fat += [FATSECT] * nfat
    fat += [FREESECT] * (128 * nfat - len(fat))
    difat = [fat_start + i for i in range(nfat)] + [FREESECT] * (109 - nfat)
    header = (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + b"\0" * 16 + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) +
              b"\0" * 6 + struct.pack("<IIIIIIIII", 0, nfat, dir_start, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0) +
              struct.pack("<109I", *difat))
    with open(path, "wb") as f:
        f.write(header + data + struct.pack("<%dI" % len(fat), *fat))


def _biff(typ, body):
    return struct.pack("<HH", typ, len(body)) + body


def _xlstr(s, rich=False):
    """XLUnicodeString (UTF-16LE when a character is past Latin-1)."""
    wide = any(ord(c) > 255 for c in s)
    chars = s.encode("utf-16-le") if wide else s.encode("latin-1")
    return struct.pack("<HB", len(s), 1 if wide else 0) + chars


def xls(path, rows, sheet="Ansatte", numeric_cols=(), encrypt=False, split_sst=True):
    """A BIFF8 workbook: strings through the SST (split by a CONTINUE record
    inside a string when split_sst), numbers as NUMBER/RK/MULRK records and
    one as a FORMULA with a cached STRING; rows: lists of cell strings."""
    strings, cells = [], []
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            if c in numeric_cols and r > 0 and v.isdigit():
                cells.append((r, c, "num", (float(v), v)))
            else:
                if v not in strings:
                    strings.append(v)
                cells.append((r, c, "sst", strings.index(v)))
    sst = b"".join(_xlstr(s) for s in strings)
    head = struct.pack("<II", len(strings), len(strings))
    g = _biff(0x0809, struct.pack("<HHHHII", 0x600, 5, 0, 0, 0, 0))
    if encrypt:
        g += _biff(0x002F, b"\0" * 6)
    if split_sst and len(sst) > 40:  # CONTINUE inside a string: a new flags byte
        cut = 40
        # find a string boundary before cut, then split inside the next string's characters
        pos, k = 0, 0
        for s in strings:
            n = len(_xlstr(s))
            if pos + n > cut:
                break
            pos, k = pos + n, k + 1
        part = _xlstr(strings[k]) if k < len(strings) else b""
        wide = part[2:3] == b"\x01"
        split_at = pos + 3 + (2 if wide else 1) * max(1, (len(strings[k]) // 2 if k < len(strings) else 0))
        first, rest = sst[:split_at], sst[split_at:]
        recs = _biff(0x00FC, head + first) + _biff(0x003C, (b"\x01" if wide else b"\x00") + rest)
    else:
        recs = _biff(0x00FC, head + sst)
    name = _xlstr(sheet)[0:1] + _xlstr(sheet)[2:]  # ShortXLUnicodeString: 1-byte length
    bs_len = len(_biff(0x0085, struct.pack("<IBB", 0, 0, 0) + name))
    sheet_bof_at = len(g) + bs_len + len(recs) + 4  # + EOF record
    g += _biff(0x0085, struct.pack("<IBB", sheet_bof_at, 0, 0) + name) + recs + _biff(0x000A, b"")
    s = _biff(0x0809, struct.pack("<HHHHII", 0x600, 0x10, 0, 0, 0, 0))
    for i, (r, c, kind, v) in enumerate(cells):
        if kind == "sst":
            s += _biff(0x00FD, struct.pack("<HHHI", r, c, 15, v))
            continue
        num, text = v
        if i % 3 == 0:
            s += _biff(0x0203, struct.pack("<HHHd", r, c, 15, num))
        elif i % 3 == 1 and num < (1 << 29):
            s += _biff(0x027E, struct.pack("<HHHI", r, c, 15, (int(num) << 2) | 2))
        else:  # a formula whose cached result is the text (=TEXT(...))
            s += _biff(0x0006, struct.pack("<HHH", r, c, 15) + b"\0\0\0\0\0\0\xff\xff" + b"\0" * 6) + \
                 _biff(0x0207, _xlstr(text))
    s += _biff(0x000A, b"")
    ole(path, {"Workbook": g + s})


def doc(path, paragraphs, encrypt=False, wide=True):
    """A Word 97 WordDocument stream: a FIB start (wIdent, the fEncrypted flag)
    and the text as UTF-16LE (or cp1252) pieces."""
    fib = struct.pack("<HHHHHB", 0xA5EC, 0xC1, 0, 0, 0, 0) + bytes([0x01 if encrypt else 0x00]) + b"\0" * 500
    text = "\r".join(paragraphs) + "\r"
    ole(path, {"WordDocument": fib + (text.encode("utf-16-le") if wide else text.encode("cp1252")),
               "1Table": b"\0" * 64})


def ppt(path, lines):
    """A PowerPoint Document stream with each line as a TextCharsAtom (UTF-16LE)."""
    body = b"".join(struct.pack("<HHI", 0, 0x0FA0, len(t) * 2) + t.encode("utf-16-le") for t in lines)
    ole(path, {"PowerPoint Document": body, "Current User": b"\0" * 32})


def write_pdf(path, objs, header=b"%PDF-1.4\n"):
    """Writes objects 1..n (`objs`, each the bytes between "N 0 obj" and
    "endobj"; object 1 the catalog) as a PDF with a classic xref table."""
    out = bytearray(header)
    offs = []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offs) + 1)
    for o in offs:
        out += b"%010d 00000 n \n" % o
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offs) + 1, xref)
    with open(path, "wb") as f:
        f.write(bytes(out))


def grey_image_obj(w=64, h=64):
    """An uncompressed 8-bit DeviceGray image XObject (a horizontal ramp)."""
    img = bytes((x * 4) & 0xff for _ in range(h) for x in range(w))
    return (b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
            b"/Length %d >>\nstream\n" % (w, h, len(img)) + img + b"\nendstream")


def scanned_pdf(path, jpeg_path, footer):
    """One A4 page: a JPEG drawn over the page (a scan) and a short text line
    (a scanner's stamped footer) in Helvetica."""
    from PIL import Image
    w, h = Image.open(jpeg_path).size
    data = open(jpeg_path, "rb").read()
    dh = 555.0 * h / w  # the scan across the page width, at the top, its aspect kept
    content = ("q 555 0 0 %.2f 20 %.2f cm /Im0 Do Q BT /F1 8 Tf 30 15 Td (%s) Tj ET" %
               (dh, 822 - dh, _pdf_str(footer))).encode("latin-1")
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /XObject << /Im0 5 0 R >> /Font << /F1 6 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Filter /DCTDecode /Length %d >>\nstream\n" % (w, h, len(data)) + data + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    write_pdf(path, objs)


# ---- PDF content outside the page text (forms, XFA, annotations, outline, XMP)

def _pdf_text(s):
    """A PDF text string: UTF-16BE with a BOM, in hex (any language)."""
    return b"<FEFF" + s.encode("utf-16-be").hex().upper().encode() + b">"


def pdf_structured(path, lines, fields=(), xfa=None, annots=(), outline=(), xmp=None):
    """A one-page PDF whose page text is `lines`, plus:
    fields: (name, tooltip or None, value) text fields, widgets without
      appearance streams (/NeedAppearances), so the values are not page text;
    xfa: an XFA datasets packet (XML text), FlateDecode;
    annots: (subtype, contents, extra) with subtype Text (plus a Popup),
      FreeText, Link (extra: the URI), FileAttachment (extra: (name, bytes));
    outline: bookmark titles, the last one nested under the first;
    xmp: the catalog's XMP metadata (XML text), FlateDecode."""
    objs = []

    def add(o=None):
        objs.append(o)
        return len(objs)

    cat, pages, font = add(), add(), add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                                         b"/Encoding /WinAnsiEncoding >>")
    ops = ["BT /F1 11 Tf 14 TL 50 780 Td"] + ["(%s) Tj T*" % _pdf_str(ln) for ln in lines] + ["ET"]
    data = zlib.compress("\n".join(ops).encode("latin-1"))
    content = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")
    page = add()
    annot_ids, field_ids = [], []
    for i, (name, tip, value) in enumerate(fields):
        o = (b"<< /Type /Annot /Subtype /Widget /FT /Tx /T %s /V %s /Rect [50 %d 300 %d] /P %d 0 R /F 4"
             % (_pdf_text(name), _pdf_text(value), 600 - 30 * i, 620 - 30 * i, page))
        if tip:
            o += b" /TU " + _pdf_text(tip)
        field_ids.append(add(o + b" >>"))
    annot_ids += field_ids
    for subtype, contents, extra in annots:
        body = b"/Type /Annot /Subtype /%s /Rect [300 300 400 400] /P %d 0 R" % (subtype.encode(), page)
        if contents:
            body += b" /Contents " + _pdf_text(contents)
        if subtype == "Text":
            a = add()
            pop = add(b"<< /Type /Annot /Subtype /Popup /Rect [400 300 500 400] /Parent %d 0 R >>" % a)
            objs[a - 1] = b"<< " + body + b" /T " + _pdf_text("Saksbehandler") + b" /Popup %d 0 R >>" % pop
            annot_ids += [a, pop]
        elif subtype == "FreeText":
            annot_ids.append(add(b"<< " + body + b" /DA (/Helv 10 Tf 0 g) >>"))
        elif subtype == "Link":
            annot_ids.append(add(b"<< " + body + b" /A << /S /URI /URI (%s) >> >>" % _pdf_str(extra).encode()))
        elif subtype == "FileAttachment":
            name, fdata = extra
            s = add(b"<< /Type /EmbeddedFile /Length %d >>\nstream\n" % len(fdata) + fdata + b"\nendstream")
            annot_ids.append(add(b"<< " + body + b" /FS << /Type /Filespec /F (%s) /EF << /F %d 0 R >> >> >>"
                                 % (_pdf_str(name).encode(), s)))
    objs[page - 1] = (b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
                      b"/Contents %d 0 R /Annots [%s] >>" % (pages, font, content,
                                                            b" ".join(b"%d 0 R" % a for a in annot_ids)))
    objs[pages - 1] = b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page
    extra_cat = b""
    if fields or xfa:
        acro = b"/Fields [%s] /NeedAppearances true" % b" ".join(b"%d 0 R" % f for f in field_ids)
        if xfa:
            x = zlib.compress(xfa.encode("utf-8"))
            xs = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(x) + x + b"\nendstream")
            acro += b" /XFA [(datasets) %d 0 R]" % xs
        extra_cat += b" /AcroForm << " + acro + b" >>"
    if outline:
        root = add()
        items = [add() for _ in outline]
        top = items[:-1] if len(items) > 1 else items
        for j, it in enumerate(top):
            o = b"<< /Title %s /Parent %d 0 R /Dest [%d 0 R /Fit]" % (_pdf_text(outline[j]), root, page)
            if j > 0:
                o += b" /Prev %d 0 R" % top[j - 1]
            if j + 1 < len(top):
                o += b" /Next %d 0 R" % top[j + 1]
            if j == 0 and len(items) > 1:
                o += b" /First %d 0 R /Last %d 0 R /Count 1" % (items[-1], items[-1])
            objs[it - 1] = o + b" >>"
        if len(items) > 1:
            objs[items[-1] - 1] = b"<< /Title %s /Parent %d 0 R >>" % (_pdf_text(outline[-1]), top[0])
        objs[root - 1] = b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (top[0], top[-1], len(items))
        extra_cat += b" /Outlines %d 0 R" % root
    if xmp:
        x = zlib.compress(xmp.encode("utf-8"))
        extra_cat += b" /Metadata %d 0 R" % add(b"<< /Type /Metadata /Subtype /XML /Length %d /Filter /FlateDecode >>"
                                               b"\nstream\n" % len(x) + x + b"\nendstream")
    objs[cat - 1] = b"<< /Type /Catalog /Pages %d 0 R%s >>" % (pages, extra_cat)
    write_pdf(path, objs, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")


# ---- every identifier type (the per type x format recall matrix) -----------

def _mod11(digits, weights):
    """The mod-11 check digit (k = 11 - S mod 11, 11 -> 0); None for 10."""
    k = 11 - sum(int(d) * w for d, w in zip(digits, weights)) % 11
    return None if k == 10 else (0 if k == 11 else k)


def _luhn_digit(payload):
    from stdnum import luhn
    return luhn.calc_check_digit(payload)


def _no_person(rng, day_off=0, month_off=0):
    """NO fødselsnummer family (1964 rule): D-nummer day + 40, H-nummer
    month + 40. Individual number 000-499 with a year 40-99 (1900s)."""
    from stdnum.no import fodselsnummer
    while True:
        d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(40, 99)
        base = "%02d%02d%02d%03d" % (d + day_off, m + month_off, y, rng.randint(0, 499))
        k1 = _mod11(base, (3, 7, 6, 1, 8, 9, 4, 5, 2))
        if k1 is None:
            continue
        k2 = _mod11(base + str(k1), (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
        if k2 is None:
            continue
        v = base + str(k1) + str(k2)
        assert fodselsnummer.is_valid(v), v
        return v


def _se_person(rng, coordination=False, long_form=False):
    """SE personnummer YYMMDD-NNNC (or YYYYMMDD-NNNC); samordningsnummer:
    day + 60 (python-stdnum 1.18 rejects those: its Luhn checked alone)."""
    from stdnum import luhn
    from stdnum.se import personnummer
    while True:
        d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(40, 99)
        ten = "%02d%02d%02d%03d" % (y, m, d + (60 if coordination else 0), rng.randint(0, 999))
        ten += _luhn_digit(ten)
        assert luhn.is_valid(ten)
        if not coordination:
            assert personnummer.is_valid(ten), ten
        v = ten[:6] + "-" + ten[6:]
        return ("19" + v) if long_form else v


def _dk_cpr(rng):
    """DDMMYY-SSSS, 1900s (7th digit 0-3), with the mod-11 check."""
    from stdnum.dk import cpr
    while True:
        v = "%02d%02d%02d%04d" % (rng.randint(1, 28), rng.randint(1, 12), rng.randint(40, 99), rng.randint(0, 3999))
        if sum(int(c) * w for c, w in zip(v, (4, 3, 2, 7, 6, 5, 4, 3, 2, 1))) % 11 == 0:
            v = v[:6] + "-" + v[6:]
            assert cpr.is_valid(v), v
            return v


def _fi_hetu(rng, sign=None):
    from stdnum.fi import hetu
    d, m, y = rng.randint(1, 28), rng.randint(1, 12), rng.randint(0, 99)
    sign = sign or rng.choice("-A")
    z = rng.randint(2, 899)
    q = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int("%02d%02d%02d%03d" % (d, m, y, z)) % 31]
    v = "%02d%02d%02d%s%03d%s" % (d, m, y, sign, z, q)
    assert hetu.is_valid(v), v
    return v


def _is_kt(rng, company=False):
    """Kennitala DDMMYY-RRCÖ (Ö 9: 1900s); a company's day + 40."""
    from stdnum.is_ import kennitala
    while True:
        base = "%02d%02d%02d%02d" % (rng.randint(1, 28) + (40 if company else 0), rng.randint(1, 12),
                                     rng.randint(40, 99), rng.randint(20, 99))
        c = _mod11(base, (3, 2, 7, 6, 5, 4, 3, 2))
        if c is None:
            continue
        v = base[:6] + "-" + base[6:] + str(c) + "9"
        assert kennitala.is_valid(v), v
        return v


def _no_kontonr(rng):
    from stdnum.no import kontonr
    while True:
        base = "%04d%02d%04d" % (rng.randint(1000, 9999), rng.randint(0, 99), rng.randint(0, 9999))
        k = _mod11(base, (5, 4, 3, 2, 7, 6, 5, 4, 3, 2))
        if k is None:
            continue
        v = base + str(k)
        assert kontonr.is_valid(v), v
        return v


def _iban(rng, country):
    """An IBAN of the country (NO: its BBAN a valid kontonummer; IS: it ends
    with a kennitala), written in groups of 4."""
    from stdnum import iban
    if country == "NO":
        bban = _no_kontonr(rng)
    elif country == "IS":
        bban = "%04d%02d%06d" % (rng.randint(100, 999), rng.randint(0, 99), rng.randint(0, 999999)) + \
            _digits(_is_kt(rng))
    else:
        n = {"SE": 20, "DK": 14, "FI": 14}[country]
        bban = "".join(str(rng.randint(0, 9)) for _ in range(n))
    check = 98 - int("".join(str(int(c, 36)) for c in bban + country + "00")) % 97
    v = "%s%02d%s" % (country, check, bban)
    assert iban.is_valid(v), v
    return " ".join(v[i:i + 4] for i in range(0, len(v), 4))


def _card(rng):
    from stdnum import luhn
    prefix = rng.choice(["4", "51", "52", "53", "54", "55"])
    payload = prefix + "".join(str(rng.randint(0, 9)) for _ in range(15 - len(prefix)))
    v = payload + _luhn_digit(payload)
    assert luhn.is_valid(v)
    return " ".join(v[i:i + 4] for i in range(0, 16, 4))


def _no_orgnr(rng):
    from stdnum.no import orgnr
    while True:
        base = str(rng.randint(8, 9)) + "%07d" % rng.randint(0, 9999999)
        k = _mod11(base, (3, 2, 7, 6, 5, 4, 3, 2))
        if k is not None:
            assert orgnr.is_valid(base + str(k))
            v = base + str(k)
            return "%s %s %s" % (v[:3], v[3:6], v[6:])


def _se_orgnr(rng):
    from stdnum.se import orgnr
    base = "5%d%d%06d" % (rng.randint(5, 9), rng.randint(2, 9), rng.randint(0, 999999))
    v = base + _luhn_digit(base)
    assert orgnr.is_valid(v), v
    return v[:6] + "-" + v[6:]


def _dk_cvr(rng):
    from stdnum.dk import cvr
    while True:
        v = "%d%07d" % (rng.randint(1, 9), rng.randint(0, 9999999))
        if sum(int(c) * w for c, w in zip(v, (2, 7, 6, 5, 4, 3, 2, 1))) % 11 == 0:
            assert cvr.is_valid(v), v
            return v


def _fi_ytunnus(rng):
    from stdnum.fi import ytunnus
    while True:
        base = "%07d" % rng.randint(1000000, 9999999)
        r = sum(int(c) * w for c, w in zip(base, (7, 9, 10, 5, 8, 4, 2))) % 11
        if r == 1:
            continue
        v = base + "-" + str(0 if r == 0 else 11 - r)
        assert ytunnus.is_valid(v), v
        return v


# type id (nordpii's output contract) -> (label, generator, kind); kind
# "person" ids may also be split into a date cell and a serial cell, and
# every type whose written form is digits (and separators) may be stored as
# a spreadsheet number.
ALL_TYPES = [
    ("no.fnr", "Fødselsnummer", lambda r: _no_person(r), "person"),
    ("no.dnr", "D-nummer", lambda r: _no_person(r, day_off=40), "person"),
    ("no.hnr", "H-nummer", lambda r: _no_person(r, month_off=40), "person"),
    ("se.pnr", "Personnummer", lambda r: _se_person(r, long_form=r.random() < 0.3), "person"),
    ("se.snr", "Samordningsnummer", lambda r: _se_person(r, coordination=True), "person"),
    ("dk.cpr", "CPR-nummer", _dk_cpr, "person"),
    ("fi.hetu", "Henkilötunnus", _fi_hetu, "person"),
    ("is.kt", "Kennitala", _is_kt, "person"),
    ("iban", "IBAN", lambda r: _iban(r, r.choice(["NO", "SE", "DK", "FI", "IS"])), "bank"),
    ("no.account", "Kontonummer", lambda r: (lambda v: r.choice([v, v[:4] + "." + v[4:6] + "." + v[6:],
                                                                  v[:4] + " " + v[4:6] + " " + v[6:]]))(_no_kontonr(r)),
     "bank"),
    ("card", "Kortnummer", _card, "bank"),
    ("no.orgnr", "Org.nr.", _no_orgnr, "business"),
    ("se.orgnr", "Organisationsnummer", _se_orgnr, "business"),
    ("dk.cvr", "CVR-nr.", _dk_cvr, "business"),
    ("fi.ytunnus", "Y-tunnus", _fi_ytunnus, "business"),
    ("is.kt_org", "Kennitala fyrirtækis", lambda r: _is_kt(r, company=True), "business"),
]


def typed_ids(rng, per_type):
    """per_type synthetic valid ids of every type in ALL_TYPES:
    [(type, label, written value, key)], key = letters and digits only."""
    out = []
    for t, label, gen, _kind in ALL_TYPES:
        for _ in range(per_type):
            v = gen(rng)
            out.append((t, label, v, _digits(v).upper()))
    return out


def split_person(value):
    """A national id as a date cell and a serial cell ("151086", "95088";
    "19880320", "0016"; a HETU's sign is lost: "131052", "308T"), or None."""
    d = _digits(value)
    if len(d) == 11 and d.isdigit():
        return d[:6], d[6:]
    if len(d) == 12 and d.isdigit():
        return d[:8], d[8:]
    if len(d) == 10 and d.isdigit():
        return d[:6], d[6:]
    if len(d) == 10:  # HETU without its sign
        return d[:6], d[6:]
    return None

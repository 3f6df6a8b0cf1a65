#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile review of issue 16 (review16): documents whose text is where the
application reads it but nordpii did not (exit 0, no finding before the fix).

- xlsx: shared strings and a worksheet found only by the workbook's
  relationships (a part named xl/strings.dat, a sheet at xl/hidden/s2.xml or
  xl/s2.dat; the id split across rich-text runs, or a number that lost its
  leading zero under a Fødselsnummer header);
- xlsx: an id only in a worksheet's page header (headerFooter/oddHeader);
- pptx: a slide part not named slideN.xml (ppt/slides/intro.xml);
- docx: an mc:AlternateContent whose Choice requires a namespace Word does not
  know, so Word shows the mc:Fallback (read now), and the main part named
  word/document2.xml (Word 365; was an error);
- pdf: page labels, an OpenAction's JavaScript or URI, an empty form field's
  name;
- ods: a float cell shown with a CPR number style (010190-3217 for
  101903217), as an .xlsx 000000\\-0000 number format is;
and one of them as a mail attachment (.eml). No raw id in any output.

usage: review16_test.py NORDPII"""
import email.message
import os
import sys
import tempfile
import zipfile

NORDPII = sys.argv[1]
import checklib  # noqa: E402
checklib.NORDPII = NORDPII
check, scan = checklib.check, checklib.scan
failures = checklib.failures
RAW = ["15108695088", "01010750160", "1010750160", "050385-1008", "0503851008", "503851008"]


OUT = tempfile.mkdtemp(prefix='review16_')
out = OUT

def z(name, parts):
    with zipfile.ZipFile(os.path.join(out, name), 'w', zipfile.ZIP_DEFLATED) as f:
        for n, b in parts: f.writestr(n, b)
CT_X = '''<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>%s</Types>'''
RELS = '''<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="%s"/></Relationships>'''
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
def wb(sheets):
    return '<?xml version="1.0"?><workbook %s><sheets>%s</sheets></workbook>' % (NS, ''.join('<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (n, i+1, i+1) for i, n in enumerate(sheets)))
def wbrels(targets, sst=None):
    s = ''.join('<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="%s"/>' % (i+1, t) for i, t in enumerate(targets))
    if sst: s += '<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="%s"/>' % sst
    return '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">%s</Relationships>' % s
def sheet(rows):
    out = ''
    for r, cells in enumerate(rows):
        out += '<row r="%d">' % (r+1)
        for c, (t, v) in enumerate(cells):
            ref = chr(65+c) + str(r+1)
            if t == 's': out += '<c r="%s" t="s"><v>%s</v></c>' % (ref, v)
            elif t == 'is': out += '<c r="%s" t="inlineStr"><is><t>%s</t></is></c>' % (ref, v)
            else: out += '<c r="%s"><v>%s</v></c>' % (ref, v)
        out += '</row>'
    return '<?xml version="1.0"?><worksheet %s><sheetData>%s</sheetData></worksheet>' % (NS, out)
SST_SPLIT = '<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2" uniqueCount="2"><si><t>Navn</t></si><si><r><t>Fnr 151086</t></r><r><t>95088</t></r></si></sst>'
# A: shared strings at a non-standard path (rels-driven), id split across rich runs
z('a_sst_relocated.xlsx', [('[Content_Types].xml', CT_X % '<Override PartName="/xl/strings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'),
  ('_rels/.rels', RELS % 'xl/workbook.xml'), ('xl/workbook.xml', wb(['Ark1'])),
  ('xl/_rels/workbook.xml.rels', wbrels(['worksheets/sheet1.xml'], 'strings.xml')),
  ('xl/strings.xml', SST_SPLIT), ('xl/worksheets/sheet1.xml', sheet([[('s', 0)], [('s', 1)]]))])
# B: shared strings in a part with a non-xml extension
z('b_sst_bin.xlsx', [('[Content_Types].xml', CT_X % '<Override PartName="/xl/strings.dat" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'),
  ('_rels/.rels', RELS % 'xl/workbook.xml'), ('xl/workbook.xml', wb(['Ark1'])),
  ('xl/_rels/workbook.xml.rels', wbrels(['worksheets/sheet1.xml'], 'strings.dat')),
  ('xl/strings.dat', SST_SPLIT.replace('Fnr 151086</t></r><r><t>95088', 'Fnr 15108695088')), ('xl/worksheets/sheet1.xml', sheet([[('s', 0)], [('s', 1)]]))])
# C: a second worksheet outside xl/worksheets/, id number lost leading zero under Fødselsnummer header
z('c_sheet_relocated.xlsx', [('[Content_Types].xml', CT_X % '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/hidden/s2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'),
  ('_rels/.rels', RELS % 'xl/workbook.xml'), ('xl/workbook.xml', wb(['Ark1', 'Ark2'])),
  ('xl/_rels/workbook.xml.rels', wbrels(['worksheets/sheet1.xml', 'hidden/s2.xml'])),
  ('xl/worksheets/sheet1.xml', sheet([[('is', 'Navn')], [('is', 'Ola')]])),
  ('xl/hidden/s2.xml', sheet([[('is', 'Fødselsnummer')], [('n', '1010750160')]]))])
# C2: same but the whole sheet at .bin-ish name
z('c2_sheet_dat.xlsx', [('[Content_Types].xml', CT_X % '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/s2.dat" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'),
  ('_rels/.rels', RELS % 'xl/workbook.xml'), ('xl/workbook.xml', wb(['Ark1', 'Ark2'])),
  ('xl/_rels/workbook.xml.rels', wbrels(['worksheets/sheet1.xml', 's2.dat'])),
  ('xl/worksheets/sheet1.xml', sheet([[('is', 'Navn')], [('is', 'Ola')]])),
  ('xl/s2.dat', sheet([[('is', 'Fødselsnummer')], [('n', '15108695088')]]))])
# PPTX: slide part not named slideN.xml
CT_P = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/><Override PartName="/ppt/slides/slide1.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/><Override PartName="/ppt/slides/intro.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.slide+xml"/></Types>'
SL = '<?xml version="1.0"?><p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree><p:sp><p:txBody><a:p><a:r><a:t>%s</a:t></a:r><a:r><a:t>%s</a:t></a:r></a:p></p:txBody></p:sp></p:spTree></p:cSld></p:sld>'
z('e_slide_named.pptx', [('[Content_Types].xml', CT_P), ('_rels/.rels', RELS % 'ppt/presentation.xml'),
  ('ppt/presentation.xml', '<?xml version="1.0"?><p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><p:sldIdLst><p:sldId id="256" r:id="rId1"/><p:sldId id="257" r:id="rId2"/></p:sldIdLst></p:presentation>'),
  ('ppt/_rels/presentation.xml.rels', '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/slide1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/slide" Target="slides/intro.xml"/></Relationships>'),
  ('ppt/slides/slide1.xml', SL % ('Hei', ' der')), ('ppt/slides/intro.xml', SL % ('Fødselsnummer 151086', '95088'))])
# F: docx AlternateContent whose Choice needs an unknown namespace: Word shows the Fallback
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
CT_D = '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
z('f_fallback.docx', [('[Content_Types].xml', CT_D), ('_rels/.rels', RELS % 'word/document.xml'),
  ('word/document.xml', '<?xml version="1.0"?><w:document %s><w:body><w:p><w:r><w:t>Hei</w:t></w:r></w:p><mc:AlternateContent xmlns:x9="urn:x-unknown"><mc:Choice Requires="x9"><w:p><w:r><w:t>nothing here</w:t></w:r></w:p></mc:Choice><mc:Fallback><w:p><w:r><w:t>Fødselsnummer 15108695088</w:t></w:r></w:p></mc:Fallback></mc:AlternateContent></w:body></w:document>' % W)])
# G: docx main part named document2.xml (Office 365 writes this)
z('g_document2.docx', [('[Content_Types].xml', CT_D.replace('document.xml', 'document2.xml')), ('_rels/.rels', RELS % 'word/document2.xml'),
  ('word/document2.xml', '<?xml version="1.0"?><w:document %s><w:body><w:p><w:r><w:t>Fødselsnummer 151086</w:t></w:r><w:r><w:t>95088</w:t></w:r></w:p></w:body></w:document>' % W)])
# H: ods float cell with a CPR number style 000000-0000, header not an id label
ODS_NS = 'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"'
def ods(name, cells, styles=''):
    rows = ''.join('<table:table-row>%s</table:table-row>' % ''.join(c for c in r) for r in cells)
    z(name, [('mimetype', 'application/vnd.oasis.opendocument.spreadsheet'),
      ('META-INF/manifest.xml', '<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'),
      ('content.xml', '<?xml version="1.0"?><office:document-content %s><office:automatic-styles>%s</office:automatic-styles><office:body><office:spreadsheet><table:table table:name="Ark1">%s</table:table></office:spreadsheet></office:body></office:document-content>' % (ODS_NS, styles, rows))])
T = lambda s: '<table:table-cell office:value-type="string"><text:p>%s</text:p></table:table-cell>' % s
F = lambda v, shown, st='': '<table:table-cell %s office:value-type="float" office:value="%s"><text:p>%s</text:p></table:table-cell>' % (st, v, shown)
ods('h_ods_cpr_style.ods', [[T('Kunde')], [F('503851008', '050385-1008', 'table:style-name="ce1"')]],
    '<number:number-style style:name="N1"><number:number number:min-integer-digits="6"/><number:text>-</number:text></number:number-style>')
# H2 same shape in xlsx (should be found: numFmt 000000\-0000)
z('h2_xlsx_cpr_style.xlsx', [('[Content_Types].xml', CT_X % ''), ('_rels/.rels', RELS % 'xl/workbook.xml'),
  ('xl/workbook.xml', wb(['Ark1'])), ('xl/_rels/workbook.xml.rels', wbrels(['worksheets/sheet1.xml'])),
  ('xl/styles.xml', '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="000000\\-0000"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>'),
  ('xl/worksheets/sheet1.xml', sheet([[('is', 'Kunde')]]).replace('</sheetData>', '<row r="2"><c r="A2" s="1"><v>503851008</v></c></row></sheetData>'))])
# M: an id only in a worksheet's page header/footer
z('m_headerfooter.xlsx', [('[Content_Types].xml', CT_X % ''), ('_rels/.rels', RELS % 'xl/workbook.xml'),
  ('xl/workbook.xml', wb(['Ark1'])), ('xl/_rels/workbook.xml.rels', wbrels(['worksheets/sheet1.xml'])),
  ('xl/worksheets/sheet1.xml', sheet([[('is', 'Navn')], [('is', 'Ola')]]).replace('</worksheet>', '<headerFooter><oddHeader>&amp;L Fnr 15108695088</oddHeader></headerFooter></worksheet>'))])
# Q: docx: one digit of the id inserted as a symbol (w:sym w:char="F039")
z('q_sym.docx', [('[Content_Types].xml', CT_D), ('_rels/.rels', RELS % 'word/document.xml'),
  ('word/document.xml', '<?xml version="1.0"?><w:document %s><w:body><w:p><w:r><w:t>Fødselsnummer 151086</w:t></w:r><w:r><w:sym w:font="Symbol" w:char="F039"/></w:r><w:r><w:t>5088</w:t></w:r></w:p></w:body></w:document>' % W)])

# T: an .xlsx number format with sections or a locale tag ("00000000000;@",
# "[$-414]00000000000"): 1010750160 shown as 01010750160 under "Ansatt"
for tag, code in [('semi', '00000000000;@'), ('locale', '[$-414]00000000000')]:
    z('t_fmt_%s.xlsx' % tag, [('[Content_Types].xml', CT_X % ''), ('_rels/.rels', RELS % 'xl/workbook.xml'),
      ('xl/workbook.xml', wb(['Ark1'])), ('xl/_rels/workbook.xml.rels', wbrels(['worksheets/sheet1.xml'])),
      ('xl/styles.xml', '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="%s"/></numFmts><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>' % code),
      ('xl/worksheets/sheet1.xml', sheet([[('is', 'Ansatt')]]).replace('</sheetData>', '<row r="2"><c r="A2" s="1"><v>1010750160</v></c></row></sheetData>'))])

# I: ods numbers that lost their leading zero under id headers the list did
# not know ("ID nr", "Kt.", "Samordningsnummer")
ods('i_ods_labels.ods', [[T('ID nr'), T('Kt.')], [F('1010750160', '1010750160'), F('101992048', '101992048')]])


# PDFs: an id only in the catalog's page labels, an OpenAction's JavaScript or
# URI, and the name of an empty form field.
import zlib  # noqa: E402


def pdf(name, objs):
    data = b"%PDF-1.4\n"
    offs = []
    for i, o in enumerate(objs):
        offs.append(len(data))
        data += b"%d 0 obj\n" % (i + 1) + o + b"\nendobj\n"
    x = len(data)
    data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offs)
    data += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, x)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def stream(data):
    d = zlib.compress(data)
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(d) + d + b"\nendstream"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >>%s >>"
HEI = stream(b"BT /F1 12 Tf 72 700 Td (Hei) Tj ET")


def page(extra):
    return [b"<< /Type /Catalog /Pages 2 0 R" + extra + b" >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE % b"", HEI, FONT]


pdf("p5_pagelabel.pdf", page(b" /PageLabels << /Nums [0 << /P (Fnr 15108695088 side ) >>] >>"))
pdf("p6_js.pdf", page(b' /OpenAction << /S /JavaScript /JS (app.alert("Fnr 15108695088");) >>'))
pdf("p10_uri.pdf", page(b" /OpenAction << /S /URI /URI (https://x.example/?fnr=15108695088) >>"))
pdf("p9_fieldname.pdf", [b"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [6 0 R] >> >>",
                         b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE % b" /Annots [6 0 R]", HEI, FONT,
                         b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Fnr 15108695088) /Rect [0 0 10 10] /P 3 0 R >>"])


CASES = {  # file: the field the finding must be located at (a prefix)
    "a_sst_relocated.xlsx": "xlsx:Ark1!A2",
    "b_sst_bin.xlsx": "xlsx:Ark1!A2",
    "c_sheet_relocated.xlsx": "xlsx:Ark2!A2",
    "c2_sheet_dat.xlsx": "xlsx:Ark2!A2",
    "e_slide_named.pptx": "pptx:slide",
    "f_fallback.docx": "docx:p",
    "g_document2.docx": "docx:p1",
    "h_ods_cpr_style.ods": "ods:Ark1!A2",
    "m_headerfooter.xlsx": "xlsx:Ark1 oddHeader",
    "p5_pagelabel.pdf": "pdf:page labels",
    "q_sym.docx": "docx:p1",
    "t_fmt_semi.xlsx": "xlsx:Ark1!A2",
    "i_ods_labels.ods": "ods:Ark1!A2",
    "t_fmt_locale.xlsx": "xlsx:Ark1!A2",
    "p6_js.pdf": "pdf:actions",
    "p10_uri.pdf": "pdf:actions",
    "p9_fieldname.pdf": "pdf:form field 1",
}
for name, field in CASES.items():
    rc, out, err = scan(os.path.join(OUT, name))
    typ = "" if name == "h_ods_cpr_style.ods" else '"type":"no.fnr"'  # the ods case: 050385-1008 (dk.cpr or se.snr)
    found = [line for line in out.splitlines() if '"field":"' + field in line and typ in line]
    check(rc == 1 and found, "%s: found at %s (rc %d)" % (name, field, rc))
    check(not any(v in out + err for v in RAW), name + ": no raw id in the output")

rc, out, err = scan(os.path.join(OUT, "i_ods_labels.ods"))
check(any('"field":"ods:Ark1!B2' in l and '"type":"is.kt"' in l for l in out.splitlines()),
      "i_ods_labels.ods: kennitala under Kt. found")

# As a mail attachment (scan of an .eml, the milter's path).
msg = email.message.EmailMessage()
msg["From"], msg["To"], msg["Subject"] = "a@example.org", "b@example.org", "liste"
msg.set_content("Se vedlegg.\n")
with open(os.path.join(OUT, "b_sst_bin.xlsx"), "rb") as f:
    msg.add_attachment(f.read(), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="liste.xlsx")
eml = os.path.join(OUT, "m.eml")
with open(eml, "wb") as f:
    f.write(bytes(msg))
rc, out, err = scan(eml)
check(rc == 1 and '"field":"xlsx:Ark1!A2' in out, "b_sst_bin.xlsx as a mail attachment: found (rc %d)" % rc)

checklib.finish()

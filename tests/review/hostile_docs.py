# SPDX-License-Identifier: Apache-2.0
# Writes hostile OOXML test files into the current directory (review 2026-12-03):
# core.docx alt.docx instr.docx embed.docx comment.xlsx sheetname.xlsx -> `nordpii scan` exits 0 (ids missed).
# Usage: cd $(mktemp -d) && python3 /path/tests/review/hostile_docs.py
import sys, zipfile, io
sys.path.insert(0, '/work/wt/review/tests/attach')
import types
for m in ['stdnum','stdnum.dk','stdnum.fi','stdnum.no','stdnum.se','stdnum.is_']:
    sys.modules[m]=types.ModuleType(m)
for m in ['stdnum.dk','stdnum.fi','stdnum.no','stdnum.se','stdnum.is_']:
    for a in ['cpr','hetu','fodselsnummer','personnummer','kennitala']: setattr(sys.modules[m],a,None)
import gen_docs as g
ID='15108695088'
CT=g.CT; W=g.W
def z(path, files):
    with zipfile.ZipFile(path,'w',zipfile.ZIP_DEFLATED) as f:
        for k,v in files.items(): f.writestr(k,v)
base_ct = CT + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
def doc(body): return CT + '<w:document %s><w:body>%s</w:body></w:document>' % (W, body)
P='<w:p><w:r><w:t>hei</w:t></w:r></w:p>'
z('core.docx', {'[Content_Types].xml':base_ct,'word/document.xml':doc(P),
  'docProps/core.xml': CT+'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>fnr %s</dc:title></cp:coreProperties>'%ID})
z('instr.docx', {'[Content_Types].xml':base_ct,'word/document.xml':doc('<w:p><w:r><w:instrText>fnr %s</w:instrText></w:r></w:p>'%ID)})
z('sdt.docx', {'[Content_Types].xml':base_ct,'word/document.xml':doc('<w:sdt><w:sdtContent><w:p><w:r><w:t>fnr %s</w:t></w:r></w:p></w:sdtContent></w:sdt>'%ID)})
z('smart.docx', {'[Content_Types].xml':base_ct,'word/document.xml':doc('<w:p><w:smartTag><w:r><w:t>fnr %s</w:t></w:r></w:smartTag></w:p>'%ID)})
z('alt.docx', {'[Content_Types].xml':base_ct,'word/document.xml':doc('<w:p><w:r><w:drawing><wp:inline xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"><wp:docPr id="1" name="p" descr="fnr %s"/></wp:inline></w:drawing></w:r></w:p>'%ID)})
z('renamed.docx', {'[Content_Types].xml':base_ct,'_rels/.rels':CT+'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document2.xml"/></Relationships>','word/document2.xml':doc('<w:p><w:r><w:t>fnr %s</w:t></w:r></w:p>'%ID)})
inner=io.BytesIO(); g.xlsx(inner, [['Navn','Notat'],['Ola','fnr %s'%ID]])
z('embed.docx', {'[Content_Types].xml':base_ct,'word/document.xml':doc(P),'word/embeddings/Microsoft_Excel_Worksheet.xlsx':inner.getvalue()})
g.xlsx('sheetname.xlsx', [['A'],['hei']], sheet='fnr %s'%ID)
g.xlsx('numnohdr.xlsx', [['Beløp','x'],[ID,'y']], numeric_cols=(0,))
g.xlsx('sci.xlsx', [['Beløp','x'],['1.5108695088E10','y']], numeric_cols=(0,))
# xlsx with comments
g.xlsx('c.xlsx', [['A'],['hei']])
zin=zipfile.ZipFile('c.xlsx'); files={n:zin.read(n) for n in zin.namelist()}
files['xl/comments1.xml']=CT+'<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><commentList><comment ref="A1"><text><t>fnr %s</t></text></comment></commentList></comments>'%ID
z('comment.xlsx', files)
# xlsx sheet in nonstandard path
files={n:zin.read(n) for n in zin.namelist()}
files['xl/_rels/workbook.xml.rels']=files['xl/_rels/workbook.xml.rels'].replace(b'worksheets/sheet1.xml',b'worksheets/data.xml')
files['xl/worksheets/data.xml']=files.pop('xl/worksheets/sheet1.xml').replace(b'<v>0</v>',b'<v>0</v>').replace(b'</sheetData>',b'<row r="9"><c r="A9" t="inlineStr"><is><t>fnr '+ID.encode()+b'</t></is></c></row></sheetData>')
z('path.xlsx', files)
# formula string
files={n:zin.read(n) for n in zin.namelist()}
files['xl/worksheets/sheet1.xml']=files['xl/worksheets/sheet1.xml'].replace(b'</sheetData>',b'<row r="9"><c r="A9" t="str"><f>CONCAT("a")</f><v>fnr '+ID.encode()+b'</v></c></row></sheetData>')
z('fstr.xlsx', files)
# pdf metadata: write simple pdf with id in Info title
g.pdf('ok.pdf', [['hei']])

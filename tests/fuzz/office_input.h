// SPDX-License-Identifier: Apache-2.0
// The office fuzzer's input -> (format, document): the first byte picks the
// format (low 3 bits) and whether the rest is a zip as is (bit 7) or the
// XML of the format's main part, wrapped here in a stored zip so mutations
// reach the XML handlers. Shared by the fuzzer and its replay test.
#ifndef NORDPII_TESTS_FUZZ_OFFICE_INPUT_H_
#define NORDPII_TESTS_FUZZ_OFFICE_INPUT_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nordpii::test {

// A zip with the given entries, stored (no compression), CRCs right.
inline std::string StoredZip(const std::vector<std::pair<std::string, std::string>>& entries) {
  auto le16 = [](std::string& s, unsigned v) { s += char(v & 0xff), s += char((v >> 8) & 0xff); };
  auto le32 = [&](std::string& s, unsigned v) { le16(s, v & 0xffff), le16(s, v >> 16); };
  std::string z, cd;
  for (const auto& [name, data] : entries) {
    unsigned crc = 0xffffffffu;
    for (unsigned char c : data) {
      crc ^= c;
      for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    crc ^= 0xffffffffu;
    unsigned off = static_cast<unsigned>(z.size());
    z += "PK\3\4";
    le16(z, 20), le16(z, 0), le16(z, 0), le16(z, 0), le16(z, 0), le32(z, crc), le32(z, data.size()),
        le32(z, data.size()), le16(z, name.size()), le16(z, 0);
    z += name + data;
    cd += "PK\1\2";
    le16(cd, 20), le16(cd, 20), le16(cd, 0), le16(cd, 0), le16(cd, 0), le16(cd, 0), le32(cd, crc),
        le32(cd, data.size()), le32(cd, data.size()), le16(cd, name.size()), le16(cd, 0), le16(cd, 0), le16(cd, 0),
        le16(cd, 0), le32(cd, 0), le32(cd, off);
    cd += name;
  }
  unsigned cd_off = static_cast<unsigned>(z.size());
  z += cd;
  z += "PK\5\6";
  le16(z, 0), le16(z, 0), le16(z, entries.size()), le16(z, entries.size()), le32(z, cd.size()), le32(z, cd_off),
      le16(z, 0);
  return z;
}

inline std::pair<std::string, std::string> OfficeInput(std::string_view in) {
  static const char* const kFmt[] = {"docx", "xlsx", "pptx", "odt", "ods", "odp", "docx", "rtf"};
  if (in.empty()) return {"docx", ""};
  const unsigned char sel = static_cast<unsigned char>(in[0]);
  std::string fmt = kFmt[sel & 7];
  std::string rest(in.substr(1));
  // Legacy binary Office: 0x40 a bare BIFF8 Workbook stream (the record
  // parser), 0xC0 the whole input as an OLE2 file named .xls/.doc/.ppt.
  if ((sel & 0xC0) == 0x40) return {"biff", rest};
  if ((sel & 0xC0) == 0xC0) {
    static const char* const kOle[] = {"xls", "doc", "ppt"};
    return {kOle[(sel & 0x3F) % 3], rest};
  }
  // 0x8E: a gzip/xz/bzip2/zstd file (a tar inside read member by member).
  if ((sel & 0xCF) == 0x8E) return {"compressed", rest};
  // 0x86 (a raw "docx", which is never read): a TNEF stream (winmail.dat).
  if ((sel & 0xC7) == 0x86) return {"tnef", rest};
  if ((sel & 0x80) || fmt == "rtf") return {fmt, rest};  // RTF is not zipped
  std::vector<std::pair<std::string, std::string>> e;
  if (fmt == "docx") e = {{"word/document.xml", rest}, {"word/footer1.xml", rest}};
  else if (fmt == "xlsx")
    e = {{"xl/workbook.xml", "<workbook><sheets><sheet name=\"S\" r:id=\"rId1\"/></sheets></workbook>"},
         {"xl/_rels/workbook.xml.rels", "<Relationships><Relationship Id=\"rId1\" Target=\"worksheets/sheet1.xml\"/></Relationships>"},
         {"xl/sharedStrings.xml", rest}, {"xl/worksheets/sheet1.xml", rest}};
  else if (fmt == "pptx") e = {{"ppt/slides/slide1.xml", rest}};
  else e = {{"content.xml", rest}};
  return {fmt, StoredZip(e)};
}

}  // namespace nordpii::test

#endif  // NORDPII_TESTS_FUZZ_OFFICE_INPUT_H_

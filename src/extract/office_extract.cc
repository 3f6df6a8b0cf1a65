// SPDX-License-Identifier: Apache-2.0
// Text of an OOXML (.docx .xlsx .pptx) or OpenDocument
// (.odt .ods .odp) file as segments (location + text), for nordpii-extract
// (office_main.cc) and so for ExtractDocument (extractor.h). Run only as a child
// of nordpii, under rlimits and a timeout; it trusts nothing in its input:
//   - the zip (libarchive, seekable zip reader over memory): at most
//     max_entries entries, max_unpacked decompressed bytes in all, only the
//     entries that carry text are read;
//   - XML (libxml2's streaming xmlTextReader: memory stays bounded for a
//     large sheet, and the nesting depth is visible): no network, no DTD
//     loading, no entity substitution, and any DOCTYPE is refused (OOXML
//     and ODF never have one) — so no billion laughs, no external entities;
//     nesting deeper than max_xml_depth is refused.
// Why libxml2 over pugixml: pugixml builds the whole DOM in memory (a 2 MB
// sheet of shared strings is fine, a 200 MB one is not); the xmlTextReader
// streams. libxml2 is already on every Debian mail server.
//
// The parsing lives here (office_extract.h) so the fuzzer and the replay test
// run it in-process; office_main.cc is the program around it.
#include "extract/office_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <gsf/gsf-infile-msole.h>
#include <gsf/gsf-infile.h>
#include <gsf/gsf-input-memory.h>
#include <gsf/gsf-input.h>
#include <gsf/gsf-utils.h>
#include <libxml/xmlreader.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <functional>
#include <set>
#include <sstream>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/file_magic.h"
#include "extract/tnef.h"
#include "normalize/html_text.h"

namespace nordpii::office {

namespace {

// One extraction at a time per thread.
thread_local size_t g_max_text = 32u << 20, g_text = 0, g_max_entries = 10000;
thread_local unsigned long long g_max_unpacked = 256ull << 20, g_unpacked = 0;
thread_local int g_embed_depth = 0;  // documents embedded in documents
thread_local int g_max_depth = 256;
thread_local const SegmentFn* g_seg = nullptr;
thread_local const ImageFn* g_images = nullptr;
thread_local const WarnFn* g_warn = nullptr;
thread_local const ImageFn* g_files = nullptr;
thread_local int g_max_images = 10, g_image_count = 0;
thread_local size_t g_unread_pictures = 0;  // raster pictures skipped while OCR is off

[[noreturn]] void Fail(const std::string& msg) { throw Failure(msg); }

// Something left unread in a document that is otherwise read.
void Warn(const std::string& msg) {
  if (!g_warn) Fail(msg);
  (*g_warn)(msg);
}

void Seg(const std::string& loc, const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return;
  g_text += text.size() + 1;
  if (g_text > g_max_text) Fail("extracted text larger than the limit");
  (*g_seg)(loc, text);
}

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
struct ReaderFree {
  void operator()(xmlTextReader* r) const { xmlFreeTextReader(r); }
};

// ---- zip -------------------------------------------------------------------

using Entries = std::map<std::string, std::string>;

// Appends the data of libarchive's current entry to `out`, counted against
// the one unpacked budget of the file (every pass over it, every level) when
// `bomb` names the error; `damaged`: the error when the data cannot be read.
void ReadEntry(archive* a, std::string& out, const char* damaged, const char* bomb) {
  char chunk[1 << 16];
  for (;;) {
    la_ssize_t k = archive_read_data(a, chunk, sizeof chunk);
    if (k < 0) Fail(damaged);
    if (k == 0) break;
    if (bomb) {
      g_unpacked += static_cast<unsigned long long>(k);
      if (g_unpacked > g_max_unpacked) Fail(bomb);
    }
    out.append(chunk, static_cast<size_t>(k));
  }
}

Entries ReadZip(const std::string& data, const std::function<bool(const std::string&)>& wanted) {
  Entries out;
  std::unique_ptr<archive, ArchiveFree> owner(archive_read_new());
  archive* a = owner.get();
  archive_read_support_format_zip_seekable(a);
  if (archive_read_open_memory(a, data.data(), data.size()) != ARCHIVE_OK)
    Fail("not a zip archive (an encrypted Office file is not one either)");
  archive_entry* e = nullptr;
  size_t entries = 0;
  for (;;) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) Fail("damaged zip archive");
    if (++entries > g_max_entries) Fail("more zip entries than the limit");
    const char* n = archive_entry_pathname(e);
    if (!n || !wanted(n)) continue;
    if (archive_entry_is_encrypted(e)) Fail("encrypted zip entry");
    ReadEntry(a, out[n], "damaged zip entry", "decompressed size larger than the limit (zip bomb?)");
  }
  return out;
}

// ---- XML -------------------------------------------------------------------

struct Xml {
  virtual ~Xml() = default;
  virtual void Start(xmlTextReaderPtr, const std::string& name) = 0;
  virtual void End(const std::string& name) = 0;
  virtual void Text(const char* s) = 0;
};

std::string Attr(xmlTextReaderPtr r, const char* qname) {
  xmlChar* v = xmlTextReaderGetAttribute(r, reinterpret_cast<const xmlChar*>(qname));
  if (!v) return "";
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

// Attributes whose value is human text, not structure: tooltips
// (w:hyperlink, a:hlinkClick, an xlsx hyperlink's display text), data
// validation prompts and error messages, docVars (w:docVar w:val, labelled
// by w:name), legacy form-field defaults and help, content-control aliases,
// tags and list items, field codes in w:fldSimple w:instr, pivot cache items
// (<s v=..>, <n v=..>), custom property names, ODF string values, user
// fields, link targets (xlink:href) and titles. Alternative text (docPr,
// cNvPr descr/title) is read by AltText.
bool HumanAttr(const char* elem, const char* a) {
  auto is = [](const char* x, const char* y) { return std::strcmp(x, y) == 0; };
  auto elem_in = [&](std::initializer_list<const char*> l) {
    for (const char* e : l)
      if (is(elem, e)) return true;
    return false;
  };
  switch (a[0]) {
    case 't':
      return is(a, "tooltip") || (is(a, "title") && !elem_in({"docPr", "cNvPr"}));
    case 'p':
      return is(a, "prompt") || is(a, "promptTitle");
    case 'e':
      return is(a, "error") || is(a, "errorTitle");
    case 'd':
      return is(a, "display") || is(a, "displayText") || is(a, "description") ||
             (is(a, "descr") && !elem_in({"docPr", "cNvPr"}));
    case 's':
      return is(a, "string-value");
    case 'i':
      return is(a, "instr");
    case 'h':
      return is(a, "href");
    case 'v':
      if (is(a, "val")) return elem_in({"docVar", "default", "helpText", "statusText", "alias", "tag"});
      if (is(a, "v")) return elem_in({"s", "n"});
      return is(a, "value") && elem_in({"listItem", "user-field-decl", "variable-set"});
    case 'n':
      return is(a, "name") && elem_in({"property", "user-defined"});
    default:
      return false;
  }
}

// The human-text attributes of the current element (HumanAttr), each a
// segment located as "<prefix><element> <attribute>"; a docVar's or user
// field's value is labelled by its name ("Kunde: 010180…").
void AttrText(xmlTextReaderPtr r, const char* elem, const std::string& prefix) {
  if (xmlTextReaderHasAttributes(r) != 1) return;
  std::string label;
  std::vector<std::pair<std::string, std::string>> found;
  if (xmlTextReaderMoveToFirstAttribute(r) == 1) {
    do {
      const char* ln = reinterpret_cast<const char*>(xmlTextReaderConstLocalName(r));
      const char* v = reinterpret_cast<const char*>(xmlTextReaderConstValue(r));
      if (!ln || !v || !*v) continue;
      if (std::strcmp(ln, "name") == 0) label = v;
      if (HumanAttr(elem, ln)) found.emplace_back(ln, v);
    } while (xmlTextReaderMoveToNextAttribute(r) == 1);
    xmlTextReaderMoveToElement(r);
  }
  for (auto& [a, v] : found) {
    const bool labelled = !label.empty() && a != "name" && (std::strcmp(elem, "docVar") == 0 ||
                                                           std::strcmp(elem, "user-field-decl") == 0 ||
                                                           std::strcmp(elem, "variable-set") == 0);
    Seg(prefix + elem + " " + a, labelled ? label + ": " + v : v);
  }
}

// attr_prefix: also the human-text attributes (AttrText), located under it.
void ParseXml(const std::string& doc, Xml& h, const std::string* attr_prefix = nullptr) {
  if (doc.size() > static_cast<size_t>(INT32_MAX)) Fail("XML entry too large");
  std::unique_ptr<xmlTextReader, ReaderFree> owner(xmlReaderForMemory(
      doc.data(), static_cast<int>(doc.size()), nullptr, nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  xmlTextReaderPtr r = owner.get();
  if (!r) Fail("XML reader failed");
  int rc;
  while ((rc = xmlTextReaderRead(r)) == 1) {
    int type = xmlTextReaderNodeType(r);
    if (type == XML_READER_TYPE_DOCUMENT_TYPE || type == XML_READER_TYPE_ENTITY_REFERENCE)
      Fail("XML with a DOCTYPE or entity reference refused");
    if (xmlTextReaderDepth(r) > g_max_depth) Fail("XML nested deeper than the limit");
    if (type == XML_READER_TYPE_ELEMENT) {
      const char* ln = reinterpret_cast<const char*>(xmlTextReaderConstLocalName(r));
      std::string name = ln ? ln : "";
      bool empty = xmlTextReaderIsEmptyElement(r);
      h.Start(r, name);
      if (attr_prefix) AttrText(r, name.c_str(), *attr_prefix);
      if (empty) h.End(name);
    } else if (type == XML_READER_TYPE_END_ELEMENT) {
      const char* ln = reinterpret_cast<const char*>(xmlTextReaderConstLocalName(r));
      h.End(ln ? ln : "");
    } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA ||
               type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE) {
      const char* v = reinterpret_cast<const char*>(xmlTextReaderConstValue(r));
      if (v) h.Text(v);
    }
  }
  if (rc < 0) Fail("malformed XML");
}

// ---- spreadsheets (shared by xlsx and ods) ---------------------------------

std::string ColName(int col) {  // 0 -> A
  std::string s;
  for (++col; col > 0; col = (col - 1) / 26) s.insert(s.begin(), static_cast<char>('A' + (col - 1) % 26));
  return s;
}

bool IdLabel(std::string h) {
  for (char& c : h)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  if (h == "id" || h == "kt" || h == "kt." || h == "id nr" || h == "id-nr" || h == "idnr" || h == "id nr.") return true;
  static const char* const kWords[] = {"person", "fødsel", "fodsel", "födelse", "fnr", "pnr", "cpr", "hetu",
                                       "henkilö", "henkilo", "kennitala", "kennitölu", "ssn", "d-nummer", "h-nummer",
                                       "d-nr", "h-nr", "id-nummer",
                                       "identitet", "identity", "social security", "syntym", "samordning", "sotu",
                                       "sosiaaliturva"};
  for (const char* w : kWords)
    if (h.find(w) != std::string::npos) return true;
  return false;
}

// What joins two adjacent cells of a text table row (docx, odt, odp): a
// space, but a hyphen between a date part (6 digits) and a 4-character
// serial of 3 digits and a digit or letter ("131052 | 308T", "251078 |
// 1837"): "131052 308T" is no HETU form (its sign is a separator that names
// the century), "131052-308T" is one — as a spreadsheet row's split cells
// are joined (Sheet::Cell); for SE/DK/IS ids the hyphen is their usual form.
// The validators decide. 5-digit serials need nothing ("151086 95088").
const char* CellSep(const std::string& prev, const std::string& cell) {
  const bool date = prev.size() >= 6 && prev.find_first_not_of("0123456789", prev.size() - 6) == std::string::npos &&
                    (prev.size() == 6 || prev[prev.size() - 7] == ' ');
  const bool serial = cell.size() >= 4 && cell.find_first_not_of("0123456789") >= 3 &&
                      std::isalnum(static_cast<unsigned char>(cell[3])) && (cell.size() == 4 || cell[4] == ' ');
  return date && serial ? "-" : " ";
}

// A numeric cell as digits: "1.018012345E10" / "1018012345.0" -> "1018012345"
// (integral values below 1e16); anything else unchanged.
std::string NumberText(const std::string& v) {
  if (v.find_first_of("eE.") == std::string::npos) return v;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (!end || *end || !std::isfinite(d) || d < 0 || d >= 1e16 || std::floor(d) != d) return v;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", d);
  return buf;
}

// A number format made of zero placeholders and literal separators only
// ("00000000000", Danish CPR "000000\-0000" or "000000\"-\"0000",
// "000000 00000"), as the pattern a number is shown by: '0' for a digit,
// other characters as they are ("000000-0000"); "" for any other format.
// The first section (positive numbers) of a format with sections
// ("00000000000;@"), with locale and colour tags ("[$-414]", "[Red]")
// dropped; a format with a condition ("[<=9999999]…") is not used.
std::string ShownPattern(const std::string& code) {
  std::string pattern;
  for (size_t i = 0; i < code.size(); ++i) {
    char c = code[i];
    if (c == ';') break;
    if (c == '[') {
      size_t e = code.find(']', i);
      if (e == std::string::npos || e == i + 1 || std::strchr("<>=", code[i + 1])) return "";
      i = e;
      continue;
    }
    if (c == '0') pattern += '0';
    else if (c == '\\' && i + 1 < code.size()) pattern += code[++i];
    else if (c == '"') {
      size_t q = code.find('"', i + 1);
      if (q == std::string::npos) return "";
      pattern += code.substr(i + 1, q - i - 1);
      i = q;
    } else if (c == '-' || c == ' ' || c == '.') pattern += c;
    else return "";
  }
  return pattern.find('0') == std::string::npos ? "" : pattern;
}

// `digits` (no more than the pattern's zeros) shown by `pattern`: padded
// with leading zeros, separators placed ("101801234", "000000-0000" ->
// "010180-1234").
std::string Shown(const std::string& digits, const std::string& pattern) {
  size_t zeros = std::count(pattern.begin(), pattern.end(), '0');
  if (digits.size() > zeros) return digits;
  std::string d = std::string(zeros - digits.size(), '0') + digits, out;
  size_t k = 0;
  for (char c : pattern) out += c == '0' ? d[k++] : c;
  return out;
}

// The pattern (as ShownPattern gives it) of an .ods float cell's shown
// text when that text is its value with leading zeros, perhaps with
// separators ("01018012345" or "010180-1234" for 1018012345 /
// 101801234): digits become '0', separators stay; "" otherwise.
std::string ShownLeadingZeros(const std::string& shown, const std::string& value) {
  if (shown.empty() || shown.size() > 24 || shown[0] != '0') return "";
  std::string pattern, digits;
  for (char c : shown) {
    if (c >= '0' && c <= '9') pattern += '0', digits += c;
    else if (c == '-' || c == ' ' || c == '.') pattern += c;
    else return "";
  }
  size_t nz = digits.find_first_not_of('0');
  return nz != std::string::npos && digits.substr(nz) == NumberText(value) ? pattern : "";
}

struct Sheet {
  std::string name;
  int header_row = -1;
  std::map<int, std::string> header;
  // `pattern`: the cell's number format as ShownPattern gives it (zeros and
  // separators: how a sheet shows an id with its leading zero or a CPR with
  // its hyphen); a number is scanned as shown.
  void Cell(int row, int col, const std::string& value, bool number, const std::string& pattern = "") {
    if (value.find_first_not_of(" \t\r\n") == std::string::npos) return;
    std::string loc = name + "!" + ColName(col) + std::to_string(row + 1);
    if (header_row < 0) header_row = row;
    if (row == header_row) {
      header[col] = value;
      prev_row = row, prev_col = col, prev_date.clear();
      return Seg(loc, value);
    }
    auto h = header.find(col);
    // A title row above the header row ("Ansatte 2026" in A1 only): the
    // first text in a column that has no header yet is that column's header.
    if (h == header.end() && value.find_first_of("0123456789") == std::string::npos) {
      header[col] = value;
      prev_row = row, prev_col = col, prev_date.clear();
      return Seg(loc, value);
    }
    std::string v = number ? NumberText(value) : value;
    if (number && !pattern.empty() && pattern.size() <= 24 && v.find_first_not_of("0123456789") == std::string::npos)
      v = Shown(v, pattern);
    std::string text = h != header.end() ? h->second + ": " + v : v;
    // A number in an id column that lost its leading zero (01018012345
    // stored as 1018012345): the zero-padded form is scanned too.
    if (number && h != header.end() && IdLabel(h->second) && (v.size() == 9 || v.size() == 10) &&
        v.find_first_not_of("0123456789") == std::string::npos)
      text += "\n" + h->second + ": 0" + v;
    Seg(loc, text);
    // An id split across two adjacent cells: the date part (6 or 8 digits;
    // a number cell that lost its leading zero: 5 or 7) in one, the serial
    // (4 or 5 digits; a letter last for a hetu check character) in the next
    // ("Fødselsdato | Personnr", "150886 | 95088"): the two joined are
    // scanned as one value under both headers — 6+5 digits as one run (a
    // Norwegian number), the rest with a hyphen (010180-1234, 19800101-1234).
    // The validators decide; neither cell's text changes.
    const bool left = prev_row == row && prev_col == col - 1;
    std::string date = Joinable(v, number, true), serial = Joinable(v, number, false);
    if (left && !prev_date.empty() && !serial.empty()) {
      std::string labels;
      auto hp = header.find(col - 1);
      if (hp != header.end()) labels = hp->second;
      if (h != header.end()) labels += (labels.empty() ? "" : " ") + h->second;
      std::string joined = prev_date.size() == 6 && serial.size() == 5 && serial.back() >= '0' && serial.back() <= '9'
                               ? prev_date + serial
                               : prev_date + "-" + serial;
      Seg(name + "!" + ColName(col - 1) + std::to_string(row + 1) + "+" + ColName(col) + std::to_string(row + 1),
          (labels.empty() ? "" : labels + ": ") + joined);
    }
    prev_row = row, prev_col = col, prev_date = date;
  }

 private:
  // `v` as the date part (want_date: 6 or 8 digits) or the serial (4 or 5
  // characters, digits with perhaps a letter last) of a split id, else "".
  static std::string Joinable(const std::string& v, bool number, bool want_date) {
    if (v.empty() || v.size() > 8) return "";
    size_t digits = v.find_first_not_of("0123456789");
    if (digits == std::string::npos) digits = v.size();
    if (want_date) {
      if (digits != v.size()) return "";
      if (v.size() == 6 || v.size() == 8) return v;
      if (number && (v.size() == 5 || v.size() == 7)) return "0" + v;
      return "";
    }
    const bool letter_last = digits == v.size() - 1 && v.size() == 4 && std::isalpha(static_cast<unsigned char>(v.back()));
    if (digits != v.size() && !letter_last) return "";
    if (v.size() == 4 || v.size() == 5) return v;
    if (number && v.size() < 4) return std::string(4 - v.size(), '0') + v;
    return "";
  }
  int prev_row = -1, prev_col = -1;  // the last non-blank cell
  std::string prev_date;               // its Joinable date part, if any
};

// ---- xlsx ------------------------------------------------------------------

struct SharedStrings : Xml {
  std::vector<std::string> s;
  std::string cur;
  int in_t = 0, in_rph = 0;
  void Start(xmlTextReaderPtr, const std::string& n) override {
    if (n == "si") cur.clear();
    else if (n == "t") ++in_t;
    else if (n == "rPh") ++in_rph;  // phonetic guide, not text
  }
  void End(const std::string& n) override {
    if (n == "si") s.push_back(cur);
    else if (n == "t") --in_t;
    else if (n == "rPh") --in_rph;
  }
  void Text(const char* v) override {
    if (in_t > 0 && in_rph == 0) cur += v;
  }
};

int ColIndex(const std::string& ref) {
  int c = 0;
  size_t i = 0;
  for (; i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z' && i < 4; ++i) c = c * 26 + (ref[i] - 'A' + 1);
  return i == 0 ? -1 : c - 1;
}

struct Worksheet : Xml {
  Sheet sheet;
  const std::vector<std::string>* sst = nullptr;
  const std::vector<std::string>* patterns = nullptr;  // per cell style (xf): ShownPattern
  std::string pattern;
  std::string t, v, is;
  int row = -1, col = -1, in_v = 0, in_is = 0, in_t = 0;
  std::string hf;  // the text of a page header or footer (oddHeader, firstFooter, …)
  int in_hf = 0;
  static bool HeaderFooter(const std::string& n) {
    return n == "oddHeader" || n == "oddFooter" || n == "evenHeader" || n == "evenFooter" || n == "firstHeader" ||
           n == "firstFooter";
  }
  void Start(xmlTextReaderPtr r, const std::string& n) override {
    if (HeaderFooter(n)) ++in_hf, hf.clear();
    else if (n == "row") {
      std::string rr = Attr(r, "r");
      row = rr.empty() ? row + 1 : std::atoi(rr.c_str()) - 1;
      col = -1;
    } else if (n == "c") {
      std::string ref = Attr(r, "r");
      int c = ColIndex(ref);
      col = c >= 0 ? c : col + 1;
      t = Attr(r, "t");
      std::string st = Attr(r, "s");
      size_t xf = st.empty() ? 0 : std::strtoul(st.c_str(), nullptr, 10);
      pattern = patterns && xf < patterns->size() ? (*patterns)[xf] : std::string();
      v.clear(), is.clear();
    } else if (n == "v") ++in_v;
    else if (n == "is") ++in_is;
    else if (n == "t") ++in_t;
  }
  void End(const std::string& n) override {
    if (HeaderFooter(n)) {
      --in_hf;
      Seg(sheet.name + " " + n, hf);
    } else if (n == "v") --in_v;
    else if (n == "is") --in_is;
    else if (n == "t") --in_t;
    else if (n == "c") {
      if (t == "s") {
        size_t i = static_cast<size_t>(std::strtoul(v.c_str(), nullptr, 10));
        if (sst && i < sst->size()) sheet.Cell(row, col, (*sst)[i], false);
      } else if (t == "inlineStr") {
        sheet.Cell(row, col, is, false);
      } else if (t == "str") {
        sheet.Cell(row, col, v, false);
      } else if (t.empty() || t == "n") {
        sheet.Cell(row, col, v, true, pattern);
      }  // b (boolean), e (error), d (date) carry no text
    }
  }
  void Text(const char* s) override {
    if (in_hf > 0) hf += s;
    else if (in_v > 0) v += s;
    else if (in_is > 0 && in_t > 0) is += s;
  }
};

// xl/styles.xml: for each cell style (cellXfs/xf, by index) the width of
// its number format if that format is only zeros ("00000000000"), else 0.
struct Styles : Xml {
  std::map<std::string, std::string> formats;  // numFmtId -> formatCode
  std::vector<std::string> xf_fmt;
  int in_cellxfs = 0;
  void Start(xmlTextReaderPtr r, const std::string& n) override {
    if (n == "numFmt") formats[Attr(r, "numFmtId")] = Attr(r, "formatCode");
    else if (n == "cellXfs") ++in_cellxfs;
    else if (n == "xf" && in_cellxfs > 0) xf_fmt.push_back(Attr(r, "numFmtId"));
  }
  void End(const std::string& n) override {
    if (n == "cellXfs") --in_cellxfs;
  }
  void Text(const char*) override {}
  std::vector<std::string> Patterns() const {
    std::vector<std::string> w;
    for (const auto& id : xf_fmt) {
      auto f = formats.find(id);
      w.push_back(ShownPattern(f == formats.end() ? "" : f->second));
    }
    return w;
  }
};

struct Workbook : Xml {
  std::vector<std::pair<std::string, std::string>> sheets;  // name, rId
  void Start(xmlTextReaderPtr r, const std::string& n) override {
    if (n == "sheet") sheets.emplace_back(Attr(r, "name"), Attr(r, "r:id"));
  }
  void End(const std::string&) override {}
  void Text(const char*) override {}
};

struct Rels : Xml {
  std::map<std::string, std::string> target, type;
  void Start(xmlTextReaderPtr r, const std::string& n) override {
    if (n == "Relationship") target[Attr(r, "Id")] = Attr(r, "Target"), type[Attr(r, "Id")] = Attr(r, "Type");
  }
  void End(const std::string&) override {}
  void Text(const char*) override {}
};

// A relationship target of a part in xl/ as a zip entry name ("worksheets/
// sheet1.xml" -> "xl/worksheets/sheet1.xml", "/xl/s.xml" -> "xl/s.xml",
// "../x.xml" -> "x.xml").
std::string XlPart(const std::string& t) {
  std::vector<std::string> parts;
  std::string path = t.empty() || t[0] != '/' ? "xl/" + t : t.substr(1), seg;
  std::istringstream in(path);
  while (std::getline(in, seg, '/'))
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") parts.push_back(seg);
  std::string out;
  for (auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

// The parts the xlsx parser reads as worksheets or shared strings (found
// by the workbook's relationships, whatever their names): not read again
// as other parts.
std::set<std::string> g_xlsx_parts;

// The main part of a .docx by the package relationship (Word 365 writes
// word/document2.xml), word/document.xml when there is none.
std::string g_docx_main = "word/document.xml";

void Xlsx(const std::string& data) {
  // Excel finds the worksheets and the shared strings by the workbook's
  // relationships, not by their names: a sheet or a string table under
  // another name is read as one too.
  Rels rels;
  {
    Entries r = ReadZip(data, [](const std::string& n) { return n == "xl/_rels/workbook.xml.rels"; });
    if (r.count("xl/_rels/workbook.xml.rels")) ParseXml(r["xl/_rels/workbook.xml.rels"], rels);
  }
  std::string sst_part = "xl/sharedStrings.xml";
  std::set<std::string> targets, sheet_targets;
  for (auto& [id, type] : rels.type) {
    const std::string& t = type;  // clang 14 cannot capture a structured binding
    auto ends = [&t](const char* suf) {
      size_t k = std::strlen(suf);
      return t.size() >= k && t.compare(t.size() - k, k, suf) == 0;
    };
    if (ends("/worksheet")) targets.insert(XlPart(rels.target[id])), sheet_targets.insert(XlPart(rels.target[id]));
    else if (ends("/sharedStrings")) targets.insert(sst_part = XlPart(rels.target[id]));
  }
  Entries z = ReadZip(data, [&](const std::string& n) {
    return n == "xl/workbook.xml" || n == "xl/_rels/workbook.xml.rels" || n == "xl/sharedStrings.xml" ||
           n == "xl/styles.xml" || targets.count(n) ||
           (n.rfind("xl/worksheets/", 0) == 0 && n.find('/', 14) == std::string::npos);
  });
  g_xlsx_parts = targets;
  g_xlsx_parts.insert(sst_part);
  g_xlsx_parts.erase("xl/workbook.xml"), g_xlsx_parts.erase("xl/styles.xml");  // still read as other parts
  SharedStrings sst;
  if (z.count(sst_part)) ParseXml(z[sst_part], sst);
  Styles styles;
  if (z.count("xl/styles.xml")) ParseXml(z["xl/styles.xml"], styles);
  const std::vector<std::string> patterns = styles.Patterns();
  Workbook wb;
  if (z.count("xl/workbook.xml")) ParseXml(z["xl/workbook.xml"], wb);
  std::vector<std::pair<std::string, std::string>> order;  // name, entry
  std::map<std::string, bool> done;
  for (auto& [name, rid] : wb.sheets) {
    std::string t = rels.target[rid];
    if (t.empty()) continue;
    std::string entry = XlPart(t);
    if (z.count(entry) && !done[entry]) order.emplace_back(name, entry), done[entry] = true;
  }
  for (auto& [entry, body] : z)  // sheets the workbook does not name are scanned too
    if ((entry.rfind("xl/worksheets/", 0) == 0 || sheet_targets.count(entry)) && !done[entry]) {
      std::string base = entry.substr(entry.rfind('/') + 1);
      order.emplace_back(base.substr(0, base.rfind('.')), entry);
    }
  if (order.empty()) Fail("no worksheet found");
  for (auto& [name, rid] : wb.sheets) Seg("workbook sheet name", name);
  for (auto& [name, entry] : order) {
    Worksheet ws;
    ws.sst = &sst.s;
    ws.patterns = &patterns;
    ws.sheet.name = name;
    const std::string at = name + "!";
    ParseXml(z[entry], ws, &at);
  }
}

// ---- parts besides the main text (metadata, comments, drawings, links) -----

// A drawing's alternative text and title (wp:docPr, p:cNvPr, xdr:cNvPr).
void AltText(xmlTextReaderPtr r, const std::string& prefix) {
  for (const char* a : {"descr", "title"}) {
    std::string v = Attr(r, a);
    if (!v.empty()) Seg(prefix + "alt text", v);
  }
}

// Every text node of a part, one segment each (the element's name in the
// location), and drawings' alternative text: for parts whose structure
// does not matter (document properties, comments, charts, custom XML).
struct AllText : Xml {
  std::string prefix;
  std::vector<std::string> open;
  void Start(xmlTextReaderPtr r, const std::string& n) override {
    open.push_back(n);
    if (n == "docPr" || n == "cNvPr") AltText(r, prefix);
  }
  void End(const std::string&) override {
    if (!open.empty()) open.pop_back();
  }
  void Text(const char* v) override { Seg(prefix + (open.empty() ? "" : open.back()), v); }
};

// External link targets of a relationships part (hyperlinks: a mailto: or a
// URL with an id in its query).
struct ExternalLinks : Xml {
  std::string prefix;
  void Start(xmlTextReaderPtr r, const std::string& n) override {
    if (n == "Relationship" && Attr(r, "TargetMode") == "External") Seg(prefix + "link", Attr(r, "Target"));
  }
  void End(const std::string&) override {}
  void Text(const char*) override {}
};

// Printable runs of a binary part (an OLE object, a legacy .doc/.xls
// embedded in a document): ASCII/Latin-1 runs and UTF-16LE runs of at least
// 6 characters, as UTF-8, one segment per run. Numbers stored in binary
// (an .xls NUMBER record) are not seen: the fallback for what has no parser.
void BinaryStrings(const std::string& data, const std::string& loc) {
  std::string run;
  auto flush = [&] {
    if (run.size() >= 6) Seg(loc, run);
    run.clear();
  };
  auto put = [&](unsigned c) {  // Latin-1 code point to UTF-8
    if (c < 0x80) run += static_cast<char>(c);
    else run += static_cast<char>(0xC0 | (c >> 6)), run += static_cast<char>(0x80 | (c & 0x3F));
  };
  auto printable = [](unsigned c) { return (c >= 0x20 && c < 0x7F) || c == '\t' || (c >= 0xA0 && c <= 0xFF); };
  // Word's own characters inside text: 0x1E non-breaking hyphen, 0x1F
  // optional hyphen, 0x0B line break (a number split by one stays whole).
  auto take = [&](unsigned c) {
    if (printable(c)) put(c);
    else if (c == 0x1E) put('-');
    else if (c == 0x0B) put(' ');
    else if (c != 0x1F) flush();
  };
  for (size_t i = 0; i < data.size(); ++i) take(static_cast<unsigned char>(data[i]));  // 8-bit
  flush();
  for (size_t start = 0; start < 2; ++start) {  // UTF-16LE, both alignments
    for (size_t i = start; i + 1 < data.size(); i += 2) {
      unsigned c = static_cast<unsigned char>(data[i]) | (static_cast<unsigned char>(data[i + 1]) << 8);
      if (c < 0x100) take(c);
      else if (c == 0x2011) put('-');  // U+2011 non-breaking hyphen
      else flush();
    }
    flush();
  }
}

const char* EmbeddedFormat(const std::string& name) {
  std::string n = name;
  for (char& c : n)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  static const struct {
    const char* ext;
    const char* fmt;
  } kExt[] = {{".docx", "docx"}, {".docm", "docx"}, {".dotx", "docx"}, {".dotm", "docx"}, {".xlsx", "xlsx"},
              {".xlsm", "xlsx"}, {".xltx", "xlsx"}, {".xltm", "xlsx"}, {".pptx", "pptx"}, {".pptm", "pptx"},
              {".ppsx", "pptx"}, {".ppsm", "pptx"}, {".potx", "pptx"}, {".odt", "odt"},   {".ott", "odt"},
              {".ods", "ods"},   {".ots", "ods"},   {".odp", "odp"},   {".otp", "odp"},   {".xls", "xls"},
              {".doc", "doc"},   {".ppt", "ppt"}};
  for (const auto& e : kExt) {
    const size_t k = std::strlen(e.ext);
    if (n.size() > k && n.compare(n.size() - k, k, e.ext) == 0) return e.fmt;
  }
  return nullptr;
}

void ExtractFormat(const std::string& fmt, const std::string& data);

// The format of a file inside a document or an archive, by its bytes first
// (a zip: OOXML/ODF or an archive, "zip"; an OLE2 file: legacy Office or an
// OLE object, "ole"; "%PDF"), else by its name; nullptr: not a document.
const char* NestedFormat(const std::string& name, const std::string& body) {
  if (body.compare(0, 4, "PK\3\4") == 0) return "zip";
  if (IsCompressedSignature(body) || IsTarSignature(body)) return "compressed";
  if (tnef::IsTnef(body)) return "tnef";
  if (body.compare(0, 8, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") == 0) return "ole";
  if (body.compare(0, 5, "%PDF-") == 0) return "pdf";
  return EmbeddedFormat(name);
}

// A file inside a document (word/embeddings/...) or an archive: a document
// is extracted as one (its locations prefixed by `loc`), two levels deep at
// most (deeper: not read, the document is partly scanned); a PDF cannot be
// read here (poppler runs only in its own helper): partly scanned; text is
// scanned as it is; anything else by its printable runs.
bool EncodedMail(const std::string& body);

// A raster picture handed to the OCR helper (with --ocr: g_images set), at
// most g_max_images per file and 16 MiB each; past a limit, a warning (the
// file is partly scanned).
void OcrPicture(const std::string& loc, const std::string& body) {
  if (++g_image_count == g_max_images + 1)
    Warn("more pictures than the OCR limit (" + std::to_string(g_max_images) + "); the rest not read");
  else if (g_image_count > g_max_images)
    ;
  else if (body.size() > (16u << 20))
    Warn("picture " + std::to_string(g_image_count) + " larger than the OCR limit (16 MiB); not read");
  else
    (*g_images)(loc, body);
}

void Nested(const std::string& loc, const std::string& name, const std::string& body) {
  const char* f = NestedFormat(name, body);
  if (f && std::strcmp(f, "pdf") == 0) {
    if (g_files) return (*g_files)(loc, body);
    return Warn(loc + ": a PDF inside a document or archive is not read");
  }
  if (!f) {
    const bool text = body.find('\0') == std::string::npos;
    if (text) {
      Seg(loc, body);
      // A message or mbox (a gzipped .eml, an .eml in a zip): its base64 and
      // quoted-printable parts are not decoded here, so the file is partly
      // scanned (exit 2), never passed with ids in them unseen (review22).
      if (EncodedMail(body)) Warn(loc + ": a mail message whose encoded parts are not decoded in an archive or compressed file");
      return;
    }
    // A picture (by its bytes: a PNG in a zip of screenshots): read by OCR
    // when asked for, else counted for the caller's "not read" note.
    if (IsImageSignature(body)) {
      if (g_images) OcrPicture(loc, body);
      else ++g_unread_pictures;
    }
    return BinaryStrings(body, loc);
  }
  if (g_embed_depth >= 2) return Warn(loc + ": nested deeper than 2 levels; not read");
  ++g_embed_depth;
  SegmentFn outer = *g_seg;
  const SegmentFn* saved = g_seg;
  SegmentFn inner = [&](const std::string& l, const std::string& t) { outer(loc + " " + l, t); };
  g_seg = &inner;
  try {
    ExtractFormat(f, body);
  } catch (...) {
    g_seg = saved;
    --g_embed_depth;
    throw;
  }
  g_seg = saved;
  --g_embed_depth;
}

// The parts of an OOXML/ODF file besides its main text: document properties
// and custom XML (OOXML docProps/, customXml/; ODF meta.xml), comments of
// sheets and slides, drawings and charts, header/footer styles (ODF
// styles.xml), external link targets, and embedded files — an embedded
// OOXML/ODF document is extracted as one (two levels deep at most), any
// other embedded file by its printable runs. The main parts are read by the
// format's own parser; these go through AllText.
void OtherParts(const std::string& data, bool odf) {
  auto lower_ends = [](const std::string& n, const char* suf) {
    size_t k = std::strlen(suf);
    return n.size() >= k && n.compare(n.size() - k, k, suf) == 0;
  };
  auto embedded = [](const std::string& n) {
    return n.find("/embeddings/") != std::string::npos || n.rfind("Object ", 0) == 0;
  };
  // Pictures: raster ones for OCR (when asked for), vector ones by their
  // text (SVG is XML; EMF/WMF text records are UTF-16LE/8-bit runs).
  auto media = [](const std::string& n) {
    return n.find("/media/") != std::string::npos || n.rfind("Pictures/", 0) == 0;
  };
  auto raster = [&](const std::string& n) {
    std::string l = n;
    for (char& c : l)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    for (const char* e : {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"})
      if (lower_ends(l, e)) return true;
    return false;
  };
  auto vector_pic = [&](const std::string& n) {
    return lower_ends(n, ".emf") || lower_ends(n, ".wmf") || lower_ends(n, ".svg") || lower_ends(n, ".EMF") ||
           lower_ends(n, ".WMF");
  };
  // The parts the format's own parser reads (read once, not again here).
  auto main_part = [&](const std::string& n) {
    if (odf) return n == "content.xml";
    auto direct = [&](const char* dir) {
      return n.rfind(dir, 0) == 0 && n.find('/', std::strlen(dir)) == std::string::npos;
    };
    if (direct("word/")) {
      std::string b = n.substr(5);
      return n == g_docx_main || b == "document.xml" || b == "footnotes.xml" || b == "endnotes.xml" || b == "comments.xml" ||
             b.rfind("header", 0) == 0 || b.rfind("footer", 0) == 0;
    }
    return n == "xl/sharedStrings.xml" || g_xlsx_parts.count(n) || direct("xl/worksheets/") || direct("ppt/slides/") ||
           direct("ppt/notesSlides/");
  };
  // Every other XML part (properties, custom XML, comments, drawings,
  // charts, SmartArt data, slide layouts and masters, pivot caches, external
  // link caches, glossary, ODF meta/styles/objects), HTML/MHT/text parts (a
  // Word altChunk), link targets, pictures, embedded files.
  auto text_part = [&](const std::string& n) {
    return lower_ends(n, ".htm") || lower_ends(n, ".html") || lower_ends(n, ".mht") || lower_ends(n, ".txt");
  };
  auto wanted = [&](const std::string& n) {
    if (media(n) && (vector_pic(n) || (g_images && raster(n)))) return true;
    if (media(n) && !g_images && raster(n)) {  // not read: counted for the caller's note
      ++g_unread_pictures;
      return false;
    }
    if (!odf && embedded(n)) return true;
    if (main_part(n) || n == "[Content_Types].xml") return false;
    return lower_ends(n, ".xml") || lower_ends(n, ".rels") || text_part(n);
  };
  Entries z = ReadZip(data, wanted);
  for (auto& [n, body] : z) {
    std::string base = n.substr(n.rfind('/') == std::string::npos ? 0 : n.rfind('/') + 1);
    if (media(n)) {
      if (lower_ends(n, ".svg")) {
        AllText t;
        t.prefix = "picture " + base + " ";
        ParseXml(body, t, &t.prefix);
      } else if (vector_pic(n)) {
        BinaryStrings(body, "picture " + base);
      } else if (g_images) {
        OcrPicture("picture " + base, body);
      }
      continue;
    }
    if (!odf && embedded(n)) {
      Nested("embedded " + base, base, body);
    } else if (lower_ends(n, ".rels")) {
      ExternalLinks l;
      ParseXml(body, l);
    } else if (text_part(n)) {
      Seg("part " + base, body);
    } else {
      AllText t;
      t.prefix = base.substr(0, base.rfind('.')) + " ";
      ParseXml(body, t, &t.prefix);
    }
  }
}

// ---- docx ------------------------------------------------------------------

struct Docx : Xml {
  // Open paragraphs, innermost last: a text box (w:txbxContent) holds
  // paragraphs inside a run of the outer one; each is its own segment.
  std::vector<std::string> paras_open;
  std::string prefix, cell, row;
  int in_t = 0, in_r = 0, tbl = 0, tables = 0, rows = 0, paras = 0, fallback = 0;
  std::string* para() { return paras_open.empty() ? nullptr : &paras_open.back(); }
  // Per open mc:AlternateContent: whether one of its mc:Choice elements
  // requires only namespaces Word knows, so that Word shows that Choice
  // and not the mc:Fallback.
  std::vector<bool> choice_shown;
  static bool KnownNamespace(const std::string& ns) {
    static const char* const kKnown[] = {
        "http://schemas.microsoft.com/office/word/2010/wordprocessingShape",
        "http://schemas.microsoft.com/office/word/2010/wordprocessingGroup",
        "http://schemas.microsoft.com/office/word/2010/wordprocessingCanvas",
        "http://schemas.microsoft.com/office/word/2010/wordprocessingInk",
        "http://schemas.microsoft.com/office/word/2010/wordprocessingDrawing",
        "http://schemas.microsoft.com/office/word/2010/wordml",
        "http://schemas.microsoft.com/office/word/2012/wordml",
        "http://schemas.microsoft.com/office/word/2015/wordml/symex",
        "http://schemas.microsoft.com/office/drawing/2010/main",
        "http://schemas.microsoft.com/office/drawing/2016/ink",
        "http://schemas.microsoft.com/office/drawing/2017/model3d"};
    for (const char* k : kKnown)
      if (ns == k) return true;
    return ns.rfind("http://schemas.microsoft.com/office/drawing/", 0) == 0 && ns.find("/chartex") != std::string::npos;
  }
  static bool ChoiceShown(xmlTextReaderPtr r) {
    std::istringstream in(Attr(r, "Requires"));
    std::string prefix;
    while (in >> prefix) {  // a Choice that requires nothing counts as shown
      xmlChar* ns = xmlTextReaderLookupNamespace(r, reinterpret_cast<const xmlChar*>(prefix.c_str()));
      const bool known = ns && KnownNamespace(reinterpret_cast<const char*>(ns));
      xmlFree(ns);
      if (!known) return false;
    }
    return true;
  }
  void Start(xmlTextReaderPtr r, const std::string& n) override {
    // mc:Fallback repeats a mc:Choice Word shows (the VML copy of a text
    // box) and is skipped then; when no Choice is one Word can show (it
    // requires a namespace Word does not know), Word shows the Fallback,
    // and it is read.
    if (n == "Fallback" && (fallback || choice_shown.empty() || choice_shown.back())) ++fallback;
    if (fallback) return;
    if (n == "AlternateContent") choice_shown.push_back(false);
    else if (n == "Choice" && !choice_shown.empty() && ChoiceShown(r)) choice_shown.back() = true;
    if (n == "docPr" || n == "cNvPr") AltText(r, prefix);
    if (n == "p") paras_open.emplace_back();
    else if (n == "r") ++in_r;
    else if (n == "t" || n == "delText" || n == "instrText") ++in_t;  // a deletion is still in the file;
    // a field code (HYPERLINK "mailto:...", MERGEFIELD) is text too
    else if (in_r && n == "tab" && para()) *para() += '\t';
    else if (in_r && (n == "br" || n == "cr") && para()) *para() += ' ';
    else if (in_r && n == "sym" && para()) {
      // A character inserted as a symbol (w:char, hex; a symbol font's
      // F0xx maps to its ASCII code): a digit of an id may be one.
      unsigned long c = std::strtoul(Attr(r, "w:char").c_str(), nullptr, 16);
      if (c >= 0xF020 && c < 0xF07F) c -= 0xF000;
      if (c >= 0x20 && c < 0x7F) *para() += static_cast<char>(c);
    } else if (n == "tbl") {
      if (tbl++ == 0) ++tables, rows = 0;
    } else if (n == "tr" && tbl == 1) row.clear(), ++rows;
    else if (n == "tc" && tbl == 1) cell.clear();
  }
  void End(const std::string& n) override {
    if (n == "Fallback" && fallback) {
      --fallback;
      return;
    }
    if (fallback) return;
    if (n == "AlternateContent" && !choice_shown.empty()) choice_shown.pop_back();
    else if (n == "r") --in_r;
    else if (n == "t" || n == "delText" || n == "instrText") --in_t;
    else if (n == "p" && !paras_open.empty()) {
      std::string text = std::move(paras_open.back());
      paras_open.pop_back();
      if (tbl > 0 && paras_open.empty()) {
        if (!cell.empty() && !text.empty()) cell += ' ';
        cell += text;
      } else {
        Seg(prefix + "p" + std::to_string(++paras), text);
      }
    } else if (n == "tc" && tbl == 1) {
      if (!row.empty() && !cell.empty()) row += CellSep(row, cell);
      row += cell;
    } else if (n == "tr" && tbl == 1) {
      Seg(prefix + "table" + std::to_string(tables) + " row" + std::to_string(rows), row);
    } else if (n == "tbl") {
      --tbl;
    }
  }
  void Text(const char* v) override {
    if (in_t > 0 && !fallback && para()) *para() += v;
  }
};

void DocxFile(const std::string& data) {
  g_docx_main = "word/document.xml";
  {
    Entries r = ReadZip(data, [](const std::string& n) { return n == "_rels/.rels"; });
    Rels rels;
    if (r.count("_rels/.rels")) ParseXml(r["_rels/.rels"], rels);
    for (auto& [id, type] : rels.type) {
      const std::string suf = "/officeDocument", t = rels.target[id];
      if (type.size() > suf.size() && type.compare(type.size() - suf.size(), suf.size(), suf) == 0 && !t.empty()) {
        std::string main = t[0] == '/' ? t.substr(1) : t;
        if (main.rfind("word/", 0) == 0 && main.find('/', 5) == std::string::npos) g_docx_main = main;
      }
    }
  }
  auto part = [](const std::string& n) {
    if (n.rfind("word/", 0) != 0 || n.find('/', 5) != std::string::npos) return false;
    std::string b = n.substr(5);
    return n == g_docx_main || b == "document.xml" || b == "footnotes.xml" || b == "endnotes.xml" ||
           b == "comments.xml" || b.rfind("header", 0) == 0 || b.rfind("footer", 0) == 0;
  };
  Entries z = ReadZip(data, part);
  if (!z.count(g_docx_main)) Fail("no word/document.xml or main document part");
  {
    Docx d;
    ParseXml(z[g_docx_main], d, &d.prefix);
  }
  for (auto& [n, body] : z)
    if (n != g_docx_main) {
      Docx d;
      std::string b = n.substr(5);
      d.prefix = b.substr(0, b.rfind('.')) + " ";
      ParseXml(body, d, &d.prefix);
    }
}

// ---- pptx ------------------------------------------------------------------

struct Slide : Xml {
  std::string prefix, para;
  int in_t = 0, paras = 0;
  void Start(xmlTextReaderPtr r, const std::string& n) override {
    if (n == "cNvPr") AltText(r, prefix);
    if (n == "p") para.clear();
    else if (n == "t") ++in_t;
    else if (n == "br") para += ' ';
  }
  void End(const std::string& n) override {
    if (n == "t") --in_t;
    else if (n == "p") Seg(prefix + "p" + std::to_string(++paras), para), para.clear();
  }
  void Text(const char* v) override {
    if (in_t > 0) para += v;
  }
};

int TrailingNumber(const std::string& s) {
  size_t e = s.rfind('.'), b = e;
  while (b > 0 && s[b - 1] >= '0' && s[b - 1] <= '9') --b;
  return std::atoi(s.substr(b, e - b).c_str());
}

void Pptx(const std::string& data) {
  Entries z = ReadZip(data, [](const std::string& n) {
    // Every part in the slide folders, whatever its name (PowerPoint finds a
    // slide by its relationship, not by a slideN.xml name).
    return (n.rfind("ppt/slides/", 0) == 0 || n.rfind("ppt/notesSlides/", 0) == 0) &&
           std::count(n.begin(), n.end(), '/') == 2 && n.size() > 4 && n.substr(n.size() - 4) == ".xml";
  });
  std::vector<std::pair<int, std::string>> slides, notes;
  for (auto& [n, b] : z) (n.rfind("ppt/notesSlides/", 0) == 0 ? notes : slides).emplace_back(TrailingNumber(n), n);
  if (slides.empty()) Fail("no slide found");
  std::sort(slides.begin(), slides.end());
  std::sort(notes.begin(), notes.end());
  for (auto& [i, n] : slides) {
    Slide s;
    s.prefix = "slide" + std::to_string(i) + " ";
    ParseXml(z[n], s, &s.prefix);
  }
  for (auto& [i, n] : notes) {
    Slide s;
    s.prefix = "notes" + std::to_string(i) + " ";
    ParseXml(z[n], s, &s.prefix);
  }
}

// ---- OpenDocument (content.xml) --------------------------------------------

struct Odf : Xml {
  char kind = 't';  // t(ext), s(preadsheet), p(resentation)
  std::vector<std::string> paras;  // open text:p / text:h, innermost last
  int paras_n = 0, slide = 0, tables = 0, table_depth = 0, rows = 0;
  std::string row, cell, cell_value;
  bool cell_number = false;
  int in_cell = 0, col = 0, col_repeat = 1, row_idx = -1, row_repeat = 1;
  Sheet sheet;
  void Start(xmlTextReaderPtr r, const std::string& n) override {
    if (n == "p" || n == "h") paras.emplace_back();
    else if (n == "s" && !paras.empty()) {
      int c = std::max(1, std::min(1000, std::atoi(Attr(r, "text:c").c_str())));
      paras.back().append(static_cast<size_t>(c), ' ');
    } else if (n == "tab" && !paras.empty()) paras.back() += '\t';
    else if (n == "line-break" && !paras.empty()) paras.back() += ' ';
    else if (n == "page") ++slide, paras_n = 0;
    else if (n == "table") {
      if (table_depth++ == 0) {
        ++tables, rows = 0, row_idx = -1;
        sheet = Sheet();
        sheet.name = Attr(r, "table:name");
        if (sheet.name.empty()) sheet.name = "Sheet" + std::to_string(tables);
      }
    } else if (n == "table-row" && table_depth == 1) {
      row.clear(), ++rows, col = 0;
      row_idx += row_repeat;
      row_repeat = std::max(1, std::min(1 << 20, std::atoi(Attr(r, "table:number-rows-repeated").c_str())));
    } else if ((n == "table-cell" || n == "covered-table-cell") && table_depth == 1) {
      ++in_cell;
      cell.clear();
      col_repeat = std::max(1, std::min(1 << 14, std::atoi(Attr(r, "table:number-columns-repeated").c_str())));
      std::string vt = Attr(r, "office:value-type");
      cell_number = vt == "float" || vt == "percentage" || vt == "currency";
      cell_value = cell_number ? Attr(r, "office:value") : "";
    }
  }
  void End(const std::string& n) override {
    if ((n == "p" || n == "h") && !paras.empty()) {
      std::string t = std::move(paras.back());
      paras.pop_back();
      if (!paras.empty()) {
        paras.back() += ' ' + t;  // a note or frame inside a paragraph
      } else if (in_cell > 0) {
        if (!cell.empty() && !t.empty()) cell += ' ';
        cell += t;
      } else if (kind == 'p') {
        Seg("slide" + std::to_string(slide) + " p" + std::to_string(++paras_n), t);
      } else {
        Seg("p" + std::to_string(++paras_n), t);
      }
    } else if ((n == "table-cell" || n == "covered-table-cell") && table_depth == 1) {
      --in_cell;
      if (kind == 's') {
        // A number shown with leading zeros (a number style of 11 digits,
        // or with separators as a Danish CPR "000000-0000": how a sheet
        // keeps an id's leading zero) is scanned as shown, as an .xlsx
        // number format is.
        if (!cell.empty() || !cell_value.empty())
          sheet.Cell(row_idx, col, cell_number && !cell_value.empty() ? cell_value : cell, cell_number,
                     cell_number ? ShownLeadingZeros(cell, cell_value) : std::string());
      } else {
        if (!row.empty() && !cell.empty()) row += CellSep(row, cell);
        row += cell;
      }
      col += col_repeat;
    } else if (n == "table-row" && table_depth == 1 && kind != 's') {
      std::string loc = "table" + std::to_string(tables) + " row" + std::to_string(rows);
      Seg(kind == 'p' ? "slide" + std::to_string(slide) + " " + loc : loc, row);
    } else if (n == "table") {
      --table_depth;
    }
  }
  void Text(const char* v) override {
    if (!paras.empty()) paras.back() += v;
  }
};

void OdfFile(const std::string& data, char kind) {
  Entries z = ReadZip(data, [](const std::string& n) { return n == "content.xml"; });
  if (!z.count("content.xml")) Fail("no content.xml (an encrypted OpenDocument file has none readable)");
  Odf o;
  o.kind = kind;
  const std::string at;
  ParseXml(z["content.xml"], o, &at);
}

// ---- legacy binary Office (OLE2 compound files: .doc .xls .ppt) -----------
// The compound file is read with libgsf (GNOME's structured file library,
// LGPL-2.1, in Debian); .xls cells from the BIFF8 records of the Workbook
// stream (written here: no Debian library parses BIFF); .doc and .ppt text
// by the printable runs of their main stream (Word 97 stores text as
// cp1252 or UTF-16LE pieces, PowerPoint as text atoms of either kind).
// Encrypted files (an .xls FILEPASS record, the .doc fEncrypted flag, an
// encrypted PowerPoint stream) are errors.

struct GObjectFree {
  void operator()(void* p) const {
    if (p) g_object_unref(p);
  }
};

std::string OleStream(GsfInfile* ole, const char* name, bool required) {
  std::unique_ptr<GsfInput, GObjectFree> in(gsf_infile_child_by_name(ole, name));
  if (!in) {
    if (required) Fail(std::string("no ") + name + " stream");
    return "";
  }
  gsf_off_t size = gsf_input_size(in.get());
  if (size < 0 || static_cast<unsigned long long>(size) > g_max_unpacked - std::min(g_max_unpacked, g_unpacked))
    Fail("stream larger than the limit");
  g_unpacked += static_cast<unsigned long long>(size);
  std::string out(static_cast<size_t>(size), '\0');
  if (size > 0 && !gsf_input_read(in.get(), static_cast<size_t>(size), reinterpret_cast<guint8*>(out.data())))
    Fail("damaged stream");
  return out;
}

void AppendUtf8(std::string& out, unsigned c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6)), out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12)), out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// BIFF8 record payloads, with CONTINUE records joined to the record before
// and the joins remembered (a string's characters that cross one restart
// with a new flags byte).
struct BiffReader {
  const std::string& s;
  size_t pos = 0;
  explicit BiffReader(const std::string& d) : s(d) {}
  bool Next(uint16_t& type, std::string& body, std::vector<size_t>& joins, size_t& offset) {
    if (pos + 4 > s.size()) return false;
    offset = pos;
    type = U16(pos);
    size_t len = U16(pos + 2);
    if (pos + 4 + len > s.size()) Fail("truncated BIFF record");
    body.assign(s, pos + 4, len);
    joins.clear();
    pos += 4 + len;
    while (pos + 4 <= s.size() && U16(pos) == 0x003C) {  // CONTINUE
      size_t l = U16(pos + 2);
      if (pos + 4 + l > s.size()) Fail("truncated BIFF record");
      joins.push_back(body.size());
      body.append(s, pos + 4, l);
      pos += 4 + l;
    }
    return true;
  }
  uint16_t U16(size_t i) const {
    return static_cast<uint16_t>(static_cast<unsigned char>(s[i]) | (static_cast<unsigned char>(s[i + 1]) << 8));
  }
};

struct Cursor {
  const std::string& b;
  const std::vector<size_t>& joins;
  size_t i = 0;
  void Need(size_t n) const {
    if (i + n > b.size()) Fail("truncated BIFF string");
  }
  unsigned U8() { return Need(1), static_cast<unsigned char>(b[i++]); }
  unsigned U16() {
    Need(2);
    unsigned v = static_cast<unsigned char>(b[i]) | (static_cast<unsigned char>(b[i + 1]) << 8);
    i += 2;
    return v;
  }
  uint32_t U32() {
    uint32_t lo = U16();
    return lo | (static_cast<uint32_t>(U16()) << 16);
  }
  void Skip(size_t n) { Need(n), i += n; }
  // cch characters, 8-bit (Latin-1) or UTF-16LE by `high`; a CONTINUE join
  // inside them starts with a new flags byte.
  std::string Chars(size_t cch, bool high) {
    std::string out;
    for (size_t k = 0; k < cch; ++k) {
      if (k > 0 && std::find(joins.begin(), joins.end(), i) != joins.end()) high = (U8() & 1) != 0;
      unsigned c = high ? U16() : U8();
      if (c >= 0xD800 && c < 0xE000) c = 0xFFFD;  // surrogate halves: not text we need
      AppendUtf8(out, c);
    }
    return out;
  }
  // XLUnicodeRichExtendedString (SST) or XLUnicodeString (rich = false).
  std::string String(bool rich) {
    size_t cch = U16();
    unsigned flags = U8();
    size_t runs = 0, ext = 0;
    if (rich && (flags & 0x8)) runs = U16();
    if (rich && (flags & 0x4)) ext = U32();
    std::string t = Chars(cch, (flags & 1) != 0);
    Skip(runs * 4);
    Skip(ext);
    return t;
  }
};

double RkValue(uint32_t rk) {
  double v;
  if (rk & 2) {
    v = static_cast<double>(static_cast<int32_t>(rk) >> 2);
  } else {
    uint64_t bits = static_cast<uint64_t>(rk & 0xFFFFFFFCu) << 32;
    std::memcpy(&v, &bits, sizeof v);
  }
  return (rk & 1) ? v / 100 : v;
}

std::string NumberString(double d) {
  char buf[40];
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 1e16) std::snprintf(buf, sizeof buf, "%.0f", d);
  else std::snprintf(buf, sizeof buf, "%.15g", d);
  return buf;
}

// The cells of a BIFF8 Workbook stream.
void XlsBiff(const std::string& wb) {
  BiffReader r(wb);
  uint16_t type;
  std::string body;
  std::vector<size_t> joins;
  size_t offset = 0;
  std::vector<std::string> sst;
  std::map<size_t, std::string> sheet_at;  // BOF offset -> sheet name
  Sheet sheet;
  bool in_sheet = false, want_string = false;
  int string_row = 0, string_col = 0, bofs = 0;
  while (r.Next(type, body, joins, offset)) {
    Cursor c{body, joins};
    switch (type) {
      case 0x002F: Fail("encrypted workbook (FILEPASS)");
      case 0x0809:  // BOF
        if (bofs++ > 0) {
          sheet = Sheet();
          auto it = sheet_at.find(offset);
          sheet.name = it != sheet_at.end() ? it->second : "Sheet" + std::to_string(bofs - 1);
          in_sheet = true;
        }
        break;
      case 0x000A: in_sheet = false; break;  // EOF
      case 0x0085: {  // BOUNDSHEET: position of its BOF, name
        uint32_t at = c.U32();
        c.Skip(2);
        size_t cch = c.U8();
        bool high = (c.U8() & 1) != 0;
        std::string name = c.Chars(cch, high);
        Seg("workbook sheet name", name);
        sheet_at[at] = name;
        break;
      }
      case 0x00FC: {  // SST
        c.Skip(8);
        while (c.i < body.size()) sst.push_back(c.String(true));
        break;
      }
      case 0x00FD:  // LABELSST
        if (in_sheet) {
          int row = static_cast<int>(c.U16()), col = static_cast<int>(c.U16());
          c.Skip(2);
          uint32_t k = c.U32();
          if (k < sst.size()) sheet.Cell(row, col, sst[k], false);
        }
        break;
      case 0x0204:  // LABEL
        if (in_sheet) {
          int row = static_cast<int>(c.U16()), col = static_cast<int>(c.U16());
          c.Skip(2);
          sheet.Cell(row, col, c.String(false), false);
        }
        break;
      case 0x0203:  // NUMBER
        if (in_sheet) {
          int row = static_cast<int>(c.U16()), col = static_cast<int>(c.U16());
          c.Skip(2);
          c.Need(8);
          double d;
          std::memcpy(&d, body.data() + c.i, 8);
          sheet.Cell(row, col, NumberString(d), true);
        }
        break;
      case 0x027E:  // RK
        if (in_sheet) {
          int row = static_cast<int>(c.U16()), col = static_cast<int>(c.U16());
          c.Skip(2);
          sheet.Cell(row, col, NumberString(RkValue(c.U32())), true);
        }
        break;
      case 0x00BD:  // MULRK
        if (in_sheet && body.size() >= 6) {
          int row = static_cast<int>(c.U16()), col = static_cast<int>(c.U16());
          while (c.i + 6 <= body.size() - 2) {
            c.Skip(2);
            sheet.Cell(row, col++, NumberString(RkValue(c.U32())), true);
          }
        }
        break;
      case 0x0006:  // FORMULA: a cached number, or a string in the next STRING record
        if (in_sheet) {
          int row = static_cast<int>(c.U16()), col = static_cast<int>(c.U16());
          c.Skip(2);
          c.Need(8);
          const auto* v = reinterpret_cast<const unsigned char*>(body.data() + c.i);
          if (v[6] == 0xFF && v[7] == 0xFF) {
            want_string = v[0] == 0;
            string_row = row, string_col = col;
          } else {
            double d;
            std::memcpy(&d, v, 8);
            sheet.Cell(row, col, NumberString(d), true);
          }
        }
        break;
      case 0x0207:  // STRING (a formula's cached text)
        if (in_sheet && want_string) sheet.Cell(string_row, string_col, c.String(false), false);
        want_string = false;
        break;
      case 0x0014:  // HEADER, FOOTER (print header/footer text; empty when none)
      case 0x0015:
        if (in_sheet && body.size() >= 3) Seg(sheet.name + (type == 0x14 ? " header" : " footer"), c.String(false));
        break;
      case 0x01B6:  // TXO: a text box or comment; its text in the CONTINUE records after it
        if (body.size() >= 12 && !joins.empty()) {
          size_t cch = static_cast<unsigned char>(body[10]) | (static_cast<unsigned char>(body[11]) << 8);
          Cursor t{body, joins};
          t.i = joins[0];
          bool high = (t.U8() & 1) != 0;
          Seg((in_sheet ? sheet.name + " " : std::string()) + "text box", t.Chars(cch, high));
        }
        break;
      default: break;
    }
  }
}

void XlsFile(GsfInfile* ole) {
  std::string wb = OleStream(ole, "Workbook", false);
  if (wb.empty()) wb = OleStream(ole, "Book", false);
  if (wb.empty()) Fail("no Workbook stream");
  XlsBiff(wb);
}

// `data` opened as an OLE2 compound file (null when it is not one).
std::unique_ptr<GsfInfile, GObjectFree> OpenOle(const std::string& data) {
  static const bool inited = (gsf_init(), true);
  (void)inited;
  std::unique_ptr<GsfInput, GObjectFree> mem(
      gsf_input_memory_new(reinterpret_cast<const guint8*>(data.data()), static_cast<gsf_off_t>(data.size()), FALSE));
  if (!mem) return nullptr;
  GError* err = nullptr;
  std::unique_ptr<GsfInfile, GObjectFree> ole(gsf_infile_msole_new(mem.get(), &err));
  if (err) g_error_free(err);
  return ole;
}

bool HasStream(GsfInfile* ole, const char* name) {
  return ole && std::unique_ptr<GsfInput, GObjectFree>(gsf_infile_child_by_name(ole, name)) != nullptr;
}

// A legacy Office file already opened (LegacyFile, OleAuto).
void LegacyOle(const std::string& fmt, GsfInfile* ole) {
  auto has = [&](const char* name) { return HasStream(ole, name); };
  if (has("EncryptedPackage") || has("EncryptionInfo")) Fail("encrypted Office file");
  if (fmt == "xls") {
    XlsFile(ole);
  } else if (fmt == "doc") {
    std::string wd = OleStream(ole, "WordDocument", true);
    if (wd.size() < 12 || static_cast<unsigned char>(wd[0]) != 0xEC || static_cast<unsigned char>(wd[1]) != 0xA5)
      Fail("not a Word 97-2003 document");
    if (static_cast<unsigned char>(wd[11]) & 0x01) Fail("encrypted Word document");  // FIB fEncrypted
    BinaryStrings(wd, "text");
  } else {
    if (has("EncryptedSummary")) Fail("encrypted presentation");
    BinaryStrings(OleStream(ole, "PowerPoint Document", true), "text");
  }
  for (const char* props : {"\x05SummaryInformation", "\x05DocumentSummaryInformation"})
    BinaryStrings(OleStream(ole, props, false), "properties");
}

void LegacyFile(const std::string& fmt, const std::string& data) {
  auto ole = OpenOle(data);
  if (!ole) Fail("not an OLE2 compound file");
  LegacyOle(fmt, ole.get());
}

// ---- RTF --------------------------------------------------------------------
// The text of an RTF document (written here: no Debian library reads RTF
// into text without a whole word processor). Groups of destinations that are
// not text (font and colour tables, style sheets, pictures, objects, themes,
// hex data) are skipped; other `{\*\...}` ignorable destinations (field
// instructions with link targets, bookmarks, company, generator, ...) are
// read, like hidden text (\v): a reader skips them, but the bytes are in the
// file (review: an id there passed with exit 0); \par, \line, \cell and
// \row end a line; \'hh is a cp1252 byte, \uN a Unicode character (its
// \ucN fallback characters skipped); \_ is a hyphen, \~ a space, \- nothing.
// The document information group (\info: title, author, subject, ...) is
// read. Depth is bounded like XML.
void RtfFile(const std::string& data) {
  static const char* const kSkip[] = {"fonttbl",   "colortbl",  "stylesheet", "pict",     "object",
                                      "themedata", "datastore", "latentstyles", "listtable", "listoverridetable",
                                      "rsidtbl",   "xmlnstbl",  "mmathPr",    "filetbl",  "revtbl",
                                      "pgdsctbl",  "bin",       "colorschememapping", "blipuid", "panose",
                                      "passwordhash", "password", "objdata",  "shppict", "nonshppict"};
  struct Group {
    bool skip = false;
    int uc = 1;
  };
  std::vector<Group> stack(1);
  std::string line;
  int pending_skip = 0;  // \uN fallback characters still to skip
  auto cp1252 = [](unsigned char b) -> unsigned {
    static const unsigned short k80[32] = {0x20AC, 0x81,   0x201A, 0x192,  0x201E, 0x2026, 0x2020, 0x2021,
                                           0x2C6,  0x2030, 0x160,  0x2039, 0x152,  0x8D,   0x17D,  0x8F,
                                           0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                           0x2DC,  0x2122, 0x161,  0x203A, 0x153,  0x9D,   0x17E,  0x178};
    return b >= 0x80 && b < 0xA0 ? k80[b - 0x80] : b;
  };
  auto emit_line = [&] {
    if (line.find_first_not_of(" \t") != std::string::npos) Seg("text", line);
    line.clear();
  };
  auto put = [&](unsigned c) {
    if (stack.back().skip) return;
    if (pending_skip > 0) {
      --pending_skip;
      return;
    }
    AppendUtf8(line, c);
  };
  bool first_in_group = false;
  for (size_t i = 0; i < data.size(); ++i) {
    char c = data[i];
    if (c == '{') {
      if (stack.size() > static_cast<size_t>(g_max_depth)) Fail("RTF nested deeper than the limit");
      stack.push_back(stack.back());
      first_in_group = true;
      continue;
    }
    if (c == '}') {
      if (stack.size() > 1) stack.pop_back();
      first_in_group = false;
      continue;
    }
    if (c == '\r' || c == '\n') continue;
    if (c != '\\') {
      first_in_group = false;
      put(static_cast<unsigned char>(c));
      continue;
    }
    if (++i >= data.size()) break;
    c = data[i];
    if (c == '\\' || c == '{' || c == '}') {
      put(static_cast<unsigned char>(c));
      continue;
    }
    if (c == '*') continue;  // an ignorable destination: its control word decides (kSkip)
    if (c == '\'') {
      if (i + 2 < data.size()) {
        unsigned v = static_cast<unsigned>(std::strtoul(data.substr(i + 1, 2).c_str(), nullptr, 16));
        put(cp1252(static_cast<unsigned char>(v)));
        i += 2;
      }
      continue;
    }
    if (c == '~') put(' ');
    else if (c == '_') put('-');
    else if (c == '-') {
    } else if (c == '\r' || c == '\n') {
      emit_line();
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      size_t b = i;
      while (i < data.size() && ((data[i] >= 'a' && data[i] <= 'z') || (data[i] >= 'A' && data[i] <= 'Z'))) ++i;
      std::string word = data.substr(b, i - b);
      bool neg = i < data.size() && data[i] == '-';
      if (neg) ++i;
      size_t nb = i;
      while (i < data.size() && data[i] >= '0' && data[i] <= '9' && i - nb < 10) ++i;
      long num = i > nb ? std::strtol(data.substr(nb, i - nb).c_str(), nullptr, 10) * (neg ? -1 : 1) : 0;
      bool has_num = i > nb;
      if (i < data.size() && data[i] == ' ') {
      } else {
        --i;  // the delimiter is not part of the control word
      }
      if (first_in_group)
        for (const char* k : kSkip)
          if (word == k) stack.back().skip = true;
      first_in_group = false;
      if (word == "par" || word == "line" || word == "row" || word == "sect" || word == "page") emit_line();
      // Hidden text (\v ... \v0) is read as a word of its own: a reader
      // shows "a b" for "a \v 1234\v0 b", the file holds "1234b".
      else if (word == "cell" || word == "tab" || word == "v") put(' ');
      else if (word == "uc" && has_num) stack.back().uc = static_cast<int>(num);
      else if (word == "u" && has_num) {
        if (num < 0) num += 65536;
        put(static_cast<unsigned>(num));
        pending_skip = stack.back().skip ? 0 : stack.back().uc;
      } else if (word == "bin" && has_num && num > 0) {
        i += static_cast<size_t>(num);  // binary data
      }
    }
  }
  emit_line();
}

// ---- TNEF (winmail.dat) -----------------------------------------------------
// A TNEF stream (tnef.h: parsed strictly, any damage a Failure): the
// subject, attBody, PR_BODY and every other string property of the message,
// its attachments and its recipients as text ("subject", "body", "property
// 0x0E1D", "recipient 1 property 0x3001"); the compressed RTF body through
// the RTF reader ("rtf"); PR_HTML through the HTML reader ("html"); other
// binary properties and attFrom by their printable runs. Each attachment's
// bytes (attAttachData, PR_ATTACH_DATA_BIN, an OLE object's storage) go to
// Nested as an archive member's do ("attachment 2 liste.docx p3"); an
// attached message (an embedded message object) is not read: the document
// is partly scanned (an error), never passed.
void TnefFile(const std::string& data) {
  tnef::Limits tl;
  tl.max_unpacked = g_max_unpacked;
  uint64_t unpacked = g_unpacked;
  const tnef::Message m = tnef::Parse(data, tl, unpacked);
  g_unpacked = unpacked;
  for (const auto& t : m.texts) Seg(t.loc, t.utf8);
  for (const auto& b : m.binary) BinaryStrings(b.utf8, b.loc);
  if (!m.rtf.empty()) {
    SegmentFn outer = *g_seg;
    const SegmentFn* saved = g_seg;
    SegmentFn inner = [&](const std::string& l, const std::string& t) { outer(l == "text" ? "rtf" : "rtf " + l, t); };
    g_seg = &inner;
    try {
      for (const std::string& rtf : m.rtf) RtfFile(rtf);
    } catch (...) {
      g_seg = saved;
      throw;
    }
    g_seg = saved;
  }
  for (const std::string& h : m.html) Seg("html", HtmlToText(h).bytes);
  for (const auto& a : m.attachments) {
    const std::string where = "attachment " + std::to_string(a.number);
    for (const auto& t : a.texts) Seg(where + " " + t.loc, t.utf8);
    for (const auto& b : a.binary) BinaryStrings(b.utf8, where + " " + b.loc);
    if (a.embedded_message) Warn(where + ": an attached message (embedded message object) is not read");
    for (std::string_view d : a.data) Nested(a.name.empty() ? where : where + " " + a.name, a.name, std::string(d));
  }
  for (const std::string& u : m.unread) Warn(u + " not read");
}

// A zip of unknown kind (an attachment's bytes, an embedded object): an
// OOXML or OpenDocument file by its parts, else an archive whose members are
// read one by one (Nested): documents as documents, text as text, the rest
// by printable runs; an encrypted member fails the whole file.
void ZipAuto(const std::string& data) {
  std::vector<std::string> names;
  ReadZip(data, [&](const std::string& n) {
    names.push_back(n);
    return n == "mimetype";
  });
  auto has = [&](const char* n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  if (has("word/document.xml")) return ExtractFormat("docx", data);
  if (has("xl/workbook.xml")) return ExtractFormat("xlsx", data);
  if (has("ppt/presentation.xml")) return ExtractFormat("pptx", data);
  if (has("content.xml") && has("mimetype")) {
    Entries m = ReadZip(data, [](const std::string& n) { return n == "mimetype"; });
    const std::string& t = m["mimetype"];
    return ExtractFormat(t.find("spreadsheet") != std::string::npos    ? "ods"
                         : t.find("presentation") != std::string::npos ? "odp"
                                                                        : "odt",
                         data);
  }
  Entries z = ReadZip(data, [](const std::string& n) { return !n.empty() && n.back() != '/'; });
  for (auto& [n, body] : z) Nested(n, n.substr(n.rfind('/') == std::string::npos ? 0 : n.rfind('/') + 1), body);
}

// gzip through zlib (not libarchive's filter, which passes bytes after the
// stream and a bad CRC unseen): every member (`gzip -c a b > ab.gz` writes
// two), each member's CRC-32 and length checked; the file name and comment
// of each header are scanned as text ("gzip name", "gzip comment"); after
// the last member only zero bytes (tape padding) may follow — other bytes
// there are not what gunzip shows, and fail the file (closed), as does a
// member cut short or damaged.
std::string Gunzip(const std::string& data) {
  std::string out;
  size_t pos = 0;
  while (pos < data.size()) {
    if (data.compare(pos, 2, "\x1f\x8b") != 0) {
      if (data.find_first_not_of('\0', pos) == std::string::npos) break;
      Fail("bytes after the end of the gzip data");
    }
    z_stream z{};
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) Fail("gzip: no memory");
    struct End {
      z_stream* z;
      ~End() { inflateEnd(z); }
    } end{&z};
    gz_header h{};
    Bytef name[1024], comment[4096];
    h.name = name, h.name_max = sizeof name, h.comment = comment, h.comm_max = sizeof comment;
    inflateGetHeader(&z, &h);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + pos));
    z.avail_in = static_cast<uInt>(std::min<size_t>(data.size() - pos, 1u << 30));
    char buf[1 << 16];
    int r;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      r = inflate(&z, Z_NO_FLUSH);
      if (r == Z_BUF_ERROR || (r == Z_OK && z.avail_in == 0 && z.avail_out != 0)) Fail("gzip data cut short");
      if (r != Z_OK && r != Z_STREAM_END) Fail("damaged gzip data (" + std::string(z.msg ? z.msg : "error") + ")");
      const size_t got = sizeof buf - z.avail_out;
      g_unpacked += got;
      if (g_unpacked > g_max_unpacked) Fail("decompressed size larger than the limit (bomb?)");
      out.append(buf, got);
    } while (r != Z_STREAM_END);
    pos = static_cast<size_t>(reinterpret_cast<const char*>(z.next_in) - data.data());
    name[sizeof name - 1] = 0, comment[sizeof comment - 1] = 0;
    if (h.done == 1) {
      if (h.name) Seg("gzip name", reinterpret_cast<const char*>(name));
      if (h.comment) Seg("gzip comment", reinterpret_cast<const char*>(comment));
    }
  }
  return out;
}

// A mail message or mbox whose parts are encoded (base64, quoted-printable,
// encoded words): read here as text, the encoded text is not decoded.
bool EncodedMail(const std::string& body) {
  std::string head = body.substr(0, 8192);
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool mbox = head.rfind("from ", 0) == 0;
  bool headers = false;
  for (const char* h : {"from:", "received:", "message-id:", "mime-version:", "content-type:", "return-path:"})
    if (head.rfind(h, 0) == 0 || head.find(std::string("\n") + h) != std::string::npos) headers = true;
  if (!mbox && !(headers && head.find(':') < head.find('\n'))) return false;
  for (const char* e : {"base64", "quoted-printable", "=?"}) {
    auto it = std::search(body.begin(), body.end(), e, e + std::strlen(e),
                          [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == y; });
    if (it != body.end()) return true;
  }
  return false;
}

// A gzip, xz, bzip2 or zstd file or a plain tar (an attachment "logs.txt.gz", a member of
// a zip): decompressed whole within the one unpacked budget (a bomb fails
// the file) — gzip by zlib (Gunzip), the others by libarchive's filters; a
// tar inside (by its "ustar" magic) is read member by member, anything else
// as one file ("file"). What comes out is read as an archive member is
// (Nested: documents as documents, text as text, pictures for OCR or counted,
// the rest by printable runs). Damaged or cut short: the file fails (closed).
// Before, such an attachment was scanned by its printable runs, the
// compressed text never read (exit 0 with ids inside).
void Compressed(const std::string& data) {
  std::string body;
  if (data.compare(0, 2, "\x1f\x8b") == 0) {
    body = Gunzip(data);
  } else if (IsTarSignature(data)) {
    body = data;  // an uncompressed tar (review22: a tar attachment was read by its printable runs)
  } else {
    std::unique_ptr<archive, ArchiveFree> owner(archive_read_new());
    archive* a = owner.get();
    archive_read_support_filter_xz(a);
    archive_read_support_filter_bzip2(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_format_raw(a);  // (not tar here: it would take 512 zero bytes for an empty archive)
    archive_entry* e = nullptr;
    if (archive_read_open_memory(a, data.data(), data.size()) != ARCHIVE_OK ||
        archive_read_next_header(a, &e) != ARCHIVE_OK)
      Fail("damaged compressed file");
    ReadEntry(a, body, "damaged compressed file (or cut short)", "decompressed size larger than the limit (bomb?)");
  }
  if (!IsTarSignature(body)) return Nested("file", "", body);
  // A tar (POSIX/GNU: "ustar" at offset 257): member by member.
  std::unique_ptr<archive, ArchiveFree> owner(archive_read_new());
  archive* a = owner.get();
  archive_read_support_format_tar(a);
  if (archive_read_open_memory(a, body.data(), body.size()) != ARCHIVE_OK) Fail("damaged tar file");
  archive_entry* e = nullptr;
  size_t entries = 0;
  for (;;) {
    int r = archive_read_next_header(a, &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) Fail("damaged tar file");
    if (++entries > g_max_entries) Fail("more archive entries than the limit");
    if (archive_entry_filetype(e) != AE_IFREG) continue;
    std::string member;
    ReadEntry(a, member, "damaged tar member", nullptr);  // (within body: no new budget)
    const char* p = archive_entry_pathname(e);
    const std::string n = p ? p : "member";
    Nested(n, n.substr(n.rfind('/') == std::string::npos ? 0 : n.rfind('/') + 1), member);
  }
}

// An OLE2 file of unknown kind: legacy Office by its streams, else (an OLE
// object such as an embedded package) by its printable runs.
void OleAuto(const std::string& data) {
  auto ole = OpenOle(data);  // opened once, its kind taken from its streams
  auto has = [&](const char* name) { return HasStream(ole.get(), name); };
  if (has("Workbook") || has("Book")) return LegacyOle("xls", ole.get());
  if (has("WordDocument")) return LegacyOle("doc", ole.get());
  if (has("PowerPoint Document")) return LegacyOle("ppt", ole.get());
  if (has("EncryptedPackage")) Fail("encrypted Office file");
  BinaryStrings(data, "ole object");
}

void ExtractFormat(const std::string& fmt, const std::string& data) {
  if (fmt == "xlsx") Xlsx(data);
  else if (fmt == "docx") DocxFile(data);
  else if (fmt == "pptx") Pptx(data);
  else if (fmt == "odt") OdfFile(data, 't');
  else if (fmt == "ods") OdfFile(data, 's');
  else if (fmt == "odp") OdfFile(data, 'p');
  else if (fmt == "doc" || fmt == "xls" || fmt == "ppt") return LegacyFile(fmt, data);
  else if (fmt == "biff") return XlsBiff(data);  // a bare Workbook stream: the fuzzer
  else if (fmt == "zip") return ZipAuto(data);
  else if (fmt == "rtf") return RtfFile(data);
  else if (fmt == "tnef") return TnefFile(data);
  else if (fmt == "ole") return OleAuto(data);
  else if (fmt == "compressed") return Compressed(data);
  else Fail("unknown format");
  OtherParts(data, fmt[0] == 'o');
}

}  // namespace

void Extract(const std::string& fmt, const std::string& data, const Limits& lim, const SegmentFn& seg,
             const ImageFn* images, const WarnFn* warn, const ImageFn* files, const WarnFn* note) {
  g_unread_pictures = 0;
  g_images = images;
  g_warn = warn;
  g_files = files;
  g_max_images = lim.max_images;
  g_image_count = 0;
  g_max_text = lim.max_text;
  g_max_unpacked = lim.max_unpacked;
  g_max_entries = lim.max_entries;
  g_max_depth = lim.max_depth;
  g_text = 0;
  g_seg = &seg;
  g_unpacked = 0;
  g_embed_depth = 0;
  xmlInitParser();
  ExtractFormat(fmt, data);
  if (note && g_unread_pictures)
    (*note)(std::to_string(g_unread_pictures) + (g_unread_pictures == 1 ? " picture" : " pictures"));
}

}  // namespace nordpii::office

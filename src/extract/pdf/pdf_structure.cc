// SPDX-License-Identifier: GPL-2.0-or-later
// File: pdf_structure.cc — see pdf_structure.h.
#include "extract/pdf/pdf_structure.h"

#include <libxml/xmlreader.h>
// No PointerHolder (qpdf 11's deprecated smart pointer).
#define POINTERHOLDER_TRANSITION 4
#include <qpdf/Pipeline.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFAcroFormDocumentHelper.hh>
#include <qpdf/QPDFAnnotationObjectHelper.hh>
#include <qpdf/QPDFFormFieldObjectHelper.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFOutlineDocumentHelper.hh>
#include <qpdf/QPDFOutlineObjectHelper.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>
#include <qpdf/Buffer.hh>

#include <algorithm>
#include <exception>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nordpii::pdf {
namespace {

constexpr int kMaxXmlDepth = 256;
constexpr int kMaxOutlineDepth = 64;

// A stream's decoded bytes, at most `cap` of them (a Flate bomb in an XMP
// or XFA stream stops here instead of at the address-space limit).
class QPDF_DLL_CLASS CappedSink : public Pipeline {
 public:
  CappedSink(std::string* out, size_t cap) : Pipeline("nordpii capped sink", nullptr), out_(out), cap_(cap) {}
  void write(unsigned char const* data, size_t len) override {
    if (over_ || out_->size() + len > cap_) {
      over_ = true;
      return;
    }
    out_->append(reinterpret_cast<const char*>(data), len);
  }
  void finish() override {}
  bool over() const { return over_; }

 private:
  std::string* out_;
  size_t cap_;
  bool over_ = false;
};

bool Blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

// A name that may appear in a location: letters only (never an identifier).
std::string SafeName(const std::string& name) {
  if (name.empty() || name.size() > 24) return "";
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return "";
  return name;
}

// Text strings (PDFDocEncoding or UTF-16BE) as UTF-8; "" for anything else.
std::string Str(QPDFObjectHandle o) { return o.isString() ? o.getUTF8Value() : std::string(); }

class Reader {
 public:
  Reader(size_t max_stream, size_t max_items, const EmitFn& emit)
      : max_stream_(max_stream), max_items_(max_items), emit_(emit) {}

  void Run(QPDF& q) {
    QPDFObjectHandle root = q.getRoot();
    Forms(q, root);
    Annotations(q);
    Outline(q);
    Xmp(root);
    Catalog(root);
  }

  const std::string& missed() const { return missed_; }

 private:
  void Miss(const std::string& why) {
    if (missed_.find(why) != std::string::npos) return;
    if (!missed_.empty()) missed_ += "; ";
    missed_ += why;
  }

  // A stream's data (decoded) into *out; false (and a reason) if it could
  // not be decoded or is larger than the limit.
  bool Data(QPDFObjectHandle s, const char* what, std::string* out) {
    out->clear();
    if (!s.isStream()) return false;
    CappedSink sink(out, max_stream_);
    bool attempted = false;
    bool ok = false;
    try {
      ok = s.pipeStreamData(&sink, &attempted, 0, qpdf_dl_generalized, true, false);
    } catch (const std::exception&) {
      ok = false;
    }
    if (sink.over()) {
      Miss(std::string(what) + " larger than the limit; not read");
      return false;
    }
    if (!ok) {
      Miss(std::string(what) + " could not be decoded; not read");
      return false;
    }
    return true;
  }

  void EmitXml(const std::string& loc, const std::string& xml, const char* what) {
    std::string text;
    if (!XmlText(xml, &text)) {
      Miss(std::string(what) + " is not well-formed XML; not read");
      return;
    }
    if (!Blank(text)) emit_(loc, text);
  }

  // AcroForm fields (values, defaults, list options) and XFA packets.
  void Forms(QPDF& q, QPDFObjectHandle root) {
    QPDFObjectHandle acro = root.getKey("/AcroForm");
    if (!acro.isDictionary()) return;
    QPDFAcroFormDocumentHelper afdh(q);
    size_t n = 0;
    for (QPDFFormFieldObjectHelper& f : afdh.getFormFields()) {
      if (++n > max_items_) {
        Miss("more form fields than the limit; the rest not read");
        break;
      }
      std::vector<std::string> values;
      auto add = [&](QPDFObjectHandle v) {
        if (v.isString()) {
          values.push_back(v.getUTF8Value());
        } else if (v.isArray()) {
          for (QPDFObjectHandle e : v.getArrayAsVector())
            if (e.isString()) values.push_back(e.getUTF8Value());
        }
      };
      add(f.getValue());
      QPDFObjectHandle dv = f.getDefaultValue();
      if (!(dv.isString() && f.getValue().isString() && dv.getUTF8Value() == f.getValue().getUTF8Value())) add(dv);
      if (f.isChoice())
        for (const std::string& c : f.getChoices()) values.push_back(c);
      std::string text;
      for (const std::string& v : values)
        if (!Blank(v)) text += (text.empty() ? "" : "\n") + v;
      if (text.empty()) {
        // An empty field: its name or tooltip alone (a field named by an id).
        std::string label = f.getAlternativeName();
        if (!Blank(label)) emit_("form field " + std::to_string(n), label);
        continue;
      }
      // The field's name (or its tooltip, /TU) is the value's label, as a
      // column header is for a cell: "Fødselsnummer: 010180…".
      std::string label = f.getAlternativeName();
      emit_("form field " + std::to_string(n), Blank(label) ? text : label + ": " + text);
    }
    QPDFObjectHandle xfa = acro.getKey("/XFA");
    std::string xml;
    if (xfa.isStream()) {
      if (Data(xfa, "the XFA form", &xml)) EmitXml("xfa", xml, "the XFA form");
    } else if (xfa.isArray()) {
      std::vector<QPDFObjectHandle> a = xfa.getArrayAsVector();
      for (size_t i = 0; i + 1 < a.size() && i / 2 < max_items_; i += 2) {
        std::string name = SafeName(Str(a[i]));
        std::string loc = "xfa " + (name.empty() ? "packet " + std::to_string(i / 2 + 1) : name);
        if (Data(a[i + 1], "an XFA form packet", &xml)) EmitXml(loc, xml, "an XFA form packet");
      }
    }
  }

  // Annotations of every page: comments and their pop-ups, free text,
  // stamps, highlights with notes, link targets, attached files. Widgets
  // are the form fields (read above).
  void Annotations(QPDF& q) {
    QPDFPageDocumentHelper pages(q);
    size_t n = 0;
    size_t page = 0;
    std::set<QPDFObjGen> seen;
    for (QPDFPageObjectHelper& p : pages.getAllPages()) {
      ++page;
      size_t on_page = 0;
      for (QPDFAnnotationObjectHelper& a : p.getAnnotations()) {
        QPDFObjectHandle o = a.getObjectHandle();
        ++on_page;
        if (o.isIndirect() && !seen.insert(o.getObjGen()).second) continue;
        if (++n > max_items_) {
          Miss("more annotations than the limit; the rest not read");
          return;
        }
        const std::string subtype = o.getKey("/Subtype").isName() ? o.getKey("/Subtype").getName() : "";
        if (subtype == "/Widget") continue;
        std::vector<std::string> parts;
        auto add = [&](const std::string& s) {
          if (!Blank(s) && std::find(parts.begin(), parts.end(), s) == parts.end()) parts.push_back(s);
        };
        add(Str(o.getKey("/T")));  // the author
        add(Str(o.getKey("/Subj")));
        add(Str(o.getKey("/Contents")));
        QPDFObjectHandle rc = o.getKey("/RC");  // rich text (XHTML), may differ from /Contents
        std::string xml = Str(rc);
        if (rc.isStream()) Data(rc, "an annotation's rich text", &xml);
        if (!xml.empty()) {
          std::string text;
          if (XmlText(xml, &text)) {
            // Without the element names: the XHTML's <p>/<span> label nothing.
            std::string plain;
            for (size_t i = 0; i < text.size();) {
              size_t e = text.find('\n', i);
              if (e == std::string::npos) e = text.size();
              std::string line = text.substr(i, e - i);
              size_t c = line.find(": ");
              plain += (c == std::string::npos ? line : line.substr(c + 2)) + "\n";
              i = e + 1;
            }
            // Pieces of one paragraph in spans: joined, as the reader sees them.
            std::string joined;
            for (char ch : plain) joined += ch == '\n' ? ' ' : ch;
            if (!Blank(joined) && std::find(parts.begin(), parts.end(), joined) == parts.end()) add(joined);
          } else {
            Miss("an annotation's rich text is not well-formed XML; not read");
          }
        }
        QPDFObjectHandle act = o.getKey("/A");
        if (act.isDictionary()) add(Str(act.getKey("/URI")));
        if (subtype == "/FileAttachment") {
          QPDFObjectHandle fs = o.getKey("/FS");
          if (fs.isDictionary()) {
            add(Str(fs.getKey("/UF")));
            add(Str(fs.getKey("/F")));
            add(Str(fs.getKey("/Desc")));
            QPDFObjectHandle ef = fs.getKey("/EF");
            QPDFObjectHandle s = ef.isDictionary() ? ef.getKey("/F") : QPDFObjectHandle::newNull();
            if (!s.isStream() && ef.isDictionary()) s = ef.getKey("/UF");
            std::string data;
            if (s.isStream() && Data(s, "a file attached to an annotation", &data)) {
              if (data.find('\0') != std::string::npos)
                Miss("a file attached to an annotation is binary; not read");
              else
                add(data);
            }
          }
        }
        if (parts.empty()) continue;
        std::string text;
        for (const std::string& s : parts) text += (text.empty() ? "" : "\n") + s;
        emit_("page " + std::to_string(page) + " annotation " + std::to_string(on_page), text);
      }
    }
  }

  void OutlineItems(std::vector<QPDFOutlineObjectHelper> items, int depth, std::string* text, size_t* n) {
    for (QPDFOutlineObjectHelper& o : items) {
      if (++*n > max_items_) {
        Miss("more bookmarks than the limit; the rest not read");
        return;
      }
      std::string t = o.getTitle();
      if (!Blank(t)) *text += std::string(static_cast<size_t>(depth) * 2, ' ') + t + "\n";
      if (depth + 1 >= kMaxOutlineDepth) {
        if (!o.getKids().empty()) Miss("bookmarks nested deeper than the limit; not read");
        continue;
      }
      OutlineItems(o.getKids(), depth + 1, text, n);
    }
  }

  // Bookmarks: one title a line. qpdf's helper stops at a loop.
  void Outline(QPDF& q) {
    QPDFOutlineDocumentHelper odh(q);
    if (!odh.hasOutlines()) return;
    std::string text;
    size_t n = 0;
    OutlineItems(odh.getTopLevelOutlines(), 0, &text, &n);
    if (!Blank(text)) emit_("bookmarks", text);
  }

  // The catalog's XMP metadata stream (title, author, description, custom
  // schemas); the document information dictionary is read by poppler.
  void Xmp(QPDFObjectHandle root) {
    QPDFObjectHandle m = root.getKey("/Metadata");
    std::string xml;
    if (m.isStream() && Data(m, "the XMP metadata", &xml)) EmitXml("xmp", xml, "the XMP metadata");
  }

  // The catalog's document actions (OpenAction, AA: a URI, JavaScript) and
  // page labels (/PageLabels /Nums: the prefix a viewer shows as the page
  // number).
  void Catalog(QPDFObjectHandle root) {
    std::string text;
    auto action = [&](QPDFObjectHandle a) {
      if (!a.isDictionary()) return;
      text += Str(a.getKey("/URI")) + "\n";
      QPDFObjectHandle js = a.getKey("/JS");
      std::string data;
      if (js.isString()) text += Str(js) + "\n";
      else if (js.isStream() && Data(js, "a JavaScript action", &data)) text += data + "\n";
    };
    action(root.getKey("/OpenAction"));
    QPDFObjectHandle aa = root.getKey("/AA");
    if (aa.isDictionary())
      for (const std::string& k : aa.getKeys()) action(aa.getKey(k));
    if (!Blank(text)) emit_("actions", text);
    std::string labels;
    QPDFObjectHandle pl = root.getKey("/PageLabels");
    QPDFObjectHandle nums = pl.isDictionary() ? pl.getKey("/Nums") : QPDFObjectHandle::newNull();
    if (nums.isArray()) {
      size_t n = 0;
      for (QPDFObjectHandle e : nums.getArrayAsVector()) {
        if (++n > max_items_) {
          Miss("more page labels than the limit; the rest not read");
          break;
        }
        if (e.isDictionary()) labels += Str(e.getKey("/P")) + "\n";
      }
    }
    if (!Blank(labels)) emit_("page labels", labels);
  }

  size_t max_stream_, max_items_;
  const EmitFn& emit_;
  std::string missed_;
};

void QuietXml(void*, const char*, ...) {}

}  // namespace

bool XmlText(const std::string& xml, std::string* out) {
  out->clear();
  xmlSetGenericErrorFunc(nullptr, QuietXml);
  std::unique_ptr<xmlTextReader, void (*)(xmlTextReaderPtr)> r(
      xmlReaderForMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                         XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
      xmlFreeTextReader);
  if (!r) return false;
  static const std::string kRdf = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
  // The open elements' local names; rdf: ones (XMP's Alt/Seq/li) label nothing.
  std::vector<std::pair<std::string, bool>> stack;
  int ret;
  while ((ret = xmlTextReaderRead(r.get())) == 1) {
    const int type = xmlTextReaderNodeType(r.get());
    const int depth = xmlTextReaderDepth(r.get());
    if (depth > kMaxXmlDepth) return false;
    if (type == XML_READER_TYPE_DOCUMENT_TYPE) return false;  // no DTD, no entities (billion laughs)
    if (type == XML_READER_TYPE_ELEMENT) {
      const xmlChar* ln = xmlTextReaderConstLocalName(r.get());
      const xmlChar* ns = xmlTextReaderConstNamespaceUri(r.get());
      stack.resize(static_cast<size_t>(depth));
      stack.emplace_back(ln ? reinterpret_cast<const char*>(ln) : "",
                         ns && kRdf == reinterpret_cast<const char*>(ns));
      if (xmlTextReaderIsEmptyElement(r.get())) stack.pop_back();
    } else if (type == XML_READER_TYPE_TEXT || type == XML_READER_TYPE_CDATA) {
      const xmlChar* v = xmlTextReaderConstValue(r.get());
      if (!v) continue;
      std::string text(reinterpret_cast<const char*>(v));
      if (Blank(text)) continue;
      for (char& c : text)
        if (c == '\n' || c == '\r') c = ' ';
      std::string label;
      for (size_t i = std::min(stack.size(), static_cast<size_t>(depth)); i-- > 0;)
        if (!stack[i].second) {
          label = stack[i].first;
          break;
        }
      *out += (label.empty() ? "" : label + ": ") + text + "\n";
    }
  }
  return ret == 0;
}

struct Document::Impl {
  QPDF q;
};

Document::Document(const std::string& pdf) {
  try {
    auto impl = std::make_unique<Impl>();
    impl->q.setSuppressWarnings(true);
    impl->q.processMemoryFile("document", pdf.data(), pdf.size());
    impl_ = std::move(impl);
  } catch (const std::exception&) {
    impl_.reset();
  }
}

Document::~Document() = default;

std::string ReadStructure(Document& doc, size_t max_stream, size_t max_items, const EmitFn& emit) {
  Reader reader(max_stream, max_items, emit);
  try {
    if (!doc.impl_) throw std::runtime_error("unreadable");
    reader.Run(doc.impl_->q);
  } catch (const std::exception&) {
    return "its forms, annotations, bookmarks and XMP metadata could not be read (damaged structure)";
  }
  return reader.missed();
}

namespace {

// Stops at the first inline image of a content stream.
class InlineImageFinder : public QPDFObjectHandle::ParserCallbacks {
 public:
  void handleObject(QPDFObjectHandle o) override {
    if (o.isInlineImage()) {
      found = true;
      terminateParsing();
    }
  }
  void handleEOF() override {}
  bool found = false;
};

}  // namespace

std::vector<bool> PagesWithImages(Document& doc, int max_pages) {
  if (!doc.impl_) return {};
  try {
    QPDF& q = doc.impl_->q;
    std::vector<QPDFPageObjectHelper> pages = QPDFPageDocumentHelper(q).getAllPages();
    if (pages.size() > static_cast<size_t>(std::max(max_pages, 0))) return {};
    std::vector<bool> out;
    out.reserve(pages.size());
    for (QPDFPageObjectHelper& page : pages) {
      bool image = false;
      page.forEachImage(true, [&](QPDFObjectHandle&, QPDFObjectHandle&, std::string const&) { image = true; });
      if (!image) {
        InlineImageFinder f;
        try {
          page.parseContents(&f);
        } catch (const std::exception&) {
          // A content stream qpdf cannot parse: poppler read what it could;
          // whether it holds an image is unknown, so it counts as one.
          f.found = true;
        }
        image = f.found;
      }
      out.push_back(image);
    }
    return out;
  } catch (const std::exception&) {
    return {};
  }
}

namespace {

// Whether `s` decodes without an error or a warning from qpdf (which warns
// rather than throws for some filter failures).
// The objects a page's text is made of, as qpdf names them in warnings.
using ObjSet = std::set<std::string>;
void Note(ObjSet* objs, const QPDFObjectHandle& o) {
  if (o.isIndirect()) objs->insert("object " + std::to_string(o.getObjectID()) + " " + std::to_string(o.getGeneration()));
}

bool Decodes(QPDF& q, QPDFObjectHandle s, ObjSet* objs) {
  Note(objs, s);
  if (!s.isStream()) return false;
  const size_t before = q.numWarnings();
  try {
    (void)s.getStreamData(qpdf_dl_generalized);
  } catch (const std::exception&) {
    return false;
  }
  return q.numWarnings() == before;
}

// The font names a content stream selects (the name operand of each Tf).
class FontNames : public QPDFObjectHandle::ParserCallbacks {
 public:
  void handleObject(QPDFObjectHandle o) override {
    if (o.isOperator()) {
      if (o.getOperatorValue() == "Tf" && prev_.isName()) names.insert(prev_.getName());
      prev_ = last_ = QPDFObjectHandle::newNull();
      return;
    }
    prev_ = last_;
    last_ = o;
  }
  void handleEOF() override {}
  // Tf takes "/F1 11": the name is the operand before the size.
  std::set<std::string> names;

 private:
  QPDFObjectHandle prev_ = QPDFObjectHandle::newNull(), last_ = QPDFObjectHandle::newNull();
};

bool PageDecodes(QPDF& q, QPDFPageObjectHelper& page, ObjSet* objs) {
  Note(objs, page.getObjectHandle());
  QPDFObjectHandle contents = page.getObjectHandle().getKey("/Contents");
  if (contents.isArray()) {
    for (QPDFObjectHandle c : contents.getArrayAsVector())
      if (!Decodes(q, c, objs)) return false;
  } else if (!contents.isNull() && !Decodes(q, contents, objs)) {
    return false;
  }
  // Every font the content selects must be a font dictionary: qpdf drops a
  // font object it cannot parse (the key then reads as absent) and poppler
  // silently draws no text with it.
  FontNames used;
  page.parseContents(&used);
  QPDFObjectHandle res = page.getAttribute("/Resources", false);
  Note(objs, res);
  if (res.isNull()) return used.names.empty();
  if (!res.isDictionary()) return false;
  QPDFObjectHandle fonts = res.getKey("/Font");
  Note(objs, fonts);
  if (fonts.isNull()) return used.names.empty();
  if (!fonts.isDictionary()) return false;
  for (const std::string& k : used.names) {
    QPDFObjectHandle f = fonts.getKey(k);
    Note(objs, f);
    if (!f.isDictionary() || !f.getKey("/Subtype").isName()) return false;  // poppler cannot make the font
  }
  for (const std::string& k : fonts.getKeys()) {
    QPDFObjectHandle f = fonts.getKey(k);
    if (!f.isDictionary()) return false;
    QPDFObjectHandle tu = f.getKey("/ToUnicode");
    if (!tu.isNull() && !tu.isName() && !Decodes(q, tu, objs)) return false;
  }
  return true;
}

}  // namespace

std::vector<int> UndecodablePages(Document& doc, int pages) {
  std::vector<int> all;
  for (int i = 1; i <= pages; ++i) all.push_back(i);
  if (!doc.impl_) return all;
  try {
    QPDF& q = doc.impl_->q;
    std::vector<QPDFPageObjectHelper> ps = QPDFPageDocumentHelper(q).getAllPages();
    // poppler (reading qpdf's copy) and qpdf disagree on the pages (a damaged
    // page tree or catalog): every page either of them counts is in doubt.
    if (ps.size() != static_cast<size_t>(pages)) {
      for (int i = pages + 1; i <= static_cast<int>(ps.size()); ++i) all.push_back(i);
      return all;
    }
    std::vector<int> out;
    std::vector<ObjSet> objs(ps.size());
    for (size_t i = 0; i < ps.size(); ++i) {
      bool ok = false;
      try {
        ok = PageDecodes(q, ps[i], &objs[i]);
      } catch (const std::exception&) {
        ok = false;
      }
      if (!ok) out.push_back(static_cast<int>(i) + 1);
    }
    // A warning about one of a page's own objects (its dictionary, content,
    // resources, fonts) means qpdf parsed that object only in part (a key
    // lost to a damaged token): the page is in doubt. Warnings about the
    // xref table or other objects leave it alone.
    std::set<std::string> warned;
    for (const QPDFExc& w : q.getWarnings())
      if (!w.getObject().empty()) warned.insert(w.getObject());
    for (size_t i = 0; i < ps.size(); ++i) {
      const int n = static_cast<int>(i) + 1;
      if (std::find(out.begin(), out.end(), n) != out.end()) continue;
      for (const std::string& o : objs[i])
        if (warned.count(o)) {
          out.push_back(n);
          break;
        }
    }
    std::sort(out.begin(), out.end());
    return out;
  } catch (const std::exception&) {
    return all;
  }
}

std::string WithoutGeneratedAppearances(const std::string& pdf, std::string* out) {
  try {
    QPDF q;
    q.setSuppressWarnings(true);
    q.processMemoryFile("document", pdf.data(), pdf.size());
    QPDFObjectHandle root = q.getRoot();
    QPDFObjectHandle acro = root.isDictionary() ? root.getKey("/AcroForm") : QPDFObjectHandle::newNull();
    if (acro.isDictionary()) acro.removeKey("/NeedAppearances");
    for (QPDFObjectHandle page : q.getAllPages()) {
      QPDFObjectHandle annots = page.getKey("/Annots");
      if (annots.isNull()) continue;
      if (!annots.isArray()) {
        page.removeKey("/Annots");
        continue;
      }
      std::vector<QPDFObjectHandle> keep;
      for (QPDFObjectHandle a : annots.getArrayAsVector()) {
        QPDFObjectHandle ap = a.isDictionary() ? a.getKey("/AP") : QPDFObjectHandle::newNull();
        QPDFObjectHandle n = ap.isDictionary() ? ap.getKey("/N") : QPDFObjectHandle::newNull();
        if (n.isStream() || n.isDictionary()) keep.push_back(a);
      }
      if (keep.size() != static_cast<size_t>(annots.getArrayNItems())) page.replaceKey("/Annots", QPDFObjectHandle::newArray(keep));
    }
    QPDFWriter w(q);
    w.setOutputMemory();
    w.write();
    std::shared_ptr<Buffer> b = w.getBufferSharedPointer();
    out->assign(reinterpret_cast<const char*>(b->getBuffer()), b->getSize());
    return "";
  } catch (const QPDFExc& e) {
    if (e.getErrorCode() == qpdf_e_password) return "encrypted PDF";
    return "damaged PDF (its object structure cannot be recovered)";
  } catch (const std::exception&) {
    return "damaged PDF (its object structure cannot be recovered)";
  }
}

}  // namespace nordpii::pdf

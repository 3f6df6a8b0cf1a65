// SPDX-License-Identifier: GPL-2.0-or-later
// File: pdf_structure.h
//
// The parts of a PDF that are not page text and that poppler-cpp has no API
// for, read with qpdf (libqpdf, Apache-2.0, Debian libqpdf-dev) inside the
// PDF helper (nordpii-extract-pdf), after the seccomp sandbox is entered:
//   AcroForm field values      "form field N"   "<field name>: <value>"
//   XFA form packets (XML)     "xfa <packet>"   one "<element>: <text>" line per text node
//   annotations (comments, pop-ups, free text, stamps, link URIs, attached files)
//                              "page P annotation N"
//   bookmarks (outline titles) "bookmarks"      one title per line, nested ones indented
//   XMP metadata (XML)         "xmp"            one "<element>: <text>" line per text node
// Locations never hold document content (a field's name is text, not a
// location: it may itself be a value). Why qpdf and not poppler-glib: qpdf
// gives object-level access, so one library reads all five (poppler-glib
// has no XFA), it is Apache-2.0 and brings no GLib into the sandboxed process.
#ifndef NORDPII_EXTRACT_PDF_PDF_STRUCTURE_H_
#define NORDPII_EXTRACT_PDF_PDF_STRUCTURE_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace nordpii::pdf {

using EmitFn = std::function<void(const std::string& loc, const std::string& text)>;

// One qpdf parse of a PDF, shared by the readers below (ReadStructure,
// UndecodablePages, PagesWithImages): qpdf reads each object when it is first
// used, so the document is parsed once however many of them run. `pdf` must
// outlive the Document (qpdf reads it in place). A document qpdf cannot read
// at all counts as damaged in each reader. Readers only read; the copy
// poppler gets (WithoutGeneratedAppearances) is made from a parse of its own
// because it changes the document.
class Document {
 public:
  explicit Document(const std::string& pdf);
  ~Document();
  Document(const Document&) = delete;
  Document& operator=(const Document&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  friend std::string ReadStructure(Document&, size_t, size_t, const EmitFn&);
  friend std::vector<bool> PagesWithImages(Document&, int);
  friend std::vector<int> UndecodablePages(Document&, int);
};

// Emits the text of `pdf`'s forms, annotations, outline and XMP metadata.
// Each decoded stream (XFA, XMP, rich text, an attached file) is at most
// `max_stream` bytes. Returns "" when everything was read, else why not
// (no document content): the caller reports the PDF as partly scanned.
// `max_items` bounds fields, annotations and outline entries (each).
std::string ReadStructure(Document& pdf, size_t max_stream, size_t max_items, const EmitFn& emit);

// The text nodes of an XML document, one "<element>: <text>" line each
// (entities decoded; no DTD, no network; a DOCTYPE is refused). Returns
// false for XML that is malformed or too deep.
bool XmlText(const std::string& xml, std::string* out);

// `pdf` as qpdf reads it, for poppler's page text: every annotation
// without a normal appearance stream (/AP /N) is taken off its page and
// AcroForm /NeedAppearances is dropped, so poppler draws only appearance
// streams the document has and never builds one itself (its generated
// appearances are where 1.6 KB fuzzed FreeText annotations made it loop for
// minutes); the text of those annotations and of field values is read by
// ReadStructure. poppler always gets this copy, never the input, so it sees
// only what qpdf recovered. Returns "" on success, else why the PDF cannot
// be read ("encrypted PDF", or damage qpdf cannot recover): the helper then
// refuses the PDF (an error for the attachment, never a pass).
std::string WithoutGeneratedAppearances(const std::string& pdf, std::string* out);

// For each page of `pdf` in document order, whether it has an image: an
// image XObject in its resources or in those of a form XObject it uses
// (nested, qpdf's forEachImage), or an inline image (BI ... EI) in its content
// stream. A page with little text and an image is a scan; one with little
// text and no image is a short text page (a one-line letter, a blank page).
// Empty when qpdf cannot read the document or it has more than `max_pages`
// pages: the caller then cannot tell and treats every sparse page as a scan.
std::vector<bool> PagesWithImages(Document& pdf, int max_pages);

// The pages of `pdf` (1-based, document order) whose text poppler cannot
// fully read: a content stream that cannot be decoded (a broken filter,
// damaged data), or a font in the page's resources that is not a font
// dictionary (an object qpdf could not parse) or whose /ToUnicode map cannot
// be decoded. Damage qpdf repairs elsewhere (the xref table, offsets) does
// not count: only what these pages' text is made of. The helper reports each
// such page as not read ('W': the PDF is partly scanned), never as a scan.
// Every page when qpdf cannot read the document at all, and every page either
// counts when qpdf's page count differs from `pages` (poppler's).
// Pages in the result may be past `pages`.
std::vector<int> UndecodablePages(Document& pdf, int pages);

}  // namespace nordpii::pdf

#endif  // NORDPII_EXTRACT_PDF_PDF_STRUCTURE_H_

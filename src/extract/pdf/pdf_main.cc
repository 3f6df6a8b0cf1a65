// SPDX-License-Identifier: GPL-2.0-or-later
//
// nordpii-extract-pdf: the text of a PDF, one segment per page, for nordpii's
// ExtractDocument (src/extract/extractor.h). A separate program because
// poppler is GPL: this file and the executable are GPL-2.0-or-later, nordpii
// itself (Apache-2.0) only runs it as a child process over a pipe (which is
// also the security boundary: a crash or hang here is an error for one
// attachment). Reads the PDF from stdin, writes
//   "S<loclen> <textlen>\n<loc><text>" per page, then "D\n",
// or "E<len>\n<message>" and exit status 3 (encrypted, damaged, too many pages).
// With OCR (argument 9 is "1"), a page with little text (a scan, perhaps
// with a stamped footer: fewer than 200 non-blank characters) is rendered at 200 dpi in grey (less when the
// page would pass MAX_PIXELS) and written as a PGM image,
//   "I<loclen> <len>\n<loc><pgm>",
// for nordpii to pass to the OCR helper (Tesseract is not linked here); at
// most MAX_OCR_PAGES (argument 10) such pages, more is an error.
//
// Test hook: NORDPII_EXTRACT_TEST_CRASH=1 aborts after reading the input.
#include <poppler-document.h>
#include <poppler-embedded-file.h>
#include <poppler-global.h>
#include <poppler-image.h>
#include <poppler-page-renderer.h>
#include <poppler-page.h>
#include <unistd.h>

#include "extract/helper_io.h"
#include "extract/pdf/pdf_structure.h"
#include "extract/sandbox.h"
#include "extract/zygote.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using nordpii::helper::Fail;

// poppler's messages may quote content: never printed, only counted. An
// error while a page's text is extracted (an unknown operator, a font it
// cannot load) means the page was not fully read.
int g_errors = 0;
void Quiet(const std::string&, void*) { ++g_errors; }

// poppler reads its data directories (nameToUnicode, cMap, ...) when the
// first document is loaded, and iconv its gconv modules at the first text
// conversion: done here on a built-in one-glyph PDF, before the sandbox
// forbids opening files.
void Warm() {
  static bool warmed = false;  // once: in the zygote, its children skip it
  if (warmed) return;
  warmed = true;
  static const char kPdf[] =
      "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
      "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 20 20]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
      "4 0 obj<</Length 27>>stream\nBT /F1 9 Tf 2 5 Td (a) Tj ET\nendstream endobj\n"
      "5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>endobj\n"
      "trailer<</Root 1 0 R>>\n%%EOF\n";
  const std::vector<char> d(kPdf, kPdf + sizeof kPdf - 1);
  // Kept to the end: poppler-cpp frees its global state with the last document.
  static std::vector<char> keep;
  keep = d;
  static std::unique_ptr<poppler::document> doc;
  doc.reset(poppler::document::load_from_raw_data(keep.data(), static_cast<int>(keep.size())));
  if (!doc || doc->pages() < 1) return;
  std::unique_ptr<poppler::page> p(doc->create_page(0));
  if (!p) return;
  (void)p->text().to_utf8();
  // Not rendered here: rendering text asks fontconfig for a font, which may
  // write its cache; pages rendered for OCR later get no system fonts
  // (inside the sandbox), which costs only the glyphs of their text layer.
}

// A page with fewer than 200 non-blank characters of text may be a scan
// with a stamped page number or footer: with OCR it is read both ways;
// without, it gets the "not read" note only if it has an image
// (PagesWithImages).
bool Sparse(const std::string& text) {
  int n = 0;
  for (unsigned char c : text)
    if (c > ' ' && ++n >= 200) return false;
  return true;
}

// At most 16 megapixels per rendered page (A4 at 200 dpi is 3.9): nordpii
// holds the rendered pages of one PDF in memory until they are recognised.
constexpr unsigned long long kMaxRenderPixels = 16ull << 20;

// The page as a grey PGM at up to 200 dpi, within max_pixels.
std::string RenderPgm(const poppler::page& p, unsigned long long max_pixels) {
  max_pixels = std::min(max_pixels, kMaxRenderPixels);
  poppler::rectf r = p.page_rect();
  double w_in = std::max(r.width(), 1.0) / 72.0, h_in = std::max(r.height(), 1.0) / 72.0;
  double dpi = 200.0;
  if (w_in * dpi * h_in * dpi > static_cast<double>(max_pixels)) dpi = std::sqrt(max_pixels / (w_in * h_in));
  if (dpi < 20) Fail("page too large to render for OCR");
  poppler::page_renderer pr;
  pr.set_render_hint(poppler::page_renderer::antialiasing, true);
  pr.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  pr.set_image_format(poppler::image::format_gray8);
  poppler::image img = pr.render_page(&p, dpi, dpi);
  if (!img.is_valid() || img.width() <= 0 || img.height() <= 0) Fail("page could not be rendered for OCR");
  std::string pgm = "P5\n" + std::to_string(img.width()) + " " + std::to_string(img.height()) + "\n255\n";
  const char* d = img.const_data();
  for (int y = 0; y < img.height(); ++y) pgm.append(d + static_cast<size_t>(y) * img.bytes_per_row(), img.width());
  return pgm;
}

// One document: the document from stdin, segments to stdout.
int Run(int argc, char** argv) {
  if (argc < 7) Fail("usage: nordpii-extract-pdf pdf MAX_TEXT MAX_UNPACKED MAX_ENTRIES MAX_DEPTH MAX_PAGES");
  size_t max_text = std::strtoull(argv[2], nullptr, 10);
  const size_t max_unpacked = std::strtoull(argv[3], nullptr, 10);
  const size_t max_entries = std::strtoull(argv[4], nullptr, 10);
  int max_pages = std::atoi(argv[6]);
  const unsigned long long max_pixels = argc > 7 ? std::strtoull(argv[7], nullptr, 10) : 0;
  const bool ocr = argc > 9 && std::strcmp(argv[9], "1") == 0;
  const int max_ocr_pages = argc > 10 ? std::atoi(argv[10]) : 0;
  int ocr_pages = 0;
  std::vector<int> unread;  // scanned pages while OCR is off (the "N" note)
  const std::string input = nordpii::helper::ReadInput();
  std::vector<char> data(input.begin(), input.end());
  Warm();
  if (!nordpii::sandbox::Enter()) Fail("cannot enter the seccomp sandbox (NORDPII_EXTRACT_NO_SECCOMP=1 skips it)");
  if (std::getenv("NORDPII_EXTRACT_TEST_SANDBOX")) nordpii::helper::Put('S', "sandbox", nordpii::sandbox::Probe());
  poppler::set_debug_error_function(Quiet, nullptr);
  std::string drawn;  // qpdf's copy: poppler never generates an appearance (pdf_structure.h)
  const std::string refused = nordpii::pdf::WithoutGeneratedAppearances(input, &drawn);
  if (!refused.empty()) Fail(refused);
  data.assign(drawn.begin(), drawn.end());
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(data.data(), static_cast<int>(data.size())));
  if (!doc) Fail("damaged or encrypted PDF (cannot be opened)");
  if (doc->is_locked()) Fail("encrypted PDF");
  int pages = doc->pages();
  if (pages > max_pages) Fail("more pages than the limit");
  size_t total = 0;
  auto emit = [&](const std::string& loc, const std::string& text) {
    total += text.size() + 1;
    if (total > max_text) Fail("extracted text larger than the limit");
    nordpii::helper::Put('S', loc, text);
  };
  // The document information (Title, Author, Subject, Keywords, ...).
  for (const std::string& k : doc->info_keys()) {
    poppler::byte_array a = doc->info_key(k).to_utf8();
    std::string v(a.begin(), a.end());
    if (v.find_first_not_of(" \t\r\n") != std::string::npos) emit("metadata " + k, v);
  }
  // Embedded files: a text one (an XML e-invoice, a CSV) is read as text;
  // a binary one is not read, so the PDF is an error (fail closed).
  if (doc->has_embedded_files()) {
    int n = 0;
    for (poppler::embedded_file* f : doc->embedded_files()) {
      ++n;
      if (!f || !f->is_valid()) Fail("damaged embedded file");
      emit("attached file " + std::to_string(n) + " name", f->name());
      poppler::byte_array a = f->data();
      std::string d(a.begin(), a.end());
      if (d.find('\0') != std::string::npos) {
        nordpii::helper::Put('W', "", "embedded file " + std::to_string(n) + " is binary; not read");
        continue;
      }
      emit("attached file " + std::to_string(n), d);
    }
  }
  // Forms (AcroForm values, XFA), annotations, bookmarks, XMP: qpdf
  // (pdf_structure.h). What it cannot read leaves the PDF partly scanned.
  nordpii::pdf::Document parsed(input);  // one qpdf parse for the three readers below
  const std::string missed = nordpii::pdf::ReadStructure(parsed, max_unpacked, max_entries, emit);
  if (!missed.empty()) nordpii::helper::Put('W', "", missed);
  // Pages whose content stream or fonts cannot be decoded: poppler reads
  // what it can (often nothing, silently), so each is reported as not read
  // (the PDF is partly scanned), never as a scan or as read.
  const std::vector<int> broken = nordpii::pdf::UndecodablePages(parsed, pages);
  // No page at all: a damaged catalog or page tree (a real PDF has one).
  if (pages == 0 && broken.empty()) nordpii::helper::Put('W', "", "no page could be read (damaged page tree)");
  auto is_broken = [&](int page) { return std::find(broken.begin(), broken.end(), page) != broken.end(); };
  for (int n : broken)
    nordpii::helper::Put('W', "", "page " + std::to_string(n) + " not read (its content or fonts cannot be decoded)");
  for (int i = 0; i < pages; ++i) {
    std::unique_ptr<poppler::page> p(doc->create_page(i));
    if (!p) {
      if (!is_broken(i + 1)) nordpii::helper::Put('W', "", "page " + std::to_string(i + 1) + " not read (cannot be opened)");
      continue;
    }
    g_errors = 0;
    poppler::byte_array a = p->text().to_utf8();
    if (g_errors > 0 && !is_broken(i + 1))
      nordpii::helper::Put('W', "", "page " + std::to_string(i + 1) + " not fully read (poppler could not decode part of it)");
    std::string text(a.begin(), a.end());
    for (char& c : text)
      if (c == '\f') c = '\n';
    std::string loc = "page " + std::to_string(i + 1);
    if (ocr && Sparse(text)) {
      emit(loc, text);
      if (++ocr_pages > max_ocr_pages) {
        if (ocr_pages == max_ocr_pages + 1)
          nordpii::helper::Put('W', "", "more scanned pages than the OCR limit (" + std::to_string(max_ocr_pages) +
                                            "); the rest not read");
        continue;
      }
      std::string pgm = RenderPgm(*p, max_pixels);
      nordpii::helper::Put('I', loc, pgm);
      continue;
    }
    if (!ocr && Sparse(text) && !is_broken(i + 1)) unread.push_back(i + 1);
    emit(loc, text);
  }
  // Pages without a text layer while OCR is off: one note naming them (page
  // numbers only, never document text); nordpii adds why (kImageNotReadNote).
  // Only pages with an image are scans: a short text page (a one-line
  // letter, a blank page) has nothing more to read. When qpdf cannot tell
  // (a damaged structure), every sparse page is noted.
  if (!unread.empty()) {
    const std::vector<bool> images = nordpii::pdf::PagesWithImages(parsed, pages);
    if (images.size() == static_cast<size_t>(pages))
      unread.erase(std::remove_if(unread.begin(), unread.end(), [&](int p) { return !images[p - 1]; }), unread.end());
  }
  if (!unread.empty()) {
    std::string pages = unread.size() == 1 ? "page " : "pages ";
    for (size_t k = 0; k < unread.size() && k < 10; ++k) pages += (k ? ", " : "") + std::to_string(unread[k]);
    if (unread.size() > 10) pages += " and " + std::to_string(unread.size() - 10) + " more";
    nordpii::helper::Put('N', "", pages);
  }
  nordpii::helper::Done();
  return 0;
}

}  // namespace

// `nordpii-extract-pdf --zygote`: the start-up server (zygote.h), warmed.
int main(int argc, char** argv) { return nordpii::zygote::Main(argc, argv, Run, Warm); }

// SPDX-License-Identifier: GPL-2.0-or-later
// libFuzzer target for the PDF helper's parsing (nordpii-extract-pdf), in
// process: qpdf takes off annotations poppler would draw without an
// appearance stream (WithoutGeneratedAppearances), poppler-cpp opens the document and reads its information,
// embedded files and the text of up to 20 pages, then qpdf reads its forms,
// XFA, annotations, bookmarks and XMP (pdf_structure.h) with small limits
// and which pages have images (PagesWithImages);
// any input is read or refused — never a crash, leak or an unbounded
// stream. GPL like the helper (it links poppler). Rendering for OCR is not
// fuzzed (slow; poppler's renderer has its own OSS-Fuzz coverage).
// Build and run: scripts/fuzz.sh SECONDS pdf (clang, ASan + UBSan).
#include <poppler-document.h>
#include <poppler-embedded-file.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "extract/pdf/pdf_structure.h"

namespace {
void Quiet(const std::string&, void*) {}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* d, size_t n) {
  poppler::set_debug_error_function(Quiet, nullptr);
  const std::string input(reinterpret_cast<const char*>(d), n);
  std::string drawn;  // as the helper: poppler never generates an appearance
  const bool readable = nordpii::pdf::WithoutGeneratedAppearances(input, &drawn).empty();
  std::vector<char> data(drawn.begin(), drawn.end());
  std::unique_ptr<poppler::document> doc(
      readable ? poppler::document::load_from_raw_data(data.data(), static_cast<int>(data.size())) : nullptr);
  if (doc && !doc->is_locked()) {
    for (const std::string& k : doc->info_keys()) (void)doc->info_key(k).to_utf8();
    if (doc->has_embedded_files())
      for (poppler::embedded_file* f : doc->embedded_files())
        if (f && f->is_valid()) (void)f->data();
    const int pages = std::min(doc->pages(), 20);
    for (int i = 0; i < pages; ++i) {
      std::unique_ptr<poppler::page> p(doc->create_page(i));
      if (p) (void)p->text().to_utf8();
    }
  }
  const size_t max_stream = 1 << 20;
  size_t text = 0;
  nordpii::pdf::Document parsed(input);
  std::string missed = nordpii::pdf::ReadStructure(parsed, max_stream, 200, [&](const std::string&, const std::string& t) {
    text += t.size();
  });
  (void)missed;
  std::string xml;
  (void)nordpii::pdf::XmlText(input, &xml);
  // Which pages have an image (the no --ocr note), at most 20 pages.
  (void)nordpii::pdf::PagesWithImages(parsed, 20);
  if (text > 64u * max_stream + 64u * n + (1u << 20)) {  // each text is bounded by a stream or the input
    std::fprintf(stderr, "pdf structure: more text than the limits allow\n");
    std::abort();
  }
  return 0;
}

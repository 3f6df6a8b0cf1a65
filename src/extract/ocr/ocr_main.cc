// SPDX-License-Identifier: Apache-2.0
// nordpii-extract-ocr: the image helper program (OCR with Tesseract, images
// read by Leptonica; both Apache/BSD-licensed). Reads an image (PNG, JPEG,
// TIFF incl. multi-page, GIF, BMP, WebP, PNM) from stdin and writes one
// segment per recognised text line, "S<loclen> <textlen>\n<loc><text>"
// (loc "line 3", or "page 2 line 3" for multi-page TIFF, "frame 2 line 3"
// for an animated GIF), then "D\n"; or
// "E<len>\n<message>" with exit status 3.
//
// Arguments: FORMAT MAX_TEXT MAX_UNPACKED MAX_ENTRIES MAX_DEPTH MAX_PAGES
// MAX_PIXELS LANGUAGES (as nordpii-extract, plus the pixel limit per page
// and Tesseract's language list, e.g. "nor+swe+dan+fin+isl+eng").
// The pixel limit is checked from the image header before it is decoded.
// Tesseract's OpenMP runtime would start a thread per core in every helper:
// the program re-executes itself once with OMP_THREAD_LIMIT=1 (libgomp reads
// it when it is loaded, before main).
//
// Test hook: NORDPII_EXTRACT_TEST_CRASH=1 makes it abort() after reading its
// input, =hang makes it sleep forever (as nordpii-extract).
#include <gif_lib.h>
#include <leptonica/allheaders.h>
#include <tesseract/baseapi.h>
#include <unistd.h>

#include "extract/helper_io.h"
#include "extract/ocr/gif_frames.h"
#include "extract/sandbox.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

using nordpii::helper::Fail;

void Emit(const std::string& loc, const std::string& text) { nordpii::helper::Put('S', loc, text); }

// Below this mean word confidence (0-100) a page is tried in the other
// three orientations.
constexpr int kUprightConfidence = 80;

struct Reading {
  int confidence = -1;
  std::vector<std::pair<int, std::string>> lines;  // line number, text
};

// method: Tesseract's thresholding_method, 0 global Otsu (the default), 1
// adaptive Otsu (text on a grey or coloured box that global Otsu turns black).
Reading Read(tesseract::TessBaseAPI& api, PIX* pix, int method = 0) {
  Reading out;
  api.SetVariable("thresholding_method", method ? "1" : "0");
  api.SetImage(pix);
  if (api.Recognize(nullptr) != 0) Fail("recognition failed");
  std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
  int line = 0;
  if (it) do {
      std::unique_ptr<char[]> t(it->GetUTF8Text(tesseract::RIL_TEXTLINE));
      if (!t) continue;
      std::string text(t.get());
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      ++line;
      if (!text.empty()) out.lines.emplace_back(line, std::move(text));
    } while (it->Next(tesseract::RIL_TEXTLINE));
  out.confidence = out.lines.empty() ? 0 : api.MeanTextConf();
  api.Clear();
  return out;
}

struct PixFree {
  void operator()(PIX* p) const { pixDestroy(&p); }
};
struct PixaFree {
  void operator()(PIXA* p) const { pixaDestroy(&p); }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 9)
    Fail("usage: nordpii-extract-ocr FORMAT MAX_TEXT MAX_UNPACKED MAX_ENTRIES MAX_DEPTH MAX_PAGES MAX_PIXELS LANGUAGES");
  if (!std::getenv("OMP_THREAD_LIMIT")) {
    setenv("OMP_THREAD_LIMIT", "1", 1);
    execv("/proc/self/exe", argv);
    Fail("cannot re-execute with OMP_THREAD_LIMIT=1");
  }
  const size_t max_text = std::strtoull(argv[2], nullptr, 10);
  const long max_pages = std::atol(argv[6]);
  const unsigned long long max_pixels = std::strtoull(argv[7], nullptr, 10);
  const char* languages = argv[8];
  std::string data = nordpii::helper::ReadInput();
  // Tesseract opens its language data first; then the sandbox, then the
  // image is parsed.
  tesseract::TessBaseAPI api;
  if (api.Init(nullptr, languages) != 0) Fail(std::string("OCR language data missing (") + languages + ")");
  api.SetPageSegMode(tesseract::PSM_AUTO);
  if (!nordpii::sandbox::Enter()) Fail("cannot enter the seccomp sandbox (NORDPII_EXTRACT_NO_SECCOMP=1 skips it)");
  if (std::getenv("NORDPII_EXTRACT_TEST_SANDBOX")) {
    const std::string probe = nordpii::sandbox::Probe();
    Emit("sandbox", probe);
  }
  setMsgSeverity(L_SEVERITY_NONE);
  const auto* bytes = reinterpret_cast<const l_uint8*>(data.data());
  l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, cmap = 0;
  if (pixReadHeaderMem(bytes, data.size(), &format, &w, &h, &bps, &spp, &cmap) != 0 || w <= 0 || h <= 0)
    Fail("not an image that can be read");
  if (static_cast<unsigned long long>(w) * static_cast<unsigned long long>(h) > max_pixels)
    Fail("image larger than the pixel limit (" + std::to_string(w) + "x" + std::to_string(h) + ")");
  // Pages: one, or each page of a multi-page TIFF (each checked against the
  // pixel limit before recognition; the page count against MAX_PAGES).
  std::unique_ptr<PIXA, PixaFree> pages;
  bool gif_frames = false;
  if (L_FORMAT_IS_TIFF(format)) {
    FILE* f = fmemopen(data.data(), data.size(), "rb");
    l_int32 n = 0;
    if (!f || tiffGetCount(f, &n) != 0) {
      if (f) std::fclose(f);
      Fail("unreadable TIFF");
    }
    std::fclose(f);
    if (n > max_pages) Fail("more TIFF pages than the limit");
    // Page by page: Leptonica's pixaReadMemMultipageTiff follows a damaged
    // directory offset forever (an 883-byte TIFF found by the OCR fuzzer).
    pages.reset(pixaCreate(n));
    for (l_int32 k = 0; k < n; ++k) {
      PIX* p = pixReadMemTiff(bytes, data.size(), k);
      if (!p) Fail("TIFF page " + std::to_string(k + 1) + " could not be decoded");
      pixaAddPix(pages.get(), p, L_INSERT);
    }
  } else if (format == IFF_GIF) {
    pages.reset(pixaCreate(nordpii::ocr::kMaxGifFrames));
    std::string error;
    bool truncated = false;
    const int frames = nordpii::ocr::GifFrames(data, max_pixels, pages.get(), &truncated, &error);
    if (frames < 0) Fail(error);
    if (truncated)
      nordpii::helper::Put('W', "", "animated GIF with more frames than the limit (" +
                                        std::to_string(nordpii::ocr::kMaxGifFrames) + "); the rest not read");
    gif_frames = frames > 1;
    if (frames == 1) {  // a still GIF: read as any image
      PIX* p = pixReadMem(bytes, data.size());
      if (!p) Fail("image could not be decoded");
      pixaAddPix(pages.get(), p, L_INSERT);
    }
  } else {
    pages.reset(pixaCreate(1));
    PIX* p = pixReadMem(bytes, data.size());
    if (!p) Fail("image could not be decoded");
    pixaAddPix(pages.get(), p, L_INSERT);
  }
  const l_int32 npages = pages ? pixaGetCount(pages.get()) : 0;
  if (npages <= 0) Fail("image could not be decoded");
  size_t total = 0;
  for (l_int32 i = 0; i < npages; ++i) {
    std::unique_ptr<PIX, PixFree> pix(pixaGetPix(pages.get(), i, L_CLONE));
    if (!pix) Fail("image page could not be decoded");
    if (static_cast<unsigned long long>(pixGetWidth(pix.get())) * pixGetHeight(pix.get()) > max_pixels)
      Fail("image page larger than the pixel limit");
    // Upright first, then (low confidence) with adaptive thresholding; a page
    // still read with low confidence (a photo taken sideways,
    // a scan upside down, a phone JPEG's EXIF rotation) is read again turned
    // by 90, 180 and 270 degrees and the most confident reading is kept.
    // (Tesseract's own orientation detection loads osd.traineddata during
    // recognition, which the sandbox forbids.)
    Reading best = Read(api, pix.get());
    int method = 0;
    if (best.confidence < kUprightConfidence) {  // a grey or coloured background?
      Reading r = Read(api, pix.get(), 1);
      if (r.confidence > best.confidence) best = std::move(r), method = 1;
    }
    const bool turn = best.confidence < kUprightConfidence;  // then all three turns (upside-down text
    for (int quarter = 1; quarter <= 3 && turn; ++quarter) {  // can read with a fair confidence too)
      std::unique_ptr<PIX, PixFree> turned(pixRotateOrth(pix.get(), quarter));
      if (!turned) continue;
      Reading r = Read(api, turned.get(), method);
      if (r.confidence > best.confidence) best = std::move(r);
    }
    for (auto& [line, text] : best.lines) {
      total += text.size() + 1;
      if (total > max_text) Fail("recognised text larger than the limit");
      Emit(npages > 1 ? (gif_frames ? "frame " : "page ") + std::to_string(i + 1) + " line " + std::to_string(line)
                      : "line " + std::to_string(line),
           text);
    }
  }
  api.End();
  nordpii::helper::Done();
  return 0;
}
